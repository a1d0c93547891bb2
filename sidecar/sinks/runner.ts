import { setTimeout as sleep } from 'node:timers/promises';
import type { MemoryChannel, TakeTransaction } from '../channels/memory.ts';
import { monotonicMs } from '../clock.ts';
import type { Deadline } from '../deadline.ts';
import type { Logger } from '../log.ts';
import type { Sink } from './sink.ts';
import { SinkCounters } from '../counters.ts';
import { BatchWindow, MONOTONIC_CLOCK, type WindowClock } from './batch-window.ts';

/** Flume's sink status: READY after a delivery, BACKOFF while deliveries fail. */
export type SinkStatus = 'READY' | 'BACKOFF';

const INITIAL_BACKOFF_MS = 100;
/** Flume's SinkRunner caps its backoff at 5 s too. */
const MAX_BACKOFF_MS = 5000;

/** One batch on its way: its take transaction and whether delivery succeeded. */
interface Delivery {
  transaction: TakeTransaction;
  started: number;
  /** Resolves once the batch is written ahead of any later one (or settled): the next may be sent. */
  written: Promise<void>;
  isWritten: boolean;
  /** Resolves true when delivered, false (with `error` set) when not. */
  outcome: Promise<boolean>;
  error?: unknown;
}

/**
 * Drives one sink from one channel: take a batch in a transaction, deliver it, commit on
 * success, roll back (events return to the head of the channel, in order) and back off
 * exponentially on failure. Up to `sink.maxInFlight` batches are on their way at once while
 * deliveries succeed, each sent once the one before is written (so they reach the broker in
 * order), and they are committed in the order they were taken; after a failure
 * one batch at a time is sent until a delivery succeeds again. With more than one in flight,
 * a failed batch is retried after later ones that succeeded (Kafka's producer behaves alike
 * without idempotence): order holds while deliveries succeed, nothing is lost when they fail.
 * A batch that is not full waits for its window (batch-window.ts, the sink's lingerMs) first.
 */
export class SinkRunner {
  readonly name: string;
  private readonly sink: Sink;
  private readonly channel: MemoryChannel;
  private readonly log: Logger;
  private readonly stopping = new AbortController();
  private readonly window: BatchWindow;
  private loop: Promise<void> | undefined;
  private backoffMs = 0;
  readonly counters: SinkCounters;
  status: SinkStatus = 'READY';
  /** When the current run of failed deliveries began (monotonic ms, for readiness); undefined while READY. */
  failingSince: number | undefined;
  /** Why the last delivery failed (e.g. a credential file that cannot be read), for /readyz; undefined while READY. */
  lastError: string | undefined;

  constructor(name: string, sink: Sink, channel: MemoryChannel, log: Logger, counters = new SinkCounters(), clock: WindowClock = MONOTONIC_CLOCK) {
    this.name = name;
    this.sink = sink;
    this.channel = channel;
    this.log = log;
    this.counters = counters;
    const events = Math.min(sink.batchSize, channel.config.transactionCapacity);
    this.window = new BatchWindow({ lingerMs: sink.lingerMs, events, bytes: sink.batchBytes ?? Infinity }, channel, clock);
  }

  async start(): Promise<void> {
    await this.sink.start();
    this.loop = this.run();
  }

  /**
   * With `drain`, waits until every event of the channel is delivered (queued and in flight) or
   * `deadline` passes; then stops taking batches, waits for those in flight and stops the sink,
   * neither past the deadline: what is still undelivered then stays counted in the channel.
   */
  async stop(deadline: Deadline, drain = true): Promise<void> {
    // What is left goes now: a drain's deadline (SIGTERM) does not wait for batching windows.
    this.window.flush();
    while (drain && this.channel.held > 0 && !deadline.expired) {
      await sleep(Math.min(50, Math.max(1, deadline.remaining())), undefined, { signal: deadline.signal }).catch(() => undefined);
    }
    this.stopping.abort();
    if (!(await deadline.within(this.loop ?? Promise.resolve()))) {
      this.log.warn({ sink: this.name }, 'deliveries still in flight at the drain deadline: given up, their events stay undelivered');
    }
    if (!(await deadline.within(this.sink.stop()))) {
      this.log.warn({ sink: this.name }, 'sink did not close its connections by the drain deadline: left behind');
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    const pipeline: Delivery[] = [];
    for (;;) {
      const limit = this.status === 'READY' ? this.sink.maxInFlight : 1;
      if (!this.stopped() && pipeline.length < limit && this.channel.size > 0) {
        const last = pipeline.at(-1);
        if (last !== undefined && !last.isWritten) {
          await last.written;
          continue;
        }
        if (this.window.remaining() === 0) {
          this.window.sent();
          pipeline.push(this.send());
          continue;
        }
        // A batch still filling: with nothing in flight wait for its window; else see to the
        // head of the pipeline first (the window is looked at again after it).
        if (pipeline.length === 0) {
          await this.window.wait();
          continue;
        }
      }
      const head = pipeline.shift();
      if (head === undefined) {
        if (this.stopped()) return;
        await this.channel.waitForEvents(signal);
        continue;
      }
      if (await head.outcome) {
        this.delivered(head);
        continue;
      }
      // Let the rest of the pipeline settle: keep what was delivered, and roll back the failed
      // batches last-first, so that the channel's head holds them in their original order.
      const rest = pipeline.splice(0);
      const outcomes = await Promise.all(rest.map((delivery) => delivery.outcome));
      const failed = [head];
      rest.forEach((delivery, index) => {
        if (outcomes[index] === true) this.delivered(delivery);
        else failed.push(delivery);
      });
      for (const delivery of failed.reverse()) delivery.transaction.rollback();
      this.failed(head.error, failed.reduce((sum, delivery) => sum + delivery.transaction.events.length, 0), failed.length);
      await sleep(this.backoffMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** A method, not `signal.aborted` inline: the flag changes across awaits. */
  private stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Takes a batch (the channel holds at least one event) and starts delivering it. */
  private send(): Delivery {
    const counters = this.counters;
    const transaction = this.channel.take(this.sink.batchSize, this.sink.batchBytes);
    const count = transaction.events.length;
    if (count >= this.sink.batchSize) counters.batchesComplete++;
    else counters.batchesUnderflow++;
    counters.drainAttempts += count;
    let markWritten = (): void => undefined;
    const delivery: Delivery = {
      transaction, started: performance.now(), isWritten: false, outcome: Promise.resolve(false),
      written: new Promise<void>((resolve) => {
        markWritten = () => {
          delivery.isWritten = true;
          resolve();
        };
      }),
    };
    delivery.outcome = this.sink.deliver(transaction.events, markWritten).then(() => true, (error: unknown) => {
      delivery.error = error;
      return false;
    });
    void delivery.outcome.then(markWritten);
    return delivery;
  }

  private delivered(delivery: Delivery): void {
    const { transaction, started } = delivery;
    const counters = this.counters;
    transaction.commit();
    counters.deliveryLatency.observe((performance.now() - started) / 1000);
    counters.drainSuccesses += transaction.events.length;
    for (const event of transaction.events) counters.bytesDrained += event.body.length;
    if (this.status === 'BACKOFF') this.log.info({ sink: this.name }, 'sink delivering again');
    this.status = 'READY';
    this.failingSince = undefined;
    this.lastError = undefined;
    this.backoffMs = 0;
  }

  private failed(error: unknown, events: number, batches: number): void {
    this.counters.rollbacks += batches;
    this.counters.deliveryFailures += batches;
    this.failingSince ??= monotonicMs();
    this.lastError = error instanceof Error ? error.message : String(error);
    this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(INITIAL_BACKOFF_MS, this.backoffMs * 2));
    // Log once per state change and then at the cap, not once per retry.
    if (this.status === 'READY' || this.backoffMs === MAX_BACKOFF_MS) {
      this.log.warn({ sink: this.name, err: error, events, retryInMs: this.backoffMs },
        'delivery failed; batch rolled back to the channel and will be retried');
    }
    this.status = 'BACKOFF';
  }
}
