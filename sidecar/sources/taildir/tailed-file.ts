import type { FileHandle } from 'node:fs/promises';
import type { Event } from '../../event.ts';
import { CheckpointTracker } from './checkpoint.ts';
import type { FileGroup } from './config.ts';
import type { Fingerprint } from './identity.ts';
import { LineReader, type LineReaderOptions } from '../line-reader.ts';
import { MultilineJoiner, type MultilineConfig } from './multiline.ts';
import type { PositionEntry } from './position-file.ts';

/**
 * - `open`: read as it grows; `goneSince` is set once it left its path (renamed away or
 *   deleted): it is then read to its end and released after rotateWait without growth.
 * - `idle`: closed after idleTimeout without growth; reopened when it changes.
 * - `retired`: released; kept until every batch read from it is delivered, so that its
 *   position stays in the position file until then (a restart finds it and reads the rest).
 */
export type FileState = 'open' | 'idle' | 'retired';

/** The state of one tailed file (one identity: device + inode). */
export class TailedFile {
  readonly key: string;
  readonly dev: string;
  readonly ino: string;
  readonly group: FileGroup;
  path: string;
  state: FileState = 'open';
  handle: FileHandle | undefined;
  /** The next byte to read. */
  readOffset: number;
  /** Size last seen (by a poll or a read). */
  size: number;
  /** Size at the last fingerprint check. */
  checkedSize: number;
  fingerprint: Fingerprint;
  tracker: CheckpointTracker;
  reader: LineReader;
  joiner: MultilineJoiner | undefined;
  /** Last time bytes were read (monotonic ms, clock.ts). */
  lastGrowthAt: number;
  /** When the file was seen to have left its path (renamed away or deleted; monotonic ms). */
  goneSince: number | undefined;
  /** Worth a read: a watcher event, growth seen by a poll, or a read cut short by the batch budget. */
  dirty = true;
  /** Events read and not yet put, with the offset past each. */
  batch: Event[] = [];
  batchEnds: number[] = [];
  /** Body bytes of `batch`. */
  batchBytes = 0;
  private readonly readerOptions: Omit<LineReaderOptions, 'offset'>;
  private readonly multiline: MultilineConfig | undefined;

  constructor(init: {
    key: string; dev: string; ino: string; group: FileGroup; path: string; handle: FileHandle | undefined; offset: number; size: number;
    fingerprint: Fingerprint; now: number; reader: Omit<LineReaderOptions, 'offset'>; multiline: MultilineConfig | undefined;
    /** Taken over from a replaced source (a reload): the receipts of its batches in the channels keep advancing it. */
    tracker?: CheckpointTracker;
    afterEarlyFlush?: boolean;
  }) {
    this.key = init.key;
    this.dev = init.dev;
    this.ino = init.ino;
    this.group = init.group;
    this.path = init.path;
    this.handle = init.handle;
    this.readOffset = init.offset;
    this.size = init.size;
    this.checkedSize = init.size;
    this.fingerprint = init.fingerprint;
    this.lastGrowthAt = init.now;
    this.readerOptions = init.reader;
    this.multiline = init.multiline;
    this.tracker = init.tracker ?? new CheckpointTracker(init.offset);
    this.reader = new LineReader({ ...this.readerOptions, offset: init.offset, afterEarlyFlush: init.afterEarlyFlush ?? false });
    this.joiner = this.multiline === undefined ? undefined : new MultilineJoiner(this.multiline);
  }

  /**
   * Where a replacement (a reload) continues reading: just past the last batch handed to the
   * channels. What was read after it (held partial lines, an unfinished multiline event, events
   * not yet put) was never sent, so it is read again under the new settings, neither lost nor sent twice.
   */
  get resumeOffset(): number {
    return this.tracker.registered;
  }

  /** The line ending at resumeOffset was emitted by its partial-line timeout, and its newline is still to come. */
  get resumesAfterEarlyFlush(): boolean {
    return this.reader.earlyFlushed && this.reader.pendingStart === this.resumeOffset;
  }

  /** Starts over at `offset` (a truncated or rewritten file): batches still in flight count for the old content only. */
  restartAt(offset: number, fingerprint: Fingerprint): void {
    this.readOffset = offset;
    this.fingerprint = fingerprint;
    this.tracker = new CheckpointTracker(offset);
    this.reader = new LineReader({ ...this.readerOptions, offset });
    this.joiner = this.multiline === undefined ? undefined : new MultilineJoiner(this.multiline);
    this.dirty = true;
  }

  /** Whether an incomplete line or an unfinished multiline event is held. */
  get holding(): boolean {
    return this.reader.holding || this.joiner?.holding === true;
  }

  position(): PositionEntry {
    return { inode: this.ino, pos: this.tracker.committed, file: this.path, dev: this.dev, fp: this.fingerprint.hash, fplen: this.fingerprint.length };
  }
}
