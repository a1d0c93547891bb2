// The reference Flume NG config (../shared/reference/flume-kafka.properties), with only the broker,
// the tailed file and the topic changed, ships every appended line to real Kafka, in order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokers, createTopic, waitForRecords } from '../../helpers/kafka.ts';
import { startAgent, waitForOpenFile } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';

const REFERENCE = readFileSync(new URL('../../../../shared/reference/flume-kafka.properties', import.meta.url), 'utf8');

function referenceConfig(logFile: string, topic: string, acks: string): string {
  const replace = (text: string, from: string, to: string): string => {
    assert.ok(text.includes(from), `the reference config has "${from}"`);
    return text.replace(from, to);
  };
  let text = replace(REFERENCE, 'metadata.broker.list=127.0.0.1:9092', `metadata.broker.list=${brokers()}`);
  text = replace(text, 'tail -F /var/log/app/test.txt', `tail -F ${logFile}`);
  text = replace(text, 'custom.topic.name=kafkaTest', `custom.topic.name=${topic}`);
  return replace(text, 'request.required.acks=0', `request.required.acks=${acks}`);
}

describe('reference Flume config -> real Kafka', () => {
  for (const acks of ['0', '1', '-1']) {
    it(`ships every appended line in order to partition 0 (request.required.acks=${acks})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'logshipper-ref-'));
      const logFile = join(dir, 'test.txt');
      writeFileSync(logFile, '');
      const topic = uniqueName('reference');
      // Three partitions: the SinglePartitioner must still put every record in partition.key=0.
      await createTopic(topic, 3);
      const conf = join(dir, 'flume-kafka.properties');
      writeFileSync(conf, referenceConfig(logFile, topic, acks));

      const agent = startAgent(conf, 'producer');
      try {
        await agent.waitForLog((line) => line['msg'] === 'agent started');
        assert.deepEqual(agent.logs.filter((line) => line['level'] === 40), [], 'the reference config loads without warnings');
        const pid = agent.process.pid;
        assert.ok(pid !== undefined);
        await waitForOpenFile(pid, logFile);

        const lines: string[] = [];
        for (let write = 0; write < 20; write++) {
          const chunk = Array.from({ length: 100 }, (_, i) => `acks=${acks} line ${write * 100 + i} ${'x'.repeat(i % 50)} é€`);
          lines.push(...chunk);
          appendFileSync(logFile, chunk.join('\n') + '\n');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const records = await waitForRecords(topic, lines.length);
        assert.equal(records.length, lines.length);
        assert.deepEqual(records.map((r) => r.value), lines);
        assert.ok(records.every((r) => r.partition === 0 && r.key === '0'));
      } finally {
        agent.process.kill('SIGTERM');
      }
      assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
      assert.ok(!agent.logs.some((line) => line['msg'] === 'event' || String(line['msg']).includes('Send Message')), 'no per-event logging');
    });
  }
});
