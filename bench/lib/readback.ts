// Reading a benchmark's topic back while it is written: which stamped lines arrived (each counted
// once, duplicates apart) and how long after their write (consume time - write time, one clock).
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { now, parseStamped } from './stamped.ts';

const JOIN_TIMEOUT_MS = 30_000;

export class Readback {
  /** Distinct sequences below `expected` seen so far. */
  received = 0;
  duplicates = 0;
  /** Records that were not stamped lines of this run (should stay 0). */
  foreign = 0;
  private readonly seen: Uint8Array;
  private readonly latencies: Float64Array;
  private readonly consumer: Consumer;

  private constructor(consumer: Consumer, expected: number) {
    this.consumer = consumer;
    this.seen = new Uint8Array(expected);
    this.latencies = new Float64Array(expected);
  }

  /**
   * Subscribes from the beginning of `topic` and resolves once the consumer has joined its group,
   * so that writes started afterwards are timed from their write, not from a late join. The
   * consumer's fetch waits at most 50 ms for data: part of every latency, alike for all contenders.
   */
  static async start(brokers: string, topic: string, expected: number): Promise<Readback> {
    const consumer = new Kafka({ clientId: 'logshipper-bench-readback', brokers: brokers.split(','), logLevel: logLevel.NOTHING })
      .consumer({ groupId: `${topic}-readback`, maxWaitTimeInMs: 50 });
    const readback = new Readback(consumer, expected);
    await consumer.connect();
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => {
      resolve();
    }));
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: ({ batch }) => {
        const at = now();
        for (const message of batch.messages) readback.take(message.value, at);
        return Promise.resolve();
      },
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => {
      reject(new Error(`readback of ${topic}: the consumer did not join its group within ${JOIN_TIMEOUT_MS / 1000} s (broker ${brokers})`));
    }, JOIN_TIMEOUT_MS).unref());
    try {
      await Promise.race([joined, timeout]);
    } catch (error) {
      await consumer.disconnect();
      throw error;
    }
    return readback;
  }

  private take(value: Buffer | null, at: number): void {
    const stamped = parseStamped(value);
    if (stamped === undefined || stamped.sequence >= this.seen.length) {
      this.foreign++;
      return;
    }
    if (this.seen[stamped.sequence] === 1) {
      this.duplicates++;
      return;
    }
    this.seen[stamped.sequence] = 1;
    this.latencies[this.received++] = at - stamped.stampMs;
  }

  /** Waits until every expected line arrived or `timeoutMs` passed; true when all did. */
  async waitForAll(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.received < this.seen.length && Date.now() < deadline) await sleep(100);
    return this.received === this.seen.length;
  }

  /** The latencies of the lines received, ascending, in ms. */
  sortedLatencies(): Float64Array {
    return this.latencies.slice(0, this.received).sort();
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
  }
}
