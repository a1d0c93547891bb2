// The record formats and the timestamp parsed from the line, against the real broker, read back
// by independent consumers: kcat for the JSON envelope (every record parsed) and the raw lines,
// kcat + Apache Avro's decoder for Flume's Avro events. Every line is counted (multiset), escapes,
// invalid UTF-8 and a line too large for one record (split inside the envelope) included.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextDecoder } from 'node:util';
import { brokers, createTopic, readTopic, waitForRecords, type ConsumedRecord } from '../../helpers/kafka.ts';
import { readFlumeEvents } from '../../helpers/avro.ts';
import { getText, httpPort, metric, metricsOnceDelivered, startAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { multisetDiff } from '../../helpers/multiset.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';
import { render } from '../../../operator/render.ts';
import { resolveSpec } from '../../../operator/spec.ts';
import { AGENT_NAME, ENV, labelEnvName, LOG_VOLUME_MOUNT_PATH, STATE_MOUNT_PATH } from '../../../operator/sidecar-layout.ts';

const POD_HEADERS = {
  'k8s.pod.name': 'web-0', 'k8s.pod.namespace': 'shop', 'k8s.pod.uid': '0f6c1c8e-2f4b-4d8e-9a61-1d2e3f4a5b6c',
  'k8s.container.name': 'app', 'k8s.node.name': 'node-1', 'k8s.pod.label.app': 'web',
};
/** More than max.message.size (4096) by itself: split. */
const LONG_LINE = Buffer.from(`LONG ${'quote " backslash \\ tab \t é 😀 '.repeat(300)}end`);
const INVALID = [Buffer.from([0x61, 0xff, 0xfe, 0x62]), Buffer.from([0x6c, 0x6f, 0x6e, 0x65, 0x20, 0xc3]), Buffer.from([0x73, 0xed, 0xa0, 0x80, 0x21])];
const LINES: Buffer[] = [
  ...['plain line', 'quotes " and \\ backslash \\"', 'tab\there, controls \u0001 \u001f \u007f \b \f', 'unicode é 😀 \u2028 \u2029 \uFEFF', '{"already":"json"}', ''].map((text) => Buffer.from(text)),
  ...INVALID,
  LONG_LINE,
  ...Array.from({ length: 3000 }, (_, i) => Buffer.from(`line ${i} ${'x'.repeat(i % 120)}`)),
];
const replacing = new TextDecoder('utf-8', { ignoreBOM: true });

interface Envelope {
  timestamp: string;
  file: string;
  kubernetes: Record<string, unknown>;
  headers: Record<string, string>;
  message: string;
}

/**
 * A TAILDIR agent shipping `lines` of <volume>/sub/app.log (with the operator's pod headers) with
 * the sink keys `format(volume)`; the records once all are acknowledged.
 */
async function ship(format: (volume: string) => string[], lines: readonly Buffer[], name: string): Promise<{ records: ConsumedRecord[]; topic: string; metrics: string; readFrom: number; readBy: number; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), `logshipper-${name}-`));
  const volume = join(dir, 'volume');
  const logDir = join(volume, 'sub');
  mkdirSync(logDir, { recursive: true });
  const file = join(logDir, 'app.log');
  writeFileSync(file, '');
  const topic = uniqueName(name);
  await createTopic(topic);
  const conf = join(dir, 'agent.properties');
  writeFileSync(conf, kafkaPipeline({
    topic,
    source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${logDir}/app\\\\.log`, `positionFile = ${join(dir, 'positions.json')}`,
      'fileHeader = true', 'fileHeaderKey = k8s.file.path', 'headers.g.env = prod',
      ...Object.entries(POD_HEADERS).map(([header, value]) => `headers.g.${header} = ${value}`)],
    channel: ['capacity = 10000', 'transactionCapacity = 500'],
    sink: ['flumeBatchSize = 500', 'max.message.size = 4096', 'oversizePolicy = split', ...format(volume)],
  }));
  const agent = startAgent(conf, 'a');
  try {
    const port = await httpPort(agent);
    const readFrom = Date.now();
    appendFileSync(file, Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
    const metrics = await metricsOnceDelivered(port, file, 60_000);
    const readBy = Date.now();
    const records = await readTopic(topic);
    agent.process.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    return { records, topic, metrics, readFrom, readBy, file };
  } finally {
    agent.process.kill('SIGKILL');
  }
}

describe('record formats -> real Kafka', () => {
  it('json: one JSON object per record (escapes, invalid UTF-8 as U+FFFD, a split line whole objects), pod facts under documented names, no record headers', { timeout: 120_000 }, async () => {
    const { records, metrics, readFrom, readBy } = await ship(() => ['format = json', 'json.fileHeader = k8s.file.path'], LINES, 'format-json');
    const envelopes = records.map((record) => {
      assert.deepEqual(record.headers, {}, 'no record headers in json');
      return JSON.parse(record.value) as Envelope;
    });
    const longPieces = envelopes.filter((e) => !LINES.some((line) => line !== LONG_LINE && replacing.decode(line) === e.message));
    assert.ok(longPieces.length >= 3, `the long line split into ${longPieces.length} records`);
    assert.equal(longPieces.map((e) => e.message).join(''), LONG_LINE.toString('utf8'), 'the pieces make the long line again, in order');
    const messages = envelopes.filter((e) => !longPieces.includes(e)).map((e) => e.message);
    assert.deepEqual(multisetDiff(LINES.filter((line) => line !== LONG_LINE).map((line) => replacing.decode(line)), messages), { missing: 0, extra: 0 });
    for (const [i, e] of envelopes.entries()) {
      assert.match(e.file, /\/volume\/sub\/app\.log$/);
      assert.deepEqual(e.kubernetes, { pod_name: 'web-0', pod_namespace: 'shop', pod_uid: POD_HEADERS['k8s.pod.uid'], container_name: 'app', pod_node_name: 'node-1', pod_labels: { app: 'web' } });
      assert.deepEqual(e.headers, { env: 'prod' });
      const read = Date.parse(e.timestamp);
      assert.match(e.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(read, records[i]?.timestamp, 'the envelope timestamp is the record timestamp (the read time)');
      assert.ok(read >= readFrom && read <= readBy, `read time ${read} in ${readFrom}..${readBy}`);
    }
    // TAILDIR replaces invalid sequences as it reads (counted there); the envelope's own replacement serves other sources.
    const replaced = INVALID.reduce((sum, line) => sum + [...replacing.decode(line)].filter((char) => char === '\uFFFD').length, 0);
    assert.equal(metric(metrics, 'logshipper_source_invalid_sequences_total{source="s"}'), replaced);
    assert.equal(metric(metrics, 'logshipper_sink_records_oversized_total{sink="k"}'), 1);
  });

  it('json from a source that keeps invalid UTF-8 (exec): the envelope replaces it with U+FFFD, counted per record', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-format-exec-'));
    const input = join(dir, 'input.log');
    const lines = [...INVALID, Buffer.from('valid é')];
    writeFileSync(input, Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
    const topic = uniqueName('format-json-exec');
    await createTopic(topic);
    const conf = join(dir, 'agent.properties');
    // The command stays up after cat so that the metrics can be read before the agent stops.
    writeFileSync(conf, kafkaPipeline({ topic, source: ['type = exec', `command = cat ${input}; exec sleep 60`, 'shell = /bin/sh -c'], sink: ['format = json'] }));
    const agent = startAgent(conf, 'a');
    try {
      const port = await httpPort(agent);
      const records = await waitForRecords(topic, lines.length);
      assert.deepEqual(multisetDiff(lines.map((line) => replacing.decode(line)), records.map((record) => (JSON.parse(record.value) as Envelope).message)), { missing: 0, extra: 0 });
      let metrics = '';
      for (let i = 0; i < 50 && metric(metrics, 'logshipper_sink_events_drained_total{sink="k"}') !== lines.length; i++) {
        metrics = await getText(port, '/metrics');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(metric(metrics, 'logshipper_sink_records_invalid_utf8_total{sink="k"}'), INVALID.length);
      agent.process.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    } finally {
      agent.process.kill('SIGKILL');
    }
  });

  it('json with json.fileRoot: the file as the app sees it, relative to the volume', { timeout: 60_000 }, async () => {
    const { records } = await ship((volume) => ['format = json', 'json.fileHeader = k8s.file.path', `json.fileRoot = ${volume}`], [Buffer.from('one'), Buffer.from('two')], 'format-json-root');
    assert.deepEqual(records.map((record) => (JSON.parse(record.value) as Envelope).file), ['sub/app.log', 'sub/app.log']);
  });

  it('flume-event (useFlumeEventFormat): every record an AvroFlumeEvent that Apache Avro decodes, bodies the lines byte for byte (as TAILDIR read them), headers the event headers', { timeout: 180_000 }, async () => {
    const { topic, readFrom, readBy, file } = await ship(() => ['useFlumeEventFormat = true'], LINES, 'format-flume');
    const events = await readFlumeEvents(topic);
    const base64 = (bytes: Buffer): string => bytes.toString('base64');
    // As TAILDIR reads them: invalid UTF-8 sequences replaced by U+FFFD.
    const read = (line: Buffer): string => base64(Buffer.from(replacing.decode(line), 'utf8'));
    const shortLines = new Set(LINES.filter((line) => line !== LONG_LINE).map(read));
    const longPieces = events.filter((event) => !shortLines.has(base64(event.body)));
    assert.ok(longPieces.length >= 3, `the long line split into ${longPieces.length} events`);
    assert.ok(Buffer.concat(longPieces.map((event) => event.body)).equals(LONG_LINE), 'the pieces make the long line again');
    assert.deepEqual(multisetDiff(LINES.filter((line) => line !== LONG_LINE).map(read), events.filter((e) => !longPieces.includes(e)).map((e) => base64(e.body))), { missing: 0, extra: 0 });
    for (const event of events) {
      assert.deepEqual(event.headers, { ...POD_HEADERS, env: 'prod', 'k8s.file.path': file });
      assert.ok(event.timestamp >= readFrom && event.timestamp <= readBy);
    }
    const raw = await waitForRecords(topic, events.length);
    assert.ok(raw.every((record) => Object.keys(record.headers).length === 0), 'no record headers: they are in the event');
  });

  it('timestampFormat: the record timestamp is the time in the line, the read time where it has none or an invalid one (counted)', { timeout: 60_000 }, async () => {
    const stamped = Array.from({ length: 500 }, (_, i) => {
      const ms = Date.UTC(2026, 10, 1, 0, 0, 0) + i * 61_001;
      const offset = (i % 5) - 2;
      const local = new Date(ms + offset * 3_600_000).toISOString().slice(0, -1);
      return { ms, line: `${local}${offset < 0 ? '-' : '+'}0${Math.abs(offset)}:00 INFO stamped ${i}` };
    });
    const unstamped = ['no time in this line', '2026-02-30T00:00:00Z not a date', `${new Date(Date.now() + 7_200_000).toISOString()} two hours ahead`];
    const { records, metrics, readFrom, readBy } = await ship(() => ['timestampFormat = iso8601'], [...stamped.map((s) => s.line), ...unstamped].map((line) => Buffer.from(line)), 'format-ts');
    const byValue = new Map(records.map((record) => [record.value, record.timestamp]));
    assert.equal(records.length, stamped.length + unstamped.length);
    for (const { ms, line } of stamped) assert.equal(byValue.get(line), ms, line);
    for (const line of unstamped) {
      const ts = byValue.get(line) ?? Number.NaN;
      assert.ok(ts >= readFrom && ts <= readBy, `${line}: read time ${ts} in ${readFrom}..${readBy}`);
    }
    assert.equal(metric(metrics, 'logshipper_sink_timestamp_fallbacks_total{sink="k"}'), unstamped.length);
  });
});

describe('operator-rendered Json with a line timestamp -> real Kafka', () => {
  it('ships the envelope with the pod facts the injector provides, the file relative to the volume, the time from the line', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-format-rendered-'));
    const volume = join(dir, 'volume');
    const state = join(dir, 'state');
    mkdirSync(join(volume, 'app'), { recursive: true });
    mkdirSync(state);
    const topic = uniqueName('format-rendered');
    await createTopic(topic);
    const { text, env } = render(resolveSpec({
      volume: 'logs',
      files: [{ path: 'app/*.log', headers: { team: 'shop' } }],
      kafka: { brokers: brokers().split(','), topic, batchSize: 100, format: 'Json', timestamp: { format: 'Iso8601', pattern: '^\\[([^\\]]+)\\]' } },
      enrichment: { labels: ['app.kubernetes.io/name'] },
    }), { namespace: 'shop', name: 'web' });
    const values: Record<string, string> = {
      [ENV.podName]: 'web-7d9f8', [ENV.podNamespace]: 'shop', [ENV.podUID]: 'c0ffee00-0000-4000-8000-000000000001', [ENV.nodeName]: 'node-1',
      [ENV.container]: 'app', [labelEnvName('app.kubernetes.io/name')]: 'web',
    };
    assert.deepEqual(env, Object.keys(values).sort(), 'the injector provides every variable the configuration refers to');
    let conf = text.replaceAll(LOG_VOLUME_MOUNT_PATH, volume).replaceAll(STATE_MOUNT_PATH, state);
    for (const [name, value] of Object.entries(values)) conf = conf.replaceAll(`\${${name}}`, value);
    writeFileSync(join(dir, 'agent.properties'), conf);
    const lines = Array.from({ length: 200 }, (_, i) => ({ ms: Date.UTC(2026, 10, 30, 12, 0, i % 60, i), text: `[${new Date(Date.UTC(2026, 10, 30, 12, 0, i % 60, i)).toISOString()}] request ${i} "GET /"` }));
    lines.push({ ms: Number.NaN, text: 'no time here' });
    const agent = startAgent(join(dir, 'agent.properties'), AGENT_NAME);
    try {
      await httpPort(agent);
      const readFrom = Date.now();
      appendFileSync(join(volume, 'app', 'web.log'), lines.map((line) => `${line.text}\n`).join(''));
      const records = await waitForRecords(topic, lines.length);
      const readBy = Date.now();
      assert.equal(records.length, lines.length);
      const byMessage = new Map(records.map((record) => [(JSON.parse(record.value) as Envelope).message, { record, envelope: JSON.parse(record.value) as Envelope }]));
      for (const line of lines) {
        const found = byMessage.get(line.text);
        assert.ok(found !== undefined, line.text);
        const { record, envelope } = found;
        assert.deepEqual(record.headers, {});
        assert.equal(envelope.file, 'app/web.log');
        assert.deepEqual(envelope.kubernetes, {
          pod_name: 'web-7d9f8', pod_namespace: 'shop', pod_uid: 'c0ffee00-0000-4000-8000-000000000001', container_name: 'app', pod_node_name: 'node-1',
          pod_labels: { 'app.kubernetes.io/name': 'web' },
        });
        assert.deepEqual(envelope.headers, { team: 'shop' });
        if (Number.isNaN(line.ms)) assert.ok(record.timestamp >= readFrom && record.timestamp <= readBy, 'no time in the line: the read time');
        else assert.equal(record.timestamp, line.ms, line.text);
        const read = Date.parse(envelope.timestamp);
        assert.ok(read >= readFrom && read <= readBy, 'the envelope timestamp is the read time');
      }
      agent.process.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    } finally {
      agent.process.kill('SIGKILL');
    }
  });
});
