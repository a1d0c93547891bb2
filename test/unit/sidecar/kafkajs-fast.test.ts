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
const Encoder = require(`${root}src/protocol/encoder.js`) as new () => { writeBuffer(b: Buffer): unknown; writeInt32(n: number): unknown; buffer: Buffer };

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

  it('compute the same CRC-32C', () => {
    for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 1000, 65_537]) {
      const buffer = randomBytes(length);
      assert.equal(fast.crc32c(buffer), originalCrc(buffer), `length ${length}`);
    }
    assert.equal(fast.crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  it('group messages per partition as kafkajs does, in order', () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({ value: String(i), partition: (i * 7) % 3 }));
    const input = { topic: 't', partitionMetadata: [{}, {}, {}], messages, partitioner: ({ message }: { message: unknown }) => (message as { partition: number }).partition };
    assert.deepEqual(fast.groupMessagesPerPartition(input), originalGroup(input));
    assert.deepEqual(fast.groupMessagesPerPartition({ ...input, partitionMetadata: [] }), {});
  });

  it('grow encoders without losing bytes', () => {
    const encoder = new Encoder();
    const parts = [randomBytes(300), randomBytes(5000), randomBytes(1)];
    for (const part of parts) encoder.writeBuffer(part);
    encoder.writeInt32(7);
    assert.deepEqual(encoder.buffer, Buffer.concat([...parts, Buffer.from([0, 0, 0, 7])]));
  });
});
