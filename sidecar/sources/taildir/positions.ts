import type { Logger } from '../../log.ts';
import { formatPositions, writePositionFile, type PositionEntry } from './position-file.ts';

/**
 * Writes the TAILDIR source's position file: every writePosInterval, at once when asked (a file
 * found or truncated), and last at close. One write at a time, and only when the positions
 * changed, so a quiet agent does not fsync every interval. Once a write finds nothing changed and
 * nothing is awaiting acknowledgement (`settled`), the interval stops until stir() finds a change
 * or a batch in flight: an idle source has no timer for its positions.
 */
export class Positions {
  private readonly path: string;
  private readonly current: () => PositionEntry[];
  private readonly log: Logger;
  private readonly settled: () => boolean;
  private writing: Promise<void> = Promise.resolve();
  private written = '';
  private timer: NodeJS.Timeout | undefined;
  private intervalMs: number | undefined;
  private soon = false;
  /** An interval write is under way (its timer fired; it re-arms or pauses when done). */
  private firing = false;

  /** `settled`: no batch read is still waiting for its acknowledgement (no checkpoint can move by itself). */
  constructor(path: string, current: () => PositionEntry[], log: Logger, settled: () => boolean = () => false) {
    this.path = path;
    this.current = current;
    this.log = log;
    this.settled = settled;
  }

  /** Writes the current positions if they changed, after any write under way. */
  write(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const text = formatPositions(this.current());
      if (text === this.written) return;
      try {
        await writePositionFile(this.path, text);
        this.written = text;
      } catch (error) {
        this.log.warn({ err: error, positionFile: this.path }, 'cannot write position file: will retry');
      }
    });
    return this.writing;
  }

  /** Writes every intervalMs until stopped, pausing while nothing changes (see the class). */
  every(intervalMs: number): void {
    this.intervalMs = intervalMs;
    this.arm();
  }

  /**
   * Something may have changed (a turn ran): resumes the interval writes if they were paused and
   * the positions differ from the file's, or a batch awaits acknowledgement. Cheap while they run.
   */
  stir(): void {
    if (this.timer !== undefined || this.intervalMs === undefined) return;
    if (!this.settled() || formatPositions(this.current()) !== this.written) this.arm();
  }

  /** Interval writes are paused: none scheduled and none under way (so none re-arms by itself). */
  get paused(): boolean {
    return this.intervalMs !== undefined && this.timer === undefined && !this.firing;
  }

  /** No more interval writes; resolves once the write under way (if any) is done. */
  stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.intervalMs = undefined;
    return this.writing;
  }

  private arm(): void {
    const intervalMs = this.intervalMs;
    if (intervalMs === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.firing = true;
      const before = this.written;
      void this.write().then(() => {
        this.firing = false;
        // Paused only when this write had nothing to do and nothing can change by itself.
        if (this.written !== before || !this.settled() || formatPositions(this.current()) !== this.written) this.arm();
      });
    }, intervalMs);
  }

  /** A file was found or truncated: write at the end of this turn, not at the next interval. */
  writeSoon(): void {
    this.soon = true;
  }

  /** The write writeSoon() asked for, if it did. */
  async writeIfAsked(): Promise<void> {
    if (!this.soon) return;
    this.soon = false;
    await this.write();
  }
}
