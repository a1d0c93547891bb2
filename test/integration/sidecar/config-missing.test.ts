// The agent whose configuration file is missing, as in a pod whose `optional` ConfigMap volume has
// no ConfigMap (deleted with its LogShipper): it idles with its HTTP endpoints up (/healthz 200,
// so the kubelet does not restart it; /readyz 503 naming the file), starts the pipeline when the
// file appears (the kubelet's way: ..data swapped), and keeps shipping when the file is removed
// again; a new file is a reload. Three delete/restore rounds; every line written, before the file
// appeared and in between, is in the topic exactly once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, readTopic, waitForRecords } from '../../helpers/kafka.ts';
import { getJson, httpPort, startAgent, type RunningAgent } from '../../helpers/agent.ts';
import { ConfigMapDir } from '../../helpers/configmap-dir.ts';
import { uniqueName } from '../../helpers/env.ts';
import { multisetDiff } from '../../helpers/multiset.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

const ROUNDS = 3;
const LINES = 300;

interface Readiness {
  ready: boolean;
  config: { file: string; state: string; reason: string | null };
}

async function readyz(port: number): Promise<{ status: number; body: Readiness }> {
  const { status, body } = await getJson(port, '/readyz');
  return { status, body: body as Readiness };
}

function count(agent: RunningAgent, msg: string): number {
  return agent.logs.filter((line) => line['msg'] === msg).length;
}

describe('agent without its configuration file', () => {
  it('idles until the file appears, ships every line, and keeps shipping while the file is removed and restored (3 rounds)', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-config-missing-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const app = join(logs, 'app.log');
    const topic = uniqueName('config-missing');
    await createTopic(topic, 1);
    const config = (rev: number): string => kafkaPipeline({
      topic,
      source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${logs}/app\\.log`, `headers.g.rev = ${rev}`, `positionFile = ${dir}/positions.json`, 'pollInterval = 100'],
    });
    const written: string[] = [];
    const write = (what: string): void => {
      const lines = Array.from({ length: LINES }, (_, i) => `${what} line ${i}`);
      appendFileSync(app, lines.map((line) => `${line}\n`).join(''));
      written.push(...lines);
    };
    const delivered = async (): Promise<void> => {
      const records = await waitForRecords(topic, written.length, 30_000);
      assert.ok(records.length >= written.length, `${records.length} of ${written.length} lines in the topic`);
    };

    const configMap = new ConfigMapDir({});
    const file = configMap.path('agent.properties');
    writeFileSync(app, '');
    write('before the file');
    const agent = startAgent(file, 'a');
    try {
      const port = await httpPort(agent);
      await agent.waitForLog((line) => String(line['msg']).startsWith('configuration file does not exist'));
      assert.equal((await getJson(port, '/healthz')).status, 200, 'alive while waiting: the kubelet does not restart it');
      const waiting = await readyz(port);
      assert.equal(waiting.status, 503);
      assert.equal(waiting.body.config.state, 'waiting');
      assert.ok(waiting.body.config.reason?.includes(file), `the reason names the file: ${String(waiting.body.config.reason)}`);
      await new Promise((resolve) => setTimeout(resolve, 2500)); // a poll of the watcher or two: still once
      assert.equal(agent.logs.filter((line) => String(line['msg']).startsWith('configuration file does not exist')).length, 1, 'logged once');

      configMap.update({ 'agent.properties': config(1) });
      await agent.waitForLog((line) => line['msg'] === 'configuration file appeared: pipeline started');
      assert.equal((await readyz(port)).status, 200);
      write('after the file appeared');
      await delivered();

      for (let round = 1; round <= ROUNDS; round++) {
        configMap.update({}); // the ConfigMap deleted
        await agent.waitForLog(() => count(agent, 'configuration file removed: the running configuration stays until a new file appears') >= round);
        const gone = await readyz(port);
        assert.equal(gone.body.config.state, 'gone');
        assert.ok(gone.body.config.reason?.includes('keeps running'));
        write(`round ${round} while removed`);
        await delivered();
        configMap.update({ 'agent.properties': config(round + 1) }); // re-created, changed
        await agent.waitForLog(() => count(agent, 'configuration reloaded') >= round);
        assert.equal((await readyz(port)).body.config.state, 'loaded');
        write(`round ${round} after the reload`);
        await delivered();
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const records = await readTopic(topic);
      const diff = multisetDiff(written, records.map((record) => record.value));
      console.log(`config missing: ${records.length} records for ${written.length} lines (missing ${diff.missing}, extra ${diff.extra}) over ${ROUNDS} delete/restore rounds`);
      assert.deepEqual(diff, { missing: 0, extra: 0 }, 'every line exactly once');
      assert.ok(records.filter((record) => record.value.startsWith(`round ${ROUNDS} after`)).every((record) => record.headers['rev'] === String(ROUNDS + 1)), 'the last file is the running configuration');
    } finally {
      agent.process.kill('SIGTERM');
    }
    assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    rmSync(dir, { recursive: true, force: true });
    rmSync(configMap.dir, { recursive: true, force: true });
  });
});
