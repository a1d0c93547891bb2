/**
 * Replaces internals of kafkajs 2.2.4 that dominate the agent's CPU and garbage when it
 * produces large batches (profile of the throughput benchmark, 2,000-record batches):
 *  - producer/groupMessagesPerPartition copies the partition's array for every message
 *    (`[...current, message]`), which is quadratic in the batch size: 32% of the agent's CPU;
 *  - recordBatch/record/v0 encodes each record into a zero-filled 512-byte Buffer plus one
 *    small Buffer per varint (18% of the CPU, and most of the short-lived garbage);
 *  - recordBatch/crc32C checksums a byte at a time (17% once the two above are gone): here in
 *    hardware through @node-rs/crc32 (SSE 4.2 / ARMv8 CRC, ~8 GB/s) where its prebuilt binary
 *    exists, else eight bytes at a time in JS (slice-by-8, ~1.7 GB/s), same CRC-32C;
 *  - Encoder grows its buffer with zero-filled Buffer.alloc although it overwrites every byte
 *    it hands out (it exposes only buf[0, offset)): here Buffer.allocUnsafe;
 *  - the uncompressed Produce request (v3, which v4-v7 extend) is built in 7 nested Encoders,
 *    each growing by doubling and copying the whole batch again (~5 MB of short-lived buffers per
 *    400 KB batch, the main cause of the agent's peak RSS): here the records are written straight
 *    into one exact-size buffer, after room left for the request frame (protocol/request.js).
 * The replacements produce the same bytes (test/unit/sidecar/kafkajs-fast.test.ts) and hand
 * anything unusual (non-string header values, 64-bit timestamp deltas, timestamps that are not
 * epoch milliseconds on some records or all) to the original.
 * producer/sendMessages is replaced for correctness, not speed: see kafkajs-send.ts.
 *
 * kafkajs binds these modules with `require` when it loads, so this must run first: import it
 * before 'kafkajs'. Another kafkajs version, or kafkajs loaded earlier, leaves kafkajs untouched.
 */
import { createRequire, Module } from 'node:module';
import { patchableKafkajsRoot } from './kafkajs-root.ts';
import { createSendMessages } from './kafkajs-send.ts';

const require = createRequire(import.meta.url);


interface EncoderInstance {
  buf: Buffer;
  offset: number;
}

interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
}

type RecordEncoder = (record: RecordInput) => EncoderInstance;

interface GroupInput {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly unknown[];
  partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: unknown }) => number;
}

/** Whether kafkajs runs with the replacements (false: another version, or it was loaded first). */
export const kafkajsPatched = install();

function install(): boolean {
  const root = patchableKafkajsRoot();
  if (root === undefined) return false;
  const sendMessages = `${root}src/producer/sendMessages.js`;
  const produceRequest = `${root}src/protocol/requests/produce/v3/request.js`;
  if (require.cache[sendMessages] !== undefined || require.cache[produceRequest] !== undefined) return false;

  const Encoder = require(`${root}src/protocol/encoder.js`) as { prototype: EncoderInstance & { ensureAvailable(length: number): void } };
  const originalRecord = require(`${root}src/protocol/recordBatch/record/v0/index.js`) as RecordEncoder;
  // Also the only user of groupMessagesPerPartition: the linear version below is called directly.
  replace(sendMessages, createSendMessages(root, groupMessagesPerPartition));
  replace(`${root}src/protocol/recordBatch/record/v0/index.js`, recordEncoder(Encoder.prototype, originalRecord));
  replace(`${root}src/protocol/recordBatch/crc32C/index.js`, crc32c);
  const Long = require(`${root}src/utils/long.js`) as LongClass;
  const originalProduce = require(produceRequest) as ProduceRequestFactory;
  replace(produceRequest, produceRequestV3(Encoder.prototype, Long, originalProduce));
  replace(`${root}src/protocol/request.js`, requestFrame(Encoder.prototype));
  Encoder.prototype.ensureAvailable = function ensureAvailable(this: EncoderInstance, length: number): void {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(2 ** (32 - Math.clz32(this.offset + length)));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  return true;
}

function replace(file: string, exports: unknown): void {
  const module = new Module(file);
  module.filename = file;
  module.loaded = true;
  module.exports = exports;
  require.cache[file] = module;
}

/** Same result as kafkajs's: { [partition]: messages in order }, in linear time. */
export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: GroupInput): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list === undefined) result[partition] = [message];
    else list.push(message);
  }
  return result;
}

/**
 * A Kafka v2 record (Length, Attributes, TimestampDelta, OffsetDelta, Key, Value, Headers) written
 * once into a Buffer of exactly its size (taken from Node's pool when small), wrapped as a kafkajs Encoder.
 */
export function recordEncoder(encoderPrototype: object, fallback: RecordEncoder): RecordEncoder {
  return (record) => {
    const { offsetDelta = 0, timestampDelta = 0, key, value, headers } = record;
    if (!isInt32(offsetDelta) || !isInt32(timestampDelta)) return fallback(record);
    const keyBytes = bytesOf(key);
    const valueBytes = bytesOf(value);
    if (keyBytes === false || valueBytes === false) return fallback(record);
    let headerCount = 0;
    const headerParts: Buffer[] = [];
    if (headers !== undefined) {
      for (const name in headers) {
        if (!Object.hasOwn(headers, name)) continue;
        const headerValue = headers[name];
        if (typeof headerValue !== 'string' && !Buffer.isBuffer(headerValue)) return fallback(record);
        headerParts.push(headerText(name), typeof headerValue === 'string' ? headerText(headerValue) : headerValue);
        headerCount++;
      }
    }
    let body = 1 + varIntSize(timestampDelta) + varIntSize(offsetDelta) + bytesSize(keyBytes) + bytesSize(valueBytes) + varIntSize(headerCount);
    for (const part of headerParts) body += varIntSize(part.length) + part.length;
    const total = varIntSize(body) + body;
    const buf = Buffer.allocUnsafe(total);
    let at = writeVarInt(buf, 0, body);
    buf[at++] = 0; // attributes
    at = writeVarInt(buf, at, timestampDelta);
    at = writeVarInt(buf, at, offsetDelta);
    at = writeBytes(buf, at, keyBytes);
    at = writeBytes(buf, at, valueBytes);
    at = writeVarInt(buf, at, headerCount);
    for (const part of headerParts) at = writeBytes(buf, at, part);
    const encoder = Object.create(encoderPrototype) as EncoderInstance;
    encoder.buf = buf;
    encoder.offset = at;
    return encoder;
  };
}

function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff;
}

/** null for a null record part, false when the fallback must handle it (kafkajs writes String(value)). */
function bytesOf(value: unknown): Buffer | null | false {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return false;
}

function bytesSize(bytes: Buffer | null): number {
  return bytes === null ? 1 : varIntSize(bytes.length) + bytes.length;
}

function zigZag(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function varIntSize(value: number): number {
  let encoded = zigZag(value);
  let size = 1;
  while (encoded >= 0x80) {
    encoded >>>= 7;
    size++;
  }
  return size;
}

function writeVarInt(buf: Buffer, at: number, value: number): number {
  let encoded = zigZag(value);
  while (encoded >= 0x80) {
    buf[at++] = (encoded & 0x7f) | 0x80;
    encoded >>>= 7;
  }
  buf[at++] = encoded;
  return at;
}

function writeBytes(buf: Buffer, at: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarInt(buf, at, -1);
  at = writeVarInt(buf, at, bytes.length);
  bytes.copy(buf, at);
  return at + bytes.length;
}

/**
 * CRC-32C in native code: @node-rs/crc32 ships prebuilt binaries per platform as
 * optional packages, so a platform without one (or an install that omits optional packages)
 * gets the JS version below.
 */
const nativeCrc32c = loadNativeCrc32c();
export const crc32cInHardware = nativeCrc32c !== undefined;

function loadNativeCrc32c(): ((input: Buffer) => number) | undefined {
  try {
    return (require('@node-rs/crc32') as { crc32c: (input: Buffer) => number }).crc32c;
  } catch {
    return undefined;
  }
}

/** CRC-32C of `buffer` as an unsigned 32-bit number, as kafkajs's recordBatch/crc32C returns it. */
export function crc32c(buffer: Buffer): number {
  return nativeCrc32c === undefined ? crc32cJs(buffer) : nativeCrc32c(buffer) >>> 0;
}

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) lookup tables for slice-by-8. */
const CRC_TABLES = ((): Int32Array => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) {
      const previous = tables[(t - 1) * 256 + n] ?? 0;
      tables[t * 256 + n] = (previous >>> 8) ^ (tables[previous & 0xff] ?? 0);
    }
  }
  return tables;
})();

/** The same CRC-32C in JS, slice-by-8. */
export function crc32cJs(buffer: Uint8Array): number {
  const t = CRC_TABLES;
  let crc = -1;
  let i = 0;
  const end8 = buffer.length - (buffer.length % 8);
  for (; i < end8; i += 8) {
    const lo = crc ^ ((buffer[i] ?? 0) | ((buffer[i + 1] ?? 0) << 8) | ((buffer[i + 2] ?? 0) << 16) | ((buffer[i + 3] ?? 0) << 24));
    const hi = (buffer[i + 4] ?? 0) | ((buffer[i + 5] ?? 0) << 8) | ((buffer[i + 6] ?? 0) << 16) | ((buffer[i + 7] ?? 0) << 24);
    crc = (t[1792 + (lo & 0xff)] ?? 0) ^ (t[1536 + ((lo >>> 8) & 0xff)] ?? 0) ^ (t[1280 + ((lo >>> 16) & 0xff)] ?? 0) ^ (t[1024 + (lo >>> 24)] ?? 0)
      ^ (t[768 + (hi & 0xff)] ?? 0) ^ (t[512 + ((hi >>> 8) & 0xff)] ?? 0) ^ (t[256 + ((hi >>> 16) & 0xff)] ?? 0) ^ (t[hi >>> 24] ?? 0);
  }
  for (; i < buffer.length; i++) crc = (t[(crc ^ (buffer[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * Set on every message of one sendBatch (as the property `[WRITTEN]`) to learn when all of them
 * are in Produce requests on their way to the brokers. kafkajs does not keep the order of
 * concurrent sendBatch calls (a lock's hand-over lets the second overtake the first): a caller
 * that keeps batches in flight starts the next one only then, so partitions stay in order.
 */
export const WRITTEN = Symbol('logshipper.written');

/** The tracker of a partition's messages, all from one sendBatch; none when nobody asked. */
function trackerOf(messages: readonly ProduceMessage[]): WrittenTracker | undefined {
  const first: ProduceMessage | undefined = messages[0];
  return first?.[WRITTEN];
}

export class WrittenTracker {
  private remaining = Number.POSITIVE_INFINITY;
  private readonly onWritten: () => void;

  constructor(onWritten: () => void) {
    this.onWritten = onWritten;
  }

  /** How many messages carry this tracker (set once they are built). */
  expect(messages: number): void {
    this.remaining = messages;
    if (messages === 0) this.onWritten();
  }

  framed(messages: number): void {
    if (this.remaining <= 0) return; // a retry frames the same messages again
    this.remaining -= messages;
    // kafkajs writes a framed request to its connection in the same turn (or queues it behind
    // earlier ones): by the next turn it is ahead of anything sent after.
    if (this.remaining <= 0) setImmediate(this.onWritten);
  }
}

interface LongValue {
  getHighBits(): number;
  getLowBits(): number;
}
interface LongClass {
  fromValue(value: unknown): LongValue;
}
interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
  timestamp?: unknown;
  [WRITTEN]?: WrittenTracker;
}
interface ProducePartition {
  partition: number;
  messages: ProduceMessage[];
  firstSequence?: number;
}
interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: { topic: string; partitions: ProducePartition[] }[];
}
interface FrameArgs {
  correlationId: number;
  clientId?: string | null;
  request: KafkaRequest;
}
interface KafkaRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<EncoderInstance & { buffer: Buffer }>;
  /** Ours (Produce): the body written `headroom` bytes into a buffer, for the frame to fill the start; undefined when unsupported. */
  encodeAfter?(headroom: number): EncoderInstance | undefined;
  /** Ours (Produce): the request is framed and goes to its connection in this turn. */
  framed?(): void;
}
type ProduceRequestFactory = (args: ProduceArgs) => KafkaRequest;

/** A record's parts as bytes, measured once, written once. */
interface RecordParts {
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Buffer[];
  /** Size after the length prefix. */
  body: number;
}

const NO_HEADERS: Buffer[] = [];
const EMPTY_RECORD: RecordParts = { timestampDelta: 0, key: null, value: null, headers: NO_HEADERS, body: 0 };

/**
 * UTF-8 bytes of a header name or value. Every record of a pod carries the same few (pod name,
 * namespace, file path...): converted once, not once per record (5 headers made encoding ~7x
 * slower). Bounded: short strings only, and the cache starts over when full.
 */
const headerBytes = new Map<string, Buffer>();
const HEADER_CACHE_ENTRIES = 4096;
const HEADER_CACHE_MAX_LENGTH = 256;

export function headerText(text: string): Buffer {
  const cached = headerBytes.get(text);
  if (cached !== undefined) return cached;
  const bytes = Buffer.from(text, 'utf8');
  if (text.length <= HEADER_CACHE_MAX_LENGTH) {
    if (headerBytes.size >= HEADER_CACHE_ENTRIES) headerBytes.clear();
    headerBytes.set(text, bytes);
  }
  return bytes;
}

function recordParts(message: ProduceMessage, offsetDelta: number, timestampDelta: number): RecordParts | undefined {
  const key = bytesOf(message.key);
  const value = bytesOf(message.value);
  if (key === false || value === false) return undefined;
  let headers = NO_HEADERS;
  if (message.headers !== undefined) {
    for (const name in message.headers) {
      if (!Object.hasOwn(message.headers, name)) continue;
      const headerValue = message.headers[name];
      if (typeof headerValue !== 'string' && !Buffer.isBuffer(headerValue)) return undefined;
      if (headers === NO_HEADERS) headers = [];
      headers.push(headerText(name), typeof headerValue === 'string' ? headerText(headerValue) : headerValue);
    }
  }
  let body = 1 + varIntSize(timestampDelta) + varIntSize(offsetDelta) + bytesSize(key) + bytesSize(value) + varIntSize(headers.length / 2);
  for (const part of headers) body += varIntSize(part.length) + part.length;
  return { timestampDelta, key, value, headers, body };
}

/**
 * Epoch milliseconds with 13 digits (2001 to 2286): kafkajs sorts the timestamps of a batch as
 * text (Array.prototype.sort), which is their numeric order only when they have as many digits.
 */
const MIN_TIMESTAMP = 1e12;
const MAX_TIMESTAMP = 1e13;

/**
 * A record batch's FirstTimestamp (the smallest record timestamp; each record's delta is taken
 * from it) and MaxTimestamp, as kafkajs computes them: `now` when no message has a timestamp.
 * Undefined when only kafkajs's encoder gives its bytes: timestamps on some messages only (it
 * stamps the others with its clock), not numbers of epoch milliseconds, or 24 days apart.
 */
function batchTimestamps(messages: readonly ProduceMessage[], now: number): { first: number; max: number } | undefined {
  let first = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let stamped = 0;
  for (let i = 0; i < messages.length; i++) {
    const timestamp = messages[i]?.timestamp;
    if (timestamp === undefined || timestamp === null) continue;
    if (typeof timestamp !== 'number' || !Number.isInteger(timestamp) || timestamp < MIN_TIMESTAMP || timestamp >= MAX_TIMESTAMP) return undefined;
    stamped++;
    if (timestamp < first) first = timestamp;
    if (timestamp > max) max = timestamp;
  }
  if (stamped === 0) return { first: now, max: now };
  if (stamped !== messages.length || !isInt32(max - first)) return undefined;
  return { first, max };
}

/** Record batch header bytes from FirstOffset to the record count, inclusive. */
const RECORD_BATCH_HEADER = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

/**
 * kafkajs's Produce v3 request, same bytes: for uncompressed batches whose records all have a
 * timestamp (epoch ms), or none has, the whole request body is written into one buffer;
 * anything else goes to the original.
 */
export function produceRequestV3(encoderPrototype: object, Long: LongClass, original: ProduceRequestFactory): ProduceRequestFactory {
  return (args) => {
    const request = original(args);
    const compressed = (args.compression ?? 0) !== 0;
    return {
      ...request,
      encode: async () => {
        const encoded = compressed ? undefined : encodeProduce(encoderPrototype, Long, args, 0);
        return encoded ?? request.encode();
      },
      encodeAfter: (headroom: number) => (compressed ? undefined : encodeProduce(encoderPrototype, Long, args, headroom)),
      framed: () => {
        for (const { partitions } of args.topicData) {
          for (const { messages } of partitions) trackerOf(messages)?.framed(messages.length);
        }
      },
    };
  };
}


/** The request body at `headroom` bytes into its buffer (the bytes before are left for the caller). */
function encodeProduce(encoderPrototype: object, Long: LongClass, args: ProduceArgs, headroom: number): (EncoderInstance & { buffer: Buffer }) | undefined {
  const { acks, timeout, transactionalId = null, producerEpoch = 0, topicData } = args;
  const producerId = Long.fromValue(args.producerId ?? -1);
  const topicNames = topicData.map((data) => Buffer.from(data.topic, 'utf8'));
  const transactional = transactionalId === null ? null : Buffer.from(transactionalId, 'utf8');
  const parts: RecordParts[][][] = [];
  const times: { first: number; max: number }[][] = [];
  const now = Date.now();
  let size = headroom + 2 + (transactional?.length ?? 0) + 2 + 4 + 4;
  for (const [t, data] of topicData.entries()) {
    size += 2 + (topicNames[t]?.length ?? 0) + 4;
    const topicParts: RecordParts[][] = [];
    const topicTimes: { first: number; max: number }[] = [];
    for (const { messages } of data.partitions) {
      const records: RecordParts[] = [];
      const batchTimes = batchTimestamps(messages, now);
      if (batchTimes === undefined) return undefined;
      size += 4 + 4 + RECORD_BATCH_HEADER;
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i] ?? {};
        const record = recordParts(message, i, typeof message.timestamp === 'number' ? message.timestamp - batchTimes.first : 0);
        if (record === undefined) return undefined;
        records.push(record);
        size += varIntSize(record.body) + record.body;
      }
      topicParts.push(records);
      topicTimes.push(batchTimes);
    }
    parts.push(topicParts);
    times.push(topicTimes);
  }

  const buf = Buffer.allocUnsafe(size);
  let at = writeString(buf, headroom, transactional);
  at = buf.writeInt16BE(acks, at);
  at = buf.writeInt32BE(timeout, at);
  at = buf.writeInt32BE(topicData.length, at);
  for (const [t, data] of topicData.entries()) {
    at = writeString(buf, at, topicNames[t] ?? null);
    at = buf.writeInt32BE(data.partitions.length, at);
    for (const [p, { partition, firstSequence = 0 }] of data.partitions.entries()) {
      const records = parts[t]?.[p] ?? [];
      const { first, max } = times[t]?.[p] ?? { first: now, max: now };
      at = buf.writeInt32BE(partition, at);
      const sizeAt = at;
      at += 4;
      const batchStart = at;
      at = writeInt64(buf, at, 0, 0); // FirstOffset
      const lengthAt = at;
      at += 4;
      at = buf.writeInt32BE(0, at); // PartitionLeaderEpoch
      at = buf.writeInt8(2, at); // Magic
      const crcAt = at;
      at += 4;
      const crcFrom = at;
      at = buf.writeInt16BE(transactional === null ? 0 : 16, at); // Attributes: no compression, create time
      at = buf.writeInt32BE(records.length - 1, at); // LastOffsetDelta
      at = writeInt64(buf, at, Math.floor(first / 2 ** 32), first >>> 0); // FirstTimestamp
      at = writeInt64(buf, at, Math.floor(max / 2 ** 32), max >>> 0); // MaxTimestamp
      at = writeInt64(buf, at, producerId.getHighBits(), producerId.getLowBits());
      at = buf.writeInt16BE(producerEpoch, at);
      at = buf.writeInt32BE(firstSequence, at);
      at = buf.writeInt32BE(records.length, at);
      for (let i = 0; i < records.length; i++) {
        const record = records[i] ?? EMPTY_RECORD;
        at = writeVarInt(buf, at, record.body);
        buf[at++] = 0; // attributes
        at = writeVarInt(buf, at, record.timestampDelta);
        at = writeVarInt(buf, at, i); // offsetDelta
        at = writeBytes(buf, at, record.key);
        at = writeBytes(buf, at, record.value);
        at = writeVarInt(buf, at, record.headers.length / 2);
        for (const part of record.headers) at = writeBytes(buf, at, part);
      }
      buf.writeInt32BE(at - batchStart, sizeAt);
      buf.writeInt32BE(at - lengthAt - 4, lengthAt);
      buf.writeUInt32BE(crc32c(buf.subarray(crcFrom, at)), crcAt);
    }
  }
  return wrap(encoderPrototype, buf, at);
}

function writeString(buf: Buffer, at: number, bytes: Buffer | null): number {
  if (bytes === null) return buf.writeInt16BE(-1, at);
  at = buf.writeInt16BE(bytes.length, at);
  bytes.copy(buf, at);
  return at + bytes.length;
}

function writeInt64(buf: Buffer, at: number, high: number, low: number): number {
  at = buf.writeInt32BE(high | 0, at);
  return buf.writeInt32BE(low | 0, at);
}

function wrap(encoderPrototype: object, buf: Buffer, offset: number): EncoderInstance & { buffer: Buffer } {
  const encoder = Object.create(encoderPrototype) as EncoderInstance & { buffer: Buffer };
  encoder.buf = buf;
  encoder.offset = offset;
  return encoder;
}

/**
 * kafkajs's protocol/request.js: Size, ApiKey, ApiVersion, CorrelationId, ClientId, then the
 * request body, in one buffer. A Produce body is written after room left for this header, so
 * that the batch is not copied once more (400 KB per 2,000-line batch).
 */
export function requestFrame(encoderPrototype: object): (args: FrameArgs) => Promise<EncoderInstance & { buffer: Buffer }> {
  return async ({ correlationId, clientId, request }) => {
    const client = clientId === null || clientId === undefined ? null : Buffer.from(clientId, 'utf8');
    const header = 4 + 2 + 2 + 4 + 2 + (client?.length ?? 0);
    const writeHeader = (buf: Buffer, end: number): void => {
      let at = buf.writeInt32BE(end - 4, 0);
      at = buf.writeInt16BE(request.apiKey, at);
      at = buf.writeInt16BE(request.apiVersion, at);
      at = buf.writeInt32BE(correlationId, at);
      writeString(buf, at, client);
    };
    const framed = request.encodeAfter?.(header);
    if (framed !== undefined) {
      writeHeader(framed.buf, framed.offset);
      request.framed?.();
      return wrap(encoderPrototype, framed.buf, framed.offset);
    }
    const payload = (await request.encode()).buffer;
    const buf = Buffer.allocUnsafe(header + payload.length);
    writeHeader(buf, buf.length);
    payload.copy(buf, header);
    request.framed?.();
    return wrap(encoderPrototype, buf, buf.length);
  };
}
