// The record batch codecs (sidecar/sinks/compression.ts): round trips of random buffers, the
// wire framing Kafka's readers expect, levels that reach the encoder, and kafkajs's registry
// (a record batch kafkajs encodes with a codec and decodes again). Against the real broker and
// kcat: test/integration/sidecar/compression.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
// Before kafkajs loads (see the file).
import '../../../sidecar/sinks/kafkajs-fast.ts';
import { kafkajsCompression } from '../../../sidecar/sinks/kafkajs-codecs.ts';
import { codecOf, compressionId, COMPRESSIONS, LEVELS, unavailable, XERIAL_BLOCK_BYTES, XERIAL_MAGIC, xerialBlocks } from '../../../sidecar/sinks/compression.ts';

const require = createRequire(import.meta.url);
const CODECS = COMPRESSIONS.filter((name) => name !== 'none');
/** Log-like text: compressible, multi-byte UTF-8, longer than one snappy-java block. */
const TEXT = Buffer.from(Array.from({ length: 2000 }, (_, i) => `2026-12-02T04:00:${String(i % 60).padStart(2, '0')}Z INFO request ${String(i)} served — ünïcödé ✓ 日本語\n`).join(''));

describe('record batch codecs', () => {
  it('are Kafka ids 0-4 in attribute order, and all load on this platform', () => {
    assert.deepEqual(COMPRESSIONS.map(compressionId), [0, 1, 2, 3, 4]);
    for (const name of COMPRESSIONS) assert.equal(unavailable(name), undefined, name);
  });

  for (const name of CODECS) {
    it(`${name}: decompress(compress(x)) is x for random buffers, empty to several blocks`, async () => {
      const codec = codecOf(name);
      await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: XERIAL_BLOCK_BYTES - 2, maxLength: 3 * XERIAL_BLOCK_BYTES + 5 })), async (bytes) => {
        const input = Buffer.from(bytes);
        assert.deepEqual(await codec.decompress(await codec.compress(input)), input);
      }), { numRuns: 40 });
      const compressed = await codec.compress(TEXT);
      assert.ok(compressed.length < TEXT.length / 3, `${name}: ${String(compressed.length)} of ${String(TEXT.length)} bytes`);
      assert.deepEqual(await codec.decompress(compressed), TEXT);
    });
  }

  it("snappy: snappy-java's stream (header, then length-prefixed raw blocks of at most 32 KiB input); raw snappy from librdkafka reads too", async () => {
    const framed = await codecOf('snappy').compress(TEXT);
    assert.deepEqual(framed.subarray(0, 8), XERIAL_MAGIC);
    assert.equal(framed.readInt32BE(8), 1, 'version');
    assert.equal(framed.readInt32BE(12), 1, 'compatible version');
    const snappy = require('snappy') as { uncompressSync(b: Buffer, o: { asBuffer: true }): Buffer; compressSync(b: Buffer): Buffer };
    const blocks = xerialBlocks(framed).map((block) => snappy.uncompressSync(block, { asBuffer: true }));
    assert.equal(blocks.length, Math.ceil(TEXT.length / XERIAL_BLOCK_BYTES));
    assert.ok(blocks.every((block) => block.length <= XERIAL_BLOCK_BYTES));
    assert.deepEqual(Buffer.concat(blocks), TEXT);
    assert.deepEqual(await codecOf('snappy').decompress(snappy.compressSync(TEXT)), TEXT);
    await assert.rejects(codecOf('snappy').decompress(framed.subarray(0, framed.length - 3)), /snappy-java stream cut/);
  });

  it("lz4: an LZ4 frame as Kafka's reader takes it (version 1, independent blocks, a 64 KiB-4 MiB block size)", async () => {
    const frame = await codecOf('lz4').compress(TEXT);
    assert.equal(frame.readUInt32LE(0), 0x184d2204, 'magic');
    const flg = frame[4] ?? 0;
    assert.equal(flg >> 6, 1, 'version');
    assert.equal((flg >> 5) & 1, 1, 'block independence');
    assert.equal(flg & 3, 0, 'reserved');
    const blockSize = ((frame[5] ?? 0) >> 4) & 7;
    assert.ok(blockSize >= 4 && blockSize <= 7, `block size id ${String(blockSize)}`);
  });

  it('zstd and gzip: their frames, and the level reaches the encoder', async () => {
    const zstd = await codecOf('zstd').compress(TEXT);
    assert.equal(zstd.readUInt32LE(0), 0xfd2fb528, 'zstd magic');
    assert.deepEqual([...(await codecOf('gzip').compress(TEXT)).subarray(0, 2)], [0x1f, 0x8b]);
    const zstdFast = await codecOf('zstd', LEVELS.zstd.min).compress(TEXT);
    const zstdBest = await codecOf('zstd', 19).compress(TEXT);
    assert.ok(zstdBest.length < zstdFast.length, `zstd 19: ${String(zstdBest.length)} bytes, ${String(LEVELS.zstd.min)}: ${String(zstdFast.length)}`);
    const gzipFast = await codecOf('gzip', 1).compress(TEXT);
    const gzipBest = await codecOf('gzip', 9).compress(TEXT);
    assert.ok(gzipBest.length < gzipFast.length, `gzip 9: ${String(gzipBest.length)} bytes, 1: ${String(gzipFast.length)}`);
  });

  it("kafkajs: a record batch encoded at any codec and level decodes again, and its attributes name the codec's Kafka id", async () => {
    const root = require.resolve('kafkajs/package.json').slice(0, -'package.json'.length);
    const { RecordBatch } = require(`${root}src/protocol/recordBatch/v0/index.js`) as { RecordBatch: (args: object) => Promise<{ buffer: Buffer }> };
    const Record = require(`${root}src/protocol/recordBatch/record/v0/index.js`) as (record: object) => unknown;
    const decodeBatch = require(`${root}src/protocol/recordBatch/v0/decoder.js`) as (decoder: unknown) => Promise<{ records: { value: Buffer }[] }>;
    const Decoder = require(`${root}src/protocol/decoder.js`) as new (buffer: Buffer) => unknown;
    const values = ['plain', 'ünïcödé ✓', 'x'.repeat(100_000), 'plain'];
    const cases = [...CODECS.map((name) => [name, undefined] as const), ['gzip', 1], ['lz4', LEVELS.lz4.default], ['zstd', 12], ['zstd', -5]] as const;
    for (const [name, level] of cases) {
      const compression: number = kafkajsCompression(name, level);
      assert.equal(compression & 7, compressionId(name));
      assert.equal(compression === compressionId(name), level === undefined || level === LEVELS[name].default, `${name} ${String(level)}`);
      assert.equal(kafkajsCompression(name, level), compression, 'one registry entry per codec and level');
      const records = values.map((value, offsetDelta) => Record({ offsetDelta, value: Buffer.from(value) }));
      const { buffer } = await RecordBatch({ compression, records, lastOffsetDelta: values.length - 1 });
      // FirstOffset (8), Length (4), PartitionLeaderEpoch (4), Magic (1), CRC (4), then Attributes.
      assert.equal(buffer.readInt16BE(21) & 7, compressionId(name));
      const batch = await decodeBatch(new Decoder(buffer));
      assert.deepEqual(batch.records.map((record) => record.value.toString()), values, `${name} ${String(level)}`);
    }
    assert.equal(kafkajsCompression('none', undefined), 0);
  });
});
