import { Kafka, logLevel } from 'kafkajs';

type Admin = ReturnType<Kafka['admin']>;

function admin(brokers: string): Admin {
  return new Kafka({ clientId: 'logshipper-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
}

/** Runs `use` with a connected admin client, disconnected afterwards. */
async function withAdmin(brokers: string, use: (client: Admin) => Promise<unknown>): Promise<void> {
  const client = admin(brokers);
  await client.connect();
  try {
    await use(client);
  } finally {
    await client.disconnect();
  }
}

export async function createTopic(brokers: string, topic: string, partitions = 1): Promise<void> {
  await withAdmin(brokers, (client) => client.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }));
}

/**
 * Deletes benchmark topics once counted: each run writes its whole input to the broker, and
 * gigabytes of old segments being flushed to disk slow the runs that follow.
 */
export async function deleteTopic(brokers: string, topic: string): Promise<void> {
  await withAdmin(brokers, (client) => client.deleteTopics({ topics: [topic] }));
}

/** Records in the topic: the sum of its partitions' high watermarks (fresh topics start at 0). */
export async function countRecords(brokers: string, topic: string): Promise<number> {
  const watermarks = await Watermarks.connect(brokers);
  try {
    return await watermarks.count(topic);
  } finally {
    await watermarks.close();
  }
}

/** One admin connection polled repeatedly (every 100 ms while a tailer runs). */
export class Watermarks {
  private readonly client: Admin;

  private constructor(client: Admin) {
    this.client = client;
  }

  static async connect(brokers: string): Promise<Watermarks> {
    const client = admin(brokers);
    await client.connect();
    return new Watermarks(client);
  }

  async count(topic: string): Promise<number> {
    const offsets = await this.client.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  }

  async close(): Promise<void> {
    await this.client.disconnect();
  }
}
