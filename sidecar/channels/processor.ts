import type { Event } from '../event.ts';
import type { Interceptor } from '../interceptors/interceptor.ts';
import type { MemoryChannel } from './memory.ts';

/**
 * What a source hands its events to (Flume's ChannelProcessor): runs the interceptors,
 * then puts the batch into every channel of the source (the replicating selector).
 * Batches larger than a channel's transactionCapacity are split.
 */
export class ChannelProcessor {
  private readonly interceptors: readonly Interceptor[];
  private readonly channels: readonly MemoryChannel[];

  constructor(interceptors: readonly Interceptor[], channels: readonly MemoryChannel[]) {
    this.interceptors = interceptors;
    this.channels = channels;
  }

  /** Resolves when every channel holds the batch: the source's back-pressure point. */
  async put(events: Event[]): Promise<void> {
    let batch = events;
    for (const intercept of this.interceptors) batch = intercept(batch);
    for (const [index, channel] of this.channels.entries()) {
      // Each channel after the first gets its own copies (a sink may change headers), and a
      // durable source then waits for the delivery of every copy.
      const copies = index === 0 ? batch : batch.map((event) => {
        event.receipt?.expect(1);
        return event.receipt === undefined ? { body: event.body, headers: { ...event.headers } } : { body: event.body, headers: { ...event.headers }, receipt: event.receipt };
      });
      const step = channel.config.transactionCapacity;
      for (let start = 0; start < copies.length; start += step) {
        await channel.put(copies.slice(start, start + step));
      }
    }
  }
}
