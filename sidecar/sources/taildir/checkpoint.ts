/** One batch of a file waiting for delivery: the offset just past its last line. */
interface Slot {
  end: number;
  settled: boolean;
}

/**
 * A file's committed offset under end-to-end acknowledgement. Batches are registered in read
 * order; they may be delivered in any order (several channels, sinks, retries), and the
 * committed offset advances only over a contiguous prefix of delivered batches. So a position
 * written from `committed` never skips a line that Kafka has not acknowledged.
 */
export class CheckpointTracker {
  private slots: Slot[] = [];
  private head = 0;
  private last: number;
  /** Every byte before this offset is delivered (or was never to be delivered). */
  committed: number;

  constructor(committed: number) {
    this.committed = committed;
    this.last = committed;
  }

  /** Batches registered and not yet part of the committed prefix. */
  get outstanding(): number {
    return this.slots.length - this.head;
  }

  /** The offset past the last batch registered. */
  get registered(): number {
    return this.last;
  }

  /** Registers the next batch, ending at `end`; returns what to call once it is delivered. */
  add(end: number): () => void {
    if (end < this.last) throw new Error(`checkpoint offsets must not go back: ${end} after ${this.last}`);
    this.last = end;
    const slot: Slot = { end, settled: false };
    this.slots.push(slot);
    return () => {
      if (slot.settled) return;
      slot.settled = true;
      this.advance();
    };
  }

  /**
   * Takes back the last batch registered, whose put was given up (a stop or a reload): it is never
   * settled, and `registered` (where a successor resumes reading) is again where it was before it.
   */
  withdrawLast(): void {
    if (this.slots.length <= this.head) return;
    this.slots.pop();
    this.last = this.slots.length > this.head ? (this.slots.at(-1)?.end ?? this.committed) : this.committed;
  }

  /** Moves past bytes that produce no event (e.g. the newline of a line emitted early), in order. */
  skipTo(end: number): void {
    if (end <= this.last) return;
    this.add(end)();
  }

  private advance(): void {
    while (this.head < this.slots.length) {
      const slot = this.slots[this.head];
      if (slot === undefined || !slot.settled) break;
      this.committed = slot.end;
      this.head++;
    }
    if (this.head === this.slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }
}
