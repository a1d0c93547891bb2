// Crash test against real Kafka: the agent is killed with SIGKILL several times while a writer
// keeps appending (and rotates the file once), then restarted from its position file. No line
// may be missing; duplicates (the unacknowledged window plus acknowledgements since the last
// position write) are counted and reported.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { brokers, createTopic, readTopic } from '../../helpers/kafka.ts';
import { startAgent, type RunningAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('TAILDIR crash -> real Kafka', () => {
  it('kill -9 four times mid-stream and restart: no line missing, duplicates reported', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-taildir-crash-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const path = join(logs, 'app.log');
    const topic = uniqueName('taildir-crash');
    await createTopic(topic, 1);
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, kafkaPipeline({
      topic,
      source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${logs}/app.log`, `positionFile = ${dir}/state/positions.json`,
        'batchSize = 200', 'writePosInterval = 500', 'rotateWait = 1000'],
      channel: ['capacity = 2000', 'transactionCapacity = 200'],
      sink: ['flumeBatchSize = 200'],
    }));

    const written: string[] = [];
    let fd = openSync(path, 'a');
    const state = { writing: true };
    const writer = (async () => {
      let rotated = false;
      while (state.writing) {
        const lines = Array.from({ length: 50 }, (_, i) => `crash ${written.length + i} ${'c'.repeat((written.length + i) % 61)}`);
        writeSync(fd, lines.join('\n') + '\n');
        written.push(...lines);
        // Once, midway: rename+create, while the agent may be down.
        if (!rotated && written.length > 30_000) {
          rotated = true;
          renameSync(path, `${path}.1`);
          closeSync(fd);
          fd = openSync(path, 'a');
        }
        await sleep(2);
      }
    })();

    let agent: RunningAgent = startAgent(conf, 'a');
    const kills: number[] = [];
    try {
      for (let kill = 0; kill < 4; kill++) {
        await agent.waitForLog((line) => line['msg'] === 'agent started');
        await sleep(800 + kill * 300);
        agent.process.kill('SIGKILL');
        await agent.exited;
        kills.push(written.length);
        agent = startAgent(conf, 'a');
      }
      await agent.waitForLog((line) => line['msg'] === 'agent started');
      await sleep(500);
      state.writing = false;
      await writer;

      const admin = new Kafka({ clientId: 'logshipper-test', brokers: brokers().split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const deadline = Date.now() + 60_000;
      let records = 0;
      const unique = new Set<string>();
      try {
        for (;;) {
          records = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
          if (records >= written.length || Date.now() > deadline) break;
          await sleep(200);
        }
      } finally {
        await admin.disconnect();
      }
      await sleep(1000);
      const all = await readTopic(topic);
      const expected = new Set(written);
      for (const record of all) unique.add(record.value);
      const missing = written.filter((line) => !unique.has(line)).length;
      const unknown = all.filter((record) => !expected.has(record.value)).length;
      const duplicates = all.length - unique.size;
      console.log(`crash test: ${written.length} lines written, ${all.length} records, ${duplicates} duplicates (${(100 * duplicates / written.length).toFixed(2)}%), killed at ${kills.join(', ')} lines written`);
      assert.deepEqual({ missing, unknown }, { missing: 0, unknown: 0 }, 'every line arrives, whole');
    } finally {
      state.writing = false;
      closeSync(fd);
      agent.process.kill('SIGTERM');
    }
    assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
  });
});
