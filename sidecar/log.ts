import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Paths that may carry secrets anywhere in a log object; pino replaces their values. */
const REDACT = [
  'password', '*.password', '*.*.password',
  'sasl.password', 'ssl.key', '*.ssl.key', 'token', '*.token',
  'config["kafka.producer.sasl.jaas.config"]', 'config["kafka.producer.ssl.key.password"]',
];

/**
 * The process logger: JSON lines on stdout, one event per line.
 * Level from `--log-level` or LOGSHIPPER_LOG_LEVEL (default info).
 */
export function createLogger(level: string = process.env['LOGSHIPPER_LOG_LEVEL'] ?? 'info', destination?: NodeJS.WritableStream): Logger {
  if (!LEVELS.includes(level)) {
    throw new Error(`log level "${level}" is not one of ${LEVELS.join(', ')}`);
  }
  const options = { level: level as LevelWithSilent, base: { pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' } };
  // Synchronous writes: lines stay in order when stdout is a busy pipe, and nothing is lost at
  // process.exit. The agent logs state changes, not events, so this costs nothing on the hot path.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
