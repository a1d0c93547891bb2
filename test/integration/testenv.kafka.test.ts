// The test environment's Kafka is real: what kafkajs writes with acks=all, kcat (librdkafka, a
// second independent client) reads back, record for record.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { testEnv, unique } from '../env/testing.ts';

const execFileAsync = promisify(execFile);
const RECORDS = 10_000;

describe('test environment: Kafka', () => {
  it(`round-trips ${String(RECORDS)} records from kafkajs to kcat`, async () => {
    const brokers = testEnv('KAFKA_BROKERS');
    const kcat = testEnv('KCAT');
    const kafka = new Kafka({ clientId: 'testenv-test', brokers: brokers.split(','), logLevel: logLevel.ERROR });
    const topic = unique('testenv-roundtrip');
    const values = Array.from({ length: RECORDS }, (_, i) => `${topic} record ${String(i).padStart(5, '0')} ${'x'.repeat(i % 37)}`);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      assert.equal(created, true, `topic ${topic} already existed`);
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer();
    await producer.connect();
    try {
      // Batches keep each request small; sequential sends keep the order on the one partition.
      for (let i = 0; i < RECORDS; i += 1000) {
        await producer.send({ topic, acks: -1, messages: values.slice(i, i + 1000).map((value) => ({ value })) });
      }
    } finally {
      await producer.disconnect();
    }

    const { stdout } = await execFileAsync(kcat, ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q'], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    });
    const read = stdout.split('\n');
    assert.equal(read.pop(), '', 'kcat output should end with a newline');
    assert.equal(read.length, RECORDS, `kcat read ${String(read.length)} records`);
    assert.deepEqual(read, values);
  });
});
