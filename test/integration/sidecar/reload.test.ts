// Hot reloads of a changed TAILDIR source against real Kafka, behind a slow sink (batches of 1,
// so the channel is full at every reload): the replaced source's events still in the channel
// are delivered once, and the new source goes on where the old one read, not from the last
// acknowledged position. Each reload changes something that shapes the events (a header, a new
// file group, the pattern and the line length), by a file change and by SIGHUP.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, readTopic, type ConsumedRecord } from '../../helpers/kafka.ts';
import { getText, httpPort, metric, startAgent } from '../../helpers/agent.ts';
import { ConfigMapDir } from '../../helpers/configmap-dir.ts';
import { uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

const RELOADS = 3;
const APP_LINES = 12_000;
const OTHER_LINES = 1500;

/** The source of configuration `generation`: 1 changes a header, 2 adds a file group, 3 changes the pattern and maxLineLength. */
function config(topic: string, logs: string, positions: string, generation: number): string {
  const groups = generation >= 2 ? ['filegroups = g h', `filegroups.h = ${logs}/other\\.log`, `headers.h.rev = ${generation}`] : ['filegroups = g'];
  return kafkaPipeline({
    topic,
    source: [
      'type = TAILDIR', ...groups,
      `filegroups.g = ${logs}/${generation >= 3 ? 'app.*' : 'app'}\\.log`, `headers.g.rev = ${generation}`,
      `positionFile = ${positions}`, 'batchSize = 100', `maxLineLength = ${generation >= 3 ? 4096 : 2048}`,
    ],
    channel: ['capacity = 2000', 'transactionCapacity = 100'],
    sink: ['flumeBatchSize = 1'],
  });
}

/** Second and later copies of each line, counted by the `rev` header (the source generation that read the copy). */
function duplicatesByGeneration(records: readonly ConsumedRecord[]): number[] {
  const seen = new Set<string>();
  const counts = Array.from({ length: RELOADS + 1 }, () => 0);
  for (const record of records) {
    const generation = Number(record.headers['rev']);
    if (seen.has(record.value)) counts[generation] = (counts[generation] ?? 0) + 1;
    seen.add(record.value);
  }
  return counts;
}

async function runReloads(trigger: 'file change' | 'SIGHUP'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-reload-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const app = join(logs, 'app.log');
  const positions = join(dir, 'positions.json');
  const topic = uniqueName('reload-taildir');
  await createTopic(topic);
  const written = Array.from({ length: APP_LINES }, (_, i) => `app line ${i}`);
  const other = Array.from({ length: OTHER_LINES }, (_, i) => `other line ${i}`);
  writeFileSync(join(logs, 'other.log'), other.join('\n') + '\n');
  const chunk = APP_LINES / (RELOADS + 1);
  writeFileSync(app, written.slice(0, chunk).join('\n') + '\n');

  const configMap = new ConfigMapDir({ 'agent.properties': config(topic, logs, positions, 0) });
  const plain = join(dir, 'agent.properties');
  writeFileSync(plain, config(topic, logs, positions, 0));
  const agent = trigger === 'SIGHUP'
    ? startAgent(plain, 'a', ['--no-reload-conf'])
    : startAgent(configMap.path('agent.properties'), 'a');
  try {
    const port = await httpPort(agent);
    for (let generation = 1; generation <= RELOADS; generation++) {
      // Some of this generation's lines delivered, the channel full behind the slow sink.
      const drained = async (): Promise<number> => metric(await getText(port, '/metrics'), 'logshipper_sink_events_drained_total{sink="k"}') ?? 0;
      const target = (await drained()) + 1000;
      while ((await drained()) < target) await new Promise((resolve) => setTimeout(resolve, 100));
      appendFileSync(app, written.slice(generation * chunk, (generation + 1) * chunk).join('\n') + '\n');
      if (trigger === 'SIGHUP') {
        writeFileSync(plain, config(topic, logs, positions, generation));
        agent.process.kill('SIGHUP');
      } else {
        configMap.update({ 'agent.properties': config(topic, logs, positions, generation) });
      }
      await agent.waitForLog(() => agent.logs.filter((line) => line['msg'] === 'configuration reloaded').length >= generation);
      const reloaded = agent.logs.filter((line) => line['msg'] === 'configuration reloaded')[generation - 1];
      assert.deepEqual(reloaded?.['restarted'], ['source.s'], `reload ${generation} restarts the source only`);
    }
    const expected = [...written, ...other];
    const deadline = Date.now() + 90_000;
    let records: ConsumedRecord[] = [];
    while (Date.now() < deadline) {
      const size = metric(await getText(port, '/metrics'), 'logshipper_channel_size{channel="c"}');
      records = await readTopic(topic);
      if (size === 0 && new Set(records.map((r) => r.value)).size >= expected.length) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    records = await readTopic(topic);
    const duplicates = duplicatesByGeneration(records);
    const got = new Set(records.map((r) => r.value));
    const lost = expected.filter((line) => !got.has(line)).length;
    const unknown = records.filter((r) => !expected.includes(r.value)).length;
    console.log(`reload (${trigger}): ${records.length} records for ${expected.length} lines; duplicates by reload ${duplicates.slice(1).join(', ')}; lost ${lost}; unknown ${unknown}`);
    assert.deepEqual({ duplicates, lost, unknown }, { duplicates: duplicates.map(() => 0), lost: 0, unknown: 0 }, 'every line exactly once across the reloads');
    assert.deepEqual(records.map((r) => r.value).sort(), [...expected].sort());
    // Each generation's events carry its headers: the new group's file was read by generation 2 or later.
    assert.ok(records.filter((r) => r.value.startsWith('other')).every((r) => Number(r.headers['rev']) >= 2));
  } finally {
    agent.process.kill('SIGTERM');
  }
  assert.equal(await agent.exited, 0);
}

describe('reload of a changed TAILDIR source', () => {
  it('by a file change, 3 times mid-stream behind a slow sink: every line exactly once', { timeout: 150_000 }, async () => {
    await runReloads('file change');
  });

  it('by SIGHUP, 3 times mid-stream behind a slow sink: every line exactly once', { timeout: 150_000 }, async () => {
    await runReloads('SIGHUP');
  });
});
