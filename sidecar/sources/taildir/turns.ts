import { monotonicMs } from '../../clock.ts';

/**
 * While a file that left its path (rotated away, deleted) is read to its end, files are checked
 * at least this often: the watcher may report such a file's growth under its old name, or not at
 * all, and its release after rotateWait is a time, not an event. The same while a directory
 * could not be watched: polling is all its files have.
 */
export const ROTATED_POLL_MS = 1000;

export interface TurnIntervals {
  rescanIntervalMs: number;
  pollIntervalMs: number;
  /**
   * Once the files are caught up, the next turn starts at least this long after the last one
   * (config.ts readInterval): the watcher reports every write, and each turn costs a wake-up, a
   * stat, a read and a put whatever it reads. Lines wait at most this long for their turn.
   */
  readIntervalMs: number;
}

/**
 * When the TAILDIR source's next turn runs: at once while a file is behind, else at the next
 * poll, rescan or file deadline, or soon after a watcher event. All times are monotonic ms
 * (clock.ts); the clock is injectable for tests.
 */
export class Turns {
  private readonly intervals: TurnIntervals;
  private readonly clock: () => number;
  /** Set by a watcher event: the loop does not sleep before it has looked again (readIntervalMs after the last turn). */
  private woken = false;
  private rescanRequested = true;
  private startedAt = 0;
  private nextRescan = 0;
  private nextPoll = 0;
  private behind = false;
  private interrupt: (() => void) | undefined;

  constructor(intervals: TurnIntervals, clock: () => number = monotonicMs) {
    this.intervals = intervals;
    this.clock = clock;
  }

  /** Starts a turn; returns its time. */
  begin(): number {
    const now = this.clock();
    this.startedAt = now;
    this.woken = false;
    this.behind = false;
    return now;
  }

  /** This turn read every file to its end (none stopped at its batch budget). */
  get caughtUp(): boolean {
    return !this.behind;
  }

  /** A file stopped at its batch budget: the next turn runs without sleeping. */
  fellBehind(): void {
    this.behind = true;
  }

  /** True (and the next one scheduled) if this turn lists the files again. */
  rescanDue(now: number): boolean {
    if (!this.rescanRequested && now < this.nextRescan) return false;
    this.rescanRequested = false;
    this.nextRescan = now + this.intervals.rescanIntervalMs;
    return true;
  }

  /**
   * True (and the next one scheduled) if this turn checks every file: every pollInterval (the
   * safety net for events the watcher misses), or every ROTATED_POLL_MS while `often()` (a
   * rotated file is read to its end, or a directory could not be watched; asked only when a poll
   * is due: it looks at every file).
   */
  pollDue(now: number, often: () => boolean = () => false): boolean {
    if (now < this.nextPoll) return false;
    this.nextPoll = now + (often() ? Math.min(this.intervals.pollIntervalMs, ROTATED_POLL_MS) : this.intervals.pollIntervalMs);
    return true;
  }

  /** Lists the files at the next turn, which starts at once (see earliest()). */
  requestRescan(): void {
    this.rescanRequested = true;
    this.interrupt?.();
  }

  /** Polls at the next turn (an idle file changed: reopen it; a file left its path: follow it). */
  pollSoon(): void {
    this.nextPoll = 0;
  }

  /** A watcher event: the next turn comes readIntervalMs after the last one started, not later. */
  woke(): void {
    // Once woken the sleep already ends at the earliest: the other writes of the interval cost nothing.
    if (this.woken) return;
    this.woken = true;
    this.interrupt?.();
  }

  /** Ends a sleep now if `ended` says so (stop, drain); else like a watcher event without marking one. */
  wake(): void {
    this.interrupt?.();
  }

  /** When the next turn starts, given the earliest deadline of the files (partial line, multiline). */
  nextWake(fileDeadline: number): number {
    const until = Math.min(this.nextPoll, this.nextRescan, fileDeadline);
    return this.woken || this.rescanRequested ? Math.min(until, this.earliest()) : until;
  }

  /** Sleeps until nextWake(fileDeadline), or a watcher event, or at once once `ended()` holds. */
  async sleep(fileDeadline: number, ended: () => boolean): Promise<void> {
    const until = this.nextWake(fileDeadline);
    const ms = until - this.clock();
    if (ms <= 0 || ended()) return;
    await new Promise<void>((resolve) => {
      let timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.interrupt = () => {
        clearTimeout(timer);
        if (ended()) done();
        else timer = setTimeout(done, Math.max(0, Math.min(until, this.earliest()) - this.clock()));
      };
    });
    this.interrupt = undefined;
  }

  /**
   * The earliest the next turn may start: readIntervalMs after the last one began, but at once
   * for a requested rescan: a file that appeared at a pattern's path and is renamed away before
   * the next listing is never read (rotations 150 ms apart lost a whole file that way).
   */
  private earliest(): number {
    return this.rescanRequested ? this.startedAt : this.startedAt + this.intervals.readIntervalMs;
  }
}
