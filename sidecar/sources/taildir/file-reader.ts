import type { FileHandle } from 'node:fs/promises';
import { Receipt, type Event } from '../../event.ts';
import { BATCH_BYTES } from '../batch-bytes.ts';
import type { LineDecoder } from '../line-reader.ts';
import type { BatchProcessor, TaildirTotals } from '../taildir.ts';
import { BYTE_OFFSET_HEADER, type TaildirConfig } from './config.ts';
import { detachFromReadBuffer } from './read-buffer.ts';
import type { TailedFile } from './tailed-file.ts';

/**
 * Bytes per read: large enough for throughput, small enough that memory does not follow file
 * sizes. Each read is a round trip to libuv's thread pool (~100 us measured) that leaves the
 * event loop idle when the sink waits too: 256 KB shipped ~8% faster than 64 KB, 1 MB no faster.
 */
export const READ_BYTES = 256 * 1024;

export interface FileReaderParts {
  config: TaildirConfig;
  processor: BatchProcessor;
  decoder: LineDecoder;
  totals: TaildirTotals;
  /** Aborted at a stop: a put waiting for room gives up, reading ends. */
  stopping: AbortSignal;
  /**
   * The time now (monotonic ms), not the turn's: a turn that waits for room in the channel lasts
   * long, and growth stamped with its start would make the line held at a read's end look late.
   */
  now: () => number;
}

export interface ReadResult {
  /** Bytes were read. */
  any: boolean;
  /** Stopped at the batch budget: more may be there. */
  behind: boolean;
  /** The read failed (the file is to be released). */
  failed?: { error: unknown };
}

/**
 * Turns a tailed file's bytes into events and puts them: read -> lines (with multiline joining)
 * -> events -> batches, each batch with a receipt that advances the file's checkpoint once
 * delivered. One read buffer is shared by every file, reused while events keep little of it.
 */
export class FileReader {
  private readonly parts: FileReaderParts;
  private readBuffer: Buffer | undefined;
  /** Wall-clock time of the last read or flush (epoch ms): the timestamp of the events it made. */
  private readAt = Date.now();

  constructor(parts: FileReaderParts) {
    this.parts = parts;
  }

  /**
   * Reads from the read offset until the file's end (for now) or its batch budget. Events are
   * put once batchSize of them or BATCH_BYTES of bodies are read.
   */
  async read(file: TailedFile, handle: FileHandle): Promise<ReadResult> {
    const { config, totals, stopping } = this.parts;
    let any = false;
    let behind = false;
    let batches = 0;
    while (!stopping.aborted) {
      const buffer = this.readBuffer ?? Buffer.allocUnsafe(READ_BYTES);
      this.readBuffer = buffer;
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, READ_BYTES, file.readOffset));
      } catch (error) {
        return { any, behind, failed: { error } };
      }
      this.readAt = Date.now();
      // UTF-16: only whole code units, so that every chunk starts at an even offset.
      if (config.encoding === 'utf16le') bytesRead -= bytesRead % 2;
      if (bytesRead === 0) break;
      any = true;
      const chunk = buffer.subarray(0, bytesRead);
      const firstEvent = file.batch.length;
      const offset = file.readOffset;
      file.readOffset += bytesRead;
      if (file.readOffset > file.size) file.size = file.readOffset;
      file.lastGrowthAt = this.parts.now();
      totals.bytes += bytesRead;
      file.reader.push(chunk, offset, (raw, start, end) => {
        this.onLine(file, raw, start, end);
      });
      // Events are slices of the chunk: the buffer is theirs (read into a new one next time) unless they use little of it.
      if (!detachFromReadBuffer(file.batch, firstEvent, buffer)) this.readBuffer = undefined;
      if (file.batch.length >= config.batchSize || file.batchBytes >= BATCH_BYTES) {
        batches += Math.max(1, Math.ceil(file.batch.length / config.batchSize));
        await this.putBatches(file);
        if (batches >= config.maxBatchCount) {
          file.dirty = true; // more may be there: the other files get their turn first
          behind = true;
          break;
        }
      }
      if (bytesRead < READ_BYTES) break;
    }
    await this.putBatches(file);
    this.settleIdleBytes(file);
    return { any, behind };
  }

  /**
   * Emits incomplete lines whose newline is late, and multiline events whose next line is: late
   * by the clock and not in the file either. A file with bytes not read yet (a read that ended at
   * the batch budget, or growth since, while the turn waited for the channel) is read first.
   */
  async flushTimeouts(files: Iterable<TailedFile>): Promise<void> {
    const { config, totals } = this.parts;
    const partialMs = config.partialLineTimeoutMs;
    this.readAt = Date.now();
    for (const file of files) {
      if (file.state !== 'open') continue;
      const now = this.parts.now();
      const partialLate = partialMs > 0 && file.reader.holding && now - file.lastGrowthAt >= partialMs;
      const deadline = file.joiner?.deadline;
      const groupLate = deadline !== undefined && deadline <= now;
      if ((partialLate || groupLate) && await this.hasUnread(file)) {
        file.dirty = true;
        continue;
      }
      if (partialLate) {
        if (file.reader.flushPartial((raw, start, end) => { this.onLine(file, raw, start, end); })) totals.partialLinesFlushed++;
      }
      if (groupLate) {
        file.joiner?.flush((body, start, end) => { this.onEvent(file, body, start, end); });
      }
      if (file.batch.length > 0) {
        await this.putBatches(file);
        this.settleIdleBytes(file);
      }
    }
  }

  /** The file is larger than what was read of it (a stat that fails says no: the next read tells). */
  private async hasUnread(file: TailedFile): Promise<boolean> {
    const size = await file.handle?.stat().then((stats) => stats.size, () => undefined);
    return size !== undefined && size > file.readOffset;
  }

  /** Emits whatever the file holds: its content is final (released, or truncated away). */
  async flushHeld(file: TailedFile): Promise<void> {
    this.readAt = Date.now();
    if (file.reader.flushPartial((raw, start, end) => { this.onLine(file, raw, start, end); })) this.parts.totals.partialLinesFlushed++;
    file.joiner?.flush((body, start, end) => { this.onEvent(file, body, start, end); });
    await this.putBatches(file);
    this.settleIdleBytes(file);
  }

  private onLine(file: TailedFile, raw: Buffer, start: number, end: number): void {
    const { totals } = this.parts;
    totals.lines++;
    const body = this.parts.decoder.decode(raw, start);
    if (file.joiner === undefined) {
      this.onEvent(file, body, start, end);
      return;
    }
    const before = file.joiner.cut;
    file.joiner.push(body, start, end, this.parts.now(), (group, from, to) => {
      this.onEvent(file, group, from, to);
    });
    totals.multilineCut += file.joiner.cut - before;
  }

  private onEvent(file: TailedFile, body: Buffer, start: number, end: number): void {
    const { config } = this.parts;
    const headers: Record<string, string> = { ...file.group.headers };
    if (config.fileHeader) headers[config.fileHeaderKey] = file.path;
    if (config.byteOffsetHeader) headers[BYTE_OFFSET_HEADER] = String(start);
    const event: Event = { body, headers, timestamp: this.readAt };
    if (file.group.topic !== undefined) event.topic = file.group.topic;
    file.batch.push(event);
    file.batchEnds.push(end);
    file.batchBytes += body.length;
  }

  /** Puts the file's read events, batchSize at a time, each batch with a receipt that advances the file's checkpoint once delivered. */
  private async putBatches(file: TailedFile): Promise<void> {
    if (file.batch.length === 0) return;
    const { config, totals, processor, stopping } = this.parts;
    const events = file.batch;
    const ends = file.batchEnds;
    file.batch = [];
    file.batchEnds = [];
    file.batchBytes = 0;
    const size = config.batchSize;
    for (let from = 0; from < events.length; from += size) {
      const batch = events.length <= size ? events : events.slice(from, from + size);
      const end = ends[from + batch.length - 1] ?? file.readOffset;
      const receipt = new Receipt(batch.length, file.tracker.add(end));
      for (const event of batch) event.receipt = receipt;
      totals.events += batch.length;
      try {
        await processor.put(batch, stopping);
      } catch (error) {
        // Given up at a stop: the checkpoint stays before these lines, and a successor (reload) reads them again.
        if (stopping.aborted) {
          file.tracker.withdrawLast();
          return;
        }
        throw error;
      }
    }
  }

  /** Nothing held and nothing in flight to wait for: bytes that made no event (a bare newline after an early flush) count as done. */
  private settleIdleBytes(file: TailedFile): void {
    // After a put given up at a stop, the lines read past the withdrawn batch were never sent: not done.
    if (this.parts.stopping.aborted) return;
    if (!file.holding && file.batch.length === 0) file.tracker.skipTo(file.reader.pendingStart);
  }
}
