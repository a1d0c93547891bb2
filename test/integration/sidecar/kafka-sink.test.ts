// Kafka sink features against a real broker: Java-compatible key partitioning, several sources
// in one agent, topic override by header, event headers as record headers, gzip, body charset
// transcoding, the over-size policy, and partition order with several batches in flight.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokers, createTopic, readTopic, waitForRecords } from '../../helpers/kafka.ts';
import { startAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';
import { RECORD_BATCH_OVERHEAD, recordOverhead } from '../../../sidecar/sinks/request-size.ts';

// org.apache.kafka.common.utils.Utils.murmur2 of these keys, as the Java client's own tests list them.
const JAVA_MURMUR2: Record<string, number> = {
  '21': -973932308,
  foobar: -790332482,
  'a-little-bit-long-string': -985981536,
  'a-little-bit-longer-string': -1486304829,
  lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
  abc: 479470107,
};
const PARTITIONS = 7;

describe('Kafka sink -> real Kafka', () => {
  it('partitions by key as the Java client does, overrides topics by header, keeps headers, transcodes and truncates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-sink-'));
    const keyedTopic = uniqueName('keyed');
    const routedTopic = uniqueName('routed');
    const unusedTopic = uniqueName('unused');
    await createTopic(keyedTopic, PARTITIONS);
    await createTopic(routedTopic, 1);
    const latin1 = join(dir, 'latin1.log');
    writeFileSync(latin1, Buffer.from(`café crème\n${'z'.repeat(2000)}\nlast line\n`, 'latin1'));

    const keys = Object.keys(JAVA_MURMUR2);
    const sources = keys.map((_, i) => `k${i}`);
    const lines: string[] = [
      `a.sources = ${sources.join(' ')} routed`, 'a.channels = c1 c2', 'a.sinks = keyed router',
      'a.channels.c1.type = memory', 'a.channels.c2.type = memory',
      'a.sinks.keyed.type = kafka', 'a.sinks.keyed.channel = c1', `a.sinks.keyed.kafka.bootstrap.servers = ${brokers()}`,
      `a.sinks.keyed.kafka.topic = ${keyedTopic}`, 'a.sinks.keyed.kafka.producer.acks = all', 'a.sinks.keyed.kafka.producer.compression.type = gzip', 'a.sinks.keyed.kafka.producer.max.in.flight.requests.per.connection = 4',
      'a.sources.routed.type = exec', `a.sources.routed.command = cat ${latin1}`, 'a.sources.routed.channels = c2',
      'a.sources.routed.interceptors = to env', 'a.sources.routed.interceptors.to.type = static',
      'a.sources.routed.interceptors.to.key = topic', `a.sources.routed.interceptors.to.value = ${routedTopic}`,
      'a.sources.routed.interceptors.env.type = static', 'a.sources.routed.interceptors.env.key = env', 'a.sources.routed.interceptors.env.value = prod',
      'a.sinks.router.type = com.example.flume.CustomKafkaSink', 'a.sinks.router.channel = c2', `a.sinks.router.metadata.broker.list = ${brokers()}`,
      `a.sinks.router.custom.topic.name = ${unusedTopic}`, 'a.sinks.router.custom.encoding = ISO-8859-1', 'a.sinks.router.request.required.acks = 1',
      'a.sinks.router.max.message.size = 1024',
    ];
    keys.forEach((key, i) => {
      lines.push(`a.sources.k${i}.type = exec`, `a.sources.k${i}.command = echo record-for-${key}`, `a.sources.k${i}.channels = c1`,
        `a.sources.k${i}.interceptors = key`, `a.sources.k${i}.interceptors.key.type = static`,
        `a.sources.k${i}.interceptors.key.key = key`, `a.sources.k${i}.interceptors.key.value = ${key}`);
    });
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, lines.join('\n') + '\n');

    // Every source is a command that ends, so the agent drains and exits by itself.
    const agent = startAgent(conf, 'a');
    assert.equal(await agent.exited, 0, [...agent.stderr, ...agent.logs.map((l) => JSON.stringify(l))].join('\n'));
    assert.ok(agent.logs.some((line) => line['msg'] === 'record larger than max.message.size' && line['policy'] === 'truncate'));

    const keyed = await waitForRecords(keyedTopic, keys.length);
    assert.equal(keyed.length, keys.length);
    for (const record of keyed) {
      const key = record.key ?? '';
      const hash = JAVA_MURMUR2[key];
      assert.ok(hash !== undefined, `unexpected key ${key}`);
      assert.equal(record.partition, (hash & 0x7fffffff) % PARTITIONS, `partition of key ${key}`);
      assert.equal(record.value, `record-for-${key}`);
    }
    assert.deepEqual(new Set(keyed.map((r) => r.key)), new Set(keys));

    const routed = await waitForRecords(routedTopic, 3);
    // Truncated so that the record (value, headers, framing) fits a record batch of max.message.size.
    const room = 1024 - RECORD_BATCH_OVERHEAD - recordOverhead({ key: undefined, headers: { topic: routedTopic, env: 'prod' } });
    assert.deepEqual(routed.map((r) => r.value), ['café crème', 'z'.repeat(room), 'last line']);
    for (const record of routed) assert.deepEqual(record.headers, { topic: routedTopic, env: 'prod' });
    assert.equal((await readTopic(unusedTopic).catch(() => [])).length, 0, 'the topic header overrides the configured topic');
  });

  // kafkajs lets a second concurrent sendBatch overtake the first (it did, batch after batch,
  // before the runner waited for each batch to be written): records must still land in order.
  for (const compression of ['none', 'gzip']) {
    it(`keeps a partition in order with 8 batches in flight (compression ${compression})`, async () => {
      const events = 20_000;
      const topic = uniqueName(`in-flight-${compression}`);
      await createTopic(topic, 1);
      const conf = join(mkdtempSync(join(tmpdir(), 'logshipper-in-flight-')), 'agent.properties');
      writeFileSync(conf, kafkaPipeline({
        topic,
        source: ['type = seq', `totalEvents = ${events}`, 'batchSize = 100'],
        sink: ['flumeBatchSize = 100', 'kafka.producer.acks = 1', `kafka.producer.compression.type = ${compression}`,
          'kafka.producer.max.in.flight.requests.per.connection = 8'],
      }));
      const agent = startAgent(conf, 'a');
      assert.equal(await agent.exited, 0, agent.logs.map((line) => JSON.stringify(line)).join('\n'));
      const records = await waitForRecords(topic, events);
      const values = records.map((r) => Number(r.value));
      const firstOutOfOrder = values.findIndex((value, i) => value !== i);
      assert.equal(firstOutOfOrder, -1, `record ${firstOutOfOrder} is ${values[firstOutOfOrder]}`);
      assert.equal(values.length, events);
    });
  }
});
