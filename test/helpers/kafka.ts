// Kafka checks for tests: topics are created with kafkajs, records are read back with kcat,
// an independent client (librdkafka), so a bug in our producer cannot hide in the reader too.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { requireEnv } from './env.ts';

const execFileAsync = promisify(execFile);

export function brokers(): string {
  return requireEnv('KAFKA_BROKERS');
}

/** `config`: topic configuration, e.g. { 'max.message.bytes': '200000' }. */
export async function createTopic(topic: string, partitions = 1, config: Record<string, string> = {}): Promise<void> {
  const admin = new Kafka({ clientId: 'logshipper-test', brokers: brokers().split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }], waitForLeaders: false });
    await waitForLeaders(admin, topic, partitions);
  } finally {
    await admin.disconnect();
  }
}

/** Deletes topics a test made (the broker is shared by every test run). */
export async function deleteTopics(topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = new Kafka({ clientId: 'logshipper-test', brokers: brokers().split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Until every partition of a new topic has a leader. kafkajs's own wait gives up when the broker's
 * metadata does not know the topic yet (UNKNOWN_TOPIC_OR_PARTITION, seen right after a KRaft
 * node started): that answer means "not yet" too.
 */
async function waitForLeaders(admin: kafkajs.Admin, topic: string, partitions: number, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer yet';
  while (performance.now() < deadline) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const led = topics[0]?.partitions.filter((p) => p.leader >= 0).length ?? 0;
      if (led === partitions) return;
      last = `${String(led)} of ${String(partitions)} partitions have a leader`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`topic ${topic}: partitions without a leader after ${String(timeoutMs)} ms (${last})`);
}

/** Replaces the topic's configuration (Kafka's AlterConfigs: keys not given return to their defaults). */
export async function alterTopicConfig(topic: string, config: Record<string, string>): Promise<void> {
  const admin = new Kafka({ clientId: 'logshipper-test', brokers: brokers().split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries }] });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Bytes of `topic`'s log on the brokers (all partitions, all replicas; DescribeLogDirs, which
 * kafkajs lacks): the record batches as the broker stores them, i.e. as the producer sent them
 * unless the topic's compression.type recompresses.
 */
export async function topicLogBytes(topic: string, partitions = 1, bootstrap = brokers()): Promise<number> {
  // Loaded here only: the other tests need none of that client.
  const { Admin } = await import('@platformatic/kafka');
  const admin = new Admin({ clientId: 'logshipper-test', bootstrapBrokers: bootstrap.split(',') });
  try {
    const described = await admin.describeLogDirs({ topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, i) => i) }] });
    let bytes = 0n;
    for (const { results } of described) {
      for (const { topics } of results) for (const entry of topics) for (const partition of entry.partitions) bytes += partition.partitionSize;
    }
    return Number(bytes);
  } finally {
    await admin.close();
  }
}

export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  /** The record's timestamp (epoch ms; CreateTime, as the producer set it). */
  timestamp: number;
}

interface KcatJson {
  partition: number;
  offset: number;
  ts: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

function parseKcatLine(line: string): ConsumedRecord {
  const json = JSON.parse(line) as KcatJson;
  const headers: Record<string, string> = {};
  const list = json.headers ?? [];
  for (let i = 0; i + 1 < list.length; i += 2) headers[list[i] ?? ''] = list[i + 1] ?? '';
  return { partition: json.partition, offset: json.offset, key: json.key, value: json.payload ?? '', headers, timestamp: json.ts };
}

/** Every record in `topic` right now, in partition then offset order (`bootstrap`: default the test environment's brokers). */
export async function readTopic(topic: string, bootstrap = brokers()): Promise<ConsumedRecord[]> {
  const { stdout } = await execFileAsync(requireEnv('KCAT'), [
    '-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-J',
    // -e ends at a fetch that finds nothing new; with the broker's default wait (500 ms) a
    // producer sending every 100 ms answers every fetch, and kcat would read on for as long.
    '-X', 'fetch.wait.max.ms=5',
  ], {
    maxBuffer: 1 << 30,
    timeout: 60_000,
    // kcat exits 0 on SIGTERM with its output cut mid-record: a timeout must be an error.
    killSignal: 'SIGKILL',
  });
  const records = stdout.split('\n').filter((line) => line.startsWith('{')).map(parseKcatLine);
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Reads `topic` until it holds at least `count` records or `timeoutMs` passes; returns what is there. */
export async function waitForRecords(topic: string, count: number, timeoutMs = 60_000): Promise<ConsumedRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await readTopic(topic).catch(() => []);
    if (records.length >= count || Date.now() > deadline) return records;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
