import { parseArgs } from 'node:util';
import { DEFAULT_DRAIN_MS, DEFAULT_DRAIN_QUIET_MS } from './agent.ts';
import { DEFAULT_HTTP_PORT } from './http.ts';
import { createLogger } from './log.ts';
import { runAgent, type RuntimeOptions } from './runtime.ts';

const DEFAULT_READY_BACKOFF_LIMIT_MS = 60_000;

export const AGENT_USAGE = `Usage: logshipper agent --conf-file FILE --name AGENT [options]

Runs the agent AGENT defined in the Flume-style properties file FILE
(the same file and flags as 'flume-ng agent').

Options:
  -f, --conf-file FILE         properties file (required); one that does not exist (in a directory
                               that does) is waited for: /readyz 503 until it appears and loads
  -n, --name AGENT             agent name: the prefix of its keys, e.g. 'producer' (required)
      --log-level LEVEL        fatal, error, warn, info (default), debug, trace, silent
                               (also LOGSHIPPER_LOG_LEVEL)
      --drain-timeout MS       on SIGTERM/SIGINT, how long (from the signal) the sources may read
                               to their end and the sinks deliver (default ${DEFAULT_DRAIN_MS})
      --drain-quiet-period MS  on SIGTERM/SIGINT, read on what the files gain until none has grown
                               for MS, within the drain timeout: for an app stopped at the same
                               time as the agent (default ${DEFAULT_DRAIN_QUIET_MS}: each file is read to its end once)
      --http-port PORT|off     /metrics, /metrics/json, /healthz, /readyz, POST /stop (default ${DEFAULT_HTTP_PORT}; 0 picks a free port)
      --http-host HOST         address to listen on (default 0.0.0.0)
      --ready-backoff-limit MS /readyz fails once a sink has failed for this long (default ${DEFAULT_READY_BACKOFF_LIMIT_MS})
      --health-report-url URL  POST the delivery state (delivering: no sink failing for longer than
                               --ready-backoff-limit) to URL once known and on every change, retried
                               until acknowledged; the pod is named by POD_NAMESPACE, POD_NAME and
                               POD_UID (the injector sets all of this; default: no reports)
      --no-reload-conf         do not reload the file when it changes (SIGHUP still reloads)
  -h, --help                   this text
Flume compatibility: -Dflume.monitoring.type=http -Dflume.monitoring.port=PORT set the HTTP port;
-c/--conf DIR and other -Dname=value are accepted and ignored.

Exit codes: 0 clean stop, 1 runtime failure (a source failed, or events were left undelivered at
stop), 2 bad configuration or usage.
The agent also stops by itself, after draining, once every source has finished (e.g. an exec
command without restart=true exited).`;

/** What the agent's command line asks for: its options, --help, or the usage error. */
export type AgentArgs = { run: RuntimeOptions; logLevel: string | undefined } | { help: true } | { usageError: string };

/** The agent's command line (without `agent`) as runtime options; pure, so the operator's injected args can be checked. */
export function parseAgentArgs(argv: string[]): AgentArgs {
  // flume-ng passes JVM system properties as -Dkey=value; only the monitoring ones mean something here.
  const system = new Map(argv.filter((arg) => arg.startsWith('-D')).map((arg) => {
    const [key = '', ...value] = arg.slice(2).split('=');
    return [key, value.join('=')] as const;
  }));
  const args = argv.filter((arg) => !arg.startsWith('-D'));
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
        'drain-quiet-period': { type: 'string' },
        'http-port': { type: 'string' },
        'http-host': { type: 'string', default: '0.0.0.0' },
        'ready-backoff-limit': { type: 'string' },
        'health-report-url': { type: 'string' },
        'no-reload-conf': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { usageError: (error as Error).message };
  }
  if (values.help === true) return { help: true };
  const file = values['conf-file'];
  const name = values.name;
  if (file === undefined) return { usageError: '--conf-file is required' };
  if (name === undefined) return { usageError: '--name is required' };

  const flumeMonitoring = system.get('flume.monitoring.type') === 'http' ? system.get('flume.monitoring.port') : undefined;
  const portText = values['http-port'] ?? flumeMonitoring ?? String(DEFAULT_HTTP_PORT);
  const drainMs = milliseconds('--drain-timeout', values['drain-timeout'] ?? String(DEFAULT_DRAIN_MS));
  const quietMs = milliseconds('--drain-quiet-period', values['drain-quiet-period'] ?? String(DEFAULT_DRAIN_QUIET_MS));
  const readyMs = milliseconds('--ready-backoff-limit', values['ready-backoff-limit'] ?? String(DEFAULT_READY_BACKOFF_LIMIT_MS));
  if (typeof drainMs === 'string') return { usageError: drainMs };
  if (typeof quietMs === 'string') return { usageError: quietMs };
  if (typeof readyMs === 'string') return { usageError: readyMs };
  // Quiet for as long as the whole drain: it would always end at the deadline, with nothing left to deliver in.
  if (quietMs > 0 && quietMs >= drainMs) return { usageError: `--drain-quiet-period "${quietMs}": less than --drain-timeout (${drainMs}) is allowed` };
  const reportUrl = values['health-report-url'];
  if (reportUrl !== undefined && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(reportUrl)) return { usageError: `--health-report-url "${reportUrl}": an http:// or https:// URL is allowed` };
  let port: number | undefined;
  if (portText !== 'off') {
    if (!/^\d+$/.test(portText) || Number(portText) > 65_535) return { usageError: `--http-port "${portText}": a port 0..65535 or off is allowed` };
    port = Number(portText);
  }
  return {
    run: {
      file, name, drainMs, drainQuietMs: quietMs,
      http: port === undefined ? undefined : { host: values['http-host'], port },
      readyBackoffLimitMs: readyMs,
      healthReportUrl: reportUrl,
      reload: !values['no-reload-conf'],
    },
    logLevel: values['log-level'],
  };
}

/** `logshipper agent ...`: resolves with the process exit code. */
export async function runAgentCommand(argv: string[]): Promise<number> {
  const args = parseAgentArgs(argv);
  if ('usageError' in args) return usageError(args.usageError);
  if ('help' in args) {
    console.log(AGENT_USAGE);
    return 0;
  }
  let log;
  try {
    log = createLogger(args.logLevel);
  } catch (error) {
    return usageError((error as Error).message);
  }
  // Node's own warnings become log lines too. kafkajs 2.2.4 on Node 24 sets a timer from a
  // negative timestamp once per connection (kafkajs issue #1751): harmless, so kept to debug.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    log[warning.name === 'TimeoutNegativeWarning' ? 'debug' : 'warn']({ warning: warning.name }, warning.message);
  });
  return runAgent(args.run, log);
}

/** Milliseconds from a flag, or the usage error as a string. */
function milliseconds(flag: string, text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : `${flag} "${text}": a number of milliseconds is allowed`;
}

function usageError(message: string): number {
  console.error(`logshipper agent: ${message}\n\n${AGENT_USAGE}`);
  return 2;
}
