import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicMs } from '../clock.ts';

/** The clock a window runs on (injectable for tests). */
export interface WindowClock {
  /** Monotonic ms. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const MONOTONIC_CLOCK: WindowClock = {
  now: monotonicMs,
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

/** What a window watches: the events and bytes waiting in the channel. */
export interface FillingChannel {
  readonly size: number;
  readonly bytes: number;
  /** Resolves once `events` events or `bytes` bytes wait, or when `signal` aborts. */
  waitFor(events: number, bytes: number, signal?: AbortSignal): Promise<void>;
}

export interface WindowLimits {
  /** Kafka's linger.ms: how long the first event of a batch waits for the batch to fill. */
  lingerMs: number;
  /** A batch this many events is full: sent at once. */
  events: number;
  /** A batch this many body+header bytes is full: sent at once. */
  bytes: number;
}

/**
 * A sink's batching window (Kafka's linger.ms, bounded by events and bytes): once an event waits
 * in the channel, the batch is sent when it is full or `lingerMs` after that, whichever comes
 * first, so that a trickle of small puts becomes one request per window instead of one per put.
 * A flush (a drain or stop) closes every window at once.
 */
export class BatchWindow {
  private readonly limits: WindowLimits;
  private readonly channel: FillingChannel;
  private readonly clock: WindowClock;
  private openedAt: number | undefined;
  private readonly flushing = new AbortController();

  constructor(limits: WindowLimits, channel: FillingChannel, clock: WindowClock = MONOTONIC_CLOCK) {
    this.limits = limits;
    this.channel = channel;
    this.clock = clock;
  }

  /** Ms the batch in the channel still waits (0: send it now); opens the window on its first look. */
  remaining(): number {
    const { lingerMs, events, bytes } = this.limits;
    if (lingerMs === 0 || this.flushing.signal.aborted || this.channel.size >= events || this.channel.bytes >= bytes) return 0;
    const now = this.clock.now();
    this.openedAt ??= now;
    return Math.max(0, this.openedAt + lingerMs - now);
  }

  /** Waits until the open window closes: the batch is full, the linger is over, or a flush. */
  async wait(): Promise<void> {
    const ms = this.remaining();
    if (ms === 0) return;
    const done = new AbortController();
    const signal = AbortSignal.any([done.signal, this.flushing.signal]);
    await Promise.race([this.channel.waitFor(this.limits.events, this.limits.bytes, signal), this.clock.sleep(ms, signal)]);
    done.abort();
  }

  /** A batch was taken: the next window opens with the next look at the channel. */
  sent(): void {
    this.openedAt = undefined;
  }

  /** From now on every batch is sent at once (a drain or stop: nothing waits for a window). */
  flush(): void {
    this.flushing.abort();
  }
}
