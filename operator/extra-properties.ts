// spec.extraProperties: the escape hatch for agent settings the typed spec does not cover.
// Only the names listed here are accepted (the CRD's enum lists the same names; a unit test keeps
// them equal), so the hatch cannot re-point the pipeline (types, wiring, paths, credentials) that
// the operator and the injector must agree on. Names are `source.`, `channel.` or `sink.` followed by
// the agent's own key for that component.
import { CHANNEL_NAME, SINK_NAME, SOURCE_NAME } from './sidecar-layout.ts';
import { MIN_MAX_MESSAGE_BYTES, OVERSIZE_POLICIES } from '../sidecar/sinks/kafka-config.ts';
import { READ_INTERVAL_KEY } from '../sidecar/sources/taildir/config.ts';

export type ValueKind = 'int' | 'bool' | 'text' | readonly string[];

export interface ExtraProperty {
  /** The name as written in spec.extraProperties[].name. */
  key: string;
  kind: ValueKind;
  min?: number;
  max?: number;
  description: string;
}

const AGENT_COMPONENT: Record<string, string> = {
  source: `sources.${SOURCE_NAME}`,
  channel: `channels.${CHANNEL_NAME}`,
  sink: `sinks.${SINK_NAME}`,
};

export const EXTRA_PROPERTIES: readonly ExtraProperty[] = [
  { key: 'source.skipToEnd', kind: 'bool', description: 'start new files at their end instead of their beginning' },
  { key: 'source.idleTimeout', kind: 'int', min: 1, description: 'ms after which an idle file is closed' },
  { key: 'source.writePosInterval', kind: 'int', min: 1, description: 'ms between position file writes' },
  { key: 'source.pollInterval', kind: 'int', min: 1, description: 'ms between checks of open files without a watcher event' },
  { key: 'source.rescanInterval', kind: 'int', min: 1, description: 'ms between directory listings without a watcher event' },
  { key: `source.${READ_INTERVAL_KEY}`, kind: 'int', min: 1, max: 60_000, description: 'ms a caught-up file waits before its next writes are read (fewer reads and puts, more latency)' },
  { key: 'source.rotateWait', kind: 'int', min: 0, description: 'ms a rotated-away file is still read while it grows' },
  { key: 'source.partialLineTimeout', kind: 'int', min: 0, description: 'ms an incomplete last line waits for its newline (0: forever)' },
  { key: 'source.maxBatchCount', kind: 'int', min: 1, description: 'batches read from one file before the next file gets its turn' },
  { key: 'source.byteOffsetHeader', kind: 'bool', description: 'add the line offset as header byteoffset' },
  { key: 'channel.transactionCapacity', kind: 'int', min: 1, description: 'events per channel transaction (default: kafka.batchSize)' },
  { key: 'channel.byteCapacityBufferPercentage', kind: 'int', min: 0, max: 99, description: 'share of byteCapacity kept for headers' },
  { key: 'channel.keep-alive', kind: 'int', min: 0, description: 's a put waits before logging that the channel is full' },
  { key: 'sink.kafka.producer.client.id', kind: 'text', description: 'Kafka client id' },
  { key: 'sink.kafka.producer.request.timeout.ms', kind: 'int', min: 1, description: 'Kafka request timeout' },
  { key: 'sink.kafka.producer.max.request.size', kind: 'int', min: MIN_MAX_MESSAGE_BYTES, description: 'largest record batch (hence record) in bytes; the topic\'s max.message.bytes also applies' },
  { key: 'sink.oversizePolicy', kind: OVERSIZE_POLICIES, description: 'what happens to a record over the size limit: truncate, skip or split' },
  { key: 'sink.allowTopicOverride', kind: 'bool', description: 'let a header choose the topic per event' },
  { key: 'sink.topicHeader', kind: 'text', description: 'the header that chooses the topic' },
];

export const EXTRA_PROPERTY_KEYS: readonly string[] = EXTRA_PROPERTIES.map((property) => property.key);

/** The full agent key (after `<agent>.`) for an allowed extraProperties key. */
export function agentKey(key: string): string {
  const dot = key.indexOf('.');
  const component = AGENT_COMPONENT[key.slice(0, dot)];
  if (component === undefined) throw new Error(`extraProperties key ${key} has no component`);
  return `${component}.${key.slice(dot + 1)}`;
}

/** Why `value` is not acceptable for `property`, or undefined when it is. */
export function checkExtraValue(property: ExtraProperty, value: string): string | undefined {
  const { kind } = property;
  if (kind === 'text') return /[\p{Cc}]/u.test(value) || value.trim() === '' ? 'non-empty text without control characters is allowed' : undefined;
  if (kind === 'bool') return value === 'true' || value === 'false' ? undefined : 'true or false is allowed';
  if (kind === 'int') {
    const number = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    const min = property.min ?? Number.MIN_SAFE_INTEGER;
    const max = property.max ?? Number.MAX_SAFE_INTEGER;
    if (Number.isSafeInteger(number) && number >= min && number <= max) return undefined;
    return property.max === undefined ? `an integer >= ${min} is allowed` : `an integer ${min}..${max} is allowed`;
  }
  return kind.includes(value) ? undefined : `one of ${kind.join(', ')} is allowed`;
}
