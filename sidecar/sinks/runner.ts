import { setTimeout as sleep } from 'node:timers/promises';
import type { MemoryChannel } from '../channels/memory.ts';
import type { Logger } from '../log.ts';
import type { Sink } from './sink.ts';
import { SinkCounters } from '../counters.ts';

/** Flume's sink status: READY after a delivery, BACKOFF while deliveries fail. */
export type SinkStatus = 'READY' | 'BACKOFF';

const INITIAL_BACKOFF_MS = 100;
/** Flume's SinkRunner caps its backoff at 5 s too. */
const MAX_BACKOFF_MS = 5000;

/**
 * Drives one sink from one channel: take a batch in a transaction, deliver it,
 * commit on success, roll back (events return to the head of the channel, in order)
 * and back off exponentially on failure. One batch is in flight at a time, which
 * keeps per-partition order through retries.
 */
export class SinkRunner {
  readonly name: string;
  private readonly sink: Sink;
  private readonly channel: MemoryChannel;
  private readonly log: Logger;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private backoffMs = 0;
  readonly counters: SinkCounters;
  status: SinkStatus = 'READY';
  /** When the current run of failed deliveries began (for readiness); undefined while READY. */
  failingSince: number | undefined;

  constructor(name: string, sink: Sink, channel: MemoryChannel, log: Logger, counters = new SinkCounters()) {
    this.name = name;
    this.sink = sink;
    this.channel = channel;
    this.log = log;
    this.counters = counters;
  }

  async start(): Promise<void> {
    await this.sink.start();
    this.loop = this.run();
  }

  /**
   * Stops taking new batches once the channel is empty or `deadline` (epoch ms) passes,
   * then stops the sink. Events left in the channel were never acknowledged.
   */
  async stop(deadline = Date.now()): Promise<void> {
    while (this.channel.size > 0 && Date.now() < deadline) {
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
    }
    this.stopping.abort();
    await this.loop;
    await this.sink.stop();
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!this.stopped()) {
      await this.channel.waitForEvents(signal);
      if (this.stopped()) break;
      if (this.sink.lingerMs > 0 && this.channel.size < this.sink.batchSize) {
        await sleep(this.sink.lingerMs);
      }
      await this.processOnce();
      if (this.backoffMs > 0) await sleep(this.backoffMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** A method, not `signal.aborted` inline: the flag changes across awaits. */
  private stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async processOnce(): Promise<void> {
    const counters = this.counters;
    const transaction = this.channel.take(this.sink.batchSize);
    const count = transaction.events.length;
    if (count === 0) {
      counters.batchesEmpty++;
      transaction.commit();
      return;
    }
    if (count >= this.sink.batchSize) counters.batchesComplete++;
    else counters.batchesUnderflow++;
    counters.drainAttempts += count;
    const started = performance.now();
    try {
      await this.sink.deliver(transaction.events);
      transaction.commit();
      counters.deliveryLatency.observe((performance.now() - started) / 1000);
      counters.drainSuccesses += count;
      for (const event of transaction.events) counters.bytesDrained += event.body.length;
      if (this.status === 'BACKOFF') this.log.info({ sink: this.name }, 'sink delivering again');
      this.status = 'READY';
      this.failingSince = undefined;
      this.backoffMs = 0;
    } catch (error) {
      transaction.rollback();
      counters.rollbacks++;
      counters.deliveryFailures++;
      this.failingSince ??= Date.now();
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(INITIAL_BACKOFF_MS, this.backoffMs * 2));
      // Log once per state change and then at the cap, not once per retry.
      if (this.status === 'READY' || this.backoffMs === MAX_BACKOFF_MS) {
        this.log.warn({ sink: this.name, err: error, events: transaction.events.length, retryInMs: this.backoffMs },
          'delivery failed; batch rolled back to the channel and will be retried');
      }
      this.status = 'BACKOFF';
    }
  }
}
