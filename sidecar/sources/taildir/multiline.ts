/**
 * Multiline events: several lines joined with `\n` into one event, e.g. a Java stack trace.
 * - `start` mode: a line matching the pattern begins a new event; other lines join the current one.
 * - `continuation` mode: a line matching the pattern joins the current event; others begin a new one.
 * An event is also closed at maxLines or maxBytes, and when no line arrived for flushTimeoutMs.
 */
export interface MultilineConfig {
  mode: 'start' | 'continuation';
  pattern: RegExp;
  maxLines: number;
  maxBytes: number;
  flushTimeoutMs: number;
}

/** Called with a joined event body (UTF-8), where its first line starts and the offset past its last line. */
export type OnGroup = (body: Buffer, start: number, end: number) => void;

const NEWLINE = Buffer.from('\n');

export class MultilineJoiner {
  private readonly config: MultilineConfig;
  private lines: Buffer[] = [];
  private bytes = 0;
  private start = 0;
  private end = 0;
  /** When the last line joined (ms), for the flush timeout. */
  lastLineAt = 0;
  /** Events closed by maxLines or maxBytes rather than by the pattern. */
  cut = 0;

  constructor(config: MultilineConfig) {
    this.config = config;
  }

  get holding(): boolean {
    return this.lines.length > 0;
  }

  /** Offset where the held event starts: the checkpoint cannot pass it until the event is emitted. */
  get pendingStart(): number | undefined {
    return this.lines.length > 0 ? this.start : undefined;
  }

  /** Deadline of the held event's flush timeout, on the clock of the `now` given to push() (monotonic ms). */
  get deadline(): number | undefined {
    return this.lines.length > 0 ? this.lastLineAt + this.config.flushTimeoutMs : undefined;
  }

  push(line: Buffer, start: number, end: number, now: number, onGroup: OnGroup): void {
    const { mode, pattern, maxLines, maxBytes } = this.config;
    const matches = pattern.test(line.toString('utf8'));
    const joins = mode === 'start' ? !matches : matches;
    if (this.lines.length > 0) {
      const full = this.lines.length >= maxLines || this.bytes + 1 + line.length > maxBytes;
      if (!joins || full) {
        if (joins) this.cut++;
        this.flush(onGroup);
      }
    }
    if (this.lines.length === 0) this.start = start;
    // Copied: a held line would otherwise pin its whole read buffer for as long as the event waits.
    this.lines.push(Buffer.from(line));
    this.bytes += (this.lines.length > 1 ? 1 : 0) + line.length;
    this.end = end;
    this.lastLineAt = now;
  }

  /** Emits the held event, if any. */
  flush(onGroup: OnGroup): void {
    if (this.lines.length === 0) return;
    let body: Buffer;
    if (this.lines.length === 1) {
      body = this.lines[0] ?? Buffer.alloc(0);
    } else {
      const pieces: Buffer[] = [];
      for (const [index, line] of this.lines.entries()) {
        if (index > 0) pieces.push(NEWLINE);
        pieces.push(line);
      }
      body = Buffer.concat(pieces, this.bytes);
    }
    const { start, end } = this;
    this.lines = [];
    this.bytes = 0;
    onGroup(body, start, end);
  }
}
