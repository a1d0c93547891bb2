// A LogShipper spec as the renderer needs it: every default applied and the rules that keep the
// rendered configuration sound checked again. The apiserver enforces the CRD schema for objects it
// stores; this runs for `logshipper render -f` on a file nobody validated yet, and as a second line
// of defence in the reconciler. Errors name the field, the bad value and what is allowed.
import {
  ACKS, CLIENT_CERTIFICATE_FORMATS, COMPRESSIONS, DEFAULTS, ENCODINGS, ENRICHMENT_FIELDS, LONG_LINE_POLICIES, MULTILINE_MODES, POD_FIELDS, SASL_MECHANISMS, SIDECAR_HTTP_PORT_RANGE,
  type ClientCertificateSpec, type EnrichmentField, type ExtraPropertySpec, type KafkaKeySpec, type ResolvedSpec, type SecretKeyRef,
} from './crd-types.ts';
import { checkExtraValue, EXTRA_PROPERTIES } from './extra-properties.ts';
import { clientCertificateFiles } from './sidecar-layout.ts';

export class SpecError extends Error {
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'SpecError';
    this.field = field;
  }
}

type Json = Record<string, unknown>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const BROKER = /^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\[[0-9a-fA-F:]+\]):[0-9]{1,5}$/;
const TOPIC = /^[A-Za-z0-9._-]+$/;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const FILE_PATH = /^[\p{L}\p{N} ._/*?[\]!@=,%~:#-]+$/u;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const HEADER_PREFIX = /^[A-Za-z0-9._-]*$/;

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads fields of one object, naming them by their path in messages. */
class Reader {
  readonly path: string;
  private readonly value: Json;

  constructor(path: string, value: unknown) {
    if (!isObject(value)) throw new SpecError(path, `invalid value ${show(value)}: an object is allowed`);
    this.path = path;
    this.value = value;
  }

  field(name: string): string {
    return `${this.path}.${name}`;
  }

  has(name: string): boolean {
    return this.value[name] !== undefined && this.value[name] !== null;
  }

  object(name: string): Reader | undefined {
    return this.has(name) ? new Reader(this.field(name), this.value[name]) : undefined;
  }

  string(name: string, rule?: { pattern?: RegExp; max?: number; allowed?: string }): string | undefined;
  string(name: string, rule: { pattern?: RegExp; max?: number; allowed?: string; fallback: string }): string;
  string(name: string, rule: { pattern?: RegExp; max?: number; allowed?: string; fallback?: string } = {}): string | undefined {
    if (!this.has(name)) return rule.fallback;
    const value = this.value[name];
    const allowed = rule.allowed ?? (rule.pattern === undefined ? 'a string' : `a string matching ${rule.pattern.source}`);
    if (typeof value !== 'string' || (rule.pattern === undefined ? value === '' : !rule.pattern.test(value))) {
      throw new SpecError(this.field(name), `invalid value ${show(value)}: ${allowed} is allowed`);
    }
    if (rule.max !== undefined && value.length > rule.max) {
      throw new SpecError(this.field(name), `invalid value ${show(value)}: at most ${rule.max} characters are allowed`);
    }
    return value;
  }

  required(name: string, rule: { pattern?: RegExp; max?: number; allowed?: string } = {}): string {
    const value = this.string(name, rule);
    if (value === undefined) throw new SpecError(this.field(name), `is required (${rule.allowed ?? 'a string'})`);
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T;
  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined;
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T | undefined {
    if (!this.has(name)) return fallback;
    const value = this.value[name];
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) throw new SpecError(this.field(name), `invalid value ${show(value)}: one of ${allowed.join(', ')} is allowed`);
    return match;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    if (!this.has(name)) return fallback;
    const value = this.value[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new SpecError(this.field(name), `invalid value ${show(value)}: an integer ${min}..${max} is allowed`);
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    if (!this.has(name)) return fallback;
    const value = this.value[name];
    if (typeof value !== 'boolean') throw new SpecError(this.field(name), `invalid value ${show(value)}: true or false is allowed`);
    return value;
  }

  array(name: string, min: number, max: number): unknown[] {
    if (!this.has(name)) {
      if (min > 0) throw new SpecError(this.field(name), `is required (a list of ${min}..${max} items)`);
      return [];
    }
    const value = this.value[name];
    if (!Array.isArray(value) || value.length < min || value.length > max) {
      throw new SpecError(this.field(name), `invalid value ${show(value)}: a list of ${min}..${max} items is allowed`);
    }
    return value as unknown[];
  }

  stringMap(name: string, maxEntries: number, keyPattern: RegExp, maxValue: number): Record<string, string> {
    if (!this.has(name)) return {};
    const value = this.value[name];
    if (!isObject(value) || Object.keys(value).length > maxEntries) {
      throw new SpecError(this.field(name), `invalid value ${show(value)}: a map of at most ${maxEntries} names to strings is allowed`);
    }
    const result: Record<string, string> = {};
    for (const [key, entry] of Object.entries(value)) {
      if (!keyPattern.test(key)) throw new SpecError(`${this.field(name)}[${show(key)}]`, `invalid name ${show(key)}: a name matching ${keyPattern.source} is allowed`);
      if (typeof entry !== 'string' || entry.length > maxValue) {
        throw new SpecError(`${this.field(name)}[${show(key)}]`, `invalid value ${show(entry)}: a string of at most ${maxValue} characters is allowed`);
      }
      result[key] = entry;
    }
    return result;
  }
}

/** Checks a file path the way the CRD does: relative, inside the volume, naming files. */
export function checkFilePath(field: string, path: string): void {
  if (path.startsWith('/')) throw new SpecError(field, `invalid value ${show(path)}: must be relative to the volume (no leading /), e.g. app/*.log`);
  if (/(^|\/)\.\.?(\/|$)/.test(path)) throw new SpecError(field, `invalid value ${show(path)}: must not contain '.' or '..' segments (files must stay inside the volume)`);
  if (path.endsWith('/') || path.includes('//')) throw new SpecError(field, `invalid value ${show(path)}: must name files (no trailing / and no empty segment)`);
  if (!FILE_PATH.test(path) || path.length > 1024) {
    throw new SpecError(field, `invalid value ${show(path)}: at most 1024 letters, digits, spaces and . _ / * ? [ ] ! @ = , % ~ : # - are allowed`);
  }
}

function secretKeyRef(reader: Reader | undefined, defaultKey: string): Required<SecretKeyRef> | undefined {
  if (reader === undefined) return undefined;
  return {
    secretName: reader.required('secretName', { pattern: DNS_SUBDOMAIN, max: 253, allowed: 'a Secret name (DNS subdomain)' }),
    key: reader.string('key', { pattern: SECRET_KEY, max: 253, allowed: 'a Secret key (letters, digits, - . _)', fallback: defaultKey }),
  };
}

/**
 * The client certificate's Secret keys, each format's with its defaults. A key of the other format
 * set to anything but its default is refused: it would be silently unused. (Not "set at all": the
 * apiserver stores the defaults of every key, whatever the format.)
 */
function clientCertificate(reader: Reader | undefined): Required<ClientCertificateSpec> | undefined {
  const ref = secretKeyRef(reader, DEFAULTS.clientCertificateKey);
  if (reader === undefined || ref === undefined) return undefined;
  const key = (name: string, fallback: string): string => reader.string(name, { pattern: SECRET_KEY, max: 253, allowed: 'a Secret key (letters, digits, - . _)', fallback });
  const resolved = {
    ...ref,
    format: reader.oneOf('format', CLIENT_CERTIFICATE_FORMATS, DEFAULTS.clientCertificateFormat),
    certificateKey: key('certificateKey', DEFAULTS.certificateKey),
    privateKeyKey: key('privateKeyKey', DEFAULTS.privateKeyKey),
  };
  const unused = resolved.format === 'CombinedPEM'
    ? (['certificateKey', 'privateKeyKey'] as const).find((name) => resolved[name] !== DEFAULTS[name])
    : resolved.key === DEFAULTS.clientCertificateKey ? undefined : 'key';
  if (unused !== undefined) {
    const uses = resolved.format === 'CombinedPEM' ? 'certificateKey and privateKeyKey are used with format KubernetesTLS (a kubernetes.io/tls Secret\'s tls.crt and tls.key) only' : 'key is used with format CombinedPEM only';
    throw new SpecError(reader.field(unused), `invalid value ${show(resolved[unused])} with format ${resolved.format}: ${uses}`);
  }
  return resolved;
}

/** Applies the CRD's defaults to `raw` (a LogShipper's spec) and checks it. Throws SpecError. */
export function resolveSpec(raw: unknown): ResolvedSpec {
  const spec = new Reader('spec', raw);
  const volume = spec.required('volume', { pattern: DNS_LABEL, max: 63, allowed: 'the name of a pod volume (DNS label)' });

  const seenPaths = new Set<string>();
  const files = spec.array('files', 1, 32).map((item, index) => {
    const file = new Reader(`spec.files[${index}]`, item);
    const path = file.required('path', { allowed: 'a path or glob relative to the volume' });
    checkFilePath(file.field('path'), path);
    if (seenPaths.has(path)) throw new SpecError(file.field('path'), `duplicate value ${show(path)}: each path may be listed once`);
    seenPaths.add(path);
    return { path, headers: file.stringMap('headers', 16, HEADER_NAME, 1024) };
  });

  const kafka = spec.object('kafka');
  if (kafka === undefined) throw new SpecError('spec.kafka', 'is required (brokers and topic)');
  const brokers = kafka.array('brokers', 1, 32).map((broker, index) => {
    if (typeof broker !== 'string' || !BROKER.test(broker)) {
      throw new SpecError(`spec.kafka.brokers[${index}]`, `invalid value ${show(broker)}: host:port is allowed, e.g. kafka-0.kafka:9092`);
    }
    return broker;
  });
  const topic = kafka.required('topic', { pattern: TOPIC, max: 249, allowed: "a Kafka topic name (letters, digits, '.', '_', '-')" });
  if (topic === '.' || topic === '..') throw new SpecError('spec.kafka.topic', `invalid value ${show(topic)}: must not be '.' or '..'`);
  let key: KafkaKeySpec | undefined;
  const keyReader = kafka.object('key');
  if (keyReader !== undefined) {
    const field = keyReader.oneOf('field', POD_FIELDS);
    const value = keyReader.string('value', { max: 256 });
    if ((field === undefined) === (value === undefined)) throw new SpecError('spec.kafka.key', 'needs exactly one of field or value');
    key = field === undefined ? { value } : { field };
  }
  const tlsReader = kafka.object('tls');
  const saslReader = kafka.object('sasl');
  const batchSize = kafka.int('batchSize', DEFAULTS.batchSize, 1, 10_000);

  const channelReader = spec.object('channel');
  const channel = {
    capacity: channelReader?.int('capacity', DEFAULTS.capacity, 1, 1_000_000) ?? DEFAULTS.capacity,
    byteCapacity: channelReader?.int('byteCapacity', DEFAULTS.byteCapacity, 65_536, 1_073_741_824) ?? DEFAULTS.byteCapacity,
  };
  if (channel.capacity < batchSize) {
    throw new SpecError('spec.channel.capacity', `invalid value ${channel.capacity}: must be at least spec.kafka.batchSize (${batchSize}), a Kafka batch must fit in the channel`);
  }

  const multilineReader = spec.object('multiline');
  let multiline: ResolvedSpec['multiline'];
  if (multilineReader !== undefined) {
    const mode = multilineReader.oneOf('mode', MULTILINE_MODES);
    if (mode === undefined) throw new SpecError('spec.multiline.mode', `is required (one of ${MULTILINE_MODES.join(', ')})`);
    const pattern = multilineReader.required('pattern', { max: 1024, allowed: 'a regular expression' });
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new SpecError('spec.multiline.pattern', `invalid value ${show(pattern)}: a JavaScript regular expression is allowed (${(error as Error).message})`);
    }
    multiline = {
      mode,
      pattern,
      maxLines: multilineReader.int('maxLines', DEFAULTS.multilineMaxLines, 1, 100_000),
      maxBytes: multilineReader.int('maxBytes', DEFAULTS.multilineMaxBytes, 256, 16_777_216),
      timeoutMs: multilineReader.int('timeoutMs', DEFAULTS.multilineTimeoutMs, 1, 600_000),
    };
    if (multiline.maxBytes > channel.byteCapacity) {
      throw new SpecError('spec.multiline.maxBytes', `invalid value ${multiline.maxBytes}: must be at most spec.channel.byteCapacity (${channel.byteCapacity})`);
    }
  }

  const enrichmentReader = spec.object('enrichment');
  const fields = (enrichmentReader?.array('fields', 0, ENRICHMENT_FIELDS.length) ?? []).map((field, index): EnrichmentField => {
    const match = ENRICHMENT_FIELDS.find((candidate) => candidate === field);
    if (match === undefined) throw new SpecError(`spec.enrichment.fields[${index}]`, `invalid value ${show(field)}: one of ${ENRICHMENT_FIELDS.join(', ')} is allowed`);
    return match;
  });
  const labels = (enrichmentReader?.array('labels', 0, 16) ?? []).map((label, index) => {
    if (typeof label !== 'string' || !LABEL_KEY.test(label) || label.length > 317) {
      throw new SpecError(`spec.enrichment.labels[${index}]`, `invalid value ${show(label)}: a label key such as app.kubernetes.io/name is allowed`);
    }
    return label;
  });
  for (const [list, name] of [[fields as string[], 'fields'], [labels, 'labels']] as const) {
    const duplicate = list.find((item, index) => list.indexOf(item) !== index);
    if (duplicate !== undefined) throw new SpecError(`spec.enrichment.${name}`, `duplicate value ${show(duplicate)}: each may be listed once`);
  }

  const extraProperties = spec.array('extraProperties', 0, 32).map((item, index): ExtraPropertySpec => {
    const entry = new Reader(`spec.extraProperties[${index}]`, item);
    const name = entry.required('name', { allowed: `one of ${EXTRA_PROPERTIES.map((p) => p.key).join(', ')}` });
    const property = EXTRA_PROPERTIES.find((candidate) => candidate.key === name);
    if (property === undefined) {
      throw new SpecError(entry.field('name'), `invalid value ${show(name)}: one of ${EXTRA_PROPERTIES.map((p) => p.key).join(', ')} is allowed`);
    }
    const value = entry.required('value', { max: 1024 });
    const problem = checkExtraValue(property, value);
    if (problem !== undefined) throw new SpecError(entry.field('value'), `invalid value ${show(value)} for ${name}: ${problem}`);
    return { name, value };
  });
  const names = extraProperties.map((entry) => entry.name);
  const duplicateName = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicateName !== undefined) throw new SpecError('spec.extraProperties', `duplicate name ${show(duplicateName)}: each may be listed once`);
  const transaction = extraProperties.find((entry) => entry.name === 'channel.transactionCapacity');
  if (transaction !== undefined && (Number(transaction.value) < batchSize || Number(transaction.value) > channel.capacity)) {
    throw new SpecError('spec.extraProperties[channel.transactionCapacity]', `invalid value ${show(transaction.value)}: ${batchSize}..${channel.capacity} is allowed (at least spec.kafka.batchSize, at most spec.channel.capacity)`);
  }

  const sidecar = spec.object('sidecar');
  sidecar?.string('image', { pattern: /^\S+$/, max: 512, allowed: 'an image reference' });
  sidecar?.int('httpPort', 0, SIDECAR_HTTP_PORT_RANGE.min, SIDECAR_HTTP_PORT_RANGE.max);

  return {
    volume,
    files,
    encoding: spec.oneOf('encoding', ENCODINGS, DEFAULTS.encoding),
    maxLineBytes: spec.int('maxLineBytes', DEFAULTS.maxLineBytes, 256, 16_777_216),
    longLines: spec.oneOf('longLines', LONG_LINE_POLICIES, DEFAULTS.longLines),
    kafka: {
      brokers,
      topic,
      key,
      acks: kafka.oneOf('acks', ACKS, DEFAULTS.acks),
      compression: kafka.oneOf('compression', COMPRESSIONS, DEFAULTS.compression),
      batchSize,
      lingerMs: kafka.int('lingerMs', DEFAULTS.lingerMs, 0, 60_000),
      tls: tlsReader === undefined ? undefined : {
        ca: secretKeyRef(tlsReader.object('ca'), DEFAULTS.caKey),
        clientCertificate: clientCertificate(tlsReader.object('clientCertificate')),
        verifyHostname: tlsReader.bool('verifyHostname', DEFAULTS.verifyHostname),
      },
      sasl: saslReader === undefined ? undefined : {
        mechanism: saslReader.oneOf('mechanism', SASL_MECHANISMS) ?? missing('spec.kafka.sasl.mechanism', `one of ${SASL_MECHANISMS.join(', ')}`),
        secretName: saslReader.required('secretName', { pattern: DNS_SUBDOMAIN, max: 253, allowed: 'a Secret name (DNS subdomain)' }),
        usernameKey: saslReader.string('usernameKey', { pattern: SECRET_KEY, max: 253, fallback: DEFAULTS.usernameKey }),
        passwordKey: saslReader.string('passwordKey', { pattern: SECRET_KEY, max: 253, fallback: DEFAULTS.passwordKey }),
      },
    },
    channel,
    multiline,
    enrichment: {
      fields,
      labels,
      headerPrefix: enrichmentReader?.string('headerPrefix', { pattern: HEADER_PREFIX, max: 32, fallback: DEFAULTS.headerPrefix }) ?? DEFAULTS.headerPrefix,
    },
    extraProperties,
  };
}

function missing(field: string, allowed: string): never {
  throw new SpecError(field, `is required (${allowed})`);
}

/** The Secrets (name -> keys) a spec refers to: the reconciler checks they exist. */
export function referencedSecrets(spec: ResolvedSpec): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const add = (name: string, key: string): void => {
    const keys = result.get(name) ?? new Set<string>();
    keys.add(key);
    result.set(name, keys);
  };
  const { tls, sasl } = spec.kafka;
  if (tls?.ca !== undefined) add(tls.ca.secretName, tls.ca.key);
  const client = tls?.clientCertificate;
  if (client !== undefined) for (const file of clientCertificateFiles(client)) add(client.secretName, file.key);
  if (sasl !== undefined) {
    add(sasl.secretName, sasl.usernameKey);
    add(sasl.secretName, sasl.passwordKey);
  }
  return result;
}
