import { TextDecoder } from 'node:util';
// First: it replaces kafkajs internals as kafkajs loads (see the file).
import { crc32cInHardware, kafkajsPatched, WRITTEN, WrittenTracker } from './kafkajs-fast.ts';
import { Kafka, Partitioners, CompressionTypes, logLevel, type Producer, type Message, type TopicMessages, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Event } from '../event.ts';
import type { Logger } from '../log.ts';
import type { Sink } from './sink.ts';
import type { KafkaSecurity, KafkaSinkConfig } from './kafka-config.ts';
import type { SinkCounters } from '../counters.ts';

const COMPRESSION: Record<KafkaSinkConfig['compression'], CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

/** Flume's KafkaSink takes the record key from this event header. */
const KEY_HEADER = 'key';

/**
 * Produces each batch with one kafkajs `sendBatch` and resolves when Kafka acknowledged it
 * as `acks` asks. Partitioning is kafkajs's DefaultPartitioner (murmur2 of the key, as the
 * Java client does; round-robin without a key) unless a partition is set on the record.
 */
export class KafkaSink implements Sink {
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly maxInFlight: number;
  private readonly config: KafkaSinkConfig;
  private readonly log: Logger;
  private readonly producer: Producer;
  private readonly decoder: TextDecoder | undefined;
  private connected = false;
  private readonly counters: SinkCounters;

  constructor(config: KafkaSinkConfig, log: Logger, counters: SinkCounters) {
    this.counters = counters;
    this.config = config;
    this.log = log;
    this.batchSize = config.batchSize;
    this.lingerMs = config.lingerMs;
    // Batches in flight keep their order only through the patched kafkajs, which tells when a batch is written.
    this.maxInFlight = kafkajsPatched ? config.maxInFlight : 1;
    this.decoder = config.bodyEncoding === null ? undefined : new TextDecoder(config.bodyEncoding);
    const { security } = config;
    const kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      requestTimeout: config.requestTimeoutMs,
      connectionTimeout: 5000,
      // Fail fast into the sink runner, which rolls back and backs off (and reports BACKOFF).
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
      ...(security.tls === undefined ? {} : {
        ssl: {
          ...(security.tls.ca === undefined ? {} : { ca: security.tls.ca }),
          ...(security.tls.cert === undefined ? {} : { cert: security.tls.cert }),
          ...(security.tls.key === undefined ? {} : { key: security.tls.key }),
          ...(security.tls.passphrase === undefined ? {} : { passphrase: security.tls.passphrase }),
          ...(security.tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
        },
      }),
      ...(security.sasl === undefined ? {} : { sasl: saslOptions(security.sasl) }),
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        // kafkajs logs every connection retry; the sink runner reports failures once per state change.
        this.log.debug({ kafka: entry.namespace, ...entry.log }, entry.log.message);
      },
    });
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    if (!kafkajsPatched) log.warn('kafkajs runs unpatched (not version 2.2.4, or loaded before the sink): a leader failover can lose acknowledged records, and batches encode slower');
    else if (!crc32cInHardware) log.debug('@node-rs/crc32 has no binary for this platform: record batch checksums are computed in JS, slower');
  }

  async start(): Promise<void> {
    // Connect lazily in deliver(): a broker that is down at start must not stop the agent.
  }

  async deliver(events: readonly Event[], written: () => void): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
      this.log.info({ brokers: this.config.brokers }, 'connected to Kafka');
    }
    await this.producer.sendBatch({
      topicMessages: this.toTopicMessages(events, new WrittenTracker(written)),
      acks: this.config.acks,
      timeout: this.config.requestTimeoutMs,
      compression: COMPRESSION[this.config.compression],
    });
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
    this.connected = false;
  }

  /** Groups the batch by topic (a `topic` header may override it), keeping event order within each topic. */
  private toTopicMessages(events: readonly Event[], tracker: WrittenTracker): TopicMessages[] {
    const { topic: defaultTopic, allowTopicOverride, topicHeader } = this.config;
    const byTopic = new Map<string, Message[]>();
    let count = 0;
    for (const event of events) {
      const topic = (allowTopicOverride ? event.headers[topicHeader] : undefined) ?? defaultTopic;
      const message = this.toMessage(event, tracker);
      if (message === undefined) continue;
      let messages = byTopic.get(topic);
      if (messages === undefined) byTopic.set(topic, (messages = []));
      messages.push(message);
      count++;
    }
    tracker.expect(count);
    return Array.from(byTopic, ([topic, messages]) => ({ topic, messages }));
  }

  private toMessage(event: Event, tracker: WrittenTracker): Message | undefined {
    const { headers } = event;
    let value = this.decoder === undefined ? event.body : Buffer.from(this.decoder.decode(event.body), 'utf8');
    if (value.length > this.config.maxMessageBytes) {
      this.counters.recordsOversized++;
      this.log.warn({ bytes: value.length, maxMessageBytes: this.config.maxMessageBytes, policy: this.config.oversizePolicy },
        'record larger than max.message.size');
      if (this.config.oversizePolicy === 'skip') return undefined;
      value = value.subarray(0, this.config.maxMessageBytes);
    }
    const message: Message & { [WRITTEN]: WrittenTracker } = { value, headers, [WRITTEN]: tracker };
    const key = headers[KEY_HEADER] ?? this.config.key;
    if (key !== undefined) message.key = key;
    const partition = this.partitionOf(event);
    if (partition !== undefined) message.partition = partition;
    return message;
  }

  private partitionOf(event: Event): number | undefined {
    const header = this.config.partitionIdHeader;
    const fromHeader = header === undefined ? undefined : event.headers[header];
    if (fromHeader !== undefined && /^\d+$/.test(fromHeader)) return Number(fromHeader);
    return this.config.partition;
  }
}

/** kafkajs types each SASL mechanism separately. */
function saslOptions({ mechanism, username, password }: NonNullable<KafkaSecurity['sasl']>): SASLOptions {
  switch (mechanism) {
    case 'plain': return { mechanism, username, password };
    case 'scram-sha-256': return { mechanism, username, password };
    case 'scram-sha-512': return { mechanism, username, password };
  }
}
