/**
 * Splits a byte stream into lines on `\n` (a `\r` before it is dropped, as Java's readLine does),
 * without decoding: line bodies are slices of the chunks read.
 * Lines longer than `maxLineBytes` are cut there; the rest of that line is discarded and counted.
 */
export class LineSplitter {
  private readonly maxLineBytes: number;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private discarding = false;
  /** Lines cut at maxLineBytes so far. */
  truncated = 0;

  constructor(maxLineBytes = Number.MAX_SAFE_INTEGER) {
    this.maxLineBytes = maxLineBytes;
  }

  /** Calls `onLine` for each line completed by `chunk`. */
  push(chunk: Buffer, onLine: (line: Buffer) => void): void {
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      const line = this.complete(chunk.subarray(start, newline));
      if (line !== undefined) onLine(line);
      start = newline + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** The incomplete last line, if there is one (e.g. when the stream ends without a newline). */
  flush(): Buffer | undefined {
    if (this.partialBytes === 0) {
      this.discarding = false;
      return undefined;
    }
    return this.complete(Buffer.alloc(0));
  }

  private keep(piece: Buffer): void {
    if (this.discarding) return;
    const room = this.maxLineBytes - this.partialBytes;
    if (piece.length > room) {
      piece = piece.subarray(0, room);
      this.discarding = true;
      this.truncated++;
    }
    if (piece.length === 0) return;
    // Copy: a kept piece would otherwise pin the whole read chunk in memory.
    this.partial.push(Buffer.from(piece));
    this.partialBytes += piece.length;
  }

  private complete(tail: Buffer): Buffer | undefined {
    let line: Buffer;
    if (this.partialBytes === 0 && !this.discarding) {
      line = tail;
      if (line.length > this.maxLineBytes) {
        line = line.subarray(0, this.maxLineBytes);
        this.truncated++;
      }
    } else {
      this.keep(tail);
      line = this.partial.length === 1 ? (this.partial[0] ?? Buffer.alloc(0)) : Buffer.concat(this.partial, this.partialBytes);
      this.partial = [];
      this.partialBytes = 0;
      this.discarding = false;
    }
    return line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
  }
}
