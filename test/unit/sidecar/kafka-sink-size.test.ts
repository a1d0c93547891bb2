// The Kafka sink against a fake broker that refuses record batches over its limit, as Kafka
// does (MESSAGE_TOO_LARGE): batches are cut to the limit, refusals are split until they fit,
// and records too large alone are handled by oversizePolicy, counted once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs, { type DescribeConfigResponse, type ProducerBatch, type RecordMetadata } from 'kafkajs';
import { KafkaSink } from '../../../sidecar/sinks/kafka.ts';
import type { KafkaClients } from '../../../sidecar/sinks/kafka-client.ts';
import type { KafkaSinkConfig, OversizePolicy } from '../../../sidecar/sinks/kafka-config.ts';
import { RECORD_BATCH_OVERHEAD } from '../../../sidecar/sinks/request-size.ts';
import { TopicLimits } from '../../../sidecar/sinks/topic-limits.ts';
import { compileTemplate } from '../../../sidecar/template.ts';
import { recordEncoder, WRITTEN, type WrittenTracker } from '../../../sidecar/sinks/kafkajs-fast.ts';
import { SinkCounters } from '../../../sidecar/counters.ts';
import { encodeMap } from '../../../sidecar/sinks/flume-avro.ts';
import { createLogger } from '../../../sidecar/log.ts';
import { capturedLogger } from '../../helpers/captured-log.ts';
import type { Event } from '../../../sidecar/event.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../../sidecar/size-limits.ts';

const TOPIC = 'logs';

const encode = recordEncoder({}, () => {
  throw new Error('unexpected fallback');
});

/** A one-partition broker with a max.message.bytes; its config may be unreadable (ACLs). */
class FakeBroker {
  readonly values: Buffer[] = [];
  /** Bytes of each record batch accepted. */
  readonly accepted: number[] = [];
  refusals = 0;
  readable = true;
  /** The next sendBatch calls that fail as if the broker were unreachable. */
  unreachable = 0;
  limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  readonly clients: KafkaClients = {
    producer: {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      sendBatch: async ({ topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> => {
        await Promise.resolve();
        for (const { messages } of topicMessages) {
          const tracker = Reflect.get(messages[0] ?? {}, WRITTEN) as WrittenTracker | undefined;
          tracker?.framed(messages.length);
        }
        await new Promise((resolve) => setImmediate(resolve));
        if (this.unreachable > 0) {
          this.unreachable--;
          throw Object.assign(new Error('Connection timeout'), { name: 'KafkaJSNumberOfRetriesExceeded' });
        }
        const batches = topicMessages.map(({ messages }) => messages.reduce((sum, message, i) =>
          sum + encode({ key: message.key, value: message.value, headers: message.headers, offsetDelta: i }).offset, RECORD_BATCH_OVERHEAD));
        if (batches.some((bytes) => bytes > this.limit)) {
          this.refusals++;
          const cause = Object.assign(new Error('The request included a message larger than the max message size the server will accept'),
            { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false });
          throw Object.assign(new Error(cause.message), { name: 'KafkaJSNonRetriableError', cause });
        }
        this.accepted.push(...batches);
        for (const { messages } of topicMessages) for (const { value } of messages) this.values.push(value as Buffer);
        return [];
      },
    },
    admin: {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      describeCluster: () => Promise.resolve({ brokers: [{ nodeId: 1, host: 'fake', port: 9092 }], controller: 1, clusterId: 'fake' }),
      describeConfigs: ({ resources }): Promise<DescribeConfigResponse> => {
        if (!this.readable) return Promise.reject(Object.assign(new Error('Not authorized to access topics: [Topic authorization failed]'), { type: 'TOPIC_AUTHORIZATION_FAILED' }));
        return Promise.resolve({
          throttleTime: 0,
          resources: resources.map(({ type, name, configNames = [] }) => ({
            errorCode: 0, errorMessage: '', resourceName: name, resourceType: type,
            configEntries: configNames.map((configName) => ({
              configName, configValue: String(this.limit), isDefault: false, configSource: kafkajs.ConfigSource.TOPIC_CONFIG, isSensitive: false, readOnly: false, configSynonyms: [],
            })),
          })),
        });
      },
    },
  };
}

function config(overrides: Partial<KafkaSinkConfig> = {}): KafkaSinkConfig {
  return {
    brokers: ['fake:9092'], topic: compileTemplate(TOPIC), fallbackTopic: TOPIC, acks: -1, batchSize: 500, lingerMs: 0, maxInFlight: 2, compression: 'none', compressionLevel: undefined,
    key: undefined, partition: undefined, partitionIdHeader: undefined, allowTopicOverride: false, topicHeader: 'topic',
    bodyEncoding: null, maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, oversizePolicy: 'truncate', clientId: 'test', requestTimeoutMs: 1000, timestampHeader: undefined,
    lineTimestamp: undefined, format: { format: 'raw', recordHeaders: true, json: { podHeaderPrefix: 'k8s.', fileHeader: 'file', fileRoot: undefined } },
    security: { protocol: 'PLAINTEXT' }, ...overrides,
  };
}

function sinkFor(broker: FakeBroker, overrides: Partial<KafkaSinkConfig> = {}): { sink: KafkaSink; counters: SinkCounters; logs: Record<string, unknown>[] } {
  const { log, logs } = capturedLogger();
  const counters = new SinkCounters();
  return { sink: new KafkaSink(config(overrides), log, counters, broker.clients), counters, logs };
}

/** `count` events of ~`bytes` bytes each, distinct, with the headers a pod's line carries. */
function events(count: number, bytes: number, from = 0): Event[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `line-${String(from + i).padStart(6, '0')}-`;
    return { body: Buffer.from(id + 'x'.repeat(Math.max(0, bytes - id.length))), headers: { 'k8s.pod': 'web-1', 'k8s.namespace': 'shop' } };
  });
}

async function deliver(sink: KafkaSink, batch: readonly Event[]): Promise<void> {
  let written = false;
  await sink.deliver(batch, () => (written = true));
  assert.ok(written, 'the runner is told the batch is written');
}

const bodies = (batch: readonly Event[]): string[] => batch.map((event) => event.body.toString());

describe('Kafka sink: record batches within the broker size limit', () => {
  it("cuts each batch to the topic's max.message.bytes when it is readable: no refusal, order kept", async () => {
    const broker = new FakeBroker(200_000);
    const { sink, counters } = sinkFor(broker);
    const all = events(10_000, 1000);
    for (let i = 0; i < all.length; i += 500) await deliver(sink, all.slice(i, i + 500));
    assert.deepEqual(broker.values.map(String), bodies(all));
    assert.equal(broker.refusals, 0);
    assert.equal(counters.recordsOversized, 0);
    for (const bytes of broker.accepted) assert.ok(bytes <= 200_000, `batch of ${bytes} bytes`);
    assert.equal(broker.accepted.length, 20 * 3, '500 lines of 1 kB: 3 record batches of at most 200,000 bytes');
  });

  it('splits batches the broker refuses when its limit cannot be read, and then sends smaller ones from the start', async () => {
    const broker = new FakeBroker(200_000);
    broker.readable = false;
    const { sink, logs } = sinkFor(broker);
    const all = events(10_000, 1000);
    await deliver(sink, all.slice(0, 500));
    const firstRefusals = broker.refusals;
    assert.ok(firstRefusals >= 1 && firstRefusals <= 8, `${firstRefusals} refusals for the first batch`);
    for (let i = 500; i < all.length; i += 500) await deliver(sink, all.slice(i, i + 500));
    assert.equal(broker.refusals, firstRefusals, 'later batches are cut to what was learned');
    assert.deepEqual(broker.values.map(String).sort(), bodies(all).sort(), 'every line once');
    assert.equal(logs.filter((line) => line['msg'] === "cannot read the topic's max.message.bytes (not fatal): record batches are cut to max.message.size and to what brokers refuse").length, 1);
  });

  for (const readable of [true, false]) {
    for (const policy of ['truncate', 'skip', 'split'] as const satisfies readonly OversizePolicy[]) {
      it(`handles records too large alone by oversizePolicy ${policy} (limit ${readable ? 'readable' : 'unreadable'}), counted once across retries; the rest flows`, async () => {
        const broker = new FakeBroker(200_000);
        broker.readable = readable;
        const { sink, counters, logs } = sinkFor(broker, { oversizePolicy: policy });
        const batch = events(500, 1000);
        const huge = [10, 250, 499];
        for (const at of huge) batch[at] = events(1, 450_000, at)[0] as Event;
        broker.unreachable = 1;
        await assert.rejects(deliver(sink, batch), /Connection timeout/);
        broker.values.length = 0;
        await deliver(sink, batch);
        assert.equal(counters.recordsOversized, huge.length);
        assert.equal(logs.filter((line) => line['msg'] === 'record larger than max.message.size' && line['level'] === 40).length, huge.length, 'one warning per record');
        const small = bodies(batch).filter((_, i) => !huge.includes(i));
        const smallSet = new Set(small);
        const values = broker.values.map(String);
        assert.deepEqual(values.filter((value) => smallSet.has(value)).sort(), small.sort(), 'every other line arrives, once');
        const large = values.filter((value) => !smallSet.has(value));
        const hugeBodies = huge.map((at) => batch[at]?.body.toString() ?? '');
        if (policy === 'skip') assert.equal(large.length, 0);
        if (policy === 'truncate') {
          assert.equal(large.length, huge.length);
          for (const body of hugeBodies) assert.ok(large.some((value) => body.startsWith(value) && value.length < body.length));
        }
        if (policy === 'split') {
          // In order while the limit is known; a refused piece may land after later ones (as any retried batch).
          if (readable) assert.equal(large.join(''), hugeBodies.join(''));
          assert.equal(large.join('').length, huge.length * 450_000, 'split: every byte arrives');
          for (const body of hugeBodies) assert.equal(large.filter((value) => value.startsWith(body.slice(0, 12))).length, 1);
        }
        for (const bytes of broker.accepted) assert.ok(bytes <= 200_000);
      });
    }
  }

  for (const format of ['json', 'flume-event'] as const) {
    it(`${format}: a record too large alone is split inside the envelope, again when the broker refuses a piece (limit unreadable)`, async () => {
      const broker = new FakeBroker(200_000);
      broker.readable = false;
      const json = { podHeaderPrefix: 'k8s.', fileHeader: 'file', fileRoot: undefined };
      const { sink, counters } = sinkFor(broker, { oversizePolicy: 'split', format: { format, recordHeaders: false, json } });
      const batch = events(100, 1000);
      const hugeEvent: Event = { ...(events(1, 450_000, 50)[0] as Event), timestamp: 1 };
      batch[50] = hugeEvent;
      await deliver(sink, batch);
      assert.ok(broker.refusals >= 1, 'the first pieces (cut to max.message.size) were refused');
      assert.equal(counters.recordsOversized, 1);
      const map = encodeMap(batch[0]?.headers ?? {});
      const avroBody = (value: Buffer): string => {
        assert.ok(value.subarray(0, map.length).equals(map), 'the event headers first');
        let at = map.length;
        while ((value[at] ?? 0) >= 0x80) at++;
        return value.subarray(at + 1).toString();
      };
      const bodiesSent = broker.values.map((value) => format === 'json' ? (JSON.parse(value.toString()) as { message: string }).message : avroBody(value));
      const huge = hugeEvent.body.toString();
      const pieces = bodiesSent.filter((body) => body.startsWith('line-000050') || !body.startsWith('line-'));
      assert.ok(pieces.length >= 3, `${pieces.length} pieces`);
      assert.equal(pieces.join('').length, huge.length, 'every byte of the line once, in whole envelopes');
      assert.equal(bodiesSent.filter((body) => !pieces.includes(body)).length, 99);
      for (const bytes of broker.accepted) assert.ok(bytes <= 200_000);
    });
  }

  it('rejects when a request fails for another reason than its size (the runner retries the batch)', async () => {
    const broker = new FakeBroker(200_000);
    const { sink } = sinkFor(broker);
    broker.unreachable = 1;
    await assert.rejects(deliver(sink, events(500, 1000)), /Connection timeout/);
  });

  it('resolves at once for a batch whose every record is left out', async () => {
    const broker = new FakeBroker(10_000);
    const { sink, counters } = sinkFor(broker, { oversizePolicy: 'skip' });
    await deliver(sink, events(3, 50_000));
    assert.equal(counters.recordsOversized, 3);
    assert.equal(broker.values.length, 0);
  });
});

describe('topic limits', () => {
  it('reads a limit once, again after refreshMs, and logs a failing read once', async () => {
    let now = 0;
    let reads = 0;
    let answer: number | Error = 300_000;
    const { log, logs } = capturedLogger();
    const limits = new TopicLimits(() => {
      reads++;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    }, log, { refreshMs: 1000, retryMs: 100, now: () => now });
    assert.equal(limits.limitOf('t'), Infinity);
    await limits.learn(['t']);
    await limits.learn(['t']);
    assert.equal(limits.limitOf('t'), 300_000);
    assert.equal(reads, 1);
    answer = new Error('Topic authorization failed');
    now = 1000;
    await limits.learn(['t']);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(reads, 2);
    assert.equal(limits.limitOf('t'), 300_000, 'a failed read keeps what was known');
    now = 2000;
    await limits.refused('t', 400_000);
    assert.equal(limits.limitOf('t'), 300_000, 'refused above the known limit: explained');
    await limits.refused('t', 250_000);
    assert.equal(limits.limitOf('t'), 125_000, 'refused within the known limit: half of what was refused');
    assert.equal(logs.filter((line) => String(line['msg']).startsWith('cannot read')).length, 1);
    answer = 100_000;
    now = 2050;
    await limits.refused('t', 150_000);
    assert.equal(reads, 3, 'within retryMs of the last read: not read again');
    assert.equal(limits.limitOf('t'), 75_000);
    now = 3000;
    await limits.refused('t', 120_000);
    assert.equal(limits.limitOf('t'), 100_000, 'a successful read replaces what refusals suggested');
  });

  it('tries a failed read again after retryMs, a good one only after refreshMs', async () => {
    let now = 0;
    let reads = 0;
    let up = false;
    const limits = new TopicLimits(() => {
      reads++;
      return up ? Promise.resolve(500_000) : Promise.reject(new Error('Connection error'));
    }, createLogger('silent'), { refreshMs: 1000, retryMs: 100, now: () => now });
    const learn = async (at: number): Promise<void> => {
      now = at;
      await limits.learn(['t']);
      await new Promise((resolve) => setImmediate(resolve));
    };
    await learn(0);
    await learn(50);
    assert.equal(reads, 1);
    up = true;
    await learn(100);
    assert.equal(reads, 2);
    assert.equal(limits.limitOf('t'), 500_000);
    await learn(900);
    assert.equal(reads, 2);
    await learn(1100);
    assert.equal(reads, 3);
  });

  it('batches delivered at once all wait for the first read of their topic (one read)', async () => {
    let reads = 0;
    const limits = new TopicLimits(async () => {
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 200_000;
    }, createLogger('silent'));
    const seen = await Promise.all([1, 2, 3].map(async () => {
      await limits.learn(['t']);
      return limits.limitOf('t');
    }));
    assert.deepEqual(seen, [200_000, 200_000, 200_000]);
    assert.equal(reads, 1);
  });
});
