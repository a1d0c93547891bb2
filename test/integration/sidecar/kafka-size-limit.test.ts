// Batches larger than the broker accepts never stall the pipeline: against a real broker, a
// topic with max.message.bytes=200000 and batches of 500 lines of 1 kB to one partition, and the
// operator's defaults (batches of 500, broker default limit) with 3 kB lines keyed to one
// partition. Every line arrives (counted with kcat, an independent consumer); lines larger than
// the topic's limit are handled by oversizePolicy, counted, and the lines after them arrive.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alterTopicConfig, createTopic, readTopic } from '../../helpers/kafka.ts';
import { getText, httpPort, metric, metricsOnceDelivered, startAgent, type RunningAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

/** `count` distinct lines of `bytes` bytes each. */
function lines(prefix: string, count: number, bytes: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${String(i).padStart(6, '0')}-`;
    return id + 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(bytes / 26)).slice(0, bytes - id.length);
  });
}

/** Polls the agent's metrics until the sink drained `events` or `timeoutMs` passed; returns the last scrape. */
async function waitForDrained(agent: RunningAgent, port: number, events: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await getText(port, '/metrics');
    if ((metric(text, 'logshipper_sink_events_drained_total{sink="k"}') ?? 0) >= events || Date.now() > deadline || agent.process.exitCode !== null) return text;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** SIGTERM, and SIGKILL once the drain timeout (20 s) is well past: a stalled sink must not hang the test. */
async function stop(agent: RunningAgent): Promise<number | null> {
  agent.process.kill('SIGTERM');
  const killer = setTimeout(() => agent.process.kill('SIGKILL'), 30_000);
  const code = await agent.exited;
  clearTimeout(killer);
  return code;
}

function counts(values: readonly string[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const value of values) result.set(value, (result.get(value) ?? 0) + 1);
  return result;
}

interface Run {
  /** Lines sent, in file order. */
  sent: string[];
  topic: string;
  partitions: number;
  topicConfig: Record<string, string>;
  sink: string[];
  timeoutMs: number;
  /** Rounds of lines appended once everything before is drained, each after its `between` ran (e.g. the topic's limit changed under the running agent). */
  then?: { between: () => Promise<void>; sent: string[] }[];
}

/** Ships `sent` through an agent (exec tail -> memory channel -> Kafka sink, batches of 500); returns what is in the topic and the metrics. */
async function ship({ sent, topic, partitions, topicConfig, sink, timeoutMs, then = [] }: Run): Promise<{ values: string[]; partitionsUsed: Set<number>; metrics: string; seconds: number; agent: RunningAgent }> {
  await createTopic(topic, partitions, topicConfig);
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-size-'));
  const input = join(dir, 'input.log');
  writeFileSync(input, sent.join('\n') + '\n');
  const conf = join(dir, 'agent.properties');
  // tail (not cat) keeps the agent running after the file is shipped, so that it can be scraped.
  writeFileSync(conf, kafkaPipeline({
    topic,
    // Lines longer than the sink's limit must reach the sink whole: the source does not cut them.
    source: ['type = exec', `command = tail -n +1 -F ${input}`, 'batchSize = 500', 'batchTimeout = 50', 'maxLineLength = 4194304'],
    channel: ['capacity = 2000', 'transactionCapacity = 500', 'byteCapacity = 268435456'],
    sink: ['flumeBatchSize = 500', 'kafka.producer.acks = all', ...sink],
  }));
  const agent = startAgent(conf, 'a');
  try {
    const port = await httpPort(agent);
    const started = Date.now();
    let metrics = await waitForDrained(agent, port, sent.length, timeoutMs);
    let total = sent.length;
    for (const round of then) {
      await round.between();
      appendFileSync(input, round.sent.join('\n') + '\n');
      total += round.sent.length;
      metrics = await waitForDrained(agent, port, total, timeoutMs);
    }
    const seconds = (Date.now() - started) / 1000;
    const records = await readTopic(topic);
    return { values: records.map((record) => record.value), partitionsUsed: new Set(records.map((record) => record.partition)), metrics, seconds, agent };
  } finally {
    await stop(agent);
  }
}

describe('Kafka sink: batches larger than the broker accepts', () => {
  it('topic max.message.bytes=200000, 10,000 lines of 1 kB in batches of 500 to one partition, 3 lines over the limit: all delivered, the 3 truncated and counted', async () => {
    const normal = lines('line', 10_000, 1000);
    const huge = lines('huge', 3, 300_000);
    const sent = [...normal];
    sent.splice(7500, 0, huge[2] ?? '');
    sent.splice(5000, 0, huge[1] ?? '');
    sent.splice(2500, 0, huge[0] ?? '');
    const { values, metrics, seconds, agent } = await ship({
      sent, topic: uniqueName('size-200k'), partitions: 1, topicConfig: { 'max.message.bytes': '200000' }, sink: [], timeoutMs: 90_000,
    });
    const drained = metric(metrics, 'logshipper_sink_events_drained_total{sink="k"}');
    const oversized = metric(metrics, 'logshipper_sink_records_oversized_total{sink="k"}');
    const normalSet = new Set(normal);
    const delivered = values.filter((value) => normalSet.has(value));
    console.log(`200k topic: ${delivered.length}/${normal.length} lines delivered, ${values.length} records, drained ${drained}, oversized ${oversized}, ${seconds.toFixed(1)} s`);
    assert.deepEqual(counts(delivered), counts(normal), `lines delivered: ${delivered.length} of ${normal.length}`);
    const others = values.filter((value) => !normalSet.has(value));
    assert.equal(others.length, huge.length, 'each line over the limit arrives once, truncated');
    for (const line of huge) {
      const [truncated, ...more] = others.filter((value) => line.startsWith(value));
      assert.ok(truncated !== undefined && more.length === 0, `${line.slice(0, 12)} arrives once`);
      assert.ok(truncated.length < 200_000 && truncated.length > 190_000, `${line.slice(0, 12)} truncated to ${truncated.length} bytes`);
    }
    assert.equal(drained, sent.length);
    assert.equal(oversized, huge.length);
    assert.equal(metric(metrics, 'logshipper_sink_ready{sink="k"}'), 1);
    assert.equal(agent.logs.filter((line) => line['msg'] === 'record larger than max.message.size').length, huge.length, 'one warning per line over the limit');
  });

  it("operator defaults (batches of 500, broker default limit): 5,000 lines of 3 kB keyed to one partition all delivered, a line over 1 MiB split by oversizePolicy", async () => {
    const normal = lines('pod-line', 5000, 3000);
    const huge = lines('huge-pod', 1, 1_500_000)[0] ?? '';
    const sent = [...normal];
    sent.splice(2000, 0, huge);
    const { values, partitionsUsed, metrics, seconds } = await ship({
      sent, topic: uniqueName('size-default'), partitions: 3, topicConfig: {}, sink: ['partition.key = web-7f9c4d-x2k8p', 'oversizePolicy = split'], timeoutMs: 90_000,
    });
    const drained = metric(metrics, 'logshipper_sink_events_drained_total{sink="k"}');
    const oversized = metric(metrics, 'logshipper_sink_records_oversized_total{sink="k"}');
    const normalSet = new Set(normal);
    const delivered = values.filter((value) => normalSet.has(value));
    console.log(`default limit: ${delivered.length}/${normal.length} lines delivered, ${values.length} records, drained ${drained}, oversized ${oversized}, ${seconds.toFixed(1)} s`);
    assert.deepEqual(counts(delivered), counts(normal), `lines delivered: ${delivered.length} of ${normal.length}`);
    assert.equal(partitionsUsed.size, 1, 'one key, one partition');
    assert.equal(values.filter((value) => !normalSet.has(value)).join(''), huge, 'the line over the limit arrives whole, in consecutive pieces');
    assert.equal(drained, sent.length);
    assert.equal(oversized, 1);
  });

  it('the topic limit lowered under the running agent, 3 times: the refused batches are split, every line delivered', async () => {
    const topic = uniqueName('size-lowered');
    const before = lines('before', 2000, 1000);
    const limits = [400_000, 200_000, 120_000];
    const rounds = limits.map((limit) => ({ between: () => alterTopicConfig(topic, { 'max.message.bytes': String(limit) }), sent: lines(`after-${limit}`, 2000, 1000) }));
    const { values, metrics, seconds, agent } = await ship({ sent: before, topic, partitions: 1, topicConfig: {}, sink: [], timeoutMs: 90_000, then: rounds });
    const drained = metric(metrics, 'logshipper_sink_events_drained_total{sink="k"}');
    const refusals = agent.logs.filter((line) => String(line['msg']).startsWith('broker refused a record batch as too large')).length;
    const all = [...before, ...rounds.flatMap((round) => round.sent)];
    const arrived = new Set(values);
    const clean = rounds.filter((round) => round.sent.every((line) => arrived.has(line))).length;
    console.log(`lowered limit: ${arrived.size}/${all.length} lines delivered, ${clean}/${rounds.length} rounds clean, drained ${drained}, ${refusals} refusals logged, ${seconds.toFixed(1)} s`);
    const sent = new Set(all);
    assert.deepEqual(arrived, sent, 'every line arrives');
    assert.equal(clean, rounds.length);
    assert.equal(values.length - arrived.size, 0, 'refused batches were not written: no line twice');
    assert.ok(refusals >= 1, 'the broker refused batches cut to an old limit (else this test proves nothing)');
    assert.equal(drained, all.length);
    assert.equal(metric(metrics, 'logshipper_sink_records_oversized_total{sink="k"}'), 0);
  });

  it('TAILDIR, oversizePolicy skip: the lines over the topic limit are left out and counted, and the checkpoint moves past them (file lag 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-size-taildir-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const file = join(logs, 'app.log');
    const normal = lines('tail', 3000, 1000);
    const sent = [...normal];
    sent.splice(2999, 0, lines('huge-tail', 1, 300_000)[0] ?? '');
    sent.splice(1000, 0, lines('huge-tail', 1, 250_000)[0] ?? '');
    writeFileSync(file, sent.join('\n') + '\n');
    const topic = uniqueName('size-taildir');
    await createTopic(topic, 1, { 'max.message.bytes': '200000' });
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, kafkaPipeline({
      topic,
      source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${logs}/.*\\.log`, `positionFile = ${join(dir, 'positions.json')}`, 'batchSize = 500', 'fileHeader = true'],
      channel: ['capacity = 2000', 'transactionCapacity = 500', 'byteCapacity = 268435456'],
      sink: ['flumeBatchSize = 500', 'kafka.producer.acks = all', 'oversizePolicy = skip'],
    }));
    const agent = startAgent(conf, 'a');
    try {
      const port = await httpPort(agent);
      const text = await metricsOnceDelivered(port, file, 60_000);
      const values = (await readTopic(topic)).map((record) => record.value);
      const lag = metric(text, `logshipper_file_lag_bytes{source="s",file="${file}"}`);
      const oversized = metric(text, 'logshipper_sink_records_oversized_total{sink="k"}');
      console.log(`TAILDIR skip: ${values.length}/${normal.length} lines delivered, oversized ${oversized}, file lag ${lag}`);
      assert.deepEqual(counts(values), counts(normal), 'every line but the two over the limit, once');
      assert.equal(oversized, 2);
      assert.equal(lag, 0, 'the skipped lines are handled: the checkpoint moved past them');
    } finally {
      assert.equal(await stop(agent), 0);
    }
  });
});
