/**
 * kafkajs 2.2.4's producer/sendMessages, rewritten so that `sendBatch` resolves only when every
 * partition's records were acknowledged (the Java producer's and librdkafka's meaning of a
 * delivered record), however leaders move between retries.
 *
 * The original keeps one response per broker object and, on every retry, assigns all messages
 * to partitions again (round-robin without a key gives other partitions each time) and sends to
 * the brokers that have no response yet. After a leader failover, the messages that land on a
 * broker which had already answered are never sent, and sendBatch still resolves: acknowledged
 * lines lost (seen as a third of a batch missing after a leader SIGKILL; kafkajs issue #1303).
 *
 * Here messages are assigned to partitions once per sendBatch; each retry groups only the
 * partitions still waiting by their leader at that moment, and a partition is done once the
 * broker that leads it answered its request without an error. A broker's request that fails
 * fails all its partitions (kafkajs reports the first partition error of a response), which
 * re-sends those: at-least-once, never a skipped partition.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface PartitionMetadata {
  partitionId: number;
  leader: number;
}

interface ProduceResponse {
  topics: { topicName: string; partitions: object[] }[];
}

interface Broker {
  nodeId: number;
  produce(request: object): Promise<ProduceResponse | undefined>;
}

interface KafkaError extends Error {
  retriable?: boolean;
  type?: string;
  host?: string;
  port?: number;
}

export interface Cluster {
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findBroker(args: { nodeId: string }): Promise<Broker>;
  removeBroker(args: { host?: string; port?: number }): void;
  isConnected(): boolean;
  connect(): Promise<void>;
}

export interface EosManager {
  acquireBrokerLock(broker: Broker): Promise<void>;
  releaseBrokerLock(broker: Broker): Promise<void>;
  isTransactional(): boolean;
  addPartitionsToTransaction(topicData: object[]): Promise<void>;
  getTransactionalId(): string;
  getProducerId(): unknown;
  getProducerEpoch(): number;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
}

type Partitioner = (args: { topic: string; partitionMetadata: readonly unknown[]; message: unknown }) => number;
type GroupMessages = (input: { topic: string; partitionMetadata: readonly unknown[]; messages: readonly unknown[]; partitioner: Partitioner }) => Record<number, unknown[]>;
type Retrier = <T>(fn: (bail: (error: Error) => void, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;

export interface SendMessagesDeps {
  logger: { debug(message: string, extra?: object): void; error(message: string, extra?: object): void };
  cluster: Cluster;
  partitioner: Partitioner;
  eosManager: EosManager;
  retrier: Retrier;
}

export interface SendBatchArgs {
  acks: number;
  timeout?: number;
  compression?: number;
  topicMessages: { topic: string; messages: unknown[] }[];
}

/** The records of one topic-partition and whether its leader acknowledged them. */
interface PartitionBatch {
  topic: string;
  partition: number;
  messages: unknown[];
  acknowledged: boolean;
}

/** A Produce request's data for one topic, as kafkajs's broker.produce takes it. */
interface TopicData {
  topic: string;
  partitions: { partition: number; messages: unknown[]; firstSequence?: number }[];
}

interface KafkajsHelpers {
  staleMetadata(error: KafkaError): boolean;
  KafkaJSMetadataNotLoaded: new (message: string) => Error;
}

/** kafkajs's module `producer/sendMessages` (a factory taking the producer's parts). */
export function createSendMessages(root: string, groupMessagesPerPartition: GroupMessages): (deps: SendMessagesDeps) => (args: SendBatchArgs) => Promise<object[]> {
  const { staleMetadata } = require(`${root}src/protocol/error.js`) as Pick<KafkajsHelpers, 'staleMetadata'>;
  const { KafkaJSMetadataNotLoaded } = require(`${root}src/errors.js`) as Omit<KafkajsHelpers, 'staleMetadata'>;
  const responseSerializer = require(`${root}src/producer/responseSerializer.js`) as (response: ProduceResponse) => object[];

  return ({ logger, cluster, partitioner, eosManager, retrier }) => async ({ acks, timeout, compression, topicMessages }) => {
    const topics = topicMessages.map(({ topic }) => topic);
    let batches: PartitionBatch[] | undefined;
    const responses: object[] = [];

    /** Assigns every message its partition, once: a retry sends the same records to the same partitions. */
    const assign = (): PartitionBatch[] => {
      const assigned: PartitionBatch[] = [];
      for (const { topic, messages } of topicMessages) {
        const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
        if (partitionMetadata.length === 0) {
          logger.debug('Producing to topic without metadata', { topic });
          throw new KafkaJSMetadataNotLoaded('Producing to topic without metadata');
        }
        const perPartition = groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner });
        for (const [partition, list] of Object.entries(perPartition)) {
          assigned.push({ topic, partition: Number(partition), messages: list, acknowledged: false });
        }
      }
      return assigned;
    };

    /** The waiting partitions by their current leader; a partition without one fails the attempt (metadata is refreshed). */
    const byLeader = (waiting: PartitionBatch[]): Map<number, PartitionBatch[]> => {
      const leaders = new Map<number, PartitionBatch[]>();
      for (const batch of waiting) {
        const metadata = cluster.findTopicPartitionMetadata(batch.topic).find((p) => p.partitionId === batch.partition);
        if (metadata === undefined || metadata.leader < 0) {
          throw new KafkaJSMetadataNotLoaded(`no leader known for ${batch.topic}-${String(batch.partition)}`);
        }
        let list = leaders.get(metadata.leader);
        if (list === undefined) leaders.set(metadata.leader, (list = []));
        list.push(batch);
      }
      return leaders;
    };

    const produce = async (nodeId: number, partitions: PartitionBatch[]): Promise<void> => {
      const broker = await cluster.findBroker({ nodeId: String(nodeId) });
      const topicData: TopicData[] = [...new Set(topics)].flatMap((topic) => {
        const own = partitions.filter((batch) => batch.topic === topic);
        return own.length === 0 ? [] : [{ topic, partitions: own.map(({ partition, messages }) => ({ partition, messages })) }];
      });
      await eosManager.acquireBrokerLock(broker);
      try {
        if (eosManager.isTransactional()) await eosManager.addPartitionsToTransaction(topicData);
        for (const { topic, partitions: entries } of topicData) {
          for (const entry of entries) {
            entry.firstSequence = eosManager.getSequence(topic, entry.partition);
            eosManager.updateSequence(topic, entry.partition, entry.messages.length);
          }
        }
        let response: ProduceResponse | undefined;
        try {
          response = await broker.produce({
            transactionalId: eosManager.isTransactional() ? eosManager.getTransactionalId() : undefined,
            producerId: eosManager.getProducerId(),
            producerEpoch: eosManager.getProducerEpoch(),
            acks, timeout, compression, topicData,
          });
        } catch (error) {
          for (const { topic, partitions: entries } of topicData) {
            for (const entry of entries) eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
          }
          throw error;
        }
        if (acks !== 0 && response !== undefined) responses.push(...responseSerializer(response));
        for (const batch of partitions) batch.acknowledged = true;
      } finally {
        await eosManager.releaseBrokerLock(broker);
      }
    };

    return retrier(async (bail, retryCount, retryTime) => {
      await cluster.addMultipleTargetTopics(topics);
      try {
        await cluster.refreshMetadataIfNecessary();
        batches ??= assign();
        const waiting = batches.filter((batch) => !batch.acknowledged);
        // Every broker's answer is awaited before a retry, so that what was acknowledged is known exactly.
        const results = await Promise.allSettled([...byLeader(waiting)].map(([nodeId, partitions]) => produce(nodeId, partitions)));
        const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
        return responses;
      } catch (caught) {
        const error = caught as KafkaError;
        if (error.name === 'KafkaJSConnectionClosedError') cluster.removeBroker({ host: error.host, port: error.port });
        if (!cluster.isConnected()) {
          logger.debug(`Cluster has disconnected, reconnecting: ${error.message}`, { retryCount, retryTime });
          await cluster.connect();
          await cluster.refreshMetadata();
          throw error;
        }
        if (staleMetadata(error) || error.name === 'KafkaJSMetadataNotLoaded' || error.name === 'KafkaJSConnectionError'
          || error.name === 'KafkaJSConnectionClosedError'
          || (error.name === 'KafkaJSProtocolError' && error.retriable === true)) {
          logger.error(`Failed to send messages: ${error.message}`, { retryCount, retryTime });
          await cluster.refreshMetadata();
          throw error;
        }
        logger.error(error.message, { retryCount, retryTime });
        if (error.retriable === true) throw error;
        bail(error);
        return responses;
      }
    });
  };
}
