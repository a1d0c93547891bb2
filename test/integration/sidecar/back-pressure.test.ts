// A channel of capacity 10 in front of an unreachable broker: the source must stop reading
// (back-pressure) and lose nothing; once the broker is reachable every line arrives, in order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerGate } from '../../helpers/broker-gate.ts';
import { createTopic, readTopic, waitForRecords } from '../../helpers/kafka.ts';
import { startAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

describe('back-pressure', () => {
  it('a full channel pauses the source while the broker is unreachable; nothing is lost when it comes back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-bp-'));
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'y'.repeat(80)}`);
    const input = join(dir, 'input.log');
    writeFileSync(input, lines.join('\n') + '\n');
    const topic = uniqueName('backpressure');
    await createTopic(topic, 1);
    const gate = await brokerGate();
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, kafkaPipeline({
      topic,
      bootstrap: `127.0.0.1:${gate.port}`,
      source: ['type = exec', `command = cat ${input}`, 'batchSize = 10'],
      channel: ['capacity = 10', 'transactionCapacity = 10', 'keep-alive = 1'],
      sink: ['flumeBatchSize = 10'],
    }));

    const agent = startAgent(conf, 'a', ['--drain-timeout', '120000']);
    try {
      await agent.waitForLog((line) => String(line['msg']).startsWith('delivery failed'));
      await agent.waitForLog((line) => String(line['msg']).startsWith('channel full'));
      // The source is paused: cat cannot finish, the agent keeps running, and nothing reached Kafka.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(agent.process.exitCode, null);
      assert.equal((await readTopic(topic)).length, 0);

      await gate.open();
      const exitCode = await agent.exited;
      assert.equal(exitCode, 0, agent.stderr.join('\n'));
      assert.ok(agent.logs.some((line) => line['msg'] === 'sink delivering again'));
      const records = await waitForRecords(topic, lines.length);
      assert.equal(records.length, lines.length, 'no line lost, none duplicated');
      assert.deepEqual(records.map((r) => r.value), lines);
    } finally {
      agent.process.kill('SIGKILL');
      await gate.close();
    }
  });
});
