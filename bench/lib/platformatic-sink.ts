/**
 * The Kafka sink on @platformatic/kafka instead of kafkajs, for the benchmarks only: the agent
 * loads it in place of sidecar/sinks/kafka.ts when run with `--import` of platformatic-hooks.ts.
 * It exports what the agent imports from that module (`KafkaSink`, same constructor), so that
 * nothing of kafkajs is loaded and the footprint is the other client's alone.
 *
 * What it keeps of the shipped sink: a batch resolves only when every record of it is
 * acknowledged by its partition's leader as `acks` asks (the client's `send` assigns each record
 * its partition once, sends one request per leader and fails the whole send when any partition
 * of a response carries an error; the runner then retries the batch: at least once), the read
 * time as the record timestamp, event headers as record headers, `compression.type`, a fixed
 * partition. What it leaves out (the benchmarks use none of it): record keys (records go
 * round-robin), topic override, partition headers, body re-encoding, credentials, topic size
 * limits and the oversize policy.
 */
import { Producer, type MessageToProduce } from '@platformatic/kafka';
import type { Event } from '../../sidecar/event.ts';
import type { Logger } from '../../sidecar/log.ts';
import type { KafkaSinkConfig } from '../../sidecar/sinks/kafka-config.ts';
import type { Sink } from '../../sidecar/sinks/sink.ts';

type Message = MessageToProduce<string, Buffer, string, string>;

const utf8 = (text?: string): Buffer | undefined => (text === undefined ? undefined : Buffer.from(text, 'utf8'));
const bytes = (value?: Buffer): Buffer | undefined => value;

export class KafkaSink implements Sink {
  readonly batchSize: number;
  readonly batchBytes: number;
  readonly lingerMs: number;
  /**
   * The client gives no sign that a send is on the wire, so the next batch is released as soon as
   * this one is handed over (`written` right away): sends keep their order only as long as the
   * client queues them in call order on the leader's connection, which it does while the metadata
   * is cached; a retry may overtake a later batch, as with Kafka's own producers.
   */
  readonly maxInFlight: number;
  private readonly config: KafkaSinkConfig;
  private readonly log: Logger;
  private producer: Producer<string, Buffer, string, string> | undefined;

  constructor(config: KafkaSinkConfig, log: Logger) {
    this.config = config;
    this.log = log;
    this.batchSize = config.batchSize;
    this.batchBytes = config.maxMessageBytes;
    this.lingerMs = config.lingerMs;
    this.maxInFlight = config.maxInFlight;
  }

  start(): Promise<void> {
    this.producer = new Producer({
      clientId: this.config.clientId,
      bootstrapBrokers: this.config.brokers,
      timeout: this.config.requestTimeoutMs,
      // Fail fast into the sink runner, which rolls back and backs off (as the kafkajs sink does).
      retries: 2,
      retryDelay: 200,
      serializers: { key: utf8, value: bytes, headerKey: utf8, headerValue: utf8 },
    });
    this.log.info({ brokers: this.config.brokers, client: '@platformatic/kafka' }, 'Kafka sink on @platformatic/kafka (benchmark only)');
    return Promise.resolve();
  }

  async deliver(events: readonly Event[], written: () => void): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) throw new Error('the @platformatic/kafka sink was not started');
    const sent = producer.send({
      messages: events.map((event) => this.toMessage(event)),
      acks: this.config.acks,
      ...(this.config.compression === 'none' ? {} : { compression: this.config.compression }),
    });
    written();
    await sent;
  }

  async stop(): Promise<void> {
    await this.producer?.close();
    this.producer = undefined;
  }

  private toMessage(event: Event): Message {
    const message: Message = { topic: this.config.topic.text, value: event.body, headers: event.headers };
    if (this.config.partition !== undefined) message.partition = this.config.partition;
    if (event.timestamp !== undefined) message.timestamp = BigInt(event.timestamp);
    return message;
  }
}
