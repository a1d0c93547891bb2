import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { Source, SourceOutcome } from '../component.ts';
import type { Settings } from '../config/settings.ts';
import type { Event } from '../event.ts';
import type { Logger } from '../log.ts';
import type { ChannelProcessor } from '../channels/processor.ts';

export const SEQ_SOURCE_TYPES = ['seq', 'org.apache.flume.source.SequenceGeneratorSource'] as const;

export interface SeqSourceConfig {
  batchSize: number;
  totalEvents: number;
}

export function configureSeqSource(settings: Settings): SeqSourceConfig {
  return {
    batchSize: settings.int('batchSize', 1, { min: 1 }),
    totalEvents: settings.int('totalEvents', Number.MAX_SAFE_INTEGER, { min: 0 }),
  };
}

/** Flume's sequence generator: events whose bodies are 0, 1, 2, ... (for demos and tests). */
export class SeqSource implements Source {
  private readonly config: SeqSourceConfig;
  private readonly processor: ChannelProcessor;
  private readonly log: Logger;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(config: SeqSourceConfig, processor: ChannelProcessor, log: Logger) {
    this.config = config;
    this.processor = processor;
    this.log = log;
  }

  async start(): Promise<void> {
    this.loop = this.run();
    return Promise.resolve();
  }

  async finished(): Promise<SourceOutcome> {
    await this.loop;
    return 'completed';
  }

  /** Stops generating; a put waiting for room gives up. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { batchSize, totalEvents } = this.config;
    let next = 0;
    const signal = this.stopping.signal;
    const stopped = (): boolean => signal.aborted; // read after each await, not narrowed once
    while (!stopped() && next < totalEvents) {
      const batch: Event[] = [];
      const timestamp = Date.now();
      for (const end = Math.min(totalEvents, next + batchSize); next < end; next++) {
        batch.push({ body: Buffer.from(String(next)), headers: {}, timestamp });
      }
      try {
        await this.processor.put(batch, signal);
      } catch (error) {
        if (stopped()) return;
        throw error;
      }
      // A put into a channel with room resolves at once; let I/O (the sinks) run between batches.
      await yieldToIo();
    }
    if (next >= totalEvents) this.log.info({ events: next }, 'sequence complete');
  }
}
