// The sendMessages replacement against a fake cluster whose leaders move between retries, next to
// kafkajs's original, which loses the records of partitions that move to a broker that already answered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { createSendMessages, type Cluster, type EosManager, type SendBatchArgs, type SendMessagesDeps } from '../../../sidecar/sinks/kafkajs-send.ts';
import { groupMessagesPerPartition } from '../../../sidecar/sinks/kafkajs-fast.ts';

const require = createRequire(import.meta.url);
const root = require.resolve('kafkajs/package.json').slice(0, -'package.json'.length);
type SendMessages = (deps: SendMessagesDeps) => (args: SendBatchArgs) => Promise<object[]>;
const createRetry = require(`${root}src/retry/index.js`) as (options: object) => SendMessagesDeps['retrier'];
const { KafkaJSConnectionError, KafkaJSProtocolError } = require(`${root}src/errors.js`) as {
  KafkaJSConnectionError: new (message: string) => Error;
  KafkaJSProtocolError: new (error: { type: string; code: number; retriable: boolean; message: string }) => Error;
};
const DefaultPartitioner = (require(`${root}src/producer/partitioners/index.js`) as { DefaultPartitioner: () => SendMessagesDeps['partitioner'] }).DefaultPartitioner;

/** kafkajs's own module, compiled apart from the module cache (which the agent replaces). */
function originalSendMessages(): SendMessages {
  const file = `${root}src/producer/sendMessages.js`;
  const module = new Module(file);
  module.filename = file;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  (module as unknown as { _compile(source: string, file: string): void })._compile(readFileSync(file, 'utf8'), file);
  return module.exports as SendMessages;
}

const fixed = createSendMessages(root, groupMessagesPerPartition);
const original = originalSendMessages();

interface Fault {
  /** Which attempt (0 = first) of which broker fails, and how. */
  nodeId: number;
  attempt: number;
  error: () => Error;
}

/**
 * Three brokers leading a topic's partitions; a scripted fault fails one broker's request, and
 * the metadata refresh that follows moves leaders as `moves` says (a failover).
 */
function fakeCluster(partitions: number, leaders: number[], faults: Fault[], moves: Record<number, number>[]) {
  const delivered = new Map<number, unknown[]>();
  const attempts = new Map<number, number>();
  let leaderOf = [...leaders];
  let refreshes = 0;
  const brokers = new Map([1, 2, 3].map((nodeId) => [nodeId, {
    nodeId,
    async produce({ topicData }: { topicData: { topic: string; partitions: { partition: number; messages: unknown[] }[] }[] }) {
      const attempt = attempts.get(nodeId) ?? 0;
      attempts.set(nodeId, attempt + 1);
      await new Promise((resolve) => setImmediate(resolve));
      const fault = faults.find((f) => f.nodeId === nodeId && f.attempt === attempt);
      if (fault !== undefined) throw fault.error();
      for (const { partitions: entries } of topicData) {
        for (const { partition } of entries) {
          // A broker accepts only the partitions it leads (else NOT_LEADER_FOR_PARTITION).
          if (leaderOf[partition] !== nodeId) throw new KafkaJSProtocolError({ type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true, message: 'not the leader' });
        }
      }
      for (const { partitions: entries } of topicData) {
        for (const { partition, messages } of entries) delivered.set(partition, [...(delivered.get(partition) ?? []), ...messages]);
      }
      return { topics: topicData.map(({ topic, partitions: entries }) => ({ topicName: topic, partitions: entries.map(({ partition }) => ({ partition, errorCode: 0, baseOffset: '0', logAppendTime: '-1' })) })) };
    },
  }]));
  const cluster: Cluster & { findLeaderForPartitions(topic: string, ids: string[]): Record<number, number[]> } = {
    addMultipleTargetTopics: () => Promise.resolve(),
    refreshMetadataIfNecessary: () => Promise.resolve(),
    refreshMetadata: () => {
      const move = moves[refreshes++];
      if (move !== undefined) leaderOf = leaderOf.map((leader, partition) => move[partition] ?? leader);
      return Promise.resolve();
    },
    findTopicPartitionMetadata: () => Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: leaderOf[partitionId] ?? -1 })),
    findBroker: ({ nodeId }) => {
      const broker = brokers.get(Number(nodeId));
      return broker === undefined ? Promise.reject(new Error(`no broker ${nodeId}`)) : Promise.resolve(broker);
    },
    // Only kafkajs's original asks this (as kafkajs's Cluster answers it).
    findLeaderForPartitions: (_topic, ids) => {
      const result: Record<number, number[]> = {};
      for (const id of ids) (result[leaderOf[Number(id)] ?? -1] ??= []).push(Number(id));
      return result;
    },
    removeBroker: () => undefined,
    isConnected: () => true,
    connect: () => Promise.resolve(),
  };
  return { cluster, delivered };
}

const eosManager: EosManager = {
  acquireBrokerLock: () => Promise.resolve(),
  releaseBrokerLock: () => Promise.resolve(),
  isTransactional: () => false,
  addPartitionsToTransaction: () => Promise.resolve(),
  getTransactionalId: () => '',
  getProducerId: () => -1,
  getProducerEpoch: () => 0,
  getSequence: () => 0,
  updateSequence: () => undefined,
};

const logger = { debug: () => undefined, error: () => undefined };

async function send(sendMessages: SendMessages, cluster: Cluster, count: number): Promise<unknown[]> {
  const messages = Array.from({ length: count }, (_, i) => ({ value: `line-${i}` }));
  const retrier = createRetry({ retries: 5, initialRetryTime: 1, maxRetryTime: 5 });
  await sendMessages({ logger, cluster, partitioner: DefaultPartitioner(), eosManager, retrier })({ acks: -1, timeout: 1000, topicMessages: [{ topic: 't', messages }] });
  return messages;
}

function missing(messages: unknown[], delivered: Map<number, unknown[]>): number {
  const seen = new Set([...delivered.values()].flat());
  return messages.filter((message) => !seen.has(message)).length;
}

const connectionLost = (): Error => new KafkaJSConnectionError('Connection error: read ECONNRESET');

describe('sendMessages: a batch resolves only when every partition is acknowledged', () => {
  it('a leader dies and its partition moves to a broker that already answered: nothing is lost', async () => {
    // Broker 2 (leader of partition 1) drops its connection; the refresh makes broker 1 the leader.
    const scenario = () => fakeCluster(3, [1, 2, 3], [{ nodeId: 2, attempt: 0, error: connectionLost }], [{ 1: 1 }]);
    const theirs = scenario();
    const lostByOriginal = missing(await send(original, theirs.cluster, 500), theirs.delivered);
    // The fault this replacement exists for: kafkajs resolves the batch with records never sent.
    assert.ok(lostByOriginal > 0, 'kafkajs 2.2.4 itself loses records in this scenario');
    const ours = scenario();
    const messages = await send(fixed, ours.cluster, 500);
    assert.equal(missing(messages, ours.delivered), 0);
    // Only the failed partition was sent again; the others exactly once.
    assert.equal([...ours.delivered.values()].flat().length, 500);
  });

  it('records keep the partition they were first assigned across retries', async () => {
    const { cluster, delivered } = fakeCluster(3, [1, 2, 3], [{ nodeId: 3, attempt: 0, error: connectionLost }], [{ 2: 2 }]);
    const messages = await send(fixed, cluster, 300);
    assert.equal(missing(messages, delivered), 0);
    // Round-robin: a partition gets every third message, whichever broker ends up leading it.
    for (const list of delivered.values()) {
      const residue = messages.indexOf(list[0]) % 3;
      for (const message of list) assert.equal(messages.indexOf(message) % 3, residue);
    }
  });

  it('a NOT_LEADER_FOR_PARTITION answer re-sends that broker\'s partitions to the new leader', async () => {
    // Metadata still names broker 3 for partition 2, which moved to broker 2: its first request is refused.
    const { cluster, delivered } = fakeCluster(3, [1, 2, 3], [], []);
    let refreshed = false;
    const stale: Cluster = {
      ...cluster,
      findTopicPartitionMetadata: (topic) => cluster.findTopicPartitionMetadata(topic).map((p) => (p.partitionId === 2 && !refreshed ? { ...p, leader: 1 } : p)),
      refreshMetadata: () => {
        refreshed = true;
        return Promise.resolve();
      },
    };
    const messages = await send(fixed, stale, 300);
    assert.equal(missing(messages, delivered), 0);
  });

  it('seeded random failovers: every record of a resolved batch was delivered', async () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let lostByOriginal = 0;
    for (let round = 0; round < 200; round++) {
      const faults: Fault[] = Array.from({ length: 1 + random(3) }, () => ({ nodeId: 1 + random(3), attempt: random(2), error: connectionLost }));
      const moves = Array.from({ length: 4 }, () => ({ [random(3)]: 1 + random(3) }));
      const leaders = [1 + random(3), 1 + random(3), 1 + random(3)];
      const count = 1 + random(400);
      const ours = fakeCluster(3, leaders, faults, moves);
      assert.equal(missing(await send(fixed, ours.cluster, count), ours.delivered), 0, `round ${round}`);
      const theirs = fakeCluster(3, leaders, faults, moves);
      lostByOriginal += missing(await send(original, theirs.cluster, count).catch(() => []), theirs.delivered);
    }
    assert.ok(lostByOriginal > 0, 'the same rounds make kafkajs 2.2.4 lose records');
  });
});
