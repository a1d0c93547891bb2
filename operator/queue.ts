// A work queue of object keys, as client-go's: a key is queued at most once, is never processed
// by two workers at once (added again while in process, it is re-queued when done), and a key that
// failed comes back after a per-key exponential backoff that resets on success.

export interface BackoffOptions {
  /** First retry delay. */
  baseMs: number;
  /** Longest retry delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 60_000 };

/** Per-key exponential delays: baseMs, doubled per consecutive attempt up to maxMs, until reset. */
export class KeyBackoff {
  private readonly attempts = new Map<string, number>();
  private readonly options: BackoffOptions;

  constructor(options: BackoffOptions) {
    this.options = options;
  }

  /** The delay before the next attempt for `key`. */
  next(key: string): number {
    const attempts = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempts + 1);
    return Math.min(this.options.baseMs * 2 ** attempts, this.options.maxMs);
  }

  reset(key: string): void {
    this.attempts.delete(key);
  }

  count(key: string): number {
    return this.attempts.get(key) ?? 0;
  }
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly failures: KeyBackoff;
  private closed = false;

  constructor(backoff: BackoffOptions = DEFAULT_BACKOFF) {
    this.failures = new KeyBackoff(backoff);
  }

  /** Queues `key` now (a pending delayed retry is superseded). */
  add(key: string): void {
    if (this.closed) return;
    const timer = this.timers.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Queues `key` after its next backoff delay; returns the delay. */
  addRateLimited(key: string): number {
    const delay = this.failures.next(key);
    this.addAfter(key, delay);
    return delay;
  }

  addAfter(key: string, delayMs: number): void {
    if (this.closed || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** The key succeeded: its next failure starts the backoff again. */
  forget(key: string): void {
    this.failures.reset(key);
  }

  failureCount(key: string): number {
    return this.failures.count(key);
  }

  /** The next key to process (it is then "in process" until done(key)), or undefined once shut down. */
  async get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return key;
    }
    if (this.closed) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Keys waiting (queued, not in process, not waiting for a backoff). */
  get length(): number {
    return this.queue.length;
  }

  shutDown(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
