// render(spec) -> the sidecar agent's properties file. Pure and deterministic: the same spec gives
// the same bytes (so the same configHash), in a fixed key order. Injection-safe: every value is
// escaped for the properties syntax (escapeValue/escapeKey of properties-file, the parser the agent
// uses) and for the agent's `${NAME}` substitution (`$${NAME}` stands for a literal `${NAME}`), so
// no user value can add a line or a key, or change another value. The only `${...}` references in
// the output are the ones the renderer puts there itself, naming env vars the injector provides.
import { createHash } from 'node:crypto';
import { escapeKey, escapeValue } from 'properties-file/escape';
import { ENRICHMENT_FIELDS, type Acks, type EnrichmentField, type KafkaFormat, type LineTimestampFormat, type PodField, type ResolvedSpec } from './crd-types.ts';
import { agentKey } from './extra-properties.ts';
import { FALLBACK_TOPIC_KEY, KEY_TEMPLATE_KEY } from '../sidecar/sinks/kafka-config.ts';
import { CONFINE_TO_KEY, groupTopicKey } from '../sidecar/sources/taildir/config.ts';
import { compileTemplate, escapeTemplate, unknownHeader } from '../sidecar/template.ts';
import { FILE_PATH_HEADER, POD_FACT_HEADERS, POD_LABEL_HEADER } from '../sidecar/sinks/json-envelope.ts';
import { FORMAT_KEY, JSON_FILE_HEADER_KEY, JSON_FILE_ROOT_KEY, JSON_POD_HEADER_PREFIX_KEY, type RecordFormatName } from '../sidecar/sinks/record-format.ts';
import { TIMESTAMP_FORMAT_KEY, TIMESTAMP_PATTERN_KEY, type TimestampFormat } from '../sidecar/sinks/line-timestamp.ts';
import {
  AGENT_NAME, CHANNEL_NAME, ENV, labelEnvName, LOG_VOLUME_MOUNT_PATH, POSITION_FILE_PATH,
  SINK_NAME, SOURCE_NAME, TLS_CA_FILE_PATH, clientCertificateFiles, saslFiles,
} from './sidecar-layout.ts';
import { SpecError } from './spec.ts';

/** A value as intended: literal text, or a reference to an environment variable of the sidecar. */
export type IntendedValue = { literal: string } | { env: string };

export interface RenderedEntry {
  /** The key after `<agent>.` */
  key: string;
  value: IntendedValue;
}

export interface RenderContext {
  /** The LogShipper's namespace and name (the Kafka client id says where records come from). */
  namespace: string;
  name: string;
}

export interface RenderResult {
  /** The properties file. */
  text: string;
  /** sha256 (hex) of text. */
  hash: string;
  /** The entries in file order, as the agent must read them back (full keys, `<agent>.` included). */
  entries: RenderedEntry[];
  /** The env vars the text refers to: the injected sidecar must have all of them. */
  env: string[];
}

const POD_FIELD_ENV: Record<PodField, string> = {
  PodName: ENV.podName,
  Namespace: ENV.podNamespace,
  NodeName: ENV.nodeName,
  PodUID: ENV.podUID,
  Container: ENV.container,
};

/** Header names (after enrichment.headerPrefix) of the enrichment fields. */
export const ENRICHMENT_HEADERS: Record<EnrichmentField, string> = {
  PodName: POD_FACT_HEADERS.podName.header,
  Namespace: POD_FACT_HEADERS.podNamespace.header,
  NodeName: POD_FACT_HEADERS.nodeName.header,
  PodUID: POD_FACT_HEADERS.podUID.header,
  Container: POD_FACT_HEADERS.container.header,
  FilePath: FILE_PATH_HEADER,
};

const KAFKA_ACKS: Record<Acks, string> = { All: 'all', Leader: '1', None: '0' };
const RECORD_FORMAT: Record<KafkaFormat, RecordFormatName> = { Raw: 'raw', Json: 'json', FlumeEvent: 'flume-event' };
const TIMESTAMP_FORMAT: Record<LineTimestampFormat, TimestampFormat> = { Iso8601: 'iso8601', EpochSeconds: 'epoch-seconds', EpochMillis: 'epoch-millis', CommonLog: 'clf' };

const HEADER = [
  '# logshipper agent configuration, rendered by the logshipper operator from a LogShipper resource.',
  '# Do not edit: the operator overwrites changes. `logshipper render -f <logshipper.yaml>` shows what a resource renders to.',
];

/** `${NAME}` in a literal, escaped so that the agent's env substitution gives back the literal. */
export function escapeEnvReferences(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (reference) => `$${reference}`);
}

function formatValue(value: IntendedValue): string {
  if ('env' in value) return `\${${value.env}}`;
  return escapeValue(escapeEnvReferences(value.literal));
}

const GLOB_CHARS = /[*?[]/;
/** What makes the agent read a file-name part as a Flume regex (sidecar/sources/taildir/pattern.ts). */
const REGEX_SYNTAX = /[\\()|^$+{}]|\.[*?]/;

function isAgentGlob(dir: string, name: string): boolean {
  return GLOB_CHARS.test(dir) || (GLOB_CHARS.test(name) && !REGEX_SYNTAX.test(name));
}

/**
 * The absolute path for the agent's `filegroups.<g>` from a path relative to the volume, written so
 * that the agent reads it as a glob. (The agent reads a file-name part without glob characters, or
 * with regex syntax such as `.*`, as a Flume regex; `[.]` for each `.` outside a `[...]` class keeps
 * the meaning and makes it a glob; a plain name without dots is an exact regex as it stands.) The unit
 * tests check this with the agent's own pattern compiler.
 */
export function agentPath(relative: string, field: string): string {
  const full = `${LOG_VOLUME_MOUNT_PATH}/${relative}`;
  const slash = full.lastIndexOf('/');
  const dir = full.slice(0, slash);
  const name = full.slice(slash + 1);
  if (isAgentGlob(dir, name)) return full;
  // Without glob characters and dots the agent's regex is the name itself: exact, as wanted.
  if (!GLOB_CHARS.test(name) && !/[\\()|^$+{}.]/.test(name)) return full;
  const bracketed = bracketDots(name);
  if (!isAgentGlob(dir, bracketed)) {
    throw new SpecError(field, `invalid value ${JSON.stringify(relative)}: the agent would not read it as a glob (a '.' before '*' or '?' inside [...])`);
  }
  return `${dir}/${bracketed}`;
}

function bracketDots(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const char = name[i] ?? '';
    if (char === '[') {
      const close = name.indexOf(']', i + 2);
      if (close !== -1) {
        out += name.slice(i, close + 1);
        i = close;
        continue;
      }
    }
    out += char === '.' ? '[.]' : char;
  }
  return out;
}

function byKey<T>(record: Record<string, T>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The agent entries for a spec, in file order (keys relative to `<agent>.`). */
export function renderEntries(spec: ResolvedSpec, context: RenderContext): RenderedEntry[] {
  const entries: RenderedEntry[] = [];
  const put = (key: string, value: string | IntendedValue): void => {
    entries.push({ key, value: typeof value === 'string' ? { literal: value } : value });
  };
  const source = `sources.${SOURCE_NAME}.`;
  const channel = `channels.${CHANNEL_NAME}.`;
  const sink = `sinks.${SINK_NAME}.`;
  const extra = new Map(spec.extraProperties.map((entry) => [agentKey(entry.name), entry.value]));
  const putExtras = (prefix: string): void => {
    for (const [key, value] of [...extra].sort(([a], [b]) => (a < b ? -1 : 1))) if (key.startsWith(prefix)) put(key, value);
  };

  put('sources', SOURCE_NAME);
  put('channels', CHANNEL_NAME);
  put('sinks', SINK_NAME);

  // The file source.
  const prefix = spec.enrichment.headerPrefix;
  // The JSON envelope always says where a line comes from: every pod fact and the file, whatever spec.enrichment.fields lists.
  const json = spec.kafka.format === 'Json';
  const fields: readonly EnrichmentField[] = json ? ENRICHMENT_FIELDS : spec.enrichment.fields;
  const enrichment: Record<string, IntendedValue> = {};
  for (const field of fields) {
    if (field !== 'FilePath') enrichment[prefix + ENRICHMENT_HEADERS[field]] = { env: POD_FIELD_ENV[field] };
  }
  for (const label of spec.enrichment.labels) enrichment[`${prefix}${POD_LABEL_HEADER}${label}`] = { env: labelEnvName(label) };
  const groups = spec.files.map((_file, index) => `f${index + 1}`);
  put(`${source}type`, 'TAILDIR');
  put(`${source}channels`, CHANNEL_NAME);
  put(`${source}positionFile`, POSITION_FILE_PATH);
  // Symlinks on the app's volume must not lead the agent to files only the sidecar sees (its Kafka key).
  put(`${source}${CONFINE_TO_KEY}`, LOG_VOLUME_MOUNT_PATH);
  put(`${source}filegroups`, groups.join(' '));
  const filePathHeader = spec.enrichment.fields.includes('FilePath') ? [prefix + ENRICHMENT_HEADERS.FilePath] : [];
  /** The headers of any file's lines, for spec.kafka's templates. */
  const anyFileHeaders = new Set<string>(filePathHeader);
  spec.files.forEach((file, index) => {
    const group = groups[index] ?? '';
    put(`${source}filegroups.${group}`, agentPath(file.path, `spec.files[${index}].path`));
    const headers: Record<string, IntendedValue> = { ...enrichment };
    for (const [name, value] of Object.entries(file.headers)) {
      // A static header must not stand in for a pod fact: a consumer trusts k8s.pod.namespace & co.
      // to say where a line comes from, and the author could otherwise claim another namespace's pods.
      // In the JSON envelope any <prefix>pod.label.* header becomes a pod label: only the sidecar sets those.
      if (Object.hasOwn(enrichment, name) || (fields.includes('FilePath') && name === prefix + ENRICHMENT_HEADERS.FilePath)
        || (json && name.startsWith(prefix + POD_LABEL_HEADER))) {
        throw new SpecError(`spec.files[${index}].headers[${JSON.stringify(name)}]`, `invalid name ${JSON.stringify(name)}: it is an enrichment header (spec.enrichment), which the sidecar sets from the pod; choose another name`);
      }
      headers[name] = { literal: value };
    }
    for (const [name, value] of byKey(headers)) put(`${source}headers.${group}.${name}`, value);
    const available = new Set([...Object.keys(headers), ...filePathHeader]);
    for (const name of available) anyFileHeaders.add(name);
    if (file.topic !== undefined) {
      checkTemplateHeaders(`spec.files[${index}].topic`, file.topic, available, `no line of spec.files[${index}]`);
      put(`${source}${groupTopicKey(group)}`, file.topic);
    }
  });
  if (fields.includes('FilePath')) {
    put(`${source}fileHeader`, 'true');
    put(`${source}fileHeaderKey`, prefix + ENRICHMENT_HEADERS.FilePath);
  }
  put(`${source}batchSize`, String(spec.kafka.batchSize));
  put(`${source}encoding`, spec.encoding);
  put(`${source}maxLineLength`, String(spec.maxLineBytes));
  put(`${source}maxLineLengthPolicy`, spec.longLines.toLowerCase());
  if (spec.multiline !== undefined) {
    const { mode, pattern, maxLines, maxBytes, timeoutMs } = spec.multiline;
    put(`${source}multiline.${mode === 'Start' ? 'startPattern' : 'continuationPattern'}`, pattern);
    put(`${source}multiline.maxLines`, String(maxLines));
    put(`${source}multiline.maxBytes`, String(maxBytes));
    put(`${source}multiline.flushTimeout`, String(timeoutMs));
  }
  putExtras(source);

  // The memory channel: a transaction holds one Kafka batch.
  put(`${channel}type`, 'memory');
  put(`${channel}capacity`, String(spec.channel.capacity));
  put(`${channel}byteCapacity`, String(spec.channel.byteCapacity));
  if (!extra.has(`${channel}transactionCapacity`)) put(`${channel}transactionCapacity`, String(spec.kafka.batchSize));
  putExtras(channel);

  // The Kafka sink (Flume 1.11 keys).
  const { kafka } = spec;
  put(`${sink}type`, 'org.apache.flume.sink.kafka.KafkaSink');
  put(`${sink}channel`, CHANNEL_NAME);
  put(`${sink}kafka.bootstrap.servers`, kafka.brokers.join(','));
  checkTemplateHeaders('spec.kafka.topic', kafka.topic, anyFileHeaders, 'no line');
  put(`${sink}kafka.topic`, kafka.topic);
  if (kafka.fallbackTopic !== undefined) put(`${sink}${FALLBACK_TOPIC_KEY}`, kafka.fallbackTopic);
  put(`${sink}flumeBatchSize`, String(kafka.batchSize));
  put(`${sink}kafka.producer.acks`, KAFKA_ACKS[kafka.acks]);
  put(`${sink}kafka.producer.compression.type`, kafka.compression);
  if (kafka.compressionLevel !== undefined) put(`${sink}kafka.producer.compression.${kafka.compression}.level`, String(kafka.compressionLevel));
  put(`${sink}kafka.producer.linger.ms`, String(kafka.lingerMs));
  // Raw renders nothing, as before the setting existed: existing configurations (and their hashes) stay the same.
  if (kafka.format !== 'Raw') put(`${sink}${FORMAT_KEY}`, RECORD_FORMAT[kafka.format]);
  if (json) {
    put(`${sink}${JSON_POD_HEADER_PREFIX_KEY}`, prefix);
    put(`${sink}${JSON_FILE_HEADER_KEY}`, prefix + ENRICHMENT_HEADERS.FilePath);
    // The file relative to the volume: the same for every container mounting it, wherever it does.
    put(`${sink}${JSON_FILE_ROOT_KEY}`, LOG_VOLUME_MOUNT_PATH);
  }
  if (kafka.timestamp !== undefined) {
    put(`${sink}${TIMESTAMP_FORMAT_KEY}`, TIMESTAMP_FORMAT[kafka.timestamp.format]);
    if (kafka.timestamp.pattern !== undefined) put(`${sink}${TIMESTAMP_PATTERN_KEY}`, kafka.timestamp.pattern);
  }
  if (kafka.key?.field !== undefined) put(`${sink}${KEY_TEMPLATE_KEY}`, { env: POD_FIELD_ENV[kafka.key.field] });
  // The agent reads partition.key as a %{header} template: the spec's value is the key as it is.
  if (kafka.key?.value !== undefined) put(`${sink}${KEY_TEMPLATE_KEY}`, escapeTemplate(kafka.key.value));
  if (kafka.key?.template !== undefined) {
    checkTemplateHeaders('spec.kafka.key.template', kafka.key.template, anyFileHeaders, 'no line');
    put(`${sink}${KEY_TEMPLATE_KEY}`, kafka.key.template);
  }
  // A header named `topic` must not re-route lines unless the user asks for it (sink.allowTopicOverride).
  if (!extra.has(`${sink}allowTopicOverride`)) put(`${sink}allowTopicOverride`, 'false');
  if (!extra.has(`${sink}kafka.producer.client.id`)) put(`${sink}kafka.producer.client.id`, `logshipper.${context.namespace}.${context.name}`);
  const protocol = kafka.sasl === undefined ? (kafka.tls === undefined ? 'PLAINTEXT' : 'SSL') : kafka.tls === undefined ? 'SASL_PLAINTEXT' : 'SASL_SSL';
  put(`${sink}kafka.producer.security.protocol`, protocol);
  if (kafka.tls !== undefined) {
    if (kafka.tls.ca !== undefined) put(`${sink}kafka.producer.ssl.truststore.location`, TLS_CA_FILE_PATH);
    if (kafka.tls.clientCertificate !== undefined) for (const file of clientCertificateFiles(kafka.tls.clientCertificate)) put(`${sink}${file.setting}`, file.path);
    put(`${sink}kafka.producer.ssl.endpoint.identification.algorithm`, kafka.tls.verifyHostname ? 'https' : '');
  }
  if (kafka.sasl !== undefined) {
    put(`${sink}kafka.producer.sasl.mechanism`, kafka.sasl.mechanism);
    for (const file of saslFiles(kafka.sasl)) put(`${sink}${file.setting}`, file.path);
  }
  putExtras(sink);
  return entries.map((entry) => ({ key: `${AGENT_NAME}.${entry.key}`, value: entry.value }));
}

/**
 * A template may name only headers the LogShipper gives its lines (static headers, enrichment),
 * as the agent would refuse it otherwise: the author routes and keys their own lines, by their
 * own facts. The schema's pattern has checked the syntax.
 */
function checkTemplateHeaders(field: string, text: string, available: ReadonlySet<string>, noLine: string): void {
  const unknown = unknownHeader(compileTemplate(text), available);
  if (unknown === undefined) return;
  const have = available.size === 0 ? 'the lines have no headers' : `the lines have ${[...available].sort().join(', ')}`;
  throw new SpecError(field, `invalid value ${JSON.stringify(text)}: %{${unknown}} names a header ${noLine} has (${have}, from spec.files[].headers and spec.enrichment)`);
}

/** Renders a resolved spec (see resolveSpec) into the agent's properties file. Throws SpecError. */
export function render(spec: ResolvedSpec, context: RenderContext): RenderResult {
  const entries = renderEntries(spec, context);
  const lines = [...HEADER];
  let section = '';
  for (const entry of entries) {
    // A blank line between components, for the reader.
    const component = entry.key.split('.').slice(1, 3).join('.');
    if (component !== section && entry.key.split('.').length > 2) {
      lines.push('');
      section = component;
    }
    lines.push(`${escapeKey(entry.key)} = ${formatValue(entry.value)}`);
  }
  const text = `${lines.join('\n')}\n`;
  const env = [...new Set(entries.flatMap((entry) => ('env' in entry.value ? [entry.value.env] : [])))].sort();
  return { text, hash: configHash(text), entries, env };
}

export function configHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
