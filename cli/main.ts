#!/usr/bin/env node
// The one entrypoint of the image: `logshipper agent ...` (the sidecar), `logshipper operator`,
// `logshipper render -f logshipper.yaml`, `logshipper status` and `logshipper crds apply`. Installed also as
// `kubectl-logshipper`, so that `kubectl logshipper status ...` runs it with the same arguments.
import { runAgentCommand, AGENT_USAGE } from '../sidecar/cli.ts';

const USAGE = `Usage: logshipper <command> [options]

Commands:
  agent     run the log shipping agent from a Flume-style properties file
  operator  run the Kubernetes operator (LogShipper resources -> agent configuration; sidecar injection webhook)
  render    print the agent configuration a LogShipper manifest renders to
  status    list LogShippers and their pods: sidecar, configuration hash (stale pods), delivery trouble
  crds      apply the LogShipper CRD of this version to the cluster (crds apply)

Run 'logshipper <command> --help' for a command's options.

${AGENT_USAGE}`;

/** Runs one command; resolves with the process exit code. */
async function main([command, ...rest]: string[]): Promise<number> {
  switch (command) {
    case 'agent':
      return runAgentCommand(rest);
    case 'operator':
      return (await import('../operator/cli.ts')).runOperatorCommand(rest);
    case 'render':
      return (await import('../operator/render-command.ts')).runRenderCommand(rest);
    case 'status':
      return (await import('./status/command.ts')).runStatusCommand(rest);
    case 'crds':
      return (await import('../operator/crds-command.ts')).runCrdsCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`logshipper: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

// No top-level await: the image runs this file bundled as CommonJS (build/agent-bundle.ts).
// Exit explicitly: a client library may keep a handle open after a clean stop.
void main(process.argv.slice(2)).then((code) => process.exit(code));
