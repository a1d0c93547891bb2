import { monotonicMs } from './clock.ts';

/** How often the watch looks: one wake-up per second while idle (a 20 ms histogram woke the process 50 times a second). */
export const STALL_CHECK_MS = 1000;
/** The watch reports the largest delay seen over the last one to two windows of this length. */
const WINDOW_MS = 10_000;

export interface LoopStallOptions {
  checkMs?: number;
  windowMs?: number;
  clock?: () => number;
  /** Milliseconds the loop has spent running (not waiting for events) since the process started. */
  activeMs?: () => number;
}

function loopActiveMs(): number {
  return performance.eventLoopUtilization().active;
}

/**
 * Measures how long the event loop was blocked, from one coarse timer: a timer due at T that
 * runs at T + d was kept from running for d by the loop being busy (it runs at the first loop
 * turn after T), so the block lasted at least d; it began at most checkMs before T, and lasted
 * at most the time the loop was busy since the last check (event loop utilization). A late
 * check takes the latter, so a block of B ms reads B, not B - checkMs; an on-time check reads 0
 * (a busy but responsive loop is not stalled). A reading also counts a check overdue right now,
 * so a probe answered right after a block (before the timer ran) sees it too.
 */
export class LoopStallWatch {
  private readonly checkMs: number;
  private readonly windowMs: number;
  private readonly clock: () => number;
  private readonly activeMs: () => number;
  private due: number;
  private activeAtCheck: number;
  private windowStart: number;
  private currentMaxMs = 0;
  private previousMaxMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: LoopStallOptions = {}) {
    this.checkMs = options.checkMs ?? STALL_CHECK_MS;
    this.windowMs = options.windowMs ?? WINDOW_MS;
    this.clock = options.clock ?? monotonicMs;
    this.activeMs = options.activeMs ?? loopActiveMs;
    this.activeAtCheck = this.activeMs();
    this.windowStart = this.clock();
    this.due = this.windowStart + this.checkMs;
    this.arm();
  }

  /** The largest delay (ms) over the last window or two, including the lateness of the check under way. */
  maxDelayMs(): number {
    return Math.max(this.previousMaxMs, this.currentMaxMs, this.delaySinceCheck(this.clock()));
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The timer's work, exposed so a test can drive it with its own clock. */
  check(): void {
    const now = this.clock();
    this.record(this.delaySinceCheck(now));
    this.activeAtCheck = this.activeMs();
    if (now - this.windowStart >= this.windowMs) {
      this.previousMaxMs = this.currentMaxMs;
      this.currentMaxMs = 0;
      this.windowStart = now;
    }
    this.due = now + this.checkMs;
  }

  /** 0 while the check is on time; once it is late, the longest the loop can have been blocked since the last one. */
  private delaySinceCheck(now: number): number {
    const late = now - this.due;
    return late <= 0 ? 0 : Math.max(late, this.activeMs() - this.activeAtCheck);
  }

  private record(delayMs: number): void {
    if (delayMs > this.currentMaxMs) this.currentMaxMs = delayMs;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.check();
      this.arm();
    }, this.checkMs);
    this.timer.unref();
  }
}
