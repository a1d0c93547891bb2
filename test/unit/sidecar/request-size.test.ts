import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { batchBytes, fitEncoded, isTooLarge, RECORD_BATCH_OVERHEAD, recordBytes, recordOverhead, splitBySize, utf8Boundary } from '../../../sidecar/sinks/request-size.ts';
import { DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_MESSAGE_BYTES } from '../../../sidecar/size-limits.ts';
import { recordEncoder } from '../../../sidecar/sinks/kafkajs-fast.ts';
import type { OversizePolicy } from '../../../sidecar/sinks/kafka-config.ts';

/** The exact encoded size of a record, from the sink's own Kafka record encoder. */
const encodedSize = (key: string | undefined, value: Buffer, headers: Record<string, string>, offsetDelta: number, timestampDelta: number): number =>
  recordEncoder({}, () => {
    throw new Error('unexpected fallback');
  })({ key, value, headers, offsetDelta, timestampDelta }).offset;

describe('request sizes', () => {
  it('bounds a record from above, whatever its offset and timestamp deltas', () => {
    for (const [key, headers] of [[undefined, {}], ['pod-7', { 'k8s.pod': 'web-1', file: '/var/log/app/é.log' }]] as const) {
      for (const length of [0, 1, 127, 128, 16_383, 16_384, 1_000_000]) {
        const value = Buffer.alloc(length, 'x');
        const bound = recordBytes({ key, value, headers });
        for (const [offsetDelta, timestampDelta] of [[0, 0], [499, 0], [0x7fffffff, 0x7fffffff], [9999, -1]] as const) {
          const exact = encodedSize(key, value, headers, offsetDelta, timestampDelta);
          assert.ok(bound >= exact, `bound ${bound} < encoded ${exact}`);
          assert.ok(bound - exact <= 40 + 10 * Object.keys(headers).length, `bound ${bound} too loose for ${exact}`);
        }
      }
    }
  });

  it('a maximal line with a few KB of key and headers fits the default limit', () => {
    const headers = { 'k8s.pod': 'p'.repeat(253), 'k8s.namespace': 'n'.repeat(63), 'k8s.node': 'x'.repeat(253), file: `/var/log/${'f'.repeat(4000)}` };
    const record = { key: 'k'.repeat(253), value: Buffer.alloc(DEFAULT_MAX_LINE_BYTES), headers };
    assert.ok(batchBytes([recordBytes(record)]) <= DEFAULT_MAX_MESSAGE_BYTES);
  });

  it('cuts items into runs within the limit, in order, one run per item too large alone', () => {
    const sizes = [100, 200, 300, 400, 5000, 50, 50];
    const runs = splitBySize(sizes, (size) => size, RECORD_BATCH_OVERHEAD + 600);
    assert.deepEqual(runs, [[100, 200, 300], [400], [5000], [50, 50]]);
    assert.deepEqual(runs.flat(), sizes);
    assert.deepEqual(splitBySize([], (size: number) => size, 1000), []);
    // 500 records of 1 kB into 200,000-byte batches: 3 runs, each within the limit.
    const lines = Array.from({ length: 500 }, () => 1030);
    const batches = splitBySize(lines, (size) => size, 200_000);
    assert.equal(batches.length, 3);
    for (const batch of batches) assert.ok(batchBytes(batch) <= 200_000);
  });

  it('fits an oversized value as the policy says, on UTF-8 boundaries', () => {
    const fitValue = (value: Buffer, overhead: number, limit: number, policy: OversizePolicy): Buffer[] =>
      fitEncoded(value, (piece) => piece, overhead, limit, policy).map((fitted) => fitted.value);
    const text = 'aé€😀'.repeat(1000); // 1, 2, 3 and 4 UTF-8 bytes
    const value = Buffer.from(text, 'utf8');
    const limit = RECORD_BATCH_OVERHEAD + 50 + 1000;
    assert.deepEqual(fitValue(value, 50, RECORD_BATCH_OVERHEAD + 50 + value.length, 'skip'), [value], 'fits: unchanged');
    assert.deepEqual(fitValue(value, 50, limit, 'skip'), []);
    const [truncated, ...none] = fitValue(value, 50, limit, 'truncate');
    assert.equal(none.length, 0);
    assert.ok(truncated !== undefined && truncated.length <= 1000 && truncated.length >= 997);
    assert.ok(text.startsWith(truncated.toString('utf8')), 'no character cut');
    const pieces = fitValue(value, 50, limit, 'split');
    assert.equal(Buffer.concat(pieces).toString('utf8'), text);
    for (const piece of pieces) {
      assert.ok(piece.length <= 1000 && piece.length > 0);
      assert.ok(!piece.toString('utf8').includes('\uFFFD'), 'each piece is whole characters');
    }
    assert.deepEqual(fitValue(value, 2000, limit, 'split'), [], 'no room for any value: left out');
    // Bytes that are not UTF-8 are cut at the limit.
    assert.equal(utf8Boundary(Buffer.alloc(10, 0x80), 6), 6);
  });

  it('knows the broker refused a batch as too large however kafkajs wraps the error', () => {
    const protocol = Object.assign(new Error('too large'), { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', code: 10 });
    assert.ok(isTooLarge(protocol));
    assert.ok(isTooLarge(Object.assign(new Error('wrapped'), { name: 'KafkaJSNonRetriableError', cause: protocol })));
    assert.ok(isTooLarge(Object.assign(new Error('retries'), { originalError: { type: 'RECORD_LIST_TOO_LARGE' } })));
    assert.ok(isTooLarge(new AggregateError([new Error('x'), protocol])));
    assert.ok(!isTooLarge(Object.assign(new Error('down'), { name: 'KafkaJSConnectionError' })));
    assert.ok(!isTooLarge(undefined));
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = { cause: cyclic };
    assert.ok(!isTooLarge(cyclic));
  });

  it('counts key and header bytes as UTF-8', () => {
    assert.equal(recordOverhead({ key: 'é', headers: { ü: '€' } }) - recordOverhead({ key: undefined, headers: {} }), 2 + 10 + 2 + 3);
  });
});
