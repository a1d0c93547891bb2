import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { rewriteMetadata } from '../../../bench/lib/kafka-gate.ts';

// kafkajs's own Metadata decoders: an independent reading of the rewritten frames.
const require = createRequire(import.meta.url);
type Decoded = { brokers: { nodeId: number; host: string; port: number; rack?: string | null }[]; controllerId?: number; topicMetadata: { topic: string; partitionMetadata: { leader: number }[] }[] };
const decoder = (version: number): (raw: Buffer) => Promise<Decoded> =>
  (require(`kafkajs/src/protocol/requests/metadata/v${version}/response.js`) as { decode: (raw: Buffer) => Promise<Decoded> }).decode;

const int16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const str = (s: string | null): Buffer => (s === null ? int16(-1) : Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]));

/** A Metadata response as a broker sends it (v1-v6 layout): size, correlation id, body. */
function response(version: number, brokers: { id: number; host: string; port: number; rack: string | null }[]): Buffer {
  const body = Buffer.concat([
    int32(42),
    ...(version >= 3 ? [int32(0)] : []),
    int32(brokers.length),
    ...brokers.flatMap((b) => [int32(b.id), str(b.host), int32(b.port), str(b.rack)]),
    ...(version >= 2 ? [str('cluster-a')] : []),
    int32(1), // controller
    int32(1), int16(0), str('topic-a'), Buffer.from([0]), // one topic
    int32(1), int16(0), int32(0), int32(1), int32(1), int32(1), int32(1), int32(1), // one partition, led by 1
    ...(version >= 5 ? [int32(0)] : []), // offline replicas
  ]);
  return Buffer.concat([int32(body.length), body]);
}

describe('kafka gate: Metadata rewrite', () => {
  for (const version of [1, 4, 6]) {
    it(`v${version}: every broker's address becomes the gate's, the rest reads back unchanged`, async () => {
      const original = response(version, [{ id: 1, host: 'kafka-0.kafka.svc.cluster.local', port: 9092, rack: 'r1' }, { id: 2, host: '10.0.0.2', port: 19092, rack: null }]);
      const { frame, brokers } = rewriteMetadata(original, version, { host: '127.0.0.1', port: 40123 });
      assert.equal(brokers, 2);
      assert.equal(frame.readInt32BE(0), frame.length - 4, 'the size prefix matches');
      const decode = decoder(version);
      // The decoders read the body after the correlation id.
      const before = await decode(original.subarray(8));
      const after = await decode(frame.subarray(8));
      assert.deepEqual(after.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack]), [[1, '127.0.0.1', 40123, 'r1'], [2, '127.0.0.1', 40123, null]]);
      assert.deepEqual(after.topicMetadata, before.topicMetadata);
      assert.equal(after.controllerId, before.controllerId);
      assert.equal(frame.readInt32BE(4), 42, 'the correlation id is kept');
    });
  }

  it('flexible versions are refused, naming the version', () => {
    assert.throws(() => rewriteMetadata(response(6, []), 9, { host: '127.0.0.1', port: 1 }), /Metadata v9 is not supported/);
  });
});
