// Routing against the real broker, read back with kcat: kafka.topic and partition.key as
// %{header} templates over TAILDIR file groups, a file group's own topic (filegroups.<g>.topic)
// with allowTopicOverride off and a `topic` header that must not win, a header missing at run
// time (rendered empty, as in Flume), and a rendered topic Kafka would refuse (to fallbackTopic,
// with the lines after it still flowing). Every line is counted across all topics. And the same
// from a LogShipper: what the operator renders for spec.files[].topic and the templates; and a
// group topic changed by a reload.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokers, createTopic, deleteTopics, readTopic, waitForRecords, type ConsumedRecord } from '../../helpers/kafka.ts';
import { getText, httpPort, metric, startAgent, watchProcess } from '../../helpers/agent.ts';
import { renderedAgentConfig } from '../../helpers/rendered-agent.ts';
import { AGENT_NAME, ENV } from '../../../operator/sidecar-layout.ts';
import { requireEnv, uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';
import { multisetDiff } from '../../helpers/multiset.ts';

const LINES_PER_FILE = 500;
const ROOT = new URL('../../../', import.meta.url).pathname;
const execFileAsync = promisify(execFile);

interface Group {
  name: string;
  /** Source keys of the group besides its path. */
  keys: string[];
  /** The app header's value, as the key template renders it. */
  app: string;
  /** Where its lines must land. */
  topic: string;
}

describe('Kafka sink routing -> real Kafka', () => {
  it('routes by templates and file group topics, keys by template, renders missing headers empty and reroutes invalid topics, counting every line', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-routing-'));
    const prefix = uniqueName('routing');
    const fallback = `${prefix}-fallback`;
    const groups: Group[] = [
      { name: 'one', keys: ['headers.one.app = alpha'], app: 'alpha', topic: `${prefix}.alpha` },
      { name: 'two', keys: ['headers.two.app = beta'], app: 'beta', topic: `${prefix}.beta` },
      // No app header: `${prefix}.` (Flume renders a missing header empty), still a valid name.
      { name: 'three', keys: [], app: '', topic: `${prefix}.` },
      // A value Kafka refuses in a topic name: to fallbackTopic.
      { name: 'four', keys: ['headers.four.app = bad name'], app: 'bad name', topic: fallback },
      // Its own topic; a static `topic` header must not re-route it (allowTopicOverride is off).
      { name: 'five', keys: ['headers.five.app = gamma', `headers.five.topic = ${prefix}-stolen`, `filegroups.five.topic = ${prefix}-group-%{app}`], app: 'gamma', topic: `${prefix}-group-gamma` },
    ];
    const topics = [...new Set(groups.map((group) => group.topic))];
    for (const topic of topics) await createTopic(topic, 3);
    try {
      for (const group of groups) writeFileSync(join(dir, `${group.name}.log`), '');
      const conf = join(dir, 'agent.properties');
      writeFileSync(conf, kafkaPipeline({
        topic: `${prefix}.%{app}`,
        source: ['type = TAILDIR', `filegroups = ${groups.map((group) => group.name).join(' ')}`, `positionFile = ${join(dir, 'positions.json')}`,
          'batchSize = 50', 'byteOffsetHeader = true', 'readInterval = 20',
          ...groups.flatMap((group) => [`filegroups.${group.name} = ${join(dir, `${group.name}\\.log`)}`, ...group.keys])],
        // Small batches mixing every group, so that a record for fallbackTopic shares batches with good ones.
        sink: ['flumeBatchSize = 40', 'kafka.producer.linger.ms = 5', `fallbackTopic = ${fallback}`, 'allowTopicOverride = false', 'partition.key = %{app}@%{byteoffset}'],
      }));
      const agent = startAgent(conf, 'a');
      try {
        const port = await httpPort(agent);
        await agent.waitForLog((line) => line['msg'] === 'tailing');
        // Lines written in rounds across the files, the invalid-topic group first in each round.
        const written = new Map(groups.map((group) => [group.name, [] as { line: string; offset: number }[]]));
        const offsets = new Map(groups.map((group) => [group.name, 0]));
        for (let round = 0; round < 10; round++) {
          for (const group of [...groups].reverse()) {
            const lines = Array.from({ length: LINES_PER_FILE / 10 }, (_, i) => `${group.name} line ${round * (LINES_PER_FILE / 10) + i}`);
            for (const line of lines) {
              const offset = offsets.get(group.name) ?? 0;
              written.get(group.name)?.push({ line, offset });
              offsets.set(group.name, offset + Buffer.byteLength(line) + 1);
            }
            appendFileSync(join(dir, `${group.name}.log`), lines.join('\n') + '\n');
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }

        const found = new Map<string, ConsumedRecord[]>();
        for (const topic of topics) {
          const expected = groups.filter((group) => group.topic === topic).length * LINES_PER_FILE;
          found.set(topic, await waitForRecords(topic, expected));
        }
        const all = [...found.values()].flat();
        const lines = [...written.values()].flat().map(({ line }) => line);
        assert.deepEqual(multisetDiff(lines, all.map((record) => record.value)), { missing: 0, extra: 0 }, 'every line once, across all topics');
        for (const group of groups) {
          const records = (found.get(group.topic) ?? []).filter((record) => record.value.startsWith(`${group.name} `));
          assert.equal(records.length, LINES_PER_FILE, `group ${group.name} -> ${group.topic}`);
          const keyOf = new Map((written.get(group.name) ?? []).map(({ line, offset }) => [line, `${group.app}@${offset}`]));
          const wrongKeys = records.filter((record) => record.key !== keyOf.get(record.value));
          assert.deepEqual(wrongKeys.slice(0, 3).map((record) => [record.value, record.key]), [], `group ${group.name}: keyed ${group.app}@<byte offset>`);
        }
        assert.equal((await readTopic(`${prefix}-stolen`).catch(() => [])).filter((record) => record.value.startsWith('five ')).length, 0, 'the topic header does not re-route');

        const metrics = await getText(port, '/metrics');
        assert.equal(metric(metrics, 'logshipper_sink_records_rerouted_total{sink="k"}'), LINES_PER_FILE, 'each record of group four once');
        assert.equal(metric(metrics, 'logshipper_sink_template_headers_missing_total{sink="k"}'), LINES_PER_FILE, 'each event of group three once');
        assert.equal(metric(metrics, 'logshipper_sink_rollbacks_total{sink="k"}'), 0, 'nothing was refused or retried');
        const warnings = agent.logs.filter((line) => line['level'] === 40).map((line) => line['msg']);
        assert.equal(warnings.filter((msg) => String(msg).startsWith('an event lacks a header')).length, 2, 'once for the topic, once for the key template');
        assert.equal(warnings.filter((msg) => String(msg).startsWith('rendered topic is not a valid Kafka topic name')).length, 1);
        console.log(`routed ${String(all.length)} lines to ${String(topics.length)} topics: ${topics.map((topic) => `${topic} ${String(found.get(topic)?.length)}`).join(', ')}`);
        agent.process.kill('SIGTERM');
        assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
      } finally {
        agent.process.kill('SIGKILL');
      }
    } finally {
      await deleteTopics(topics);
    }
  });

  it("a LogShipper's file topics and topic and key templates, as the operator renders them, route and key every line", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-routing-crd-'));
    mkdirSync(join(dir, 'volume', 'app'), { recursive: true });
    const prefix = uniqueName('routing-crd');
    const spec = {
      volume: 'logs',
      files: [
        { path: 'app/*.log', headers: { team: 'shop' }, topic: `${prefix}-%{team}` },
        { path: 'audit.log', topic: `${prefix}-audit` },
        { path: 'other.log' },
      ],
      kafka: { brokers: brokers().split(','), topic: `${prefix}.%{k8s.pod.namespace}`, fallbackTopic: `${prefix}-unrouted`, key: { template: '%{k8s.pod.name}/%{team}' }, lingerMs: 5 },
      enrichment: { fields: ['PodName', 'Namespace'] },
    };
    const pod: Record<string, string> = { [ENV.podName]: 'web-1', [ENV.podNamespace]: 'shop' };
    // Where each file's lines must land, and their key (a header a file's lines lack renders empty).
    const files = [
      { file: 'app/a.log', topic: `${prefix}-shop`, key: 'web-1/shop' },
      { file: 'audit.log', topic: `${prefix}-audit`, key: 'web-1/' },
      { file: 'other.log', topic: `${prefix}.shop`, key: 'web-1/' },
    ];
    for (const { topic } of files) await createTopic(topic, 2);
    const rendered = renderedAgentConfig(spec, { namespace: 'shop', name: 'web' }, dir);
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, rendered.text);
    const env = Object.fromEntries(rendered.env.map((name) => [name, pod[name] ?? name.toLowerCase()]));
    const child = spawn(process.execPath, ['cli/main.ts', 'agent', '-f', conf, '-n', AGENT_NAME, '--http-port', '0'], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const agent = watchProcess(child, 'agent');
    try {
      await agent.waitForLog((line) => line['msg'] === 'tailing');
      const written = files.map(({ file }) => Array.from({ length: LINES_PER_FILE }, (_, i) => `${file} line ${i}`));
      for (const [index, { file }] of files.entries()) writeFileSync(join(dir, 'volume', file), (written[index] ?? []).join('\n') + '\n');
      for (const [index, { file, topic, key }] of files.entries()) {
        const records = await waitForRecords(topic, LINES_PER_FILE);
        assert.deepEqual(multisetDiff(written[index] ?? [], records.map((record) => record.value)), { missing: 0, extra: 0 }, `${file} -> ${topic}, every line once`);
        assert.deepEqual([...new Set(records.map((record) => record.key))], [key], `${file}: keyed ${key}`);
        assert.equal(records[0]?.headers['k8s.pod.name'], 'web-1');
      }
      assert.equal((await readTopic(`${prefix}-unrouted`).catch(() => [])).length, 0, 'no line needed the fallback');
      // The keys as kcat prints them (key, space, value), for the file with its own topic.
      const { stdout } = await execFileAsync(requireEnv('KCAT'), ['-C', '-b', brokers(), '-t', `${prefix}-shop`, '-o', 'beginning', '-e', '-q', '-f', '%k %s\\n'], { maxBuffer: 1 << 26 });
      const printed = stdout.split('\n').filter((line) => line !== '');
      assert.deepEqual(multisetDiff((written[0] ?? []).map((line) => `web-1/shop ${line}`), printed), { missing: 0, extra: 0 }, 'kcat -f "%k %s"');
      child.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    } finally {
      child.kill('SIGKILL');
      await deleteTopics(files.map(({ topic }) => topic));
    }
  });

  it("a changed file group topic takes effect by a reload, without a restart: every line once, the later ones in the new topic", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-routing-reload-'));
    const prefix = uniqueName('routing-reload');
    const [before, after] = [`${prefix}-before`, `${prefix}-after`];
    for (const topic of [before, after]) await createTopic(topic, 1);
    const input = join(dir, 'app.log');
    writeFileSync(input, '');
    const conf = join(dir, 'agent.properties');
    const config = (topic: string): string => kafkaPipeline({
      topic: `${prefix}-default`,
      source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${dir}/app\\.log`, `positionFile = ${join(dir, 'positions.json')}`, 'readInterval = 20', `filegroups.g.topic = ${topic}`],
      sink: ['kafka.producer.linger.ms = 5'],
    });
    writeFileSync(conf, config(before));
    const agent = startAgent(conf, 'a');
    try {
      await agent.waitForLog((line) => line['msg'] === 'tailing');
      const first = Array.from({ length: LINES_PER_FILE }, (_, i) => `first ${i}`);
      appendFileSync(input, first.join('\n') + '\n');
      assert.equal((await waitForRecords(before, first.length)).length, first.length);
      writeFileSync(conf, config(after));
      agent.process.kill('SIGHUP');
      await agent.waitForLog((line) => line['msg'] === 'configuration reloaded');
      const second = Array.from({ length: LINES_PER_FILE }, (_, i) => `second ${i}`);
      appendFileSync(input, second.join('\n') + '\n');
      const moved = await waitForRecords(after, second.length);
      assert.deepEqual(multisetDiff(second, moved.map((record) => record.value)), { missing: 0, extra: 0 }, 'the later lines in the new topic, once');
      assert.deepEqual(multisetDiff(first, (await readTopic(before)).map((record) => record.value)), { missing: 0, extra: 0 }, 'the earlier lines in the old topic, once');
      assert.equal(agent.process.exitCode, null, 'the same process');
      agent.process.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    } finally {
      agent.process.kill('SIGKILL');
      await deleteTopics([before, after]);
    }
  });

  it('refuses at start a template naming a header no event can have, naming the key, the header and the headers that exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-routing-bad-'));
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, kafkaPipeline({
      topic: 'logs-%{application}',
      source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${dir}/app\\.log`, `positionFile = ${join(dir, 'positions.json')}`, 'headers.g.app = shop'],
    }));
    const agent = startAgent(conf, 'a');
    assert.equal(await agent.exited, 2);
    assert.match(agent.stderr.join('\n'), /a\.sinks\.k\.kafka\.topic: invalid value "logs-%\{application\}": %\{application\} names a header that no event reaching this sink \(from s\) can have \(they can have app;/);
  });
});
