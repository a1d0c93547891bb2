import type { Event } from '../event.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../log.ts';
import type { Sink } from './sink.ts';

export const LOGGER_SINK_TYPES = ['logger', 'org.apache.flume.sink.LoggerSink'] as const;

export interface LoggerSinkConfig {
  batchSize: number;
  maxBytesToLog: number;
}

export function configureLoggerSink(settings: Settings): LoggerSinkConfig {
  return {
    batchSize: settings.int('batchSize', 100, { min: 1 }),
    maxBytesToLog: settings.int('maxBytesToLog', 16, { min: 0 }),
  };
}

/** Flume's LoggerSink: logs every event (headers and the start of the body) at INFO. For trying things out. */
export class LoggerSink implements Sink {
  readonly batchSize: number;
  readonly lingerMs = 0;
  readonly maxInFlight = 1;
  private readonly maxBytesToLog: number;
  private readonly log: Logger;

  constructor(config: LoggerSinkConfig, log: Logger) {
    this.batchSize = config.batchSize;
    this.maxBytesToLog = config.maxBytesToLog;
    this.log = log;
  }

  async start(): Promise<void> {}

  async deliver(events: readonly Event[]): Promise<void> {
    for (const event of events) {
      const body = event.body.subarray(0, this.maxBytesToLog).toString('utf8');
      this.log.info({ headers: event.headers, body, bytes: event.body.length }, 'event');
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {}
}
