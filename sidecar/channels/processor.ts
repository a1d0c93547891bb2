import { copyEvent, type Event } from '../event.ts';
import type { Interceptor } from '../interceptors/interceptor.ts';
import type { MemoryChannel } from './memory.ts';
import { SourceCounters } from '../counters.ts';

/**
 * What a source hands its events to (Flume's ChannelProcessor): runs the interceptors,
 * then puts the batch into every channel of the source (the replicating selector).
 * Batches larger than a channel's transactionCapacity are split.
 */
export class ChannelProcessor {
  private readonly interceptors: readonly Interceptor[];
  private readonly channels: readonly MemoryChannel[];
  /** The source's counters: everything a source hands over passes here. */
  readonly counters: SourceCounters;

  constructor(interceptors: readonly Interceptor[], channels: readonly MemoryChannel[], counters = new SourceCounters()) {
    this.interceptors = interceptors;
    this.channels = channels;
    this.counters = counters;
  }

  /**
   * Resolves when every channel holds the batch: the source's back-pressure point. Rejects when
   * `signal` aborts first (a stop's deadline); the batch may then be in some channels and not others.
   */
  async put(events: Event[], signal?: AbortSignal): Promise<void> {
    this.counters.eventsReceived += events.length;
    this.counters.batchesReceived++;
    let batch = events;
    for (const intercept of this.interceptors) batch = intercept(batch);
    for (const [index, channel] of this.channels.entries()) {
      // Each channel after the first gets its own copies (a sink may change headers), and a
      // durable source then waits for the delivery of every copy.
      const copies = index === 0 ? batch : batch.map((event) => {
        event.receipt?.expect(1);
        return copyEvent(event);
      });
      const step = channel.config.transactionCapacity;
      try {
        for (let start = 0; start < copies.length; start += step) {
          await channel.put(copies.slice(start, start + step), signal);
        }
      } catch (error) {
        if (signal?.aborted === true) this.counters.eventsGivenUp += batch.length;
        throw error;
      }
    }
    this.counters.eventsAccepted += batch.length;
    this.counters.batchesAccepted++;
    for (const event of batch) this.counters.bytesAccepted += event.body.length;
  }
}
