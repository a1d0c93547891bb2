import { monotonicMs } from '../clock.ts';
import type { Event } from '../event.ts';
import { eventSize, settleReceipts } from '../event.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../log.ts';
import { ChannelCounters } from '../counters.ts';

export interface MemoryChannelConfig {
  /** Most events held, including those taken but not yet committed. */
  capacity: number;
  /** Most events in one put or take transaction. */
  transactionCapacity: number;
  /**
   * Most body+header bytes held (byteCapacity less byteCapacityBufferPercentage, as in Flume), first
   * put included; only a single event larger than this goes in, alone, into an empty channel.
   */
  byteCapacity: number;
  /** Seconds a put waits before it logs that the channel is full (it keeps waiting: back-pressure, not loss). */
  keepAliveSeconds: number;
}

export const MEMORY_CHANNEL_TYPES = ['memory', 'org.apache.flume.channel.MemoryChannel'] as const;

const DEFAULT_BYTE_CAPACITY = 64 * 1024 * 1024;

/** What a taken slot of the queue holds until the queue is compacted. */
const TAKEN: Event = Object.freeze({ body: Buffer.alloc(0), headers: Object.freeze({}) });

export function configureMemoryChannel(settings: Settings): MemoryChannelConfig {
  const capacity = settings.int('capacity', 100, { min: 1 });
  const transactionCapacity = settings.int('transactionCapacity', Math.min(100, capacity), { min: 1 });
  if (transactionCapacity > capacity) {
    throw settings.error('transactionCapacity', `${transactionCapacity} is larger than capacity ${capacity}: a transaction must fit in the channel`);
  }
  const byteCapacity = settings.int('byteCapacity', DEFAULT_BYTE_CAPACITY, { min: 1 });
  const bufferPercentage = settings.int('byteCapacityBufferPercentage', 20, { min: 0, max: 99 });
  return {
    capacity,
    transactionCapacity,
    byteCapacity: Math.max(1, Math.floor((byteCapacity * (100 - bufferPercentage)) / 100)),
    keepAliveSeconds: settings.int('keep-alive', 3, { min: 0 }),
  };
}

/** Thrown for misuse (a transaction larger than transactionCapacity); never for lack of room. */
export class ChannelError extends Error {
  override name = 'ChannelError';
}

/** A sink runner waiting for events: woken once `events` events or `bytes` bytes are queued. */
interface Taker {
  events: number;
  bytes: number;
  wake(): void;
}

/** A take transaction: the events are out of the queue but still count against capacity until commit. */
export interface TakeTransaction {
  readonly events: readonly Event[];
  /** The events were delivered: release their room and tell their sources (receipts). */
  commit(): void;
  /** Delivery failed: return the events to the head of the queue, in order. */
  rollback(): void;
}

/**
 * Flume's memory channel: a bounded FIFO with put/take transactions.
 * A put waits for room (events and bytes) instead of failing, so a full channel slows
 * the source down and never drops an event (Flume's "Space for commit to queue
 * couldn't be acquired" cannot happen). Taken events keep their room until committed,
 * so memory stays bounded even while a sink retries.
 */
export class MemoryChannel {
  readonly name: string;
  readonly config: MemoryChannelConfig;
  readonly counters: ChannelCounters;
  private readonly log: Logger;
  private queue: Event[] = [];
  private head = 0;
  /** Events and bytes held: queued plus taken-but-uncommitted. */
  private heldEvents = 0;
  private heldBytes = 0;
  /** Bytes of the events waiting to be taken (what a batching window watches). */
  private queuedBytes = 0;
  private readonly putters: (() => void)[] = [];
  /** Set by transferTo: where late rollbacks go. */
  private successor: MemoryChannel | undefined;
  private takers: Taker[] = [];

  constructor(name: string, config: MemoryChannelConfig, log: Logger, counters = new ChannelCounters()) {
    this.name = name;
    this.config = config;
    this.log = log;
    this.counters = counters;
  }

  /** Events waiting to be taken. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Body+header bytes of the events waiting to be taken. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Events held, including taken-but-uncommitted ones. */
  get held(): number {
    return this.heldEvents;
  }

  /**
   * Puts a batch in one transaction, waiting as long as needed for room, or until `signal`
   * aborts (a stop's deadline): then it rejects with the signal's reason and nothing was put.
   * Resolves once the batch is in the channel; the source awaits this before reading more.
   */
  async put(events: readonly Event[], signal?: AbortSignal): Promise<void> {
    if (events.length === 0) return;
    if (events.length > this.config.transactionCapacity) {
      throw new ChannelError(`put of ${events.length} events exceeds transactionCapacity ${this.config.transactionCapacity} of channel ${this.name}`);
    }
    signal?.throwIfAborted();
    let bytes = 0;
    for (const event of events) bytes += eventSize(event);
    if (bytes > this.config.byteCapacity && events.length > 1) {
      // Whole, it would hold more than byteCapacity: it goes in as consecutive puts that each fit.
      for (const piece of byteSized(events, this.config.byteCapacity)) await this.put(piece, signal);
      return;
    }
    this.counters.putAttempts += events.length;
    if (this.putters.length === 0 && this.fits(events.length, bytes)) {
      this.heldEvents += events.length;
      this.heldBytes += bytes;
    } else {
      await this.waitForRoom(events.length, bytes, signal);
    }
    for (const event of events) this.queue.push(event);
    this.queuedBytes += bytes;
    this.counters.putSuccesses += events.length;
    this.wakeTakers();
  }

  /**
   * Takes up to `max` events (at most transactionCapacity) and up to `maxBytes` body+header bytes
   * (at least one event) in a transaction; possibly none.
   */
  take(max: number, maxBytes = Infinity): TakeTransaction {
    const limit = Math.min(max, this.config.transactionCapacity, this.size);
    let count = 0;
    let bytes = 0;
    for (; count < limit; count++) {
      const size = eventSize(this.queue[this.head + count] ?? TAKEN);
      if (count > 0 && bytes + size > maxBytes) break;
      bytes += size;
    }
    this.counters.takeAttempts++;
    this.counters.takeSuccesses += count;
    const events = this.queue.slice(this.head, this.head + count);
    // The taken slots would keep their events (bodies) alive after the commit until the next compaction.
    this.queue.fill(TAKEN, this.head, this.head + count);
    this.head += count;
    this.queuedBytes -= bytes;
    this.compact();
    let open = true;
    return {
      events,
      commit: () => {
        if (!open) return;
        open = false;
        this.heldEvents -= events.length;
        this.heldBytes -= bytes;
        settleReceipts(events);
        this.wakePutters();
      },
      rollback: () => {
        if (!open) return;
        open = false;
        if (events.length === 0) return;
        this.counters.takeSuccesses -= events.length;
        // A reload replaced this channel while the delivery was in flight: its events go to the replacement.
        const successor = this.latestSuccessor();
        if (successor !== undefined) {
          successor.adopt(events);
          return;
        }
        this.queue = events.concat(this.queue.slice(this.head));
        this.head = 0;
        this.queuedBytes += bytes;
        this.wakeTakers();
      },
    };
  }

  /**
   * Moves every queued event to the front of `target`, in order (a config reload replacing this
   * channel); a delivery still in flight that rolls back later puts its events there too. The
   * target may go over its capacity for a while.
   */
  transferTo(target: MemoryChannel): void {
    this.successor = target;
    const events = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    this.heldEvents = 0;
    this.heldBytes = 0;
    this.queuedBytes = 0;
    target.adopt(events);
  }

  /** The channel that replaced this one last (a chain of reloads), if any. */
  private latestSuccessor(): MemoryChannel | undefined {
    let latest = this.successor;
    while (latest?.successor !== undefined) latest = latest.successor;
    return latest;
  }

  private adopt(events: Event[]): void {
    if (events.length === 0) return;
    let bytes = 0;
    for (const event of events) bytes += eventSize(event);
    this.queue = events.concat(this.queue.slice(this.head));
    this.head = 0;
    this.heldEvents += events.length;
    this.heldBytes += bytes;
    this.queuedBytes += bytes;
    this.wakeTakers();
  }

  /** Resolves when there is at least one event to take, or when `signal` aborts. */
  waitForEvents(signal?: AbortSignal): Promise<void> {
    return this.waitFor(1, Infinity, signal);
  }

  /**
   * Resolves once `events` events or `bytes` body+header bytes wait to be taken (a full batch),
   * or when `signal` aborts; the waiter is not woken by the puts before that.
   */
  async waitFor(events: number, bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.holds(events, bytes) || signal?.aborted === true) return;
    await new Promise<void>((resolve) => {
      const taker: Taker = {
        events, bytes,
        wake: () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        },
      };
      const abort = (): void => {
        const index = this.takers.indexOf(taker);
        if (index !== -1) this.takers.splice(index, 1);
        resolve();
      };
      this.takers.push(taker);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  private holds(events: number, bytes: number): boolean {
    return this.size > 0 && (this.size >= events || this.queuedBytes >= bytes);
  }

  private fits(events: number, bytes: number): boolean {
    if (this.heldEvents + events > this.config.capacity) return false;
    // A single event bigger than the whole byte capacity still goes in when the channel is empty, or
    // it could never go; a batch is put in pieces that fit (put), so nothing else goes over.
    return this.heldBytes + bytes <= this.config.byteCapacity || (this.heldEvents === 0 && events === 1);
  }

  /**
   * Waits until the batch fits, then reserves its room (before resolving, so the next putter
   * sees it). An abort leaves the queue of putters without reserving anything.
   */
  private async waitForRoom(events: number, bytes: number, signal: AbortSignal | undefined): Promise<void> {
    const started = monotonicMs();
    const keepAliveMs = this.config.keepAliveSeconds * 1000;
    let warned = false;
    const timer = setInterval(() => {
      if (warned) return;
      warned = true;
      this.log.warn({ channel: this.name, held: this.heldEvents, capacity: this.config.capacity, waitedMs: Math.round(monotonicMs() - started) },
        'channel full: source paused until sinks catch up (back-pressure, no event dropped)');
    }, Math.max(keepAliveMs, 1000));
    try {
      // Putters are served in arrival order, so a big batch is not starved by small ones.
      await new Promise<void>((resolve, reject) => {
        const attempt = (): void => {
          if (this.putters[0] === attempt && this.fits(events, bytes)) {
            this.putters.shift();
            this.heldEvents += events;
            this.heldBytes += bytes;
            signal?.removeEventListener('abort', abort);
            resolve();
            this.wakePutters();
          }
        };
        const abort = (): void => {
          const index = this.putters.indexOf(attempt);
          if (index === -1) return;
          this.putters.splice(index, 1);
          reject(signal?.reason as Error);
          // The putter behind it may be at the head now, and fit.
          this.wakePutters();
        };
        this.putters.push(attempt);
        signal?.addEventListener('abort', abort, { once: true });
        attempt();
      });
    } finally {
      clearInterval(timer);
    }
  }

  private wakePutters(): void {
    this.putters[0]?.();
  }

  private wakeTakers(): void {
    let ready: Taker[] | undefined;
    for (const taker of this.takers) if (this.holds(taker.events, taker.bytes)) (ready ??= []).push(taker);
    // Most puts wake no one (a window waits for a full batch): nothing allocated for them.
    if (ready === undefined) return;
    const woken = ready;
    this.takers = this.takers.filter((taker) => !woken.includes(taker));
    for (const taker of woken) taker.wake();
  }

  /** Drops consumed slots so the queue array does not grow without end. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/** Consecutive runs of `events` of at most `maxBytes` each (a single larger event is a run of its own). */
export function byteSized(events: readonly Event[], maxBytes: number): Event[][] {
  const pieces: Event[][] = [];
  let piece: Event[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = eventSize(event);
    if (piece.length > 0 && bytes + size > maxBytes) {
      pieces.push(piece);
      piece = [];
      bytes = 0;
    }
    piece.push(event);
    bytes += size;
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}
