// Agent operations against real Kafka: metrics that count every line, graceful drain on SIGTERM,
// hot reload of a ConfigMap-style mounted config (same process, no loss), refused invalid
// reloads, and secrets that never reach the logs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokers, createTopic, readTopic, waitForRecords } from '../../helpers/kafka.ts';
import { getJson, getText, httpPort, metric, metricsOnceDelivered, startAgent, waitForOpenFile } from '../../helpers/agent.ts';
import { ConfigMapDir } from '../../helpers/configmap-dir.ts';
import { uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

function pipeline(options: { source: string[]; topic: string; extraSink?: string[] }): string {
  return kafkaPipeline({ topic: options.topic, source: options.source, sink: options.extraSink ?? [] });
}

function lines(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} ${i}`);
}

describe('agent operations', () => {
  it('/metrics and /metrics/json count every line shipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-ops-'));
    const input = join(dir, 'input.log');
    const sent = lines('metric line', 5000);
    writeFileSync(input, sent.join('\n') + '\n');
    const topic = uniqueName('metrics');
    await createTopic(topic);
    const conf = join(dir, 'agent.properties');
    // tail (not cat) keeps the agent running after the file is shipped, so it can be scraped.
    writeFileSync(conf, pipeline({ source: ['type = exec', `command = tail -n +1 -F ${input}`, 'batchSize = 100', 'batchTimeout = 50'], topic }));
    const agent = startAgent(conf, 'a');
    try {
      const port = await httpPort(agent);
      assert.equal((await waitForRecords(topic, sent.length)).length, sent.length);
      const text = await getText(port, '/metrics');
      assert.equal(metric(text, 'logshipper_source_events_received_total{source="s"}'), sent.length);
      assert.equal(metric(text, 'logshipper_source_events_accepted_total{source="s"}'), sent.length);
      assert.equal(metric(text, 'logshipper_channel_put_successes_total{channel="c"}'), sent.length);
      assert.equal(metric(text, 'logshipper_channel_take_successes_total{channel="c"}'), sent.length);
      assert.equal(metric(text, 'logshipper_sink_events_drained_total{sink="k"}'), sent.length);
      assert.equal(metric(text, 'logshipper_sink_bytes_drained_total{sink="k"}'), sent.reduce((sum, line) => sum + line.length, 0));
      assert.equal(metric(text, 'logshipper_sink_ready{sink="k"}'), 1);
      assert.equal(metric(text, 'logshipper_channel_size{channel="c"}'), 0);
      assert.ok((metric(text, 'logshipper_sink_delivery_seconds_count{sink="k"}') ?? 0) > 0);
      const flume = await getJson(port, '/metrics/json');
      assert.equal(flume.status, 200);
      const json = flume.body as Record<string, Record<string, string> | undefined>;
      assert.equal(json['SOURCE.s']?.['EventAcceptedCount'], String(sent.length));
      const channel = json['CHANNEL.c'];
      assert.equal(channel?.['EventPutSuccessCount'], String(sent.length));
      assert.equal(channel['ChannelSize'], '0');
      assert.equal(json['SINK.k']?.['EventDrainSuccessCount'], String(sent.length));
      assert.equal((await getJson(port, '/healthz')).status, 200);
      const ready = await getJson(port, '/readyz');
      assert.equal(ready.status, 200);
      assert.equal((ready.body as { ready: boolean }).ready, true);
    } finally {
      agent.process.kill('SIGTERM');
    }
    assert.equal(await agent.exited, 0);
  });

  it('TAILDIR metrics: per-file lag falls to 0 once Kafka acknowledged; long lines and invalid bytes are counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-ops-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const file = join(logs, 'app.log');
    writeFileSync(file, Buffer.concat([
      Buffer.from(lines('tail line', 1000).join('\n') + '\n'),
      Buffer.from(`${'L'.repeat(300)}\n`),
      Buffer.from([0x62, 0x61, 0x64, 0xff, 0x0a]),
    ]));
    const topic = uniqueName('taildir-metrics');
    await createTopic(topic);
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, pipeline({ topic, source: [
      'type = TAILDIR', 'filegroups = g', `filegroups.g = ${logs}/.*\\.log`, `positionFile = ${join(dir, 'positions.json')}`,
      'maxLineLength = 256', 'maxLineLengthPolicy = truncate',
    ] }));
    const agent = startAgent(conf, 'a');
    try {
      const port = await httpPort(agent);
      assert.equal((await waitForRecords(topic, 1002)).length, 1002);
      const text = await metricsOnceDelivered(port, file, 10_000);
      assert.equal(metric(text, `logshipper_file_lag_bytes{source="s",file="${file}"}`), 0);
      assert.equal(metric(text, 'logshipper_source_files{source="s"}'), 1);
      assert.equal(metric(text, 'logshipper_source_long_lines_total{source="s"}'), 1);
      assert.equal(metric(text, 'logshipper_source_invalid_sequences_total{source="s"}'), 1);
      assert.equal(metric(text, 'logshipper_sink_events_drained_total{sink="k"}'), 1002);
    } finally {
      agent.process.kill('SIGTERM');
    }
    assert.equal(await agent.exited, 0);
  });

  it('SIGTERM mid-stream drains every line read into Kafka and exits 0 within the deadline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-ops-'));
    const input = join(dir, 'app.log');
    writeFileSync(input, '');
    const topic = uniqueName('drain');
    await createTopic(topic);
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, pipeline({ source: ['type = exec', `command = tail -F ${input}`, 'batchSize = 100', 'batchTimeout = 50'], topic, extraSink: ['kafka.producer.linger.ms = 20'] }));
    const agent = startAgent(conf, 'a', ['--drain-timeout', '10000']);
    const pid = agent.process.pid;
    assert.ok(pid !== undefined);
    await agent.waitForLog((line) => line['msg'] === 'agent started');
    await waitForOpenFile(pid, input);
    const written = lines('drain line', 20_000);
    // Keep writing while the signal comes, so lines are in the pipe, the channel and in flight.
    let signalled = 0;
    for (let i = 0; i < written.length; i += 500) {
      appendFileSync(input, written.slice(i, i + 500).join('\n') + '\n');
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (signalled === 0 && i >= 5000 && (await readTopic(topic)).length > 0) {
        signalled = Date.now();
        agent.process.kill('SIGTERM');
      }
    }
    assert.ok(signalled > 0, 'the signal came mid-stream');
    assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    assert.ok(Date.now() - signalled < 10_000, 'stopped within the drain deadline');
    const stopped = agent.logs.find((line) => line['msg'] === 'agent stopped, channels drained');
    assert.ok(stopped, 'the agent reports a full drain');
    const records = await readTopic(topic);
    assert.ok(records.length > 0);
    // Whatever tail had printed was shipped: a gap-free prefix of the file, in order.
    assert.deepEqual(records.map((r) => r.value), written.slice(0, records.length));
  });

  it('reloads a changed ConfigMap in place: new topic, same process, nothing lost; refuses an invalid change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-ops-'));
    const input = join(dir, 'app.log');
    writeFileSync(input, '');
    const first = uniqueName('reload-a');
    const second = uniqueName('reload-b');
    await createTopic(first);
    await createTopic(second);
    const source = ['type = exec', `command = tail -F ${input}`, 'batchSize = 50', 'batchTimeout = 50'];
    const configMap = new ConfigMapDir({ 'agent.properties': pipeline({ source, topic: first }) });
    const agent = startAgent(configMap.path('agent.properties'), 'a');
    const pid = agent.process.pid;
    assert.ok(pid !== undefined);
    try {
      const port = await httpPort(agent);
      await waitForOpenFile(pid, input);
      const before = lines('before', 3000);
      appendFileSync(input, before.join('\n') + '\n');
      await waitForRecords(first, 1000);

      // Change the topic while lines are still flowing.
      configMap.update({ 'agent.properties': pipeline({ source, topic: second }) });
      const reloaded = await agent.waitForLog((line) => line['msg'] === 'configuration reloaded');
      assert.deepEqual(reloaded['restarted'], ['sink.k'], 'only the sink restarts: the source keeps its tail');
      const after = lines('after', 3000);
      appendFileSync(input, after.join('\n') + '\n');

      const all = [...before, ...after];
      const deadline = Date.now() + 60_000;
      let shipped: string[] = [];
      while (Date.now() < deadline) {
        shipped = [...(await readTopic(first)), ...(await readTopic(second))].map((r) => r.value);
        if (shipped.length >= all.length) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.deepEqual(shipped, all, 'every line exactly once, in order across the two topics');
      assert.deepEqual((await readTopic(second)).slice(-after.length).map((r) => r.value), after, 'new lines go to the new topic');

      // An invalid change is refused; the running pipeline keeps shipping.
      configMap.update({ 'agent.properties': pipeline({ source, topic: second }).replace('a.channels.c.capacity = 1000', 'a.channels.c.capacity = lots') });
      const refused = await agent.waitForLog((line) => line['msg'] === 'new configuration refused; the running one stays');
      assert.match(String(refused['error']), /a\.channels\.c\.capacity: invalid value "lots"/);
      const readiness = (await getJson(port, '/readyz')).body as { config: { lastReloadError: string | null } };
      assert.match(readiness.config.lastReloadError ?? '', /capacity/);
      assert.equal(metric(await getText(port, '/metrics'), 'logshipper_config_reloads_total{result="failure"}'), 1);
      const more = lines('still running', 500);
      appendFileSync(input, more.join('\n') + '\n');
      const records = await waitForRecords(second, after.length + more.length);
      assert.deepEqual(records.slice(-more.length).map((r) => r.value), more);
      assert.equal(agent.process.exitCode, null, 'same process throughout');
    } finally {
      agent.process.kill('SIGTERM');
    }
    assert.equal(await agent.exited, 0);
  });

  it('never logs a SASL password, even at trace level', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-ops-'));
    const conf = join(dir, 'agent.properties');
    const jaasSecret = 'jaas-p4ssw0rd-do-not-log';
    const envSecret = 'env-p4ssw0rd-do-not-log';
    writeFileSync(conf, pipeline({
      source: ['type = seq', 'totalEvents = 10'],
      topic: uniqueName('secret'),
      extraSink: [
        'kafka.producer.security.protocol = SASL_PLAINTEXT',
        'kafka.producer.sasl.mechanism = PLAIN',
        `kafka.producer.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username="svc" password="${jaasSecret}";`,
      ],
    }).replace('a.sinks = k', 'a.sinks = k k2') + [
      'a.sinks.k2.type = kafka', 'a.sinks.k2.channel = c', `a.sinks.k2.kafka.bootstrap.servers = ${brokers()}`,
      'a.sinks.k2.kafka.producer.security.protocol = SASL_PLAINTEXT', 'a.sinks.k2.kafka.producer.sasl.username = svc',
      'a.sinks.k2.kafka.producer.sasl.password = ${KAFKA_PASSWORD}',
    ].join('\n') + '\n');
    process.env['KAFKA_PASSWORD'] = envSecret;
    // The broker speaks PLAINTEXT, so SASL fails: the failure paths log the most.
    const agent = startAgent(conf, 'a', ['--log-level', 'trace', '--drain-timeout', '1500']);
    delete process.env['KAFKA_PASSWORD'];
    await agent.waitForLog((line) => String(line['msg']).startsWith('delivery failed'), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    agent.process.kill('SIGTERM');
    assert.equal(await agent.exited, 1, 'undelivered events at the deadline: exit 1');
    const output = [...agent.logs.map((line) => JSON.stringify(line)), ...agent.stderr].join('\n');
    assert.ok(output.length > 0);
    assert.ok(!output.includes(jaasSecret), 'the JAAS password is not logged');
    assert.ok(!output.includes(envSecret), 'the password from the environment is not logged');
  });
});
