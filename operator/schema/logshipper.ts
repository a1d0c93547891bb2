// THE source of the LogShipper CRD: names, printer columns and the schema of spec and status,
// each field written once with its validation (CEL rules beside their JS twins), its default, its
// description and its README row. `npm run generate` derives from it both CRD YAML files,
// operator/crd-types.ts and the README's "LogShipper fields" table; operator/spec.ts validates
// with it. How to add a field: docs/design/crd-schema.md.
import { DEFAULT_MAX_LINE_BYTES } from '../../sidecar/size-limits.ts';
import { DEFAULT_LINGER_MS, FALLBACK_TOPIC_KEY, SASL_MECHANISMS as AGENT_SASL_MECHANISMS } from '../../sidecar/sinks/kafka-config.ts';
import { allowedLevels, COMPRESSIONS as AGENT_COMPRESSIONS, levelAllowed, LEVELS } from '../../sidecar/sinks/compression.ts';
import { MAX_TOPIC_NAME_LENGTH, TOPIC_CHARS } from '../../sidecar/sinks/topic-name.ts';
import { TEMPLATE_HEADER_CHARS } from '../../sidecar/template.ts';
import { DEFAULT_HTTP_PORT } from '../../sidecar/http.ts';
import { checkExtraValue, EXTRA_PROPERTIES, EXTRA_PROPERTY_KEYS } from '../extra-properties.ts';
import {
  array, boolean, enumeration, intOrString, integer, invalid, map, object, rule, show, string,
  type Check, type ObjectNode, type StringNode,
} from './nodes.ts';

export const ACKS = enumeration('ACKS', 'Acks', ['All', 'Leader', 'None']);
export const COMPRESSIONS = enumeration('COMPRESSIONS', 'Compression', AGENT_COMPRESSIONS);
export const KAFKA_FORMATS = enumeration('KAFKA_FORMATS', 'KafkaFormat', ['Raw', 'Json', 'FlumeEvent']);
export const LINE_TIMESTAMP_FORMATS = enumeration('LINE_TIMESTAMP_FORMATS', 'LineTimestampFormat', ['Iso8601', 'EpochSeconds', 'EpochMillis', 'CommonLog']);
export const SASL_MECHANISMS = enumeration('SASL_MECHANISMS', 'SaslMechanism', AGENT_SASL_MECHANISMS);
export const CLIENT_CERTIFICATE_FORMATS = enumeration('CLIENT_CERTIFICATE_FORMATS', 'ClientCertificateFormat', ['CombinedPEM', 'KubernetesTLS'],
  "How the client certificate Secret holds certificate and key: one PEM with both (key), or a kubernetes.io/tls Secret's tls.crt and tls.key (certificateKey, privateKeyKey).");
const POD_FIELD_VALUES = ['PodName', 'Namespace', 'NodeName', 'PodUID', 'Container'] as const;
export const POD_FIELDS = enumeration('POD_FIELDS', 'PodField', POD_FIELD_VALUES, 'Pod facts the sidecar knows from its environment (downward API / injector).');
export const ENRICHMENT_FIELDS = enumeration('ENRICHMENT_FIELDS', 'EnrichmentField', [...POD_FIELD_VALUES, 'FilePath'], 'Enrichment fields: the pod facts plus the path of the file a line came from.');
export const MULTILINE_MODES = enumeration('MULTILINE_MODES', 'MultilineMode', ['Start', 'Continuation']);
export const ENCODINGS = enumeration('ENCODINGS', 'Encoding', ['UTF-8', 'ISO-8859-1', 'UTF-16LE']);
export const LONG_LINE_POLICIES = enumeration('LONG_LINE_POLICIES', 'LongLinePolicy', ['Split', 'Truncate']);
export const CONDITION_STATUSES = enumeration('CONDITION_STATUSES', 'ConditionStatus', ['True', 'False', 'Unknown']);

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_SUBDOMAIN = String.raw`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;
const SECRET_KEY = '^[-._a-zA-Z0-9]+$';
const QUANTITY = String.raw`^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`;
const HEADER_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';
const HEADER_NAME_REGEX = new RegExp(HEADER_NAME);

/** `a`, `b` as README code. */
const codes = (values: readonly string[]): string => values.map((value) => `\`${value}\``).join(', ');

const secretName = (description: string): StringNode => string({
  description, required: true, pattern: DNS_SUBDOMAIN, maxLength: 253, allowed: 'a Secret name (DNS subdomain)',
});
const secretKey = (description: string, fallback: string, defaultName?: string): StringNode => string({
  description, pattern: SECRET_KEY, maxLength: 253, default: fallback, allowed: 'a Secret key (letters, digits, - . _)', ...(defaultName === undefined ? {} : { defaultName }),
});
const secretKeyRef = (description: string, keyDescription: string, defaultKey: string, defaultName: string): ObjectNode => object({
  secretName: secretName('Name of a Secret in this namespace.'),
  key: secretKey(keyDescription, defaultKey, defaultName),
}, { name: 'SecretKeyRef', description });
const quantities = (description: string): ObjectNode => map(intOrString({ description: 'A quantity.', pattern: QUANTITY, allowed: 'a quantity such as 100m, 0.5, 128Mi' }), { description });

const HEADER_NAMES_MESSAGE = "header names must be 1-63 characters of letters, digits, '.', '_' and '-', starting with a letter or digit";
const headerNames: Check<Record<string, unknown>> = {
  cel: { rule: `self.all(k, k.matches('${HEADER_NAME}'))`, message: HEADER_NAMES_MESSAGE },
  test: (self) => {
    const bad = Object.keys(self).find((name) => !HEADER_NAME_REGEX.test(name));
    return bad === undefined ? undefined : { field: `[${show(bad)}]`, problem: `invalid name ${show(bad)}: ${HEADER_NAMES_MESSAGE}` };
  },
};

const regexCompiles: Check<string> = {
  test: (self) => {
    try {
      new RegExp(self);
      return undefined;
    } catch (error) {
      return invalid(self, `a JavaScript regular expression is allowed (${(error as Error).message})`);
    }
  },
};

const extraValue: Check<Record<string, unknown>> = {
  test: (self) => {
    const property = EXTRA_PROPERTIES.find((candidate) => candidate.key === self['name']);
    const problem = property === undefined ? undefined : checkExtraValue(property, String(self['value']));
    return problem === undefined ? undefined : { field: '.value', problem: `invalid value ${show(self['value'])} for ${String(self['name'])}: ${problem}` };
  },
};

/** The resolved spec's values a cross-field check reads (defaults applied). */
interface Resolved {
  kafka: { batchSize: number };
  channel: { capacity: number; byteCapacity: number };
  multiline?: { maxBytes: number };
  extraProperties: { name: string; value: string }[];
}

const channelHoldsBatch: Check<Resolved> = {
  cel: {
    rule: 'self.channel.capacity >= self.kafka.batchSize',
    fieldPath: '.channel.capacity',
    message: 'spec.channel.capacity must be at least spec.kafka.batchSize (a Kafka batch must fit in the channel)',
  },
  test: ({ channel, kafka }) => (channel.capacity >= kafka.batchSize ? undefined
    : invalid(channel.capacity, `must be at least spec.kafka.batchSize (${kafka.batchSize}), a Kafka batch must fit in the channel`)),
};

const eventFitsChannel: Check<Resolved> = {
  cel: {
    rule: '!has(self.multiline) || self.multiline.maxBytes <= self.channel.byteCapacity',
    fieldPath: '.multiline.maxBytes',
    message: 'spec.multiline.maxBytes must be at most spec.channel.byteCapacity',
  },
  test: ({ multiline, channel }) => (multiline === undefined || multiline.maxBytes <= channel.byteCapacity ? undefined
    : invalid(multiline.maxBytes, `must be at most spec.channel.byteCapacity (${channel.byteCapacity})`)),
};

// Not expressible in the schema: the value is a string whose bounds are other fields.
const transactionFitsChannel: Check<Resolved> = {
  test: ({ extraProperties, kafka, channel }) => {
    const transaction = extraProperties.find((entry) => entry.name === 'channel.transactionCapacity');
    if (transaction === undefined || (Number(transaction.value) >= kafka.batchSize && Number(transaction.value) <= channel.capacity)) return undefined;
    return {
      field: '.extraProperties[channel.transactionCapacity]',
      problem: invalid(transaction.value, `${kafka.batchSize}..${channel.capacity} is allowed (at least spec.kafka.batchSize, at most spec.channel.capacity)`),
    };
  },
};

const exactlyOneKey: Check<Record<string, unknown>> = {
  cel: {
    rule: '(has(self.field) ? 1 : 0) + (has(self.value) ? 1 : 0) + (has(self.template) ? 1 : 0) == 1',
    message: 'spec.kafka.key needs exactly one of field, value or template',
  },
  test: (self) => (['field', 'value', 'template'].filter((name) => self[name] !== undefined).length === 1 ? undefined : 'needs exactly one of field, value or template'),
};

// %{header} templates (the agent's sidecar/template.ts): in a topic only topic characters around
// them; in a key any text, `%` written `%%`. Which headers they may name is checked by render.ts,
// which knows the headers of each file's lines.
const PLACEHOLDER = String.raw`%\{[${TEMPLATE_HEADER_CHARS}]+\}`;
const TOPIC_TEMPLATE_ALLOWED = `a Kafka topic name (letters, digits, '.', '_', '-'), with %{header} for the value of a header of the lines (e.g. logs-%{app})`;
const topicTemplate = (description: string, required: boolean): StringNode => string({
  description: `${description} Letters, digits, '.', '_', '-', and %{name} for the value of the line's header name (a static header of the file, or an enrichment header such as %{k8s.pod.label.app}); at most ${MAX_TOPIC_NAME_LENGTH} characters. A line whose topic renders to no valid topic name (its header is missing or holds other characters) goes to spec.kafka.fallbackTopic.`,
  required,
  pattern: `^([${TOPIC_CHARS}]|${PLACEHOLDER})+$`,
  minLength: 1,
  maxLength: MAX_TOPIC_NAME_LENGTH,
  allowed: TOPIC_TEMPLATE_ALLOWED,
  checks: [rule<string>("self != '.' && self != '..'", "must not be '.' or '..'", (self) => self !== '.' && self !== '..')],
});

// Without it a line whose templated topic renders to no valid name would go to the agent's default, a topic other LogShippers share.
const fallbackForTemplatedTopic: Check<Record<string, unknown>> = {
  cel: { rule: "!self.topic.contains('%{') || has(self.fallbackTopic)", fieldPath: '.fallbackTopic', message: 'spec.kafka.fallbackTopic is required when spec.kafka.topic is a %{header} template' },
  test: (self) => (!String(self['topic']).includes('%{') || self['fallbackTopic'] !== undefined ? undefined
    : { field: '.fallbackTopic', problem: 'is required when spec.kafka.topic is a %{header} template (where lines go whose topic renders to no valid topic name)' }),
};

/** The codecs with levels, each as CEL says its levels (the agent's: levelAllowed). */
const LEVEL_RULES = [
  `(self.compression == 'gzip' && (self.compressionLevel == ${String(LEVELS.gzip.default)} || (self.compressionLevel >= ${String(LEVELS.gzip.min)} && self.compressionLevel <= ${String(LEVELS.gzip.max)})))`,
  `(self.compression == 'zstd' && self.compressionLevel >= ${String(LEVELS.zstd.min)} && self.compressionLevel <= ${String(LEVELS.zstd.max)})`,
  `(self.compression == 'lz4' && self.compressionLevel == ${String(LEVELS.lz4.default)})`,
];

/**
 * A key used only with one value of `chooser` (a format, a mechanism) must keep its default with
 * the others: the apiserver stores every default, so "not set" cannot be told, and a changed key
 * that is not used would be silently ignored.
 */
function onlyWith(key: string, fallback: string, chooser: string, values: readonly string[], use: string): Check<Record<string, unknown>> {
  const allowed = values.map((value) => `'${value}'`).join(', ');
  return {
    cel: { rule: `self.${chooser} in [${allowed}] || self.${key} == '${fallback}'`, fieldPath: `.${key}`, message: `${key} is used with ${chooser} ${values.join(' or ')} only: ${use}` },
    test: (self) => (values.includes(String(self[chooser])) || self[key] === fallback ? undefined
      : { field: `.${key}`, problem: invalid(self[key], `with ${chooser} ${String(self[chooser])}: ${key} is used with ${chooser} ${values.join(' or ')} only (${use})`) }),
  };
}

const CLIENT_CERTIFICATE_KEYS = { key: 'tls-combined.pem', certificateKey: 'tls.crt', privateKeyKey: 'tls.key' } as const;
const SASL_KEYS = { usernameKey: 'username', passwordKey: 'password', tokenKey: 'token' } as const;
const PASSWORD_MECHANISMS = AGENT_SASL_MECHANISMS.filter((mechanism) => mechanism !== 'OAUTHBEARER');

const levelFitsCodec: Check<Record<string, unknown>> = {
  cel: {
    rule: `!has(self.compressionLevel) || ${LEVEL_RULES.join(' || ')}`,
    fieldPath: '.compressionLevel',
    message: `spec.kafka.compressionLevel must be one spec.kafka.compression has: gzip ${String(LEVELS.gzip.min)}..${String(LEVELS.gzip.max)} (or ${String(LEVELS.gzip.default)}), zstd ${String(LEVELS.zstd.min)}..${String(LEVELS.zstd.max)}, lz4 only ${String(LEVELS.lz4.default)} (LZ4's fast mode); none and snappy have no levels`,
  },
  test: (self) => {
    const { compression, compressionLevel: level } = self as { compression: (typeof AGENT_COMPRESSIONS)[number]; compressionLevel?: number };
    if (level === undefined || levelAllowed(compression, level)) return undefined;
    return { field: '.compressionLevel', problem: invalid(level, `with compression ${compression}, ${allowedLevels(compression)} is allowed`) };
  },
};

const filePath = string({
  description: 'Path or glob relative to the volume root, e.g. "app.log", "app/*.log" or "**/*.log" (* and ? match within a directory, ** across directories, [abc] one of the characters). Absolute paths, "." and ".." segments are refused.',
  required: true,
  pattern: String.raw`^[\p{L}\p{N} ._/*?\[\]!@=,%~:#-]+$`,
  minLength: 1,
  maxLength: 1024,
  allowed: 'a path or glob of letters, digits, spaces and . _ / * ? [ ] ! @ = , % ~ : # -',
  checks: [
    rule<string>("!self.startsWith('/')", 'must be relative to the volume (no leading /), e.g. app/*.log', (self) => !self.startsWith('/')),
    rule<string>("!self.matches('(^|/)[.][.]?(/|$)')", "must not contain '.' or '..' segments (files must stay inside the volume)", (self) => !/(^|\/)\.\.?(\/|$)/.test(self)),
    rule<string>("!self.endsWith('/') && !self.contains('//')", 'must name files (no trailing / and no empty segment)', (self) => !self.endsWith('/') && !self.includes('//')),
  ],
  row: { meaning: 'path or glob relative to the volume: `app.log`, `app/*.log`, `**/*.log`, `[ab]*.log`; absolute paths, `.`/`..` segments refused', default: 'required, 1..32' },
});

const kafka = object({
  brokers: array(string({
    description: 'One broker as host:port (an IPv6 address in brackets).',
    pattern: String.raw`^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\[[0-9a-fA-F:]+\]):[0-9]{1,5}$`,
    maxLength: 261,
    allowed: 'host:port (e.g. kafka-0.kafka:9092)',
  }), {
    description: 'Bootstrap brokers as host:port, e.g. kafka-0.kafka.svc:9092.',
    required: true,
    minItems: 1,
    maxItems: 32,
    row: { field: '`spec.kafka.brokers`, `.topic`', meaning: 'bootstrap `host:port` list (only brokers the cluster admin allows: `--allowed-brokers`, see Security); topic: a name, or a template such as `logs-%{app}` over the headers the lines have (static headers, enrichment), as for `spec.files[].topic`' },
  }),
  topic: topicTemplate('The topic lines are sent to, unless their file has its own (spec.files[].topic).', true),
  fallbackTopic: string({
    description: `Where a line goes whose topic, a %{header} template, renders to no valid topic name. Required when spec.kafka.topic is a template; default: spec.kafka.topic.`,
    pattern: `^[${TOPIC_CHARS}]+$`,
    minLength: 1,
    maxLength: MAX_TOPIC_NAME_LENGTH,
    allowed: "a Kafka topic name (letters, digits, '.', '_', '-')",
    checks: [rule<string>("self != '.' && self != '..'", "must not be '.' or '..'", (self) => self !== '.' && self !== '..')],
    row: { meaning: `topic of the lines whose templated topic (\`spec.kafka.topic\`, \`spec.files[].topic\`) renders to no valid topic name (a header missing or holding other characters); renders the agent's \`${FALLBACK_TOPIC_KEY}\`. Required when \`spec.kafka.topic\` is a template`, default: '`spec.kafka.topic`' },
  }),
  key: object({
    field: string({ description: 'Use this fact about the pod as the key.', enum: POD_FIELDS }),
    value: string({ description: 'Use this fixed string as the key.', minLength: 1, maxLength: 256 }),
    template: string({
      description: "Build the key from the line's headers: %{name} is the value of header name (a static header of the file, or an enrichment header such as %{k8s.pod.name}), %% a literal %. A header a line lacks renders empty; an empty key is no key.",
      pattern: `^([^%]|%%|${PLACEHOLDER})+$`,
      minLength: 1,
      maxLength: 256,
      allowed: 'text with %{header} for the value of a header of the lines and %% for a literal %',
    }),
  }, {
    name: 'KafkaKeySpec',
    description: "The record key, which chooses the partition (records with the same key keep their order). A pod field (e.g. PodName: one pod's lines stay in order), a fixed value, or a template of the lines' headers. Without it records are spread round-robin.",
    checks: [exactlyOneKey],
    row: { meaning: `record key: \`{field: ${POD_FIELDS.values.join('\\|')}}\`, \`{value: "..."}\` (as it is) or \`{template: "%{k8s.pod.namespace}/%{app}"}\` (headers the lines have: static headers and enrichment headers); none: round-robin. The key chooses the partition (murmur2, as Java clients)` },
  }),
  acks: string({
    description: 'Which acknowledgement a batch waits for: All (every in-sync replica, Kafka acks=all/-1), Leader (acks=1) or None (acks=0, lines can be lost).',
    enum: ACKS,
    default: 'All',
    row: { meaning: '`All` (acks=all), `Leader` (1), `None` (0)' },
  }),
  compression: string({
    description: "Compression of record batches, in Kafka's formats (what the Java client writes): gzip, snappy, lz4 or zstd. zstd and gzip save the most bytes, lz4 and snappy cost the least CPU.",
    enum: COMPRESSIONS,
    default: 'none',
    row: {
      field: '`spec.kafka.compression`, `.compressionLevel`',
      meaning: `${codes(COMPRESSIONS.values)}; the codec's level (Kafka's \`compression.<codec>.level\`): gzip ${String(LEVELS.gzip.min)}-${String(LEVELS.gzip.max)}, zstd ${String(LEVELS.zstd.min)} to ${String(LEVELS.zstd.max)}, lz4 only ${String(LEVELS.lz4.default)} (LZ4's fast mode, the agent's only one); \`none\` and \`snappy\` take no level. Rendered as \`kafka.producer.compression.type\` and \`compression.<codec>.level\``,
      default: `\`none\`; level: Kafka's default (gzip ${String(LEVELS.gzip.default)}, i.e. zlib's 6; lz4 ${String(LEVELS.lz4.default)}; zstd ${String(LEVELS.zstd.default)})`,
    },
  }),
  compressionLevel: integer({
    description: `The compression level, as Kafka's compression.<codec>.level: gzip ${String(LEVELS.gzip.min)}..${String(LEVELS.gzip.max)}, zstd ${String(LEVELS.zstd.min)}..${String(LEVELS.zstd.max)} (higher: smaller and slower), lz4 only ${String(LEVELS.lz4.default)}; none and snappy take none. Unset: Kafka's default for the codec.`,
    minimum: LEVELS.zstd.min,
    maximum: LEVELS.zstd.max,
  }),
  format: string({
    description: "What a record holds. Raw: the line as the value, the pod facts (spec.enrichment) as Kafka headers. Json: one JSON object per line (message, timestamp, file relative to the volume, the pod's namespace, name, uid, container, node and spec.enrichment.labels under kubernetes, other headers under headers) and no Kafka headers, for consumers without headers (Kafka Connect, ksqlDB). FlumeEvent: Flume's Avro event (headers and body), as Flume's useFlumeEventFormat writes it.",
    enum: KAFKA_FORMATS,
    default: 'Raw',
    row: { meaning: '`Raw` (the line; pod facts as headers), `Json` (one JSON object per line with the pod facts, no Kafka headers: [the JSON envelope](#the-json-envelope-and-the-flume-event)), `FlumeEvent` (Flume\'s Avro event)' },
  }),
  timestamp: object({
    format: string({
      description: 'How the time in the line is written: Iso8601 (RFC 3339, e.g. 2026-12-02T03:53:11.123+01:00; no offset: UTC), EpochSeconds, EpochMillis, CommonLog (10/Oct/2026:13:55:36 -0700).',
      required: true,
      enum: LINE_TIMESTAMP_FORMATS,
    }),
    pattern: string({
      description: String.raw`A regular expression (JavaScript syntax) finding the time in the line: its group named timestamp, else its first group, else the whole match, e.g. '^\[(\S+)\]'. Default: the first time in the format anywhere in the line.`,
      minLength: 1,
      maxLength: 1024,
      allowed: 'a regular expression',
      checks: [regexCompiles],
    }),
  }, {
    name: 'KafkaTimestampSpec',
    description: 'Take the record timestamp from the line (its first 4096 bytes) instead of the time it was read. A line without a valid time, or with one more than an hour after the read time, keeps the read time (counted in logshipper_sink_timestamp_fallbacks_total).',
    row: { meaning: `record timestamp from the line: \`format\` (${codes(LINE_TIMESTAMP_FORMATS.values)}), \`pattern\` (JavaScript regex, its group \`timestamp\` or first group); a line without a valid time keeps the read time`, default: 'read time' },
  }),
  // 500, not Flume's 100: 2.3x the throughput for +18 MB peak RSS (bench, operator-defaults row).
  batchSize: integer({
    description: 'Most lines per Kafka request (and per channel transaction).',
    minimum: 1,
    maximum: 10000,
    default: 500,
    row: {
      field: '`spec.kafka.batchSize`, `.lingerMs`',
      meaning: 'lines per request (and channel transaction); the batching window (`linger.ms`: a batch that is not full waits this long, a full one goes at once)',
      default: `500, ${DEFAULT_LINGER_MS}`,
    },
  }),
  lingerMs: integer({
    description: 'How long (ms) a batch that is not full waits for more lines before it is sent (a full batch goes at once); fewer requests and less CPU for up to this much latency.',
    minimum: 0,
    maximum: 60000,
    default: DEFAULT_LINGER_MS,
  }),
  tls: object({
    ca: secretKeyRef("The CA certificate(s) (PEM) that sign the brokers' certificates; without it the system CAs are trusted.", 'The Secret\'s key holding the PEM CA bundle.', 'ca.crt', 'caKey'),
    clientCertificate: object({
      secretName: secretName('Name of a Secret in this namespace.'),
      format: string({ description: 'CombinedPEM: one key holds certificate (chain) and private key. KubernetesTLS: a kubernetes.io/tls Secret, certificate and key in two keys (mounted together; a pair that does not match is refused).', enum: CLIENT_CERTIFICATE_FORMATS, default: 'CombinedPEM', defaultName: 'clientCertificateFormat' }),
      key: secretKey('With format CombinedPEM: the Secret\'s key holding certificate and private key (PEM).', CLIENT_CERTIFICATE_KEYS.key, 'clientCertificateKey'),
      certificateKey: secretKey('With format KubernetesTLS: the Secret\'s key holding the certificate (chain, PEM).', CLIENT_CERTIFICATE_KEYS.certificateKey, 'certificateKey'),
      privateKeyKey: secretKey('With format KubernetesTLS: the Secret\'s key holding the private key (PEM).', CLIENT_CERTIFICATE_KEYS.privateKeyKey, 'privateKeyKey'),
    }, {
      name: 'ClientCertificateSpec',
      description: 'Client certificate for mutual TLS, from a Secret: one PEM holding certificate and key (e.g. the tls-combined.pem that cert-manager writes with additionalOutputFormats CombinedPEM), or a kubernetes.io/tls Secret\'s tls.crt and tls.key.',
      checks: [
        onlyWith('key', CLIENT_CERTIFICATE_KEYS.key, 'format', ['CombinedPEM'], 'KubernetesTLS reads certificateKey and privateKeyKey'),
        onlyWith('certificateKey', CLIENT_CERTIFICATE_KEYS.certificateKey, 'format', ['KubernetesTLS'], 'CombinedPEM reads key'),
        onlyWith('privateKeyKey', CLIENT_CERTIFICATE_KEYS.privateKeyKey, 'format', ['KubernetesTLS'], 'CombinedPEM reads key'),
      ],
    }),
    verifyHostname: boolean({ description: "Check that a broker's certificate names the host connected to.", default: true }),
  }, {
    name: 'KafkaTlsSpec',
    description: 'Connect with TLS. Present (even empty) means TLS; the CA and client certificate come from Secrets in this namespace, mounted into the sidecar. Secret values are never written into the configuration.',
    row: { meaning: 'present = TLS. `ca: {secretName, key: ca.crt}` (default: system CAs), `clientCertificate: {secretName, format: CombinedPEM, key: tls-combined.pem}` (one PEM with certificate and key, e.g. cert-manager\'s CombinedPEM) or `{secretName, format: KubernetesTLS, certificateKey: tls.crt, privateKeyKey: tls.key}` (a kubernetes.io/tls Secret; its `ca.crt` can be `ca` with the same `secretName`), `verifyHostname` (true). A key of the other format must keep its default' },
  }),
  sasl: object({
    mechanism: string({ description: 'The SASL mechanism.', required: true, enum: SASL_MECHANISMS }),
    secretName: secretName('Name of the Secret (in this namespace) holding the credentials.'),
    usernameKey: secretKey('The Secret\'s key holding the username (not with OAUTHBEARER).', SASL_KEYS.usernameKey),
    passwordKey: secretKey('The Secret\'s key holding the password (not with OAUTHBEARER).', SASL_KEYS.passwordKey),
    tokenKey: secretKey('With OAUTHBEARER: the Secret\'s key holding the bearer token (one line, e.g. a JWT), kept fresh by whatever issues it.', SASL_KEYS.tokenKey, 'tokenKey'),
  }, {
    name: 'KafkaSaslSpec',
    description: 'SASL authentication; the credentials come from a Secret, mounted into the sidecar as files.',
    checks: [
      onlyWith('usernameKey', SASL_KEYS.usernameKey, 'mechanism', PASSWORD_MECHANISMS, 'OAUTHBEARER reads tokenKey'),
      onlyWith('passwordKey', SASL_KEYS.passwordKey, 'mechanism', PASSWORD_MECHANISMS, 'OAUTHBEARER reads tokenKey'),
      onlyWith('tokenKey', SASL_KEYS.tokenKey, 'mechanism', ['OAUTHBEARER'], 'the other mechanisms read usernameKey and passwordKey'),
    ],
    row: { meaning: `\`mechanism\` (${codes(SASL_MECHANISMS.values)}), \`secretName\`, \`usernameKey\` (username), \`passwordKey\` (password), or with \`OAUTHBEARER\` \`tokenKey\` (token): mounted into the sidecar as files (optional volume), which the config names (\`sasl.username.file\`, \`sasl.password.file\`, \`sasl.oauthbearer.token.file\`); a rotated password or token reaches running sidecars (see Credential rotation). A key of the other kind must keep its default` },
  }),
}, { name: 'KafkaSpec', description: 'The Kafka cluster and topic, and how records are produced.', required: true, checks: [levelFitsCodec, fallbackForTemplatedTopic] });

const multiline = object({
  mode: string({
    description: 'Whether pattern matches the first line of an event (Start) or its continuation lines (Continuation).',
    required: true,
    enum: MULTILINE_MODES,
  }),
  pattern: string({
    description: String.raw`A regular expression (JavaScript syntax), e.g. '^\d{4}-\d{2}-\d{2}' (Start) or '^\s' (Continuation).`,
    required: true,
    minLength: 1,
    maxLength: 1024,
    allowed: 'a regular expression',
    checks: [regexCompiles],
  }),
  maxLines: integer({ description: 'Most lines in one event; the event is sent when reached.', minimum: 1, maximum: 100000, default: 500, defaultName: 'multilineMaxLines' }),
  maxBytes: integer({ description: 'Most bytes in one event; the event is sent when reached.', minimum: 256, maximum: 16777216, default: DEFAULT_MAX_LINE_BYTES, defaultName: 'multilineMaxBytes' }),
  timeoutMs: integer({ description: 'Send a pending event after this many ms without a new line.', minimum: 1, maximum: 600000, default: 1000, defaultName: 'multilineTimeoutMs' }),
}, {
  name: 'MultilineSpec',
  description: 'Join lines into one event, e.g. a Java stack trace. Start: a line matching pattern starts a new event and other lines continue it. Continuation: a line matching pattern continues the previous event.',
  row: { meaning: `\`mode\` (\`Start\`: pattern matches an event's first line; \`Continuation\`: pattern matches continuation lines), \`pattern\` (JavaScript regex), \`maxLines\` (500), \`maxBytes\` (${DEFAULT_MAX_LINE_BYTES}), \`timeoutMs\` (1000)`, default: 'off' },
});

const enrichment = object({
  fields: array(string({ description: 'One pod fact.', enum: ENRICHMENT_FIELDS }), {
    description: 'The pod facts to add as headers.',
    maxItems: ENRICHMENT_FIELDS.values.length,
    listType: 'set',
  }),
  labels: array(string({
    description: 'A label key, e.g. app.kubernetes.io/name.',
    pattern: String.raw`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`,
    maxLength: 317,
    allowed: 'a label key such as app.kubernetes.io/name',
  }), {
    description: 'Pod label keys whose values are added as headers (an absent label gives an empty value).',
    maxItems: 16,
    listType: 'set',
  }),
  headerPrefix: string({ description: 'Prefix of the enrichment header names.', pattern: '^[A-Za-z0-9._-]*$', maxLength: 32, default: 'k8s.' }),
}, {
  name: 'EnrichmentSpec',
  resolve: 'empty',
  description: 'Facts about the pod added to every line as Kafka headers named <headerPrefix><field>: PodName -> pod.name, Namespace -> pod.namespace, NodeName -> node.name, PodUID -> pod.uid, Container -> container.name, FilePath -> file.path, and label L -> pod.label.L. A static file header of the same name wins.',
  row: { meaning: `\`fields\` (${codes(ENRICHMENT_FIELDS.values)}) and pod \`labels\` as headers \`<headerPrefix>pod.name\`, \`pod.namespace\`, \`node.name\`, \`pod.uid\`, \`container.name\`, \`file.path\`, \`pod.label.<key>\`; values come from the sidecar's downward-API env vars`, default: 'prefix `k8s.`' },
});

const sidecar = object({
  image: string({
    description: "The sidecar image, overriding the operator's default. Only an image the cluster admin allows (operator flag --allowed-sidecar-images, chart value sidecar.allowedImages): any other makes the LogShipper Ready=False with reason ImageNotAllowed, and pods are not injected.",
    pattern: String.raw`^[^\s]+$`,
    minLength: 1,
    maxLength: 512,
    allowed: 'an image reference',
  }),
  httpPort: integer({
    description: `The sidecar's HTTP port (probes, /metrics; container port named logshipper-http), default ${DEFAULT_HTTP_PORT}. A pod's logshipper.io/sidecar-http-port annotation wins; when the pod already declares the port, the injector takes the next one it does not declare (recorded in the logshipper.io/injection annotation).`,
    // No privileged port: the sidecar runs as a non-root user.
    minimum: 1024,
    maximum: 65535,
    rangeName: 'SIDECAR_HTTP_PORT_RANGE',
  }),
  resources: object({
    limits: quantities('Most compute resources allowed, e.g. cpu 200m, memory 128Mi.'),
    requests: quantities('Compute resources requested, e.g. cpu 50m, memory 64Mi.'),
  }, { name: 'ResourceRequirements', description: "Compute resources of the sidecar container (as in a Pod's container resources)." }),
}, {
  name: 'SidecarSpec',
  // The injector reads it from the LogShipper itself; the rendered configuration does not use it.
  resolve: 'omit',
  description: 'Settings of the injected sidecar container (used by the injector, not in the agent configuration).',
  row: {
    meaning: '`image` override (only an image the cluster admin allows: `--allowed-sidecar-images`, see Security), `resources`, and `httpPort` (1024-65535: probes and `/metrics`, container port `logshipper-http`) of the injected sidecar (see Injection)',
    default: `\`--sidecar-image\`; requests cpu 100m, memory 48Mi, limit memory 256Mi (see Sizing the sidecar); port ${DEFAULT_HTTP_PORT}`,
  },
});

/** `source.` `a`, `b`; `channel.` `c`: the allow-list grouped by component. */
function allowList(keys: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const dot = key.indexOf('.');
    const group = groups.get(key.slice(0, dot + 1)) ?? [];
    group.push(key.slice(dot + 1));
    groups.set(key.slice(0, dot + 1), group);
  }
  return [...groups].map(([prefix, names]) => `\`${prefix}\` ${codes(names)}`).join('; ');
}

const extraProperties = array(object({
  name: string({ description: 'The setting, one of the allow-list.', required: true, enum: EXTRA_PROPERTY_KEYS }),
  value: string({ description: 'The value, as the agent would read it from its properties file.', required: true, minLength: 1, maxLength: 1024 }),
}, { name: 'ExtraPropertySpec', description: 'One agent setting.', checks: [extraValue] }), {
  description: "Escape hatch: extra agent settings, by name from an allow-list (see the README's Operator section): source.* for the file source, channel.* for the memory channel, sink.* for the Kafka sink.",
  maxItems: 32,
  listType: 'map',
  listMapKeys: ['name'],
  row: { field: '`spec.extraProperties[]`', meaning: `\`{name, value}\` agent settings from an allow-list: ${allowList(EXTRA_PROPERTY_KEYS)}` },
});

export const SPEC = object({
  volume: string({
    description: 'Name of the pod volume (spec.volumes[].name) that holds the log files. The sidecar mounts it read-only.',
    required: true,
    pattern: DNS_LABEL,
    minLength: 1,
    maxLength: 63,
    allowed: 'the name of a pod volume (DNS label)',
    row: { meaning: 'name of the pod volume holding the logs (mounted read-only into the sidecar)' },
  }),
  files: array(object({
    path: filePath,
    headers: map(string({ description: 'The header value.', maxLength: 1024 }), {
      description: 'Static Kafka headers (name -> value) added to every line of these files.',
      maxProperties: 16,
      checks: [headerNames],
      row: { meaning: 'static Kafka headers (name -> value) for lines of these files; not the name of an enrichment header (`spec.enrichment`), which only the pod\'s facts fill' },
    }),
    topic: {
      ...topicTemplate('The topic of these files\' lines, instead of spec.kafka.topic.', false),
      row: { meaning: "topic of these files' lines, instead of `spec.kafka.topic`: a name or a template such as `logs-%{app}` over the headers these lines have (`headers`, enrichment); a line whose topic renders to no valid name goes to `spec.kafka.fallbackTopic`", default: '`spec.kafka.topic`' },
    },
  }, { name: 'FileSpec', description: 'One path or glob on the volume, with optional static headers for its lines.' }), {
    description: 'The files to ship, as paths or globs relative to the volume. Each entry is one file group.',
    required: true,
    minItems: 1,
    maxItems: 32,
    listType: 'map',
    listMapKeys: ['path'],
  }),
  encoding: string({
    description: 'Character encoding of the log files. Invalid bytes are replaced and counted.',
    enum: ENCODINGS,
    default: 'UTF-8',
    row: { meaning: codes(ENCODINGS.values) },
  }),
  maxLineBytes: integer({
    description: 'Longest line in bytes; longer lines are split or truncated (see longLines) and counted, never blocking the file.',
    minimum: 256,
    maximum: 16777216,
    default: DEFAULT_MAX_LINE_BYTES,
    row: {
      field: '`spec.maxLineBytes`, `spec.longLines`',
      meaning: 'longest line; longer ones are `Split` or `Truncate`d (and counted)',
      default: `${DEFAULT_MAX_LINE_BYTES} (1 MiB less 16 KiB for key, headers and framing), \`Split\``,
    },
  }),
  longLines: string({
    description: 'What happens to a line longer than maxLineBytes. Split - into several events; Truncate - the rest is dropped.',
    enum: LONG_LINE_POLICIES,
    default: 'Split',
  }),
  kafka,
  channel: object({
    capacity: integer({ description: 'Most lines buffered.', minimum: 1, maximum: 1000000, default: 10000 }),
    byteCapacity: integer({ description: 'Most bytes (bodies and headers) buffered.', minimum: 65536, maximum: 1073741824, default: 67108864 }),
  }, {
    name: 'ChannelSpec',
    description: "The sidecar's in-memory buffer between the files and Kafka. When full, reading pauses (nothing is dropped).",
    default: {},
    row: { field: '`spec.channel.capacity`, `.byteCapacity`', meaning: 'buffered lines / bytes in the sidecar (full: reading pauses); capacity >= batchSize', default: '10000, 64 MiB' },
  }),
  multiline,
  enrichment,
  sidecar,
  extraProperties,
}, {
  name: 'LogShipperSpec',
  description: 'What to ship (files on a pod volume) and where to (a Kafka topic), and how.',
  required: true,
  checks: [channelHoldsBatch, eventFitsChannel, transactionFitsChannel],
});

const STATUS = object({
  observedGeneration: integer({ description: 'The metadata.generation this status describes.', format: 'int64' }),
  configHash: string({ description: 'sha256 (hex) of the rendered agent configuration; injected pods record the hash they started with.' }),
  configMapName: string({ description: 'The ConfigMap holding the rendered configuration (key agent.properties).' }),
  injectedPods: integer({ description: 'Pods carrying the sidecar for this LogShipper.', format: 'int32' }),
  currentPods: integer({ description: 'Injected pods whose configuration hash is the current configHash.', format: 'int32' }),
  stalePods: integer({ description: 'Injected pods started with an older configuration hash.', format: 'int32' }),
  uninjectedPods: integer({
    description: 'Live pods that ask for this LogShipper (annotation logshipper.io/inject) and run without the sidecar, so their logs are not shipped: admitted while the injection webhook was unavailable or failed. Recreate them to get it.',
    format: 'int32',
  }),
  undeliveringPods: integer({
    description: 'Live injected pods whose sidecar reports it cannot deliver to Kafka (a sink failing longer than its backoff limit), recorded by the operator as the pod annotation logshipper.io/delivery. The application keeps serving; its lines wait in the sidecar.',
    format: 'int32',
  }),
  conditions: array(object({
    type: string({ description: 'The condition type (Ready, SidecarsInjected, Delivering).', required: true, maxLength: 316 }),
    status: string({ description: 'True, False or Unknown.', required: true, enum: CONDITION_STATUSES }),
    reason: string({ description: 'A CamelCase reason for the status.', required: true, maxLength: 1024 }),
    message: string({ description: 'What is wrong and what to do, for humans.', required: true, maxLength: 32768 }),
    lastTransitionTime: string({ description: 'When the status last changed.', required: true, format: 'date-time' }),
    observedGeneration: integer({ description: 'The metadata.generation the condition was set for.', format: 'int64' }),
  }, { name: 'Condition', description: "One aspect of the LogShipper's state." }), {
    description: "Ready: True (reason Reconciled) when the configuration is rendered into the ConfigMap and every referenced Secret and key exists; False with reason SecretNotFound, SecretKeyNotFound, InvalidSpec, ConfigMapConflict, ApiError, ImageNotAllowed or BrokerNotAllowed (the cluster admin's allow-lists) otherwise. SidecarsInjected: True (reason AllPodsInjected) when every live pod that asks for this LogShipper carries the sidecar; False (reason PodsWithoutSidecar, see uninjectedPods) otherwise. Delivering (not part of Ready either): True (reason AllSidecarsDelivering) when no injected pod's sidecar reports delivery trouble; False (reason SidecarsNotDelivering, see undeliveringPods; the message names up to five pods with since when and why) otherwise.",
    listType: 'map',
    listMapKeys: ['type'],
  }),
}, { name: 'LogShipperStatus', description: 'What the operator observed and did.' });

const MAX_NAME_LENGTH = 63;

export const ROOT = object({
  apiVersion: string({ description: 'APIVersion of this object (logshipper.io/v1alpha1).' }),
  kind: string({ description: 'Kind of this object (LogShipper).' }),
  metadata: object({}, { tsType: 'V1ObjectMeta' }),
  spec: SPEC,
  status: STATUS,
}, {
  name: 'LogShipper',
  description: "LogShipper ships log files from a volume of annotated pods into a Kafka topic. The operator renders it into the logshipper sidecar's agent configuration (a ConfigMap named <name>-logshipper) and reports whether it is ready.",
  checks: [{
    cel: { rule: `size(self.metadata.name) <= ${MAX_NAME_LENGTH}`, message: `metadata.name must be at most ${MAX_NAME_LENGTH} characters (it is used in labels and the ConfigMap name)` },
    test: (self: { metadata?: { name?: string } }) => ((self.metadata?.name ?? '').length <= MAX_NAME_LENGTH ? undefined : { field: '.metadata.name', problem: invalid(self.metadata?.name, `at most ${MAX_NAME_LENGTH} characters are allowed (it is used in labels and the ConfigMap name)`) }),
  }],
});

/** A column of `kubectl get logshippers`. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export const CRD = {
  group: 'logshipper.io',
  version: 'v1alpha1',
  kind: 'LogShipper',
  listKind: 'LogShipperList',
  plural: 'logshippers',
  singular: 'logshipper',
  shortNames: ['lship'],
  categories: ['logshipper'],
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether the agent configuration is rendered and everything it refers to exists.' },
    { name: 'Topic', type: 'string', jsonPath: '.spec.kafka.topic', description: 'The Kafka topic lines go to.' },
    { name: 'Pods', type: 'integer', jsonPath: '.status.injectedPods', description: 'Pods carrying the sidecar for this LogShipper.' },
    { name: 'Stale', type: 'integer', jsonPath: '.status.stalePods', description: 'Injected pods started with an older configuration (recreate them to apply it).' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Reason', type: 'string', priority: 1, jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Why the LogShipper is (not) ready.' },
    { name: 'Uninjected', type: 'integer', priority: 1, jsonPath: '.status.uninjectedPods', description: 'Pods that ask for this LogShipper and run without the sidecar (their logs are not shipped).' },
    { name: 'Undelivering', type: 'integer', priority: 1, jsonPath: '.status.undeliveringPods', description: 'Injected pods whose sidecar reports it cannot deliver to Kafka.' },
  ] satisfies PrinterColumn[],
  schema: ROOT,
} as const;
