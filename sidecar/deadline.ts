import { monotonicMs } from './clock.ts';

/**
 * The one moment by which a stop (or a reload's drain) must be over. It is computed once, when
 * the stop begins; every wait tied to it (a put on a full channel, a delivery in flight, a sink's
 * disconnect) ends when its signal aborts, so the steps of a stop share one budget instead of
 * each getting its own.
 */
export class Deadline {
  /** Monotonic ms (clock.ts). */
  readonly at: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(at: number) {
    this.at = at;
    this.timer = setTimeout(() => {
      this.controller.abort(new Error('drain deadline passed'));
    }, Math.max(0, at - monotonicMs()));
  }

  static after(ms: number): Deadline {
    return new Deadline(monotonicMs() + ms);
  }

  /** Aborts at the deadline. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  remaining(): number {
    return this.expired ? 0 : Math.max(0, this.at - monotonicMs());
  }

  /** Waits for `work` until the deadline: true if it settled in time (either way), false if the deadline came first. */
  async within(work: Promise<unknown>): Promise<boolean> {
    const settled = work.then(() => true, () => true);
    // Past the deadline, work that has already settled still counts as in time.
    if (this.expired) return Promise.race([settled, new Promise<boolean>((resolve) => setImmediate(resolve, false))]);
    let onAbort = (): void => undefined;
    const expired = new Promise<boolean>((resolve) => {
      onAbort = () => {
        resolve(false);
      };
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([settled, expired]);
    } finally {
      this.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops the timer once the work it bounds is over, so that it does not keep the process alive. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}
