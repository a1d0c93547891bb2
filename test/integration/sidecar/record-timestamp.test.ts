// The Kafka record timestamp is the time the source read the line, not the time it was
// delivered: lines read while the broker is unreachable keep their read times once delivered
// seconds later. Repeated with a new agent process each time (a gate in front of the bootstrap
// delays only an agent's first connection), on one file and position file, counted and read
// back with kcat.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerGate } from '../../helpers/broker-gate.ts';
import { createTopic, readTopic, waitForRecords } from '../../helpers/kafka.ts';
import { getText, httpPort, metric, startAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

const REPETITIONS = 3;
const LINES = 3000;
/** How long the broker stays unreachable after the lines were read. */
const OUTAGE_MS = 4000;

describe('Kafka record timestamps', () => {
  it('are the read times of lines delivered after an outage, not the delivery time', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-ts-'));
    const input = join(dir, 'app.log');
    writeFileSync(input, '');
    const topic = uniqueName('record-timestamp');
    await createTopic(topic);
    const gate = await brokerGate();
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, kafkaPipeline({
      topic,
      bootstrap: `127.0.0.1:${gate.port}`,
      source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${dir}/app\\.log`, `positionFile = ${join(dir, 'positions.json')}`, 'batchSize = 100'],
      channel: ['capacity = 10000', 'transactionCapacity = 100'],
      sink: ['flumeBatchSize = 500'],
    }));
    const windows: { lines: string[]; readFrom: number; readBy: number; openedAt: number }[] = [];
    for (let repetition = 0; repetition < REPETITIONS; repetition++) {
      const lines = Array.from({ length: LINES }, (_, i) => `rep ${repetition} line ${i}`);
      const readFrom = Date.now();
      appendFileSync(input, lines.join('\n') + '\n');
      const agent = startAgent(conf, 'a', ['--drain-timeout', '30000']);
      try {
        const port = await httpPort(agent);
        // Every line read into the channel while the broker is unreachable.
        while (metric(await getText(port, '/metrics'), 'logshipper_channel_size{channel="c"}') !== LINES) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const readBy = Date.now();
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
        const openedAt = Date.now();
        await gate.open();
        windows.push({ lines, readFrom, readBy, openedAt });
        const total = windows.length * LINES;
        assert.equal((await waitForRecords(topic, total)).length, total);
        agent.process.kill('SIGTERM');
        assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
      } finally {
        agent.process.kill('SIGKILL');
        await gate.close();
      }
    }
    const records = await readTopic(topic);
    assert.deepEqual(records.map((r) => r.value), windows.flatMap((w) => w.lines), 'every line once, in order');
    const byValue = new Map(records.map((r) => [r.value, r.timestamp]));
    let clean = 0;
    for (const [repetition, { lines, readFrom, readBy, openedAt }] of windows.entries()) {
      const stamps = lines.map((line) => byValue.get(line) ?? Number.NaN);
      const outside = stamps.filter((ts) => !(ts >= readFrom && ts <= readBy)).length;
      const min = Math.min(...stamps);
      const max = Math.max(...stamps);
      console.log(`repetition ${repetition}: read ${readFrom}..${readBy}, delivered from ${openedAt}; record timestamps ${min}..${max}, ${outside} outside the read window`);
      assert.equal(outside, 0, `repetition ${repetition}: every record timestamp is its read time`);
      assert.ok(max < openedAt - OUTAGE_MS / 2, `repetition ${repetition}: not the delivery time`);
      clean++;
    }
    assert.equal(clean, REPETITIONS);
  });
});
