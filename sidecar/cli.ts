import { parseArgs } from 'node:util';
import { loadAgentConfig } from './config/agent-config.ts';
import { ConfigError } from './config/errors.ts';
import { Agent, DEFAULT_DRAIN_MS } from './agent.ts';
import { createLogger } from './log.ts';

export const AGENT_USAGE = `Usage: logshipper agent --conf-file FILE --name AGENT [options]

Runs the agent AGENT defined in the Flume-style properties file FILE
(the same file and flags as 'flume-ng agent').

Options:
  -f, --conf-file FILE     properties file (required)
  -n, --name AGENT         agent name: the prefix of its keys, e.g. 'producer' (required)
      --log-level LEVEL    fatal, error, warn, info (default), debug, trace, silent
                           (also LOGSHIPPER_LOG_LEVEL)
      --drain-timeout MS   on SIGTERM/SIGINT, how long to let channels drain into sinks (default ${DEFAULT_DRAIN_MS})
  -h, --help               this text
Accepted for flume-ng compatibility and ignored: -c/--conf DIR, --no-reload-conf, -Dname=value.

Exit codes: 0 clean stop, 1 runtime failure (a source failed, or events were left undelivered at
stop), 2 bad configuration or usage.
The agent also stops by itself, after draining, once every source has finished (e.g. an exec
command without restart=true exited).`;

/** `logshipper agent ...`: resolves with the process exit code. */
export async function runAgentCommand(argv: string[]): Promise<number> {
  // flume-ng passes JVM system properties as -Dkey=value; they mean nothing here.
  const args = argv.filter((arg) => !arg.startsWith('-D') && arg !== '--no-reload-conf');
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'conf-file': { type: 'string', short: 'f' },
        name: { type: 'string', short: 'n' },
        conf: { type: 'string', short: 'c' },
        'log-level': { type: 'string' },
        'drain-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help === true) {
    console.log(AGENT_USAGE);
    return 0;
  }
  const file = values['conf-file'];
  const name = values.name;
  if (file === undefined) return usageError('--conf-file is required');
  if (name === undefined) return usageError('--name is required');
  const drainText = values['drain-timeout'] ?? String(DEFAULT_DRAIN_MS);
  if (!/^\d+$/.test(drainText)) return usageError(`--drain-timeout "${drainText}": a number of milliseconds is allowed`);

  let log;
  try {
    log = createLogger(values['log-level']);
  } catch (error) {
    return usageError((error as Error).message);
  }
  // Node's own warnings become log lines too. kafkajs 2.2.4 on Node 24 sets a timer from a
  // negative timestamp once per connection (kafkajs issue #1751): harmless, so kept to debug.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    log[warning.name === 'TimeoutNegativeWarning' ? 'debug' : 'warn']({ warning: warning.name }, warning.message);
  });
  let config;
  try {
    config = loadAgentConfig(file, name);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`logshipper: configuration error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  for (const warning of config.warnings) log.warn({ file: warning.file, line: warning.line, key: warning.key }, warning.message);

  const agent = new Agent(config, log);
  await agent.start();
  const ending = await new Promise<{ reason: string; failed: boolean }>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        log.warn({ signal }, 'second signal: exiting at once');
        process.exit(1);
      }
      signalled = true;
      resolve({ reason: signal, failed: false });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    void agent.sourcesFinished().then((outcome) => {
      const failed = outcome === 'failed';
      resolve({ reason: failed ? 'all sources finished, some with a failure' : 'all sources finished', failed });
    });
  });
  log.info({ reason: ending.reason }, 'stopping: draining channels into sinks');
  const undelivered = await agent.stop(Number(drainText));
  return undelivered === 0 && !ending.failed ? 0 : 1;
}

function usageError(message: string): number {
  console.error(`logshipper agent: ${message}\n\n${AGENT_USAGE}`);
  return 2;
}
