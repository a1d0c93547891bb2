import { isAscii, isUtf8 } from 'node:buffer';

/** The encodings a file may be in; event bodies are always UTF-8. */
export type Encoding = 'utf8' | 'latin1' | 'utf16le';
/** What happens to a line longer than maxLineLength: cut into pieces, or cut and the rest dropped. */
export type LongLinePolicy = 'split' | 'truncate';

/** Called for each line: its bytes in the file's encoding (no newline, no `\r` before it), where it starts, and the offset just past it. */
export type OnLine = (raw: Buffer, start: number, end: number) => void;

export interface LineReaderOptions {
  encoding: Encoding;
  maxLineBytes: number;
  policy: LongLinePolicy;
  /** File offset of the first byte that will be pushed. */
  offset: number;
  /** Where long lines are counted (shared by the readers of a source). */
  counters?: { longLines: number };
  /** The line ending at `offset` was emitted by a timeout before its newline came (a reader taking over from another). */
  afterEarlyFlush?: boolean;
}

/**
 * Splits a file's or a stream's bytes into lines (every source that reads lines: TAILDIR, exec,
 * netcat) and knows the offset of every line end, so that a TAILDIR checkpoint can name the byte
 * just past the last line delivered. Lines are slices of the
 * chunks read (no decoding, no copy) unless they span chunks; the incomplete last line is
 * copied so that it does not pin a whole read buffer. Memory is bounded by maxLineBytes; a push
 * emits at most the chunk and what was held (split: many pieces), so callers bound what they
 * keep of it by bytes (BATCH_BYTES).
 *
 * UTF-16LE: the newline is the code unit 0A 00 at an even offset; callers push chunks that
 * start and end at even offsets.
 */
export class LineReader {
  private readonly unit: 1 | 2;
  private readonly encoding: Encoding;
  private readonly maxLineBytes: number;
  private readonly policy: LongLinePolicy;
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Offset where the held (incomplete) line starts; the checkpoint can never pass it. */
  private lineStart: number;
  /** Truncate policy: the rest of the current line is being dropped. */
  private discarding = false;
  /** The held line was emitted by a timeout: its remainder, if empty, is not a line of its own. */
  private flushedEarly = false;
  /** Lines cut at maxLineBytes (split into pieces or truncated) are counted in `longLines`. */
  readonly counters: { longLines: number };

  /** Offset just past the last chunk pushed. */
  private streamOffset: number;

  /** A reader for a stream (exec, netcat): UTF-8, long lines truncated, offsets counted from 0 and fed by pushNext. */
  static forStream(maxLineBytes: number): LineReader {
    return new LineReader({ encoding: 'utf8', maxLineBytes, policy: 'truncate', offset: 0 });
  }

  constructor(options: LineReaderOptions) {
    this.unit = options.encoding === 'utf16le' ? 2 : 1;
    this.encoding = options.encoding;
    this.maxLineBytes = options.maxLineBytes;
    this.policy = options.policy;
    this.lineStart = options.offset;
    this.streamOffset = options.offset;
    this.counters = options.counters ?? { longLines: 0 };
    this.flushedEarly = options.afterEarlyFlush ?? false;
  }

  /** Offset of the first byte not yet part of an emitted line. */
  get pendingStart(): number {
    return this.lineStart;
  }

  /** The last line was emitted by a timeout and its newline has not come yet: a bare newline at pendingStart is not a line. */
  get earlyFlushed(): boolean {
    return this.flushedEarly;
  }

  /** Bytes of the incomplete line held (or being dropped). */
  get holding(): boolean {
    return this.partBytes > 0 || this.discarding;
  }

  /** Pushes the bytes at file offset `offset` (right after the previous chunk). */
  push(chunk: Buffer, offset: number, onLine: OnLine): void {
    this.streamOffset = offset + chunk.length;
    let start = 0;
    for (;;) {
      const newline = this.findNewline(chunk, start);
      if (newline === -1) break;
      const end = offset + newline + this.unit;
      this.complete(chunk.subarray(start, newline), end, onLine);
      start = newline + this.unit;
    }
    if (start < chunk.length) this.append(chunk.subarray(start), onLine);
  }

  /** Pushes the bytes that follow the previous chunk (a stream, where nobody else counts offsets). */
  pushNext(chunk: Buffer, onLine: OnLine): void {
    this.push(chunk, this.streamOffset, onLine);
  }

  /** Emits the held incomplete line now (its newline is late); false when there is none. */
  flushPartial(onLine: OnLine): boolean {
    if (this.partBytes === 0) return false;
    const line = this.take();
    const start = this.lineStart;
    this.lineStart += this.partBytes;
    this.parts = [];
    this.partBytes = 0;
    this.flushedEarly = true;
    onLine(line, start, this.lineStart);
    return true;
  }

  private findNewline(chunk: Buffer, from: number): number {
    if (this.unit === 1) return chunk.indexOf(10, from);
    for (let i = chunk.indexOf(10, from); i !== -1; i = chunk.indexOf(10, i + 1)) {
      if (i % 2 === 0 && chunk[i + 1] === 0) return i;
    }
    return -1;
  }

  private complete(tail: Buffer, end: number, onLine: OnLine): void {
    const early = this.flushedEarly;
    this.flushedEarly = false;
    if (!this.discarding && this.partBytes === 0 && tail.length <= this.maxLineBytes) {
      const start = this.lineStart;
      this.lineStart = end;
      // The line was already emitted by its timeout; a bare newline after it is not another line.
      if (early && tail.length === 0) return;
      onLine(this.stripCr(tail), start, end);
      return;
    }
    // A line that spans chunks, is long, or is being dropped: through the bounded holding area.
    this.append(tail, onLine);
    const start = this.lineStart;
    const empty = this.partBytes === 0;
    const line = this.take();
    this.parts = [];
    this.partBytes = 0;
    this.discarding = false;
    this.lineStart = end;
    if (early && empty) return;
    onLine(this.stripCr(line), start, end);
  }

  /** Adds bytes of the current line, cutting it at maxLineBytes as the policy says. */
  private append(piece: Buffer, onLine: OnLine): void {
    if (this.discarding) return;
    while (this.partBytes + piece.length > this.maxLineBytes) {
      const room = this.maxLineBytes - this.partBytes;
      this.counters.longLines++;
      if (this.policy === 'truncate') {
        this.keep(piece.subarray(0, this.boundary(piece, room)));
        this.discarding = true;
        return;
      }
      const cut = this.boundary(piece, room);
      this.keep(piece.subarray(0, cut));
      const start = this.lineStart;
      this.lineStart += this.partBytes;
      const line = this.take();
      this.parts = [];
      this.partBytes = 0;
      onLine(line, start, this.lineStart);
      piece = piece.subarray(cut);
    }
    if (piece.length > 0) this.keep(piece);
  }

  /** A cut point at most `room` bytes into `piece` that does not split a character, when one is near. */
  private boundary(piece: Buffer, room: number): number {
    if (this.encoding !== 'utf8' || room >= piece.length) return room;
    let cut = room;
    // Back off over UTF-8 continuation bytes (10xxxxxx), at most 3, to the start of the character.
    while (cut > 0 && room - cut < 3 && ((piece[cut] ?? 0) & 0xc0) === 0x80) cut--;
    return cut === 0 && this.partBytes === 0 ? room : cut;
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    // Copy: a held piece would otherwise pin the whole read buffer in memory.
    this.parts.push(Buffer.from(piece));
    this.partBytes += piece.length;
  }

  private take(): Buffer {
    if (this.parts.length === 1) return this.parts[0] ?? Buffer.alloc(0);
    return Buffer.concat(this.parts, this.partBytes);
  }

  private stripCr(line: Buffer): Buffer {
    const n = line.length;
    if (this.unit === 1) return n > 0 && line[n - 1] === 13 ? line.subarray(0, n - 1) : line;
    return n > 1 && line[n - 2] === 13 && line[n - 1] === 0 ? line.subarray(0, n - 2) : line;
  }
}

const REPLACEMENT = Buffer.from('\uFFFD', 'utf8');

/** Decodes lines of a file's encoding into UTF-8 event bodies, counting what had to be replaced. */
export class LineDecoder {
  private readonly encoding: Encoding;
  /** Invalid byte sequences replaced by U+FFFD. */
  invalid = 0;

  constructor(encoding: Encoding) {
    this.encoding = encoding;
  }

  /** The UTF-8 body of a raw line; `start` tells whether it begins the file (a byte-order mark is dropped there). */
  decode(raw: Buffer, start: number): Buffer {
    switch (this.encoding) {
      case 'utf8': {
        if (start === 0 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) raw = raw.subarray(3);
        if (isUtf8(raw)) return raw;
        const text = raw.toString('utf8');
        // U+FFFD already in the file was not an invalid byte: count only the new ones.
        this.invalid += count(text, '\uFFFD') - countBytes(raw, REPLACEMENT);
        return Buffer.from(text, 'utf8');
      }
      case 'latin1':
        return isAscii(raw) ? raw : Buffer.from(raw.toString('latin1'), 'utf8');
      case 'utf16le': {
        if (start === 0 && raw[0] === 0xff && raw[1] === 0xfe) raw = raw.subarray(2);
        let text = raw.toString('utf16le');
        if (raw.length % 2 === 1) this.invalid++;
        if (!text.isWellFormed()) {
          const fixed = text.toWellFormed();
          this.invalid += count(fixed, '\uFFFD') - count(text, '\uFFFD');
          text = fixed;
        }
        return Buffer.from(text, 'utf8');
      }
    }
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n++;
  return n;
}

function countBytes(buffer: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = buffer.indexOf(needle); i !== -1; i = buffer.indexOf(needle, i + needle.length)) n++;
  return n;
}
