import type { Settings } from '../config/settings.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../size-limits.ts';
import { compileTemplate, isStatic, type Template } from '../template.ts';
import { hasOnlyTopicChars, isValidTopicName, TOPIC_NAME_ALLOWED } from './topic-name.ts';
import { allowedLevels, COMPRESSIONS, levelAllowed, LEVELS, unavailable, type Compression } from './compression.ts';
import { configureRecordFormat, type RecordFormatConfig } from './record-format.ts';
import { configureLineTimestamp, type LineTimestampConfig } from './line-timestamp.ts';

/**
 * The Kafka sink's settings, read from both generations of Flume keys:
 * the Kafka 0.8-era custom sinks (`metadata.broker.list`, `custom.topic.name`, ...)
 * and Flume 1.11's KafkaSink (`kafka.bootstrap.servers`, `kafka.topic`, `kafka.producer.*`).
 */
export interface KafkaSinkConfig {
  brokers: string[];
  /** `kafka.topic`, a `%{header}` template (template.ts); a static one is a valid topic name. */
  topic: Template;
  /**
   * Where a record goes whose topic, rendered per event (a template, a file group's topic, the
   * topic header), is not a valid Kafka topic name: the broker would refuse it forever.
   */
  fallbackTopic: string;
  /** 0: no acknowledgement, 1: leader, -1: all in-sync replicas. */
  acks: 0 | 1 | -1;
  batchSize: number;
  lingerMs: number;
  /** Batches on their way at once while deliveries succeed. */
  maxInFlight: number;
  compression: Compression;
  /** The codec's level (`compression.<codec>.level`, Kafka's default when unset); undefined for none and snappy. */
  compressionLevel: number | undefined;
  /** Record key when the event has no `key` header (`partition.key`, a `%{header}` template). */
  key: Template | undefined;
  /** Partition for every record (single-partition partitioner or `defaultPartitionId`). */
  partition: number | undefined;
  partitionIdHeader: string | undefined;
  allowTopicOverride: boolean;
  topicHeader: string;
  /**
   * Flume's `timestampHeader`: the event header whose value (epoch ms) is the record timestamp,
   * when present and a number; otherwise (and by default) it is the time the source read the event.
   */
  timestampHeader: string | undefined;
  /** The record timestamp parsed from the line, before timestampHeader and the read time (timestampFormat, timestampPattern). */
  lineTimestamp: LineTimestampConfig | undefined;
  /** The record value's format and whether event headers are record headers. */
  format: RecordFormatConfig;
  /** Charset of event bodies; null means pass the bytes through unchanged. */
  bodyEncoding: string | null;
  /** Largest record batch sent (as brokers count it against max.message.bytes), hence also the largest record. */
  maxMessageBytes: number;
  oversizePolicy: OversizePolicy;
  clientId: string;
  requestTimeoutMs: number;
  security: KafkaSecurity;
}

/**
 * What happens to a record larger than the size limit (the broker would refuse it, blocking the
 * sink forever): cut to the limit, left out, or sent as several consecutive records.
 */
export const OVERSIZE_POLICIES = ['truncate', 'skip', 'split'] as const;
export type OversizePolicy = (typeof OVERSIZE_POLICIES)[number];

/**
 * Where a credential comes from: the properties file itself, or a file read whenever the Kafka
 * client is built (a mounted Secret, which may change under the running agent). `key` is the
 * setting that named the file, for messages.
 */
export type CredentialSource = { value: string } | { file: string; key: string };

/** A credential read from a file (a PEM part, an OAUTHBEARER token): `key` is the setting that named the file. */
export interface CredentialFile {
  file: string;
  key: string;
}

export type PasswordMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSecurity {
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  sasl?: { mechanism: PasswordMechanism; username: CredentialSource; password: CredentialSource } | { mechanism: 'oauthbearer'; token: CredentialFile };
  tls?: { ca?: CredentialFile; cert?: CredentialFile; key?: CredentialFile; passphrase?: string; verifyHostname: boolean };
}

/** Settings naming files that hold the SASL username and password (e.g. keys of a mounted Secret), read again when they change. */
export const SASL_USERNAME_FILE_KEY = 'kafka.producer.sasl.username.file';
export const SASL_PASSWORD_FILE_KEY = 'kafka.producer.sasl.password.file';
/** The setting naming the file that holds the OAUTHBEARER token (kept fresh by whoever issues it), read again when it changes. */
export const SASL_OAUTHBEARER_TOKEN_FILE_KEY = 'kafka.producer.sasl.oauthbearer.token.file';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

export const KAFKA_SINK_TYPES = ['kafka', 'org.apache.flume.sink.kafka.KafkaSink'] as const;

/** Any `*KafkaSink` class (e.g. the reference config's com.willbe.flume.sink.KafkaSink) is this sink. */
export function isKafkaSinkType(type: string): boolean {
  return type.toLowerCase() === 'kafka' || type.endsWith('KafkaSink');
}

/** Partitioner class names that mean "every record to the partition named by partition.key". */
export function isSinglePartitioner(className: string): boolean {
  return /SinglePartition(er)?$/.test(className);
}

const HASH_PARTITIONERS = [
  'kafka.producer.DefaultPartitioner',
  'org.apache.kafka.clients.producer.internals.DefaultPartitioner',
  'org.apache.kafka.clients.producer.RoundRobinPartitioner',
];

const SERIALIZERS_STRING = ['kafka.serializer.StringEncoder', 'org.apache.kafka.common.serialization.StringSerializer'];
const SERIALIZERS_BYTES = ['kafka.serializer.DefaultEncoder', 'org.apache.kafka.common.serialization.ByteArraySerializer'];

const PRODUCER = 'kafka.producer.';

/**
 * Two batches on their way: the sink encodes and sends the next while Kafka writes the last,
 * 10-25% more throughput than one (bench/results). As with Kafka's own producers (the Java
 * client's default is 5, librdkafka's far more), a batch that fails is retried after a later one
 * that succeeded; 1 keeps partitions in order even through retries.
 */
const DEFAULT_MAX_IN_FLIGHT = 2;

/**
 * The batching window (linger.ms; Kafka's own default is 0, 5 since Kafka 4.0): a batch that is not
 * full waits this long from its first event, so that the puts of a steady trickle (TAILDIR reads
 * every readInterval) share a request; a full batch goes at once. A burst's last partial batch
 * waits it too. Latency-sensitive users shorten it.
 */
export const DEFAULT_LINGER_MS = 100;

/** Room for a record batch's framing and a record with a few headers: a smaller limit could send nothing. */
export const MIN_MAX_MESSAGE_BYTES = 1024;

/** Flume's topic when none is configured, and the fallback of a templated one. */
export const DEFAULT_TOPIC = 'default-flume-topic';

export const TOPIC_KEYS = ['kafka.topic', 'custom.topic.name', 'topic'];
export const KEY_TEMPLATE_KEY = 'partition.key';
export const FALLBACK_TOPIC_KEY = 'fallbackTopic';

export function configureKafkaSink(settings: Settings): KafkaSinkConfig {
  const brokerList = settings.required(['kafka.bootstrap.servers', 'metadata.broker.list', 'brokerList'], 'comma-separated host:port list of Kafka brokers');
  const brokers = brokerList.split(',').map((broker) => broker.trim()).filter((broker) => broker !== '');
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(broker)) {
      throw settings.error(settings.has('kafka.bootstrap.servers') ? 'kafka.bootstrap.servers' : 'metadata.broker.list',
        `invalid broker "${broker}": host:port is allowed, e.g. kafka-0.kafka:9092`);
    }
  }

  const ackKeys = [PRODUCER + 'acks', 'request.required.acks', 'requiredAcks'];
  const ackText = settings.oneOf(ackKeys, ['0', '1', '-1', 'all'], '1');
  const acks = ackText === 'all' ? -1 : (Number(ackText) as 0 | 1 | -1);

  const key = settings.string(KEY_TEMPLATE_KEY);
  const partitionerClass = settings.string('partitioner.class');
  let partition: number | undefined;
  if (partitionerClass !== undefined) {
    if (isSinglePartitioner(partitionerClass)) {
      if (key === undefined || !/^\d+$/.test(key)) {
        throw settings.error('partition.key', `partitioner.class ${partitionerClass} sends every record to the partition named by partition.key, so it must be a partition number (got ${key === undefined ? 'nothing' : `"${key}"`})`);
      }
      partition = Number(key);
    } else if (!HASH_PARTITIONERS.includes(partitionerClass)) {
      throw settings.error('partitioner.class', `unknown partitioner "${partitionerClass}": allowed are any *SinglePartitioner / *SinglePartition class (always partition.key), ${HASH_PARTITIONERS.join(', ')} (murmur2 of the key, round-robin without key)`);
    }
  }
  if (settings.has('defaultPartitionId')) partition = settings.int('defaultPartitionId', 0, { min: 0 });

  const serializer = settings.string('serializer.class', SERIALIZERS_STRING[0] ?? '');
  if (![...SERIALIZERS_STRING, ...SERIALIZERS_BYTES].includes(serializer)) {
    throw settings.error('serializer.class', `unknown serializer "${serializer}": allowed are ${[...SERIALIZERS_STRING, ...SERIALIZERS_BYTES].join(', ')}`);
  }
  const encoding = settings.string('custom.encoding', 'UTF-8');
  if (!isSupportedEncoding(encoding)) {
    throw settings.error('custom.encoding', `unknown charset "${encoding}": allowed are the WHATWG encoding labels, e.g. UTF-8, ISO-8859-1, windows-1252, UTF-16LE, Shift_JIS, GBK`);
  }
  // A string serializer turns the decoded text into UTF-8: nothing to do when the body is UTF-8 already.
  const bodyEncoding = SERIALIZERS_BYTES.includes(serializer) || isUtf8(encoding) ? null : encoding;

  settings.oneOf('producer.type', ['sync', 'async'], 'sync');

  const batchSize = settings.int(['flumeBatchSize', 'batchSize'], 100, { min: 1 });
  // An empty topic is no topic, as in Flume.
  const topic = settings.string(TOPIC_KEYS) === '' ? compileTemplate(DEFAULT_TOPIC) : topicTemplate(settings, TOPIC_KEYS, DEFAULT_TOPIC);
  const fallbackTopic = settings.string(FALLBACK_TOPIC_KEY, isStatic(topic) ? topic.text : DEFAULT_TOPIC);
  if (!isValidTopicName(fallbackTopic)) throw settings.error(FALLBACK_TOPIC_KEY, `invalid value "${fallbackTopic}": a Kafka topic name (${TOPIC_NAME_ALLOWED}) is allowed, not a template`);
  const { compression, compressionLevel } = configureCompression(settings);
  return {
    brokers,
    topic,
    fallbackTopic,
    acks,
    batchSize,
    lingerMs: settings.int(PRODUCER + 'linger.ms', DEFAULT_LINGER_MS, { min: 0, max: 60_000 }),
    maxInFlight: settings.int(PRODUCER + 'max.in.flight.requests.per.connection', DEFAULT_MAX_IN_FLIGHT, { min: 1, max: 16 }),
    compression,
    compressionLevel,
    key: settings.template(KEY_TEMPLATE_KEY),
    partition,
    partitionIdHeader: settings.string('partitionIdHeader'),
    allowTopicOverride: settings.bool('allowTopicOverride', true),
    topicHeader: settings.string('topicHeader', 'topic'),
    timestampHeader: settings.string('timestampHeader'),
    lineTimestamp: configureLineTimestamp(settings),
    format: configureRecordFormat(settings),
    bodyEncoding,
    maxMessageBytes: settings.int(['max.message.size', PRODUCER + 'max.request.size'], DEFAULT_MAX_MESSAGE_BYTES, { min: MIN_MAX_MESSAGE_BYTES }),
    oversizePolicy: settings.oneOf('oversizePolicy', OVERSIZE_POLICIES, 'truncate'),
    clientId: settings.string(PRODUCER + 'client.id', 'logshipper'),
    requestTimeoutMs: settings.int(PRODUCER + 'request.timeout.ms', 30_000, { min: 1 }),
    security: configureSecurity(settings),
  };
}

/**
 * A topic template (the sink's, a file group's), checked as far as the configuration tells: a
 * static one must be a valid topic name, and a template's literal text may hold only characters
 * of topic names (what the headers render to is checked per record).
 */
export function topicTemplate(settings: Settings, keys: string | readonly string[], fallback: string): Template {
  const template = settings.template(keys, fallback);
  const valid = isStatic(template) ? isValidTopicName(template.text) : template.parts.every(hasOnlyTopicChars);
  if (!valid) {
    throw settings.error(settings.nameOf(keys) ?? '', `invalid value "${template.text}": a Kafka topic name (${TOPIC_NAME_ALLOWED}) is allowed, with %{header} for a header's value`);
  }
  return template;
}

const COMPRESSION_TYPE_KEY = PRODUCER + 'compression.type';
/** The Kafka 0.8 producer's key (names, or the codec ids 0-4), bare as the 0.8-era sinks read it or under Flume 1.6's `kafka.` prefix. */
const COMPRESSION_CODEC_KEYS = ['compression.codec', 'kafka.compression.codec'];

/**
 * The codec (`kafka.producer.compression.type`, else the 0.8-era `compression.codec`) and its
 * level. Every `compression.<codec>.level` set is checked against Kafka's range, as Kafka does,
 * though only the chosen codec's is used.
 */
function configureCompression(settings: Settings): { compression: Compression; compressionLevel: number | undefined } {
  let compression: Compression;
  // Read (so known) even when compression.type is set and wins.
  const oldText = settings.string(COMPRESSION_CODEC_KEYS);
  const codecText = settings.has(COMPRESSION_TYPE_KEY) ? undefined : oldText;
  // The key the codec was read from, for messages.
  const codecKey = codecText === undefined ? COMPRESSION_TYPE_KEY : (COMPRESSION_CODEC_KEYS.find((key) => settings.has(key)) ?? COMPRESSION_TYPE_KEY);
  if (codecText !== undefined && /^\d+$/.test(codecText)) {
    const byId = COMPRESSIONS[Number(codecText)];
    if (byId === undefined) throw settings.error(codecKey, `invalid value "${codecText}": one of ${COMPRESSIONS.join(', ')} or their Kafka codec ids ${COMPRESSIONS.map((name, id) => `${String(id)} (${name})`).join(', ')} is allowed`);
    compression = byId;
  } else {
    compression = settings.oneOf(codecKey, COMPRESSIONS, 'none');
  }
  const why = unavailable(compression);
  if (why !== undefined) {
    throw settings.error(codecKey, `${why}: allowed here are ${COMPRESSIONS.filter((name) => unavailable(name) === undefined).join(', ')}`);
  }
  const levels = new Map<Compression, number>();
  for (const codec of Object.keys(LEVELS) as (keyof typeof LEVELS)[]) {
    const key = `${PRODUCER}compression.${codec}.level`;
    if (!settings.has(key)) continue;
    const text = settings.string(key, '');
    const level = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!levelAllowed(codec, level)) throw settings.error(key, `invalid value "${text}": ${allowedLevels(codec)} is allowed`);
    levels.set(codec, level);
  }
  const compressionLevel = compression === 'none' || compression === 'snappy' ? undefined : (levels.get(compression) ?? LEVELS[compression].default);
  return { compression, compressionLevel };
}

function configureSecurity(settings: Settings): KafkaSecurity {
  const protocol = settings.oneOf(PRODUCER + 'security.protocol', ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], 'PLAINTEXT');
  const security: KafkaSecurity = { protocol };
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = settings.oneOf(PRODUCER + 'sasl.mechanism', SASL_MECHANISMS, 'PLAIN');
    security.sasl = mechanism === 'OAUTHBEARER' ? { mechanism: 'oauthbearer', token: oauthBearerToken(settings) } : passwordSasl(settings, protocol, mechanism);
  }
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    for (const store of ['ssl.truststore', 'ssl.keystore']) settings.oneOf(`${PRODUCER}${store}.type`, ['PEM'], 'PEM');
    security.tls = { verifyHostname: settings.string(PRODUCER + 'ssl.endpoint.identification.algorithm', 'https') !== '' };
    const parts = { ca: ['ssl.truststore', 'ssl.ca'], cert: ['ssl.keystore', 'ssl.certificate'], key: ['ssl.keystore', 'ssl.key'] } as const;
    for (const [part, stores] of Object.entries(parts) as [keyof typeof parts, readonly string[]][]) {
      const source = pemLocation(settings, stores);
      if (source !== undefined) security.tls[part] = source;
    }
    const passphrase = settings.string(PRODUCER + 'ssl.key.password');
    if (passphrase !== undefined) security.tls.passphrase = passphrase;
  }
  return security;
}

const JAAS_KEY = PRODUCER + 'sasl.jaas.config';

function passwordSasl(settings: Settings, protocol: string, mechanism: Exclude<(typeof SASL_MECHANISMS)[number], 'OAUTHBEARER'>): NonNullable<KafkaSecurity['sasl']> {
  if (settings.has(SASL_OAUTHBEARER_TOKEN_FILE_KEY)) {
    throw settings.error(SASL_OAUTHBEARER_TOKEN_FILE_KEY, `is used by sasl.mechanism OAUTHBEARER only, but ${settings.prefix}${PRODUCER}sasl.mechanism is ${mechanism}: set OAUTHBEARER, or remove this key`);
  }
  const jaas = settings.string(JAAS_KEY);
  const username = credential(settings, 'username', SASL_USERNAME_FILE_KEY, jaas);
  const password = credential(settings, 'password', SASL_PASSWORD_FILE_KEY, jaas);
  if (username === undefined || password === undefined) {
    throw settings.error(JAAS_KEY, `${protocol} needs a username and password: set ${settings.prefix}${JAAS_KEY} (username="..." password="\${KAFKA_PASSWORD}"), or ${settings.prefix}${PRODUCER}sasl.username / sasl.password, or files holding them: ${settings.prefix}${SASL_USERNAME_FILE_KEY} / ${SASL_PASSWORD_FILE_KEY}`);
  }
  return { mechanism: mechanism.toLowerCase() as PasswordMechanism, username, password };
}

/**
 * OAUTHBEARER's token comes from a file only (what refreshes tokens writes files: a projected
 * service account token, a Vault agent, an OIDC sidecar). The Java client's JAAS login module and
 * its token endpoint settings cannot run here, and a username or password means another mechanism:
 * refused, rather than ignored.
 */
function oauthBearerToken(settings: Settings): CredentialFile {
  const key = SASL_OAUTHBEARER_TOKEN_FILE_KEY;
  const foreign = [JAAS_KEY, PRODUCER + 'sasl.username', PRODUCER + 'sasl.password', SASL_USERNAME_FILE_KEY, SASL_PASSWORD_FILE_KEY].find((other) => settings.has(other));
  if (foreign !== undefined) {
    throw settings.error(foreign, `is not used by sasl.mechanism OAUTHBEARER, whose token is read from the file named by ${settings.prefix}${key}: remove ${settings.prefix}${foreign}`);
  }
  const file = settings.string(key);
  if (file === undefined) throw settings.error(key, 'sasl.mechanism OAUTHBEARER needs the path of a file holding the token (one line, e.g. a JWT), re-read when it changes');
  if (file.trim() === '') throw settings.error(key, 'empty path: the path of a file holding the OAUTHBEARER token is allowed');
  return { file, key: settings.prefix + key };
}

/** The username or password: a literal (sasl.<name>, or the JAAS line's) or a file (sasl.<name>.file), not both. */
function credential(settings: Settings, name: 'username' | 'password', fileKey: string, jaas: string | undefined): CredentialSource | undefined {
  const literalKey = `${PRODUCER}sasl.${name}`;
  const value = settings.string(literalKey) ?? (jaas === undefined ? undefined : jaasOption(jaas, name));
  const file = settings.string(fileKey);
  if (file === undefined) return value === undefined ? undefined : { value };
  if (value !== undefined) {
    throw settings.error(fileKey, `the ${name} is set twice: ${settings.prefix}${fileKey} names a file, and ${settings.has(literalKey) ? `${settings.prefix}${literalKey}` : `the JAAS line (${settings.prefix}${PRODUCER}sasl.jaas.config)`} sets it too: keep one`);
  }
  if (file.trim() === '') throw settings.error(fileKey, 'empty path: the path of a file holding the ' + name + ' is allowed');
  return { file, key: settings.prefix + fileKey };
}

/**
 * Where a PEM part is: Kafka's PEM trust- or keystore (`ssl.truststore.location`,
 * `ssl.keystore.location` holding certificate and key), or librdkafka's separate files
 * (`ssl.ca.location`, `ssl.certificate.location`, `ssl.key.location`, as in a Kubernetes TLS Secret).
 * Java's JKS/PKCS12 stores cannot be read here: convert them to PEM. The files are read (and
 * checked) whenever the Kafka client is built: see kafka-credentials.ts.
 */
function pemLocation(settings: Settings, stores: readonly string[]): CredentialFile | undefined {
  const locationKeys = stores.map((store) => `${PRODUCER}${store}.location`);
  const location = settings.string(locationKeys);
  if (location === undefined) return undefined;
  const locationKey = locationKeys.find((key) => settings.string(key) === location) ?? locationKeys[0] ?? '';
  return { file: location, key: settings.prefix + locationKey };
}

/** Reads `name="value"` from a JAAS line such as `...PlainLoginModule required username="u" password="p";`. */
function jaasOption(jaas: string, name: string): string | undefined {
  return new RegExp(`\\b${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(jaas)?.[1]?.replace(/\\(.)/g, '$1');
}

function isSupportedEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

function isUtf8(label: string): boolean {
  return new TextDecoder(label).encoding === 'utf-8';
}
