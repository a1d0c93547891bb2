/**
 * An event, as in Flume: an opaque body plus string headers.
 * The body stays a Buffer from the read to the Kafka record; text is decoded only where
 * an encoding must be applied or a header needs it.
 */
import type { Template } from './template.ts';

export interface Event {
  body: Buffer;
  headers: Record<string, string>;
  /**
   * When the source read the event, epoch ms: the Kafka record's timestamp, so that a backlog
   * delivered after an outage keeps the times its lines were read. One clock reading per read
   * (a chunk of a file or a stream, a batch), shared by its events.
   */
  timestamp?: number;
  /**
   * The Kafka topic of the event's file group (TAILDIR `filegroups.<g>.topic`), a `%{header}`
   * template the Kafka sink renders; shared by the group's events. Not a header: it cannot be
   * set or forged by a header, and is not shipped as one.
   */
  topic?: Template;
  /**
   * Set by durable sources (files): told when the event is delivered, so the source can
   * advance its checkpoint only over delivered events (end-to-end acknowledgement).
   * Shared by all events of one source batch: one object per batch, not per event.
   */
  receipt?: Receipt;
}

/**
 * Counts the deliveries a batch still waits for. The channel settles a receipt when the sink
 * commits the take transaction holding its events, i.e. once Kafka acknowledged them.
 */
export class Receipt {
  private outstanding: number;
  private readonly onSettled: () => void;

  constructor(events: number, onSettled: () => void) {
    this.outstanding = events;
    this.onSettled = onSettled;
  }

  get settled(): boolean {
    return this.outstanding === 0;
  }

  /** More deliveries to wait for: copies of the events put into further channels. */
  expect(deliveries: number): void {
    this.outstanding += deliveries;
  }

  /** `deliveries` of the batch's events were delivered. */
  delivered(deliveries: number): void {
    this.outstanding -= deliveries;
    if (this.outstanding === 0) this.onSettled();
  }
}

/** A copy for another channel: its own headers (a sink may change them), the same body, read time, topic and receipt. */
export function copyEvent(event: Event): Event {
  const copy: Event = { body: event.body, headers: { ...event.headers } };
  if (event.timestamp !== undefined) copy.timestamp = event.timestamp;
  if (event.topic !== undefined) copy.topic = event.topic;
  if (event.receipt !== undefined) copy.receipt = event.receipt;
  return copy;
}

/** Bytes an event holds in a channel (byteCapacity): the body plus its header text. */
export function eventSize(event: Event): number {
  let size = event.body.length;
  for (const key in event.headers) size += key.length + (event.headers[key]?.length ?? 0);
  return size;
}

/** Settles the receipts of delivered events, one call per run of events sharing a receipt. */
export function settleReceipts(events: readonly Event[]): void {
  let current: Receipt | undefined;
  let count = 0;
  for (const { receipt } of events) {
    if (receipt === current) {
      count++;
      continue;
    }
    current?.delivered(count);
    current = receipt;
    count = 1;
  }
  current?.delivered(count);
}

/** Whether two events' headers are the same names and values (encoders keep what they encoded for the last ones). */
export function sameHeaders(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  let count = 0;
  for (const name in b) {
    if (a[name] !== b[name]) return false;
    count++;
  }
  for (const name in a) if (Object.hasOwn(a, name)) count--;
  return count === 0;
}
