import { TextDecoder } from 'node:util';
// First: it replaces kafkajs internals as kafkajs loads (see the file).
import { crc32cInHardware, kafkajsPatched, WRITTEN, WrittenTracker } from './kafkajs-fast.ts';
// No timers while idle (see the file).
import './kafkajs-idle.ts';
// snappy, lz4, zstd and gzip levels in kafkajs's codec registry (see the file).
import { kafkajsCompression } from './kafkajs-codecs.ts';
import { Kafka, Partitioners, logLevel, type CompressionTypes, type Message, type TopicMessages, type LogEntry, type Mechanism, type SASLOptions } from 'kafkajs';
import type { Event } from '../event.ts';
import { batchBytes, isTooLarge, recordOverhead, splitBySize } from './request-size.ts';
import { RecordEncoder } from './record-format.ts';
import { lineTimestamp } from './line-timestamp.ts';
import { TopicLimits } from './topic-limits.ts';
import { RecordRouter } from './routing.ts';
import type { Logger } from '../log.ts';
import type { Sink } from './sink.ts';
import type { KafkaSecurity, KafkaSinkConfig } from './kafka-config.ts';
import type { KafkaCredentials } from './kafka-credentials.ts';
import { RotatingClients, type KafkaClients } from './kafka-client.ts';
import { oauthBearerMechanism } from './kafka-oauthbearer.ts';
import { socketFactory } from './socket-factory.ts';
import type { SinkCounters } from '../counters.ts';

/**
 * A kafkajs message with its record timestamp as a number: kafkajs types `timestamp` as a
 * string but encodes a number alike (Long.fromValue), and a number spares a string per record
 * and keeps the batch on the fast Produce encoder (kafkajs-fast.ts).
 */
type OutgoingMessage = Omit<Message, 'timestamp'> & { value: Buffer; timestamp: number | undefined; [WRITTEN]?: WrittenTracker };

/** A record on its way, with its size in a record batch (an upper bound) and the event it carries. */
interface OutgoingRecord {
  event: Event;
  topic: string;
  /** The line's bytes the value is made of (see RecordEncoder), for fitting an oversized record. */
  payload: Buffer;
  message: OutgoingMessage;
  /** Bytes besides the value: framing, key, headers. */
  overhead: number;
  bytes: number;
}

interface PieceOutcome {
  piece: readonly OutgoingRecord[];
  error?: unknown;
}

/**
 * Produces each batch with kafkajs `sendBatch` calls, as many as keep every record batch within
 * the size limit (max.message.size and the topic's max.message.bytes), and resolves when Kafka
 * acknowledged all of them as `acks` asks. Partitioning is kafkajs's DefaultPartitioner (murmur2
 * of the key, as the Java client does; round-robin without a key) unless a partition is set on the record.
 */
export class KafkaSink implements Sink {
  readonly batchSize: number;
  /**
   * A request holds at most max.request.size bytes of events, as in Kafka's producer: a batch of
   * long lines is encoded (about 3x its size) per request, and the broker refuses a larger batch.
   */
  readonly batchBytes: number;
  readonly lingerMs: number;
  readonly maxInFlight: number;
  private readonly config: KafkaSinkConfig;
  private readonly log: Logger;
  private readonly clients: RotatingClients;
  private readonly limits: TopicLimits;
  /** Events already counted and logged as over the limit (their batch may be retried). */
  private readonly reported = new WeakSet<Event>();
  private readonly decoder: TextDecoder | undefined;
  private readonly counters: SinkCounters;
  private readonly encoder: RecordEncoder;
  private readonly router: RecordRouter;
  /** kafkajs's `compression` value for the configured codec and level. */
  private readonly compression: CompressionTypes;

  /** `clients`: kafkajs's unless a test hands in fakes. */
  constructor(config: KafkaSinkConfig, log: Logger, counters: SinkCounters, clients?: KafkaClients) {
    this.counters = counters;
    this.config = config;
    this.log = log;
    this.batchSize = config.batchSize;
    this.batchBytes = config.maxMessageBytes;
    this.lingerMs = config.lingerMs;
    // Batches in flight keep their order only through the patched kafkajs, which tells when a batch is written.
    this.maxInFlight = kafkajsPatched ? config.maxInFlight : 1;
    this.compression = kafkajsCompression(config.compression, config.compressionLevel);
    this.decoder = config.bodyEncoding === null ? undefined : new TextDecoder(config.bodyEncoding);
    this.encoder = new RecordEncoder(config.format, counters);
    // Test fakes stand for kafkajs's clients, whatever the credentials.
    const build = clients === undefined ? (credentials: KafkaCredentials, bearerToken: () => string) => kafkajsClients(config, credentials, bearerToken, log) : () => clients;
    this.clients = new RotatingClients(config.security, config.brokers, build, log);
    this.limits = new TopicLimits(this.clients.readLimit, log);
    this.router = new RecordRouter(config, counters, log);
    if (!kafkajsPatched) log.warn('kafkajs runs unpatched (not version 2.2.4, or loaded before the sink): a leader failover can lose acknowledged records, and batches encode slower');
    else if (!crc32cInHardware) log.debug('@node-rs/crc32 has no binary for this platform: record batch checksums are computed in JS, slower');
  }

  start(): Promise<void> {
    // Connect lazily in deliver(): a broker that is down (or credentials missing) at start must not stop the agent.
    this.clients.watch();
    return Promise.resolve();
  }

  async deliver(events: readonly Event[], written: () => void): Promise<void> {
    const lease = await this.clients.acquire();
    try {
      const records = events.map((event) => this.toRecord(event));
      await this.limits.learn(new Set(records.map((record) => record.topic)));
      await this.send(lease.producer, records, written);
    } finally {
      lease.release();
    }
  }

  async stop(): Promise<void> {
    await this.clients.close();
  }

  /**
   * Sends `records` in order in as many requests as the size limit needs, each once the one
   * before is on the wire, and resolves when all are acknowledged. A request the broker refuses
   * as too large is cut smaller and sent again (a single record is fitted by oversizePolicy), so
   * that no batch is retried unchanged forever; any other failure rejects, and the runner
   * retries the whole batch (records already acknowledged are then sent again: at least once).
   */
  private async send(producer: KafkaClients['producer'], records: readonly OutgoingRecord[], written: () => void): Promise<void> {
    const limit = this.limitOf(records);
    const pieces = splitBySize(this.fit(records, limit), (record) => record.bytes, limit);
    const outcomes: Promise<PieceOutcome>[] = [];
    // Once a request failed for another reason than its size, the rest would fail alike: the runner retries the whole batch.
    const state = { failed: false };
    for (const piece of pieces) {
      if (state.failed) break;
      const { acknowledged, onWire } = this.sendPiece(producer, piece);
      const outcome = acknowledged.then((): PieceOutcome => ({ piece }), (error: unknown): PieceOutcome => {
        if (!isTooLarge(error)) state.failed = true;
        return { piece, error };
      });
      outcomes.push(outcome);
      await Promise.race([onWire, outcome]);
    }
    written();
    const refused: (readonly OutgoingRecord[])[] = [];
    for (const { piece, error } of await Promise.all(outcomes)) {
      if (error === undefined) continue;
      if (!isTooLarge(error)) throw error as Error;
      refused.push(piece);
    }
    for (const piece of refused) {
      const bytes = batchBytes(piece.map((record) => record.bytes));
      for (const topic of new Set(piece.map((record) => record.topic))) await this.limits.refused(topic, bytes);
      await this.send(producer, piece, () => undefined);
    }
  }

  /** One sendBatch; `onWire` resolves once all its records are in requests on their way. */
  private sendPiece(producer: KafkaClients['producer'], piece: readonly OutgoingRecord[]): { acknowledged: Promise<unknown>; onWire: Promise<void> } {
    let markOnWire = (): void => undefined;
    const onWire = new Promise<void>((resolve) => (markOnWire = resolve));
    const tracker = new WrittenTracker(markOnWire);
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { topic, message } of piece) {
      message[WRITTEN] = tracker;
      let messages = byTopic.get(topic);
      if (messages === undefined) byTopic.set(topic, (messages = []));
      messages.push(message);
    }
    tracker.expect(piece.length);
    const acknowledged = producer.sendBatch({
      // A number timestamp is what kafkajs encodes (see OutgoingMessage); its types say string.
      topicMessages: Array.from(byTopic, ([topic, messages]): TopicMessages => ({ topic, messages: messages as unknown as Message[] })),
      acks: this.config.acks,
      timeout: this.config.requestTimeoutMs,
      compression: this.compression,
    });
    return { acknowledged, onWire };
  }

  /** The largest record batch these records' topics take: max.message.size, or less where a topic's max.message.bytes says so. */
  private limitOf(records: readonly OutgoingRecord[]): number {
    let limit = this.config.maxMessageBytes;
    for (const topic of new Set(records.map((record) => record.topic))) limit = Math.min(limit, this.limits.limitOf(topic));
    return limit;
  }

  /**
   * The records with each one too large for a record batch of `limit` bytes replaced as
   * oversizePolicy says (truncated, split or left out), each such event counted and logged once
   * however often its batch is retried. A record left out is handled: its batch still commits.
   */
  private fit(records: readonly OutgoingRecord[], limit: number): OutgoingRecord[] {
    const fitted: OutgoingRecord[] = [];
    const { oversizePolicy: policy } = this.config;
    for (const record of records) {
      if (batchBytes([record.bytes]) <= limit) {
        fitted.push(record);
        continue;
      }
      const { event, payload, message, overhead, topic } = record;
      if (!this.reported.has(event)) {
        this.reported.add(event);
        this.counters.recordsOversized++;
        this.log.warn({ topic, bytes: record.bytes, limitBytes: limit, maxMessageBytes: this.config.maxMessageBytes, policy },
          'record larger than max.message.size');
      }
      for (const { piece, value } of this.encoder.fit(event, payload, overhead, limit, policy)) {
        fitted.push({ event, topic, payload: piece, overhead, bytes: overhead + value.length, message: { ...message, value } });
      }
    }
    return fitted;
  }

  private toRecord(event: Event): OutgoingRecord {
    const recordHeaders = this.encoder.headersOf(event);
    const topic = this.router.topicOf(event);
    const payload = this.decoder === undefined ? event.body : Buffer.from(this.decoder.decode(event.body), 'utf8');
    const value = this.encoder.value(event, payload);
    const message: OutgoingMessage = { value, headers: recordHeaders, timestamp: this.timestampOf(event, payload) };
    const key = this.router.keyOf(event);
    if (key !== undefined) message.key = key;
    const partition = this.partitionOf(event);
    if (partition !== undefined) message.partition = partition;
    const overhead = recordOverhead({ key, headers: recordHeaders });
    return { event, topic, payload, message, overhead, bytes: overhead + value.length };
  }

  /**
   * The record timestamp: the time in the line (timestampFormat) when it has one, else the
   * timestampHeader's value when set and numeric, else the read time (else kafkajs's clock).
   */
  private timestampOf(event: Event, payload: Buffer): number | undefined {
    const { lineTimestamp: fromLine } = this.config;
    if (fromLine !== undefined) {
      const parsed = lineTimestamp(fromLine, payload, event.timestamp ?? Date.now());
      if (parsed !== undefined) return parsed;
      this.counters.timestampFallbacks++;
    }
    const header = this.config.timestampHeader;
    const fromHeader = header === undefined ? undefined : event.headers[header];
    if (fromHeader !== undefined && /^\d{1,15}$/.test(fromHeader)) return Number(fromHeader);
    return event.timestamp;
  }

  private partitionOf(event: Event): number | undefined {
    const header = this.config.partitionIdHeader;
    const fromHeader = header === undefined ? undefined : event.headers[header];
    if (fromHeader !== undefined && /^\d+$/.test(fromHeader)) return Number(fromHeader);
    return this.config.partition;
  }
}

/** kafkajs's producer and admin client for these settings and credentials. */
function kafkajsClients(config: KafkaSinkConfig, credentials: KafkaCredentials, bearerToken: () => string, log: Logger): KafkaClients {
  const { tls } = credentials;
  const sasl = saslOptions(config.security, credentials, bearerToken);
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: 5000,
    socketFactory,
    // Fail fast into the sink runner, which rolls back and backs off (and reports BACKOFF).
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    ...(tls === undefined ? {} : {
      ssl: {
        ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        ...(tls.cert === undefined ? {} : { cert: tls.cert }),
        ...(tls.key === undefined ? {} : { key: tls.key }),
        ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
        ...(tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
      },
    }),
    ...(sasl === undefined ? {} : { sasl }),
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      // kafkajs logs every connection retry; the sink runner reports failures once per state change.
      log.debug({ kafka: entry.namespace, ...entry.log }, entry.log.message);
    },
  });
  return { producer: kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true }), admin: kafka.admin() };
}

/** kafkajs types each SASL mechanism separately; OAUTHBEARER is this sink's own (kafka-oauthbearer.ts). */
function saslOptions(security: KafkaSecurity, credentials: KafkaCredentials, bearerToken: () => string): SASLOptions | Mechanism | undefined {
  if (security.sasl?.mechanism === 'oauthbearer') return oauthBearerMechanism(bearerToken, security.sasl.token);
  if (credentials.sasl === undefined || credentials.sasl.mechanism === 'oauthbearer') return undefined;
  const { mechanism, username, password } = credentials.sasl;
  switch (mechanism) {
    case 'plain': return { mechanism, username, password };
    case 'scram-sha-256': return { mechanism, username, password };
    case 'scram-sha-512': return { mechanism, username, password };
  }
}
