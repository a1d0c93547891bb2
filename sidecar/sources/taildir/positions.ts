import type { Logger } from '../../log.ts';
import { formatPositions, writePositionFile, type PositionEntry } from './position-file.ts';

/**
 * Writes the TAILDIR source's position file: every writePosInterval, at once when asked (a file
 * found or truncated), and last at close. One write at a time, and only when the positions
 * changed, so a quiet agent does not fsync every interval.
 */
export class Positions {
  private readonly path: string;
  private readonly current: () => PositionEntry[];
  private readonly log: Logger;
  private writing: Promise<void> = Promise.resolve();
  private written = '';
  private timer: NodeJS.Timeout | undefined;
  private soon = false;

  constructor(path: string, current: () => PositionEntry[], log: Logger) {
    this.path = path;
    this.current = current;
    this.log = log;
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

  /** Writes every intervalMs until stopped. */
  every(intervalMs: number): void {
    this.timer = setInterval(() => {
      void this.write();
    }, intervalMs);
  }

  /** No more interval writes; resolves once the write under way (if any) is done. */
  stop(): Promise<void> {
    clearInterval(this.timer);
    return this.writing;
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
