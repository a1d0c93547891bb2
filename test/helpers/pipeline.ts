// The agent configuration most integration tests need: agent `a`, source `s` -> memory channel `c`
// -> Kafka sink `k`. Options are keys relative to each component; later keys win (Java properties).
import { brokers } from './kafka.ts';

export interface PipelineOptions {
  topic: string;
  source: string[];
  channel?: string[];
  sink?: string[];
  /** Default: the test environment's PLAINTEXT brokers. */
  bootstrap?: string;
}

export function kafkaPipeline(options: PipelineOptions): string {
  return [
    'a.sources = s', 'a.channels = c', 'a.sinks = k',
    ...options.source.map((line) => `a.sources.s.${line}`), 'a.sources.s.channels = c',
    'a.channels.c.type = memory', 'a.channels.c.capacity = 1000', 'a.channels.c.transactionCapacity = 100',
    ...(options.channel ?? []).map((line) => `a.channels.c.${line}`),
    'a.sinks.k.type = kafka', 'a.sinks.k.channel = c', `a.sinks.k.kafka.bootstrap.servers = ${options.bootstrap ?? brokers()}`,
    `a.sinks.k.kafka.topic = ${options.topic}`, 'a.sinks.k.kafka.producer.acks = -1',
    ...(options.sink ?? []).map((line) => `a.sinks.k.${line}`),
  ].join('\n') + '\n';
}
