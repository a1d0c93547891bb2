import type { Settings } from '../config/settings.ts';
import type { Sink } from './sink.ts';

export const NULL_SINK_TYPES = ['null', 'org.apache.flume.sink.NullSink'] as const;

export function configureNullSink(settings: Settings): { batchSize: number } {
  return { batchSize: settings.int('batchSize', 100, { min: 1 }) };
}

/** Flume's NullSink: takes and discards events (for measuring sources and channels). */
export class NullSink implements Sink {
  readonly batchSize: number;
  readonly lingerMs = 0;
  readonly maxInFlight = 1;

  constructor(config: { batchSize: number }) {
    this.batchSize = config.batchSize;
  }

  async start(): Promise<void> {}
  async deliver(): Promise<void> {}
  async stop(): Promise<void> {}
}
