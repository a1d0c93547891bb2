/**
 * Sizes of Kafka records as a broker counts them against max.message.bytes, and the pure
 * decisions built on them: which records go into one produce request, and what becomes of a
 * record too large for any request. No I/O here (the sink and its tests use these directly).
 */
import type { OversizePolicy } from './kafka-config.ts';
import { headerText } from './kafkajs-fast.ts';

/**
 * A record batch's bytes besides its records (v2: FirstOffset, Length, PartitionLeaderEpoch,
 * Magic, CRC, Attributes, LastOffsetDelta, First/MaxTimestamp, ProducerId, ProducerEpoch,
 * FirstSequence, record count). The broker compares this plus the records with max.message.bytes.
 */
export const RECORD_BATCH_OVERHEAD = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

/**
 * A record's framing at most, besides its key, value and header bytes: Length (varint, 5),
 * Attributes (1), TimestampDelta (varlong, 10), OffsetDelta (5), key and value lengths (5 each),
 * header count (5). Upper bounds, so that a size computed here is never below the encoded one.
 */
const RECORD_FRAMING = 5 + 1 + 10 + 5 + 5 + 5 + 5;
/** Per header: the name's and the value's length varints. */
const HEADER_FRAMING = 5 + 5;

/** What a record is made of, as far as its size goes. */
export interface RecordShape {
  key: string | undefined;
  value: Buffer;
  headers: Readonly<Record<string, string>>;
}

/** Bytes of a record besides its value: framing, key and headers (an upper bound). */
export function recordOverhead({ key, headers }: Omit<RecordShape, 'value'>): number {
  // The encoder's cache of header bytes: every record of a pod carries the same few, and
  // measuring them again per record (Buffer.byteLength) cost ~4x the lookups.
  let bytes = RECORD_FRAMING + (key === undefined ? 0 : headerText(key).length);
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    bytes += HEADER_FRAMING + headerText(name).length + headerText(headers[name] ?? '').length;
  }
  return bytes;
}

/** Bytes of the record in a record batch (an upper bound). */
export function recordBytes(record: RecordShape): number {
  return recordOverhead(record) + record.value.length;
}

/**
 * Cuts `items` (in order) into runs whose sizes plus a record batch's overhead stay within
 * `limitBytes`, so that each run fits one record batch, whichever partitions its records go to.
 * An item larger than the limit by itself gets a run of its own (the caller fits it first).
 */
export function splitBySize<T>(items: readonly T[], sizeOf: (item: T) => number, limitBytes: number): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = RECORD_BATCH_OVERHEAD;
  for (const item of items) {
    const size = sizeOf(item);
    if (run.length > 0 && bytes + size > limitBytes) {
      runs.push(run);
      run = [];
      bytes = RECORD_BATCH_OVERHEAD;
    }
    run.push(item);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** Bytes of one record batch holding `sizes`' records. */
export function batchBytes(sizes: Iterable<number>): number {
  let bytes = RECORD_BATCH_OVERHEAD;
  for (const size of sizes) bytes += size;
  return bytes;
}

/** A piece of a payload and its encoding, the value sent. */
export interface FittedPiece {
  piece: Buffer;
  value: Buffer;
}

/**
 * The values a record of `overhead` bytes besides its value `encode(payload)` is sent as, so that
 * each fits a record batch of `limitBytes` alone: the value itself when it fits; else as `policy`
 * says: the head of the payload (truncate), nothing (skip), or all of it in consecutive pieces
 * (split). The payload is cut, never the encoding around it (an envelope around the line), so
 * every value is whole; cuts fall on UTF-8 character boundaries where the bytes are UTF-8, and a
 * piece whose encoding is larger than its bytes (escapes) is cut shorter until it fits. Nothing
 * when not even one character fits. Each value comes with its piece, which a smaller limit learned
 * later fits again. For the raw format `encode` is the identity.
 */
export function fitEncoded(payload: Buffer, encode: (piece: Buffer) => Buffer, overhead: number, limitBytes: number, policy: OversizePolicy): FittedPiece[] {
  const room = limitBytes - RECORD_BATCH_OVERHEAD - overhead;
  const whole = encode(payload);
  if (whole.length <= room) return [{ piece: payload, value: whole }];
  if (policy === 'skip') return [];
  const framing = encode(payload.subarray(0, 0)).length;
  const values: FittedPiece[] = [];
  let start = 0;
  while (start < payload.length) {
    const rest = payload.subarray(start);
    let budget = room - framing;
    let value: FittedPiece | undefined;
    let end = 0;
    while (budget > 0) {
      end = budget >= rest.length ? rest.length : utf8Boundary(rest, budget);
      const piece = rest.subarray(0, end);
      const encoded = encode(piece);
      if (encoded.length <= room) {
        value = { piece, value: encoded };
        break;
      }
      // Shorter by the share that did not fit (escapes make some bytes longer than others), and by one at least.
      budget = Math.min(end - 1, Math.floor((end * (room - framing)) / (encoded.length - framing)));
    }
    if (value === undefined) return values;
    values.push(value);
    if (policy === 'truncate') return values;
    start += end;
  }
  return values;
}

/**
 * The largest cut at or before `at` that does not split a UTF-8 character (at most 3 bytes back;
 * bytes that are not UTF-8 are cut at `at`). Never 0, so that a cut always makes progress.
 */
export function utf8Boundary(bytes: Buffer, at: number): number {
  for (let cut = at; cut >= Math.max(1, at - 3); cut--) {
    if (((bytes[cut] ?? 0) & 0xc0) !== 0x80) return cut;
  }
  return at;
}

/** Kafka's errors for a produce request whose record batch is over the broker's limits. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const TOO_LARGE_CODES = new Set([10, 18]);

/** Whether `error` (or what it wraps: kafkajs nests the broker's error in `cause` / `originalError`) says the batch is too large. */
export function isTooLarge(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { type, code, cause, originalError, errors } = error as { type?: unknown; code?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
  if ((typeof type === 'string' && TOO_LARGE.has(type)) || (typeof code === 'number' && TOO_LARGE_CODES.has(code))) return true;
  if (Array.isArray(errors) && errors.some((inner) => isTooLarge(inner, depth + 1))) return true;
  return (cause !== error && isTooLarge(cause, depth + 1)) || (originalError !== error && isTooLarge(originalError, depth + 1));
}
