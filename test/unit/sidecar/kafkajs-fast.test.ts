import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

// The originals, loaded before the replacements are installed (kafkajs itself is not loaded yet).
const require = createRequire(import.meta.url);
const root = require.resolve('kafkajs/package.json').slice(0, -'package.json'.length);
type Encoded = { buffer: Buffer };
const originalRecord = require(`${root}src/protocol/recordBatch/record/v0/index.js`) as (record: object) => Encoded;
const originalCrc = require(`${root}src/protocol/recordBatch/crc32C/index.js`) as (buffer: Buffer) => number;
const originalGroup = require(`${root}src/producer/groupMessagesPerPartition.js`) as (input: object) => Record<number, unknown[]>;
type Request = { apiKey: number; apiVersion: number; encode(): Promise<Encoded>; encodeAfter?(headroom: number): unknown };
const originalProduce = require(`${root}src/protocol/requests/produce/v3/request.js`) as (args: object) => Request;
const originalFrame = require(`${root}src/protocol/request.js`) as (args: object) => Promise<Encoded>;
const Long = require(`${root}src/utils/long.js`) as { fromValue(value: unknown): unknown };
const Encoder = require(`${root}src/protocol/encoder.js`) as new () => { writeBuffer(b: Buffer): unknown; writeInt32(n: number): unknown; buffer: Buffer };

// The originals must be loaded before the replacements; the replacements reload nothing that is cached.
Reflect.deleteProperty(require.cache, require.resolve(`${root}src/protocol/requests/produce/v3/request.js`));
Reflect.deleteProperty(require.cache, require.resolve(`${root}src/protocol/request.js`));
const fast = await import('../../../sidecar/sinks/kafkajs-fast.ts');

describe('kafkajs replacements', () => {
  it('are installed when kafkajs was not loaded yet', () => {
    assert.equal(fast.kafkajsPatched, true);
    assert.equal(require(`${root}src/protocol/recordBatch/crc32C/index.js`), fast.crc32c);
  });

  it('encode records byte for byte as kafkajs does', () => {
    const patched = require(`${root}src/protocol/recordBatch/record/v0/index.js`) as (record: object) => Encoded;
    const records: object[] = [
      { value: Buffer.from('hello') },
      { value: Buffer.alloc(0), headers: {} },
      { value: randomBytes(200), offsetDelta: 1999, headers: {} },
      { key: 'k-ü', value: 'string value ü', offsetDelta: 63, timestampDelta: 64 },
      { key: Buffer.from('key'), value: randomBytes(20_000), headers: { topic: 'x', 'ünïcode': 'välue', bin: Buffer.from([0, 1, 2]) } },
      { key: null, value: null, offsetDelta: 70_000, timestampDelta: -5 },
      // Handed to the original: an array header, a 64-bit timestamp delta.
      { value: Buffer.from('x'), headers: { many: ['a', 'b'] } },
      { value: Buffer.from('x'), timestampDelta: 2 ** 40 },
    ];
    for (const record of records) {
      assert.deepEqual(patched(record).buffer, originalRecord(record).buffer, JSON.stringify(record).slice(0, 80));
    }
  });

  it('encode header names and values the same after the header cache fills and starts over', () => {
    const patched = require(`${root}src/protocol/recordBatch/record/v0/index.js`) as (record: object) => Encoded;
    for (let i = 0; i < 5000; i++) {
      // Repeated and unique values, one longer than the cache keeps.
      const record = { value: Buffer.from('v'), headers: { 'k8s.pod.name': 'web-1', [`h${i % 7}`]: `value-${i}-ü`, long: 'x'.repeat(300 + (i % 3)) } };
      assert.deepEqual(patched(record).buffer, originalRecord(record).buffer, `record ${i}`);
    }
  });

  it('compute the same CRC-32C, in hardware and in JS', () => {
    // In hardware wherever @node-rs/crc32 has a binary for the platform (the Dockerfile test checks the image's).
    const nativeLoads = ((): boolean => {
      try {
        require('@node-rs/crc32');
        return true;
      } catch {
        return false;
      }
    })();
    assert.equal(fast.crc32cInHardware, nativeLoads);
    for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 1000, 65_537]) {
      const buffer = randomBytes(length);
      const expected = originalCrc(buffer);
      assert.equal(fast.crc32c(buffer), expected, `length ${length}`);
      assert.equal(fast.crc32cJs(buffer), expected, `length ${length}, JS`);
    }
    // The check value of CRC-32C (Castagnoli).
    assert.equal(fast.crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(fast.crc32cJs(Buffer.from('123456789')), 0xe3069283);
    // A subarray at an odd offset of a larger buffer, as the request encoder passes it.
    const whole = randomBytes(4097);
    assert.equal(fast.crc32c(whole.subarray(13, 4000)), originalCrc(whole.subarray(13, 4000)));
  });

  it('group messages per partition as kafkajs does, in order', () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({ value: String(i), partition: (i * 7) % 3 }));
    const input = { topic: 't', partitionMetadata: [{}, {}, {}], messages, partitioner: ({ message }: { message: unknown }) => (message as { partition: number }).partition };
    assert.deepEqual(fast.groupMessagesPerPartition(input), originalGroup(input));
    assert.deepEqual(fast.groupMessagesPerPartition({ ...input, partitionMetadata: [] }), {});
  });

  it('encode Produce requests and their frames byte for byte as kafkajs does', async (t) => {
    t.mock.method(Date, 'now', () => 1_795_558_962_727);
    const patchedProduce = require(`${root}src/protocol/requests/produce/v3/request.js`) as (args: object) => Request;
    const patchedFrame = require(`${root}src/protocol/request.js`) as (args: object) => Promise<Encoded>;
    assert.notEqual(patchedProduce, originalProduce);
    const messages = (n: number, offset = 0): object[] => Array.from({ length: n }, (_, i) => ({
      value: randomBytes(150 + ((i * 37) % 300)), headers: i % 3 === 0 ? { topic: `t${i}`, 'ü': Buffer.from([i % 256]) } : {},
      ...(i % 4 === 1 ? { key: `key-${i + offset}` } : {}),
    }));
    // Read times as sources set them: a few distinct values per batch, not in order across partitions.
    const read = 1_795_558_000_000;
    const stamped = (n: number, from: number, step: number): object[] => messages(n).map((message, i) => ({ ...message, timestamp: from + Math.floor(i / 7) * step }));
    const cases: object[] = [
      { acks: 1, timeout: 30000, topicData: [{ topic: 'logs', partitions: [{ partition: 0, messages: messages(2000), firstSequence: 0 }] }] },
      { acks: 1, timeout: 30000, topicData: [{ topic: 'logs', partitions: [{ partition: 0, messages: stamped(2000, read, 3), firstSequence: 0 }] }] },
      { acks: -1, timeout: 30000, topicData: [
        { topic: 'a', partitions: [
          { partition: 0, messages: [{ value: 'late', timestamp: read + 90_000 }, { value: 'early', timestamp: read }, { value: 'middle', timestamp: read + 64 }] },
          { partition: 1, messages: stamped(300, read - 3_600_000, 1000) },
        ] },
        { topic: 'b', partitions: [{ partition: 0, messages: [{ value: 'one', timestamp: read + 1 }] }] },
      ] },
      { acks: -1, timeout: 5000, transactionalId: 'tx-ü', producerId: Long.fromValue(12345678901), producerEpoch: 3,
        topicData: [
          { topic: 'a', partitions: [{ partition: 2, messages: messages(3), firstSequence: 7 }, { partition: 0, messages: messages(200, 5) }] },
          { topic: 'b-ü', partitions: [{ partition: 1, messages: messages(1) }] },
        ] },
      { acks: 0, timeout: 1, topicData: [{ topic: 'x', partitions: [{ partition: 0, messages: [{ value: null, key: Buffer.alloc(0) }, { value: 'text ü' }] }] }] },
      // Handed to the original: timestamps that are not 13-digit epoch ms (kafkajs sorts them as
      // text), on some messages only, as strings, 2^31 ms apart; compression.
      { acks: 1, timeout: 100, topicData: [{ topic: 'x', partitions: [{ partition: 0, messages: [{ value: 'a', timestamp: 5 }, { value: 'b', timestamp: 9 }] }] }] },
      { acks: 1, timeout: 100, topicData: [{ topic: 'x', partitions: [{ partition: 0, messages: [{ value: 'a', timestamp: read }, { value: 'b' }] }] }] },
      { acks: 1, timeout: 100, topicData: [{ topic: 'x', partitions: [{ partition: 0, messages: [{ value: 'a', timestamp: String(read) }] }] }] },
      { acks: 1, timeout: 100, topicData: [{ topic: 'x', partitions: [{ partition: 0, messages: [{ value: 'a', timestamp: read }, { value: 'b', timestamp: read + 2 ** 31 }] }] }] },
      { acks: 1, timeout: 100, compression: 1, topicData: [{ topic: 'x', partitions: [{ partition: 0, messages: messages(10) }] }] },
    ];
    const fastCases = 5;
    for (const [i, args] of cases.entries()) {
      assert.equal(patchedProduce(args).encodeAfter?.(0) !== undefined, i < fastCases, `case ${i} ${i < fastCases ? 'is' : 'is not'} encoded by the replacement`);
      const expected = (await originalProduce(args).encode()).buffer;
      assert.deepEqual((await patchedProduce(args).encode()).buffer, expected, `case ${i}`);
      for (const clientId of ['logshipper', null]) {
        const frame = { correlationId: 42 + i, clientId, request: originalProduce(args) };
        assert.deepEqual((await patchedFrame({ ...frame, request: patchedProduce(args) })).buffer, (await originalFrame(frame)).buffer, `frame ${i}`);
      }
    }
  });

  it('grow encoders without losing bytes', () => {
    const encoder = new Encoder();
    const parts = [randomBytes(300), randomBytes(5000), randomBytes(1)];
    for (const part of parts) encoder.writeBuffer(part);
    encoder.writeInt32(7);
    assert.deepEqual(encoder.buffer, Buffer.concat([...parts, Buffer.from([0, 0, 0, 7])]));
  });
});
