// TAILDIR against real Kafka: a glob finds a file created after start (in a new directory),
// deleted files are read to their end and then released (no descriptor leak, counted in
// /proc/<pid>/fd), a Java stack trace arrives as one event, and a partial line is completed
// across writes into one event.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, waitForRecords } from '../../helpers/kafka.ts';
import { startAgent, type RunningAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Descriptors of process `pid` open on files under `dir`. */
function openFilesUnder(pid: number, dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith(dir + '/')) open.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return open;
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function agentConfig(dir: string, topic: string, source: string[]): string {
  const conf = join(dir, 'agent.properties');
  writeFileSync(conf, kafkaPipeline({ topic, source: ['type = TAILDIR', `positionFile = ${dir}/state/positions.json`, ...source] }));
  return conf;
}

async function stop(agent: RunningAgent): Promise<void> {
  agent.process.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
}

describe('TAILDIR files -> real Kafka', () => {
  it('a glob discovers a file created after start; deleted files are read to their end and their descriptors released', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-taildir-files-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const topic = uniqueName('taildir-glob');
    await createTopic(topic, 1);
    const conf = agentConfig(dir, topic, ['filegroups = pods', `filegroups.pods = ${logs}/**/*.log`, 'rotateWait = 300', 'pollInterval = 100', 'fileHeader = true', 'headers.pods.source = glob']);
    const agent = startAgent(conf, 'a');
    try {
      await agent.waitForLog((line) => line['msg'] === 'agent started');
      const pid = agent.process.pid;
      assert.ok(pid !== undefined);
      assert.deepEqual(openFilesUnder(pid, logs), [], 'nothing to tail yet');

      // Created after start, in a directory created after start.
      mkdirSync(join(logs, 'pod-a'));
      const late = join(logs, 'pod-a', 'app.log');
      writeFileSync(late, 'late 1\nlate 2\n');
      writeFileSync(join(logs, 'pod-a', 'app.txt'), 'not matched\n');
      const first = await waitForRecords(topic, 2, 15_000);
      assert.deepEqual(first.map((r) => r.value), ['late 1', 'late 2']);
      assert.deepEqual(first[0]?.headers, { source: 'glob', file: late });

      // Ten files, written while tailed, then deleted with more lines written just before.
      const files = Array.from({ length: 10 }, (_, i) => join(logs, `f${i}.log`));
      for (const [i, file] of files.entries()) writeFileSync(file, `file ${i} line 0\n`);
      await until('the ten files to be tailed', () => openFilesUnder(pid, logs).length === 11);
      for (const [i, file] of files.entries()) {
        appendFileSync(file, `file ${i} line 1\n`);
        unlinkSync(file);
      }
      const records = await waitForRecords(topic, 22, 15_000);
      assert.equal(records.length, 22);
      for (let i = 0; i < 10; i++) {
        assert.ok(records.some((r) => r.value === `file ${i} line 1`), `the line written just before file ${i} was deleted arrives`);
      }
      await until('the deleted files to be released', () => openFilesUnder(pid, logs).length === 1);
      assert.deepEqual(openFilesUnder(pid, logs), [late], 'only the live file stays open: no descriptor leak');
      assert.ok(agent.logs.filter((l) => l['msg'] === 'file released').length >= 10);
    } finally {
      await stop(agent);
    }
  });

  it('a Java stack trace arrives as one event; a partial line is completed across writes', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-taildir-multi-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const path = join(logs, 'app.log');
    writeFileSync(path, '');
    const topic = uniqueName('taildir-multiline');
    await createTopic(topic, 1);
    const conf = agentConfig(dir, topic, [
      'filegroups = g', `filegroups.g = ${logs}/app.log`,
      'multiline.startPattern = ^\\\\d{4}-\\\\d{2}-\\\\d{2} ', 'multiline.flushTimeout = 1000', 'partialLineTimeout = 30000',
    ]);
    const agent = startAgent(conf, 'a');
    try {
      await agent.waitForLog((line) => line['msg'] === 'agent started');
      const trace = [
        '2026-11-24 10:00:00,001 ERROR [main] c.e.Service - request failed',
        'java.lang.IllegalStateException: boom',
        '\tat com.example.Service.handle(Service.java:42)',
        '\tat com.example.Server.run(Server.java:7)',
        'Caused by: java.io.IOException: disk full',
        '\tat java.base/java.io.FileOutputStream.writeBytes(Native Method)',
        '\t... 2 more',
      ];
      // The trace in two writes, the second beginning mid-line, 400 ms apart (within multiline.flushTimeout).
      const text = trace.join('\n') + '\n';
      appendFileSync(path, text.slice(0, 100));
      await sleep(400);
      appendFileSync(path, text.slice(100));
      // A partial line, completed 1.5 s later (well before partialLineTimeout).
      appendFileSync(path, '2026-11-24 10:00:02,000 INFO [main] half of a ');
      await sleep(1500);
      appendFileSync(path, 'line, completed\n');
      const records = await waitForRecords(topic, 2, 15_000);
      await sleep(500);
      assert.deepEqual(records.map((r) => r.value), [trace.join('\n'), '2026-11-24 10:00:02,000 INFO [main] half of a line, completed']);
    } finally {
      await stop(agent);
    }
  });
});
