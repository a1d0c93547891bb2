#!/usr/bin/env node
// The one entrypoint of the image: `logshipper agent ...` (the sidecar), `logshipper operator`
// and `logshipper render -f logshipper.yaml`.
import { runAgentCommand, AGENT_USAGE } from '../sidecar/cli.ts';

const USAGE = `Usage: logshipper <command> [options]

Commands:
  agent     run the log shipping agent from a Flume-style properties file
  operator  run the Kubernetes operator (LogShipper resources -> agent configuration; sidecar injection webhook)
  render    print the agent configuration a LogShipper manifest renders to

Run 'logshipper <command> --help' for a command's options.

${AGENT_USAGE}`;

const [command, ...rest] = process.argv.slice(2);
let code: number;
switch (command) {
  case 'agent':
    code = await runAgentCommand(rest);
    break;
  case 'operator':
    code = await (await import('../operator/cli.ts')).runOperatorCommand(rest);
    break;
  case 'render':
    code = (await import('../operator/render-command.ts')).runRenderCommand(rest);
    break;
  case undefined:
  case '-h':
  case '--help':
  case 'help':
    console.log(USAGE);
    code = command === undefined ? 2 : 0;
    break;
  default:
    console.error(`logshipper: unknown command "${command}"\n\n${USAGE}`);
    code = 2;
}
// Exit explicitly: a client library may keep a handle open after a clean stop.
process.exit(code);
