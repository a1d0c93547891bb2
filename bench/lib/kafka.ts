import { Kafka, logLevel } from 'kafkajs';

function admin(brokers: string): ReturnType<Kafka['admin']> {
  return new Kafka({ clientId: 'logshipper-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
}

export async function createTopic(brokers: string, topic: string, partitions = 1): Promise<void> {
  const client = admin(brokers);
  await client.connect();
  try {
    await client.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await client.disconnect();
  }
}

/** Records in the topic: the sum of its partitions' high watermarks (fresh topics start at 0). */
export async function countRecords(brokers: string, topic: string): Promise<number> {
  const client = admin(brokers);
  await client.connect();
  try {
    const offsets = await client.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await client.disconnect();
  }
}
