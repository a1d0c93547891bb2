/**
 * The `flume-event` record format, Flume's `useFlumeEventFormat = true`: the event as an Avro
 * `org.apache.flume.source.avro.AvroFlumeEvent` in Avro's binary encoding, with no container
 * header or schema id (what Flume's KafkaSink writes with its directBinaryEncoder, and what a
 * Flume KafkaSource/KafkaChannel with useFlumeEventFormat reads back):
 *
 *   record AvroFlumeEvent { map<string> headers; bytes body; }
 *
 * The map is one block (its count, then key/value strings) ended by a zero count, or a zero count
 * alone when empty; strings and bytes are a zigzag varint length then the bytes. The encoded
 * headers are kept while consecutive events carry the same ones.
 */
import { sameHeaders } from '../event.ts';

export class FlumeAvroEvent {
  private lastHeaders: Record<string, string> | undefined;
  private lastEncoded: Buffer = Buffer.alloc(0);

  /** The record value for an event with `headers` and `body`. */
  encode(headers: Record<string, string>, body: Buffer): Buffer {
    const map = this.headersFor(headers);
    const out = Buffer.allocUnsafe(map.length + varintBytes(body.length) + body.length);
    let at = map.copy(out, 0);
    at = writeLength(out, at, body.length);
    body.copy(out, at);
    return out;
  }

  private headersFor(headers: Record<string, string>): Buffer {
    if (this.lastHeaders !== undefined && sameHeaders(this.lastHeaders, headers)) return this.lastEncoded;
    this.lastHeaders = { ...headers };
    this.lastEncoded = encodeMap(headers);
    return this.lastEncoded;
  }
}

/** Avro's binary encoding of a map<string>. */
export function encodeMap(map: Record<string, string>): Buffer {
  const entries = Object.entries(map).map(([key, value]) => [Buffer.from(key, 'utf8'), Buffer.from(value, 'utf8')] as const);
  if (entries.length === 0) return Buffer.from([0]);
  let size = varintBytes(entries.length) + 1;
  for (const [key, value] of entries) size += varintBytes(key.length) + key.length + varintBytes(value.length) + value.length;
  const out = Buffer.alloc(size);
  let at = writeLength(out, 0, entries.length);
  for (const [key, value] of entries) {
    at = writeLength(out, at, key.length);
    at += key.copy(out, at);
    at = writeLength(out, at, value.length);
    at += value.copy(out, at);
  }
  out[at] = 0;
  return out;
}


/** Bytes of the zigzag varint of a length (a non-negative long: zigzag doubles it). */
function varintBytes(length: number): number {
  let value = length * 2;
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

/** Writes a length as Avro's zigzag varint long at `at`; returns the end. */
function writeLength(out: Buffer, at: number, length: number): number {
  // Zigzag of a non-negative n is 2n; arithmetic rather than bit operations keeps lengths past 2^30 right.
  let value = length * 2;
  while (value >= 0x80) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}
