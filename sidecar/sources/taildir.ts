import { fstatSync } from 'node:fs';
import { readdir, readlink, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicMs } from '../clock.ts';
import type { DrainOptions, Source, SourceOutcome, SourceReport } from '../component.ts';
import type { Deadline } from '../deadline.ts';
import type { Event } from '../event.ts';
import type { Logger } from '../log.ts';
import type { TaildirConfig } from './taildir/config.ts';
import { groupMatches, listFiles, type Found } from './taildir/listing.ts';
import { GroupWatcher, type WatchEvent } from './taildir/watcher.ts';
import { ConfinedOpener } from './taildir/confinement.ts';
import { TaildirHandover } from './taildir/handover.ts';
import { fileKey, fingerprint, FINGERPRINT_BYTES, sameStart, type Fingerprint } from './taildir/identity.ts';
import { LineDecoder } from './line-reader.ts';
import { readPositionFile, type PositionEntry } from './taildir/position-file.ts';
import { Positions } from './taildir/positions.ts';
import { nextQuietLook } from './taildir/quiet-period.ts';
import { TailedFile, type FileState } from './taildir/tailed-file.ts';
import { FileReader } from './taildir/file-reader.ts';
import { Turns } from './taildir/turns.ts';

export { READ_BYTES } from './taildir/file-reader.ts';
export { TAILDIR_SOURCE_TYPES, configureTaildirSource, type TaildirConfig } from './taildir/config.ts';

/** What the source puts its batches into (the agent's ChannelProcessor); `put` resolving is the back-pressure, `signal` gives it up. */
export interface BatchProcessor {
  put(events: Event[], signal?: AbortSignal): Promise<void>;
}

export interface TaildirFileStats {
  path: string;
  /** Device and inode, `dev:ino`: the file's identity. */
  key: string;
  group: string;
  state: FileState;
  /** Left its pattern (renamed away or deleted) and is being read to its end. */
  draining: boolean;
  size: number;
  readOffset: number;
  committedOffset: number;
}

export interface TaildirTotals {
  lines: number;
  bytes: number;
  events: number;
  /** Lines longer than maxLineLength (split or truncated). */
  longLines: number;
  /** Invalid byte sequences replaced by U+FFFD. */
  invalidSequences: number;
  /** Multiline events closed by maxLines/maxBytes instead of by the pattern. */
  multilineCut: number;
  /** Incomplete last lines emitted by partialLineTimeout. */
  partialLinesFlushed: number;
  /** Files that left their path while tailed (rename or delete). */
  rotations: number;
  /** Files that shrank or were rewritten under the same inode (copytruncate): read again from 0. */
  truncations: number;
  filesOpened: number;
  filesReleased: number;
}

export interface TaildirStats {
  files: TaildirFileStats[];
  totals: Readonly<TaildirTotals>;
}

/**
 * Flume's TAILDIR source: tails the files of its file groups and resumes after a restart from
 * the position file. Checkpoints follow end-to-end acknowledgement: a file's position advances
 * only over lines whose batches Kafka acknowledged (the Receipt of each batch), so a crash at any
 * moment loses nothing and re-sends at most what was not yet acknowledged (plus what was
 * acknowledged since the last position write, at most writePosInterval ago).
 *
 * One loop does everything (discover, read, put), so no two steps ever race on a file's state;
 * it awaits each put, so a slow Kafka pauses the reading. The watcher only wakes the loop.
 * This class keeps the file set (discovery, rotation, truncation, release) and the lifecycle;
 * taildir/turns.ts decides when a turn runs, taildir/file-reader.ts turns bytes into puts, and
 * taildir/positions.ts writes the position file.
 */
export class TaildirSource implements Source {
  private readonly config: TaildirConfig;
  private readonly log: Logger;
  private readonly files = new Map<string, TailedFile>();
  private readonly byPath = new Map<string, TailedFile>();
  private readonly decoder: LineDecoder;
  private readonly totals: TaildirTotals = {
    lines: 0, bytes: 0, events: 0, longLines: 0, invalidSequences: 0, multilineCut: 0, partialLinesFlushed: 0,
    rotations: 0, truncations: 0, filesOpened: 0, filesReleased: 0,
  };
  private readonly stopping = new AbortController();
  /** drain() asked the loop to end after its turn: the drain reads on by itself. */
  private draining = false;
  private watcher: GroupWatcher | undefined;
  private loop: Promise<void> | undefined;
  private failure: (outcome: SourceOutcome) => void = () => undefined;
  private readonly failed = new Promise<SourceOutcome>((resolve) => {
    this.failure = resolve;
  });
  private readonly turns: Turns;
  private readonly fileReader: FileReader;
  /**
   * Monotonic ms (clock.ts) at the start of the turn, for discovery, polls, rotation and idle
   * checks (every deadline of the source is on this clock); reads stamp growth with their own time.
   */
  private now = monotonicMs();
  private readonly positions: Positions;
  private closed = false;
  /** Paths that could not be opened, so each is reported once, not at every rescan. */
  private readonly unreadable = new Set<string>();
  /** The files of the source this one replaces (a reload), until start() took them over. */
  private handover: TaildirHandover | undefined;
  /** Every open of a file goes through it: confineTo is checked on what was opened. */
  private readonly opener: ConfinedOpener;

  constructor(config: TaildirConfig, processor: BatchProcessor, log: Logger, handover?: TaildirHandover) {
    this.config = config;
    this.log = log;
    this.decoder = new LineDecoder(config.encoding);
    this.handover = handover;
    this.opener = new ConfinedOpener(config.confineTo, log, handover?.refusals);
    this.turns = new Turns(config);
    this.fileReader = new FileReader({ config, processor, decoder: this.decoder, totals: this.totals, stopping: this.stopping.signal, now: monotonicMs });
    this.positions = new Positions(config.positionFile, () => [...this.files.values()].map((file) => file.position()), log, () => this.settled());
    if (handover !== undefined) {
      Object.assign(this.totals, handover.totals);
      this.decoder.invalid = handover.totals.invalidSequences;
    }
  }

  /** Per-file offsets and totals, read-only (for metrics). */
  get stats(): TaildirStats {
    const files = [...this.files.values()].map((file): TaildirFileStats => ({
      path: file.path, key: file.key, group: file.group.name, state: file.state, draining: file.goneSince !== undefined,
      size: file.size, readOffset: file.readOffset, committedOffset: file.tracker.committed,
    }));
    return { files, totals: { ...this.totals, invalidSequences: this.decoder.invalid } };
  }

  /**
   * For /metrics. Sizes are the files' sizes now, not as last read: while the channel is full the
   * source reads nothing, and the lag must still grow with what the app writes meanwhile.
   */
  report(): SourceReport {
    const { totals } = this.stats;
    const files = [...this.files.values()].map((file) => ({ path: file.path, size: currentSize(file), committedOffset: file.tracker.committed }));
    return {
      files, longLines: totals.longLines, invalidSequences: totals.invalidSequences, rotations: totals.rotations, truncations: totals.truncations,
      filesRefused: { ...this.opener.counts },
    };
  }

  async start(): Promise<void> {
    let entries: PositionEntry[] = [];
    try {
      entries = await readPositionFile(this.config.positionFile);
    } catch (error) {
      // Starting over re-sends lines (duplicates) but loses none; refusing to start would stop shipping.
      this.log.warn({ err: error, positionFile: this.config.positionFile }, 'position file unreadable: every file is read from its start (or its end with skipToEnd)');
    }
    // Watch first, then list: a file created in between is seen by one or the other.
    this.watcher = new GroupWatcher(this.config.groups, (path) => this.isOwnFile(path), (event, path) => {
      this.onWatch(event, path);
    }, this.config.confineTo, this.log);
    await this.watcher.ready();
    await this.rescan(entries);
    await this.adoptUnlisted();
    await this.recover(entries);
    await this.positions.write();
    this.log.info({ files: this.files.size, positionFile: this.config.positionFile, groups: this.config.groups.map((g) => g.name), resumed: entries.length }, 'tailing');
    this.positions.every(this.config.writePosIntervalMs);
    this.loop = this.run().catch((error: unknown) => {
      this.log.error({ err: error }, 'file source failed');
      this.failure('failed');
    });
  }

  /** A tailer always waits for more input: resolves only if the source failed. */
  finished(): Promise<SourceOutcome> {
    return this.failed;
  }

  /**
   * Stops reading at once; a put waiting for room gives up. Held partial lines and multiline
   * events are not emitted: their bytes, and those of the batch not put, are read again after a
   * restart (the checkpoint stays before them).
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.turns.wake();
    await this.loop;
    await this.closeWatcher();
  }

  /**
   * The agent stops for good (in a pod, the files and the position file go with it): no more
   * discovery; every open file (and an idle one that grew) is read to its end as it is now. With
   * `quietMs`, what the files gain after that is read too, until none has grown for quietMs (an
   * app stopped at the same time may still be writing). Then incomplete last lines and pending
   * multiline events are emitted, and everything put. At the deadline the source stops where it
   * is: what was not put stays behind its checkpoint.
   */
  async drain(deadline: Deadline, options: DrainOptions): Promise<void> {
    const giveUp = (): void => {
      this.stopping.abort();
      this.turns.wake();
    };
    deadline.signal.addEventListener('abort', giveUp, { once: true });
    try {
      this.draining = true;
      this.turns.wake();
      await this.loop;
      await this.closeWatcher();
      await this.readAllToEnd();
      const linesBefore = this.totals.lines;
      const waitedMs = options.quietMs > 0 ? await this.readUntilQuiet(options.quietMs) : 0;
      let files = 0;
      for (const file of [...this.files.values()]) {
        if (this.stopped()) break;
        if (file.state !== 'open') continue;
        await this.fileReader.flushHeld(file);
        files++;
      }
      this.log.info({
        files, events: this.totals.events, lines: this.totals.lines, complete: !this.stopped(),
        quietMs: options.quietMs, waitedMs, linesWhileWaiting: this.totals.lines - linesBefore,
      }, this.stopped() ? 'drain deadline passed while reading: files left unread' : 'every open file read to its end and put');
    } finally {
      deadline.signal.removeEventListener('abort', giveUp);
    }
  }

  /** Reads every open file (and an idle one that changed) to its current end; true if bytes were read. */
  private async readAllToEnd(): Promise<boolean> {
    let any = false;
    for (const file of [...this.files.values()]) {
      if (this.stopped()) break;
      this.now = monotonicMs();
      if (await this.readToEnd(file)) any = true;
    }
    return any;
  }

  private async readToEnd(file: TailedFile): Promise<boolean> {
    if (file.state === 'idle') await this.pollIdle(file);
    const handle = file.handle;
    if (file.state !== 'open' || handle === undefined) return false;
    const end = await handle.stat().then((stats) => stats.size, () => file.readOffset);
    // A size other than the read offset: grown, or truncated (read() starts such a file over).
    if (end === file.readOffset) return false;
    let any = false;
    do {
      if (!(await this.read(file))) break;
      any = true;
    } while (!this.stopped() && file.readOffset < end);
    return any;
  }

  /** Reads what the files gain until none has grown for `quietMs` or the deadline passed; the time it took. */
  private async readUntilQuiet(quietMs: number): Promise<number> {
    const began = monotonicMs();
    let lastGrowthAt = began;
    for (;;) {
      const wait = nextQuietLook(quietMs, lastGrowthAt, monotonicMs());
      if (wait === undefined || this.stopped()) break;
      await sleep(wait, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (this.stopped()) break;
      if (await this.readAllToEnd()) lastGrowthAt = monotonicMs();
    }
    return Math.round(monotonicMs() - began);
  }

  private async closeWatcher(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
  }

  /** After the drain: writes the positions the delivered events earned and closes every file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.positions.stop();
    await this.positions.write();
    await this.release();
  }

  /**
   * After stop(), instead of close() when a reload replaces this source by another TAILDIR
   * source: writes the positions earned so far (in case the replacement fails to start) and
   * hands every file, still open, to the replacement (see TaildirHandover).
   */
  async handOver(): Promise<TaildirHandover> {
    this.closed = true;
    await this.positions.stop();
    await this.positions.write();
    const handover = new TaildirHandover(this.files.values(), this.stats.totals, this.opener.reported);
    this.files.clear();
    this.byPath.clear();
    return handover;
  }

  /**
   * Closes every file without writing positions, as a crash would leave them (for tests that
   * restart a source in the same process).
   */
  async abandon(): Promise<void> {
    this.closed = true;
    await this.positions.stop();
    await this.release();
  }

  private async release(): Promise<void> {
    for (const file of this.files.values()) {
      await file.handle?.close().catch(() => undefined);
      file.handle = undefined;
    }
  }

  private stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private isOwnFile(path: string): boolean {
    return path === this.config.positionFile || (dirname(path) === dirname(this.config.positionFile) && basename(path).startsWith(`${basename(this.config.positionFile)}.`));
  }

  private onWatch(event: WatchEvent, path: string): void {
    if (event === 'change') {
      const file = this.byPath.get(path);
      if (file === undefined) return;
      if (file.state === 'open') file.dirty = true;
      else this.turns.pollSoon(); // an idle file changed: reopen it at the next turn
    } else {
      this.turns.requestRescan();
    }
    this.turns.woke();
  }

  private async run(): Promise<void> {
    while (!this.stopped() && !this.draining) {
      this.now = this.turns.begin();
      if (this.turns.rescanDue(this.now)) await this.rescan();
      if (this.turns.pollDue(this.now, () => this.rotating() || this.watcher?.blind === true)) await this.poll();
      let progressed = false;
      for (const file of this.files.values()) {
        if (this.stopped()) return;
        if (file.state !== 'open' || !file.dirty) continue;
        if (await this.read(file)) progressed = true;
      }
      if (this.stopped()) return;
      await this.fileReader.flushTimeouts(this.files.values());
      await this.positions.writeIfAsked();
      this.positions.stir();
      if (!progressed || this.turns.caughtUp) await this.turns.sleep(this.fileDeadline(), () => this.stopped() || this.draining);
    }
  }

  /** No file has a batch waiting for its acknowledgement. */
  private settled(): boolean {
    for (const file of this.files.values()) if (file.tracker.outstanding > 0) return false;
    return true;
  }

  /** Whether a file that left its path is still being read to its end (see ROTATED_POLL_MS). */
  private rotating(): boolean {
    for (const file of this.files.values()) if (file.goneSince !== undefined && file.state !== 'retired') return true;
    return false;
  }

  /** The earliest time an open file emits what it holds: a late partial line, a multiline event. */
  private fileDeadline(): number {
    let until = Infinity;
    for (const file of this.files.values()) {
      if (file.state !== 'open') continue;
      if (this.config.partialLineTimeoutMs > 0 && file.reader.holding) until = Math.min(until, file.lastGrowthAt + this.config.partialLineTimeoutMs);
      const deadline = file.joiner?.deadline;
      if (deadline !== undefined) until = Math.min(until, deadline);
    }
    return until;
  }

  /** Reads a file (see FileReader.read) once it is checked for a truncation; true if bytes were read. */
  private async read(file: TailedFile): Promise<boolean> {
    const handle = file.handle;
    if (handle === undefined) return false;
    // Cleared before reading: a watcher event during the read sets it again, and it is not lost.
    file.dirty = false;
    // A copytruncate may have happened since the last look, and the file grown again past the
    // read offset: reading there would ship the middle of other lines.
    try {
      const stats = await handle.stat();
      if (await this.checkTruncation(file, handle, stats.size)) {
        file.dirty = true;
        return true;
      }
    } catch (error) {
      this.log.warn({ err: error, path: file.path }, 'cannot stat file: released');
      await this.retire(file);
      return false;
    }
    const result = await this.fileReader.read(file, handle);
    if (result.failed !== undefined) {
      this.log.warn({ err: result.failed.error, path: file.path }, 'cannot read file: released');
      await this.retire(file);
      return result.any;
    }
    if (result.behind) this.turns.fellBehind();
    return result.any;
  }

  /**
   * Lists the groups' files: tracks new ones, follows renames within the patterns, and marks
   * tailed files no longer listed as gone (renamed away or deleted: read to the end, then released).
   * At start-up, `entries` (the position file) give where known files resume.
   */
  private async rescan(entries?: PositionEntry[]): Promise<void> {
    const found = await listFiles(this.config.groups, (path) => this.isOwnFile(path));
    this.opener.retain(new Set(found.map((item) => fileKey(item.stats))));
    const seen = new Set<string>();
    const before = this.files.size;
    for (const item of found) {
      if (this.stopped()) return;
      const key = fileKey(item.stats);
      if (seen.has(key)) continue; // the same file by a second path or group: the first wins
      seen.add(key);
      let known = this.files.get(key);
      if (known === undefined) {
        const handed = this.handover?.take(key);
        if (handed === undefined) {
          await this.track(item, entries);
          continue;
        }
        if (!(await this.admitsHanded(handed, item.path))) continue;
        known = this.adopt(handed, item.group, entries);
      }
      this.moveTo(known, item.path);
      if (known.goneSince !== undefined && known.state === 'open') {
        this.log.info({ path: item.path }, 'file is back in its pattern: tailed on');
      }
      known.goneSince = undefined;
      if (known.state !== 'open' && Number(item.stats.size) !== known.readOffset) await this.reopen(known);
    }
    for (const file of this.files.values()) {
      if (file.state === 'open' && file.goneSince === undefined && !seen.has(file.key)) this.markGone(file);
    }
    // New files go into the position file at once, not at the next writePosInterval: a file
    // rotated away right after it was found is then found again by a restart after a crash.
    if (this.files.size > before) this.positions.writeSoon();
  }

  /** Starts tailing a newly found file: from its position entry, else its start (its end at start-up with skipToEnd). */
  private async track(item: Found, entries: PositionEntry[] | undefined): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await this.opener.open(item.path);
    } catch (error) {
      if (!this.unreadable.has(item.path)) this.log.warn({ err: error, path: item.path }, 'cannot open file: skipped until it can be');
      this.unreadable.add(item.path);
      return;
    }
    this.unreadable.delete(item.path);
    if (handle === undefined) return; // outside confineTo
    // The identity of what was opened (the path may name another file by now).
    const stats = await handle.stat({ bigint: true });
    const key = fileKey(stats);
    if (this.files.has(key)) {
      await handle.close();
      return;
    }
    const size = Number(stats.size);
    let offset = 0;
    let how = 'from its start';
    const index = entries?.findIndex((e) => e.inode === String(stats.ino) && (e.dev === undefined || e.dev === String(stats.dev))) ?? -1;
    const entry = index === -1 ? undefined : entries?.[index];
    if (entry !== undefined) {
      entries?.splice(index, 1);
      if (entry.fp !== undefined && !(await sameStart(handle, { hash: entry.fp, length: entry.fplen ?? 0 }))) {
        how = 'from its start: its inode is reused by a new file';
      } else if (entry.pos > size) {
        how = 'from its start: it shrank (truncated) since the position was written';
      } else {
        offset = entry.pos;
        how = 'from its position';
      }
    } else if (entries !== undefined && this.config.skipToEnd) {
      offset = size;
      how = 'from its end (skipToEnd)';
    }
    const file = this.newFile(key, String(stats.dev), String(stats.ino), item.group, item.path, handle, offset, size, await fingerprint(handle, size));
    this.log.info({ path: item.path, group: item.group.name, offset }, `tailing file ${how}`);
    if (offset === size) file.dirty = false;
  }

  private newFile(
    key: string, dev: string, ino: string, group: TailedFile['group'], path: string, handle: FileHandle | undefined, offset: number, size: number, fp: Fingerprint,
    takenOver?: TailedFile,
  ): TailedFile {
    const file = new TailedFile({
      key, dev, ino, group, path, handle, offset, size, fingerprint: fp, now: this.now,
      reader: { encoding: this.config.encoding, maxLineBytes: this.config.maxLineLength, policy: this.config.maxLineLengthPolicy, counters: this.totals },
      multiline: this.config.multiline,
      ...(takenOver === undefined ? {} : { tracker: takenOver.tracker, afterEarlyFlush: takenOver.resumesAfterEarlyFlush }),
    });
    this.files.set(key, file);
    this.byPath.set(path, file);
    if (takenOver === undefined) this.totals.filesOpened++;
    return file;
  }

  /**
   * Takes over a file of the replaced source (a reload), in the group that lists it now: same
   * descriptor and tracker, read on under this source's settings from where the old one last
   * put a batch. Its position entry (written by the old source) is superseded.
   */
  private adopt(old: TailedFile, group: TailedFile['group'], entries: PositionEntry[] | undefined): TailedFile {
    const index = entries?.findIndex((e) => e.inode === old.ino && (e.dev === undefined || e.dev === old.dev)) ?? -1;
    if (index !== -1) entries?.splice(index, 1);
    const file = this.newFile(old.key, old.dev, old.ino, group, old.path, old.handle, old.resumeOffset, old.size, old.fingerprint, old);
    file.state = old.state;
    file.goneSince = old.goneSince;
    file.lastGrowthAt = old.lastGrowthAt;
    file.checkedSize = old.checkedSize;
    file.dirty = old.state === 'open';
    this.log.info({ path: old.path, group: group.name, offset: file.readOffset, committed: file.tracker.committed }, 'tailing file taken over from the replaced source');
    return file;
  }

  /**
   * The replaced source's files that the listing did not find. One its group (same name) still
   * names is tailed on as before: rotated away (read to its end), idle, or released. Any other
   * left the file groups (a removed group, a changed pattern): it is not read further, but kept
   * as released until its lines already in the channels are delivered, so that its position stays.
   */
  private async adoptUnlisted(): Promise<void> {
    const rest = this.handover?.rest() ?? [];
    this.handover = undefined;
    for (const old of rest) {
      if (!(await this.admitsHanded(old, old.path))) continue;
      const group = this.config.groups.find((g) => g.name === old.group.name);
      if (group !== undefined && (old.goneSince !== undefined || old.state === 'retired' || groupMatches(group, old.path))) {
        const file = this.adopt(old, group, undefined);
        if (file.state === 'open' && file.goneSince === undefined) this.markGone(file); // rotated during the reload
        continue;
      }
      await old.handle?.close().catch(() => undefined);
      old.handle = undefined;
      if (old.tracker.outstanding === 0) continue;
      const file = this.adopt(old, group ?? old.group, undefined);
      file.state = 'retired';
      file.dirty = false;
      this.log.info({ path: old.path, group: old.group.name }, 'file no longer in the file groups: not read further');
    }
  }

  /**
   * Position entries no listed file claimed: files rotated away (or renamed while the agent was
   * down) with lines not yet delivered. Found again by inode at their last path or in its
   * directory, they are read to their end and released.
   */
  private async recover(entries: PositionEntry[]): Promise<void> {
    for (const entry of entries) {
      const path = await locate(entry.file, entry.inode, entry.dev);
      if (path === undefined) continue;
      const group = this.config.groups.find((g) => entry.file.startsWith(g.pattern.baseDir)) ?? this.config.groups[0];
      if (group === undefined) continue;
      let handle: FileHandle | undefined;
      try {
        handle = await this.opener.open(path);
      } catch {
        continue;
      }
      if (handle === undefined) continue; // outside confineTo
      const stats = await handle.stat({ bigint: true });
      const size = Number(stats.size);
      const key = fileKey(stats);
      const same = entry.fp === undefined || (await sameStart(handle, { hash: entry.fp, length: entry.fplen ?? 0 }));
      if (!same) {
        // The inode holds other content: reused by an unrelated file (say a compressed rotation), or
        // rewritten after it left the pattern. Reading it could ship garbage, so it is left alone.
        this.log.info({ path, inode: entry.inode }, 'position entry names an inode that now holds other content: not read');
      }
      if (this.files.has(key) || !same || entry.pos === size) {
        await handle.close();
        continue;
      }
      const offset = entry.pos > size ? 0 : entry.pos; // shrank: truncated since
      const file = this.newFile(key, String(stats.dev), String(stats.ino), group, path, handle, offset, size, await fingerprint(handle, size));
      file.goneSince = this.now;
      this.log.info({ path, offset, size }, 'rotated file with undelivered lines found again: reading it to its end');
    }
  }

  /**
   * Whether a file of the replaced source may be read on under this source's confineTo (the old
   * one may have had none); one that may not is closed and dropped, its position with it.
   */
  private async admitsHanded(old: TailedFile, path: string): Promise<boolean> {
    if (old.handle === undefined || (await this.opener.admits(old.handle, path))) return true;
    await old.handle.close().catch(() => undefined);
    old.handle = undefined;
    return false;
  }

  private moveTo(file: TailedFile, path: string): void {
    if (file.path === path) return;
    if (this.byPath.get(file.path) === file) this.byPath.delete(file.path);
    file.path = path;
    this.byPath.set(path, file);
  }

  private markGone(file: TailedFile): void {
    file.goneSince = this.now;
    this.totals.rotations++;
    this.turns.pollSoon();
    this.log.info({ path: file.path, readOffset: file.readOffset }, 'file left its path (rotated or deleted): reading it to its end');
  }

  /**
   * Checks every file without waiting for the watcher: growth, truncation (copytruncate),
   * rotation of the path, release of drained gone files, idle close and reopen.
   */
  private async poll(): Promise<void> {
    for (const file of [...this.files.values()]) {
      if (this.stopped()) return;
      if (file.state === 'open') await this.pollOpen(file);
      else if (file.state === 'idle') await this.pollIdle(file);
      else if (file.tracker.outstanding === 0) this.forget(file);
    }
  }

  private async pollOpen(file: TailedFile): Promise<void> {
    const handle = file.handle;
    if (handle === undefined) return;
    let stats;
    try {
      stats = await handle.stat({ bigint: true });
    } catch (error) {
      this.log.warn({ err: error, path: file.path }, 'cannot stat open file: released');
      await this.retire(file);
      return;
    }
    const size = Number(stats.size);
    if (await this.checkTruncation(file, handle, size)) return;
    if (size > file.readOffset) file.dirty = true;
    if (file.goneSince === undefined) {
      const current = await stat(file.path, { bigint: true }).catch(() => undefined);
      if (stats.nlink === 0n || current === undefined || fileKey(current) !== file.key) {
        this.markGone(file);
        this.turns.requestRescan(); // renamed within the pattern? the rescan finds it again
      }
    }
    if (file.goneSince !== undefined) {
      // Keep the position file pointing at where the file is now (e.g. app.log.1).
      const now = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
      if (now !== undefined && !now.endsWith(' (deleted)')) this.moveTo(file, now);
      if (size <= file.readOffset && this.now - Math.max(file.goneSince, file.lastGrowthAt) >= this.config.rotateWaitMs) await this.retire(file);
      return;
    }
    if (size <= file.readOffset && !file.holding && this.now - file.lastGrowthAt >= this.config.idleTimeoutMs) {
      await handle.close().catch(() => undefined);
      file.handle = undefined;
      file.state = 'idle';
      this.log.info({ path: file.path, idleTimeoutMs: this.config.idleTimeoutMs }, 'file idle: closed until it changes');
    }
  }

  private async pollIdle(file: TailedFile): Promise<void> {
    const current = await stat(file.path, { bigint: true }).catch(() => undefined);
    if (current !== undefined && fileKey(current) === file.key) {
      if (Number(current.size) !== file.readOffset) await this.reopen(file);
      return;
    }
    // Rotated while closed: lines may have been written to it before the rotation.
    const path = await locate(file.path, file.ino, file.dev);
    if (path !== undefined) {
      this.moveTo(file, path);
      await this.reopen(file);
      if (file.state === 'open') this.markGone(file);
      return;
    }
    this.state(file, 'retired');
  }

  /** Opens an idle or released file again, checking that it is still the same content. */
  private async reopen(file: TailedFile): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await this.opener.open(file.path);
    } catch {
      return;
    }
    if (handle === undefined) {
      // Its path leads outside confineTo now: not read further.
      if (file.state === 'idle') this.state(file, 'retired');
      return;
    }
    const stats = await handle.stat({ bigint: true });
    if (fileKey(stats) !== file.key) {
      await handle.close();
      return;
    }
    file.handle = handle;
    file.state = 'open';
    file.dirty = true;
    file.lastGrowthAt = this.now;
    const size = Number(stats.size);
    if (size < file.readOffset || !(await sameStart(handle, file.fingerprint))) {
      await this.truncated(file, size, size < file.readOffset ? 'shrank while closed' : 'its inode now holds other content');
    }
  }

  /**
   * Detects a copytruncate: the file is shorter than the read offset, or (truncated and written
   * again past it since the last look) its first bytes changed. Then reads it again from 0.
   * Also extends the fingerprint while the file is shorter than FINGERPRINT_BYTES.
   */
  private async checkTruncation(file: TailedFile, handle: FileHandle, size: number): Promise<boolean> {
    if (size < file.readOffset) {
      await this.truncated(file, size, 'shrank below the read offset');
      return true;
    }
    if (size !== file.checkedSize) {
      if (file.fingerprint.length > 0 && !(await sameStart(handle, file.fingerprint))) {
        await this.truncated(file, size, 'its first bytes changed');
        return true;
      }
      file.checkedSize = size;
    }
    if (file.fingerprint.length < FINGERPRINT_BYTES && size > file.fingerprint.length) file.fingerprint = await fingerprint(handle, size);
    file.size = size;
    return false;
  }

  /** The file was truncated or rewritten in place: what was held is final; read again from 0. */
  private async truncated(file: TailedFile, size: number, why: string): Promise<void> {
    await this.fileReader.flushHeld(file);
    this.totals.truncations++;
    this.positions.writeSoon();
    this.log.info({ path: file.path, readOffset: file.readOffset, size, why }, 'file truncated (copytruncate?): reading it again from its start');
    const handle = file.handle;
    file.restartAt(0, handle === undefined ? { hash: '', length: 0 } : await fingerprint(handle, size));
    file.size = size;
    file.checkedSize = size;
  }

  /** Releases a file: what it holds is emitted, its descriptor closed; its record stays until its batches are delivered. */
  private async retire(file: TailedFile): Promise<void> {
    await this.fileReader.flushHeld(file);
    await file.handle?.close().catch(() => undefined);
    file.handle = undefined;
    this.totals.filesReleased++;
    this.log.info({ path: file.path, readOffset: file.readOffset }, 'file released');
    this.state(file, 'retired');
  }

  private state(file: TailedFile, state: FileState): void {
    file.state = state;
    if (state === 'retired' && file.tracker.outstanding === 0) this.forget(file);
  }

  private forget(file: TailedFile): void {
    this.files.delete(file.key);
    if (this.byPath.get(file.path) === file) this.byPath.delete(file.path);
  }
}

/** Where the file with this inode is now: its last path, or another name in the same directory (rotated). */
async function locate(path: string, inode: string, dev: string | undefined): Promise<string | undefined> {
  const matches = (stats: { ino: bigint; dev: bigint }): boolean => String(stats.ino) === inode && (dev === undefined || String(stats.dev) === dev);
  const direct = await stat(path, { bigint: true }).catch(() => undefined);
  if (direct !== undefined && matches(direct)) return path;
  const dir = dirname(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const candidate = join(dir, name);
    const stats = await stat(candidate, { bigint: true }).catch(() => undefined);
    if (stats?.isFile() === true && matches(stats)) return candidate;
  }
  return undefined;
}

/** A file's size now (one fstat of its open descriptor), or as last read when it has none or the call fails. */
function currentSize(file: TailedFile): number {
  if (file.handle === undefined) return file.size;
  try {
    return Math.max(file.size, fstatSync(file.handle.fd).size);
  } catch {
    return file.size;
  }
}
