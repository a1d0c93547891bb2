// Rotation torture against real Kafka: a writer appends at a high rate while the file is rotated
// 20 times by rename+create (writing a few more lines to the renamed file before it reopens, as
// a logger that has not noticed yet does) and 5 times by copytruncate; the multiset of records
// in Kafka must equal the multiset of lines written.
// copytruncate loses, in ANY tailer, what is written between the copy and the truncate and what
// the tailer had not read when the truncate came (it is only in the copy, which no pattern
// matches). So, as logrotate users are told, the writer pauses for the copytruncate step: it
// waits until Kafka holds every line written so far, then copies and truncates, then resumes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, renameSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { brokers, createTopic, readTopic } from '../../helpers/kafka.ts';
import { startAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts a topic's records cheaply (high watermarks), for polling while the test runs. */
async function counter(topic: string): Promise<{ count: () => Promise<number>; close: () => Promise<void> }> {
  const admin = new Kafka({ clientId: 'logshipper-test', brokers: brokers().split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return {
    count: async () => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0),
    close: () => admin.disconnect(),
  };
}

async function waitForCount(count: () => Promise<number>, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = await count();
  while (seen < expected && Date.now() < deadline) {
    await sleep(100);
    seen = await count();
  }
  return seen;
}

describe('TAILDIR rotation torture -> real Kafka', () => {
  it('20 rename+create rotations and 5 copytruncates under a fast writer: Kafka holds exactly the lines written', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-taildir-rot-'));
    const logs = join(dir, 'logs');
    const path = join(logs, 'app.log');
    const topic = uniqueName('taildir-rotation');
    await createTopic(topic, 1);
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, kafkaPipeline({
      topic,
      source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${logs}/app.log`, `positionFile = ${dir}/state/positions.json`,
        'batchSize = 500', 'rotateWait = 1000', 'pollInterval = 200'],
      channel: ['capacity = 10000', 'transactionCapacity = 1000'],
      sink: ['flumeBatchSize = 1000'],
    }));

    mkdirSync(logs);
    let fd = openSync(path, 'a');
    const agent = startAgent(conf, 'a');
    const kafka = await counter(topic);
    const written: string[] = [];
    const write = (count: number, tag: string): void => {
      const lines: string[] = [];
      for (let i = 0; i < count; i++) lines.push(`${tag} ${written.length + i} ${'r'.repeat((written.length + i) % 97)}`);
      writeSync(fd, lines.join('\n') + '\n');
      written.push(...lines);
    };
    try {
      await agent.waitForLog((line) => line['msg'] === 'agent started');
      let renames = 0;
      let copytruncates = 0;
      for (let round = 0; round < 25; round++) {
        // ~150 ms of appends at a high rate (tens of thousands of lines per second).
        const until = Date.now() + 150;
        while (Date.now() < until) {
          write(40, `w${round}`);
          await sleep(1);
        }
        if (round % 5 === 2) {
          const waitStart = Date.now();
          const seen = await waitForCount(kafka.count, written.length, 30_000);
          console.log(`round ${round}: ${written.length} lines written, Kafka caught up in ${Date.now() - waitStart} ms`);
          assert.equal(seen, written.length, `before copytruncate ${copytruncates + 1}, Kafka holds every line written`);
          copyFileSync(path, `${path}.copy${round}`);
          truncateSync(path, 0); // the writer's descriptor is O_APPEND: it goes on at the new end
          copytruncates++;
        } else {
          renameSync(path, `${path}.${round}`);
          write(25, `late${round}`); // still to the renamed file
          closeSync(fd);
          fd = openSync(path, 'a');
          renames++;
        }
      }
      write(100, 'final');
      assert.equal(renames, 20);
      assert.equal(copytruncates, 5);

      const finalStart = Date.now();
      const seen = await waitForCount(kafka.count, written.length, 60_000);
      console.log(`final: ${written.length} lines, Kafka caught up in ${Date.now() - finalStart} ms`);
      // A little longer: a duplicate would show up as more records than lines.
      await sleep(1500);
      const records = await readTopic(topic);
      // Multiset difference: +1 per line written, -1 per record read.
      const counts = new Map<string, number>();
      for (const line of written) counts.set(line, (counts.get(line) ?? 0) + 1);
      for (const record of records) counts.set(record.value, (counts.get(record.value) ?? 0) - 1);
      let missing = 0;
      let extra = 0;
      for (const n of counts.values()) {
        if (n > 0) missing += n;
        else extra -= n;
      }
      assert.ok(seen >= written.length, `Kafka holds ${seen} of ${written.length} records`);
      assert.deepEqual({ records: records.length, missing, extra }, { records: written.length, missing: 0, extra: 0 }, 'the multiset of records equals the multiset of lines');
      assert.ok(agent.logs.filter((l) => l['msg'] === 'file truncated (copytruncate?): reading it again from its start').length >= 5);
    } finally {
      closeSync(fd);
      await kafka.close();
      agent.process.kill('SIGTERM');
    }
    assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
  });
});
