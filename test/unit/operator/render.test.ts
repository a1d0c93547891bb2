// render(spec) is pure, deterministic and injection-safe: whatever the user's values, the agent's
// own parser (plus its ${NAME} substitution with the env the sidecar gets) reads back exactly the
// intended keys and values, and the agent's own validation accepts the file without a warning.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { parseProperties, substituteEnv } from '../../../sidecar/config/properties.ts';
import { parseAgentConfig } from '../../../sidecar/config/agent-config.ts';
import { compileFilePattern } from '../../../sidecar/sources/taildir/pattern.ts';
import { renderTemplate } from '../../../sidecar/template.ts';
import { agentPath, escapeEnvReferences, render, renderEntries, type RenderedEntry } from '../../../operator/render.ts';
import { referencedSecrets, resolveSpec, SpecError } from '../../../operator/spec.ts';
import { secretReferences } from '../../../operator/secret-refs.ts';
import {
  AGENT_NAME, ENV, labelEnvName, LOG_VOLUME_MOUNT_PATH, SASL_PASSWORD_FILE_PATH, SASL_TOKEN_FILE_PATH, SASL_USERNAME_FILE_PATH, TLS_CA_FILE_PATH, TLS_CLIENT_CERT_FILE_PATH, TLS_CLIENT_FILE_PATH, TLS_CLIENT_KEY_FILE_PATH,
} from '../../../operator/sidecar-layout.ts';
import { credentialFiles } from '../../../sidecar/sinks/kafka-credentials.ts';
import { agentKey, EXTRA_PROPERTIES } from '../../../operator/extra-properties.ts';
import { COMPRESSIONS, type LogShipperSpec, type ResolvedSpec } from '../../../operator/crd-types.ts';
import { LEVELS } from '../../../sidecar/sinks/compression.ts';

const CONTEXT = { namespace: 'shop', name: 'app-logs' };

function minimal(overrides: Partial<LogShipperSpec> = {}): LogShipperSpec {
  return { volume: 'logs', files: [{ path: 'app/*.log' }], kafka: { brokers: ['kafka:9092'], topic: 'app-logs' }, ...overrides };
}

/** The env the injected sidecar has for a render result: every referenced variable, with `values`. */
function sidecarEnv(names: string[], values: (name: string) => string): NodeJS.ProcessEnv {
  return Object.fromEntries(names.map((name) => [name, values(name)]));
}

/** What the agent reads: parse, then substitute env, as readPropertiesFile does. */
function agentRead(text: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const parsed = substituteEnv(parseProperties(text), env, 'agent.properties');
  return new Map([...parsed].map(([key, property]) => [key, property.value]));
}

function intended(entries: RenderedEntry[], env: NodeJS.ProcessEnv): Map<string, string> {
  return new Map(entries.map((entry) => [entry.key, 'env' in entry.value ? env[entry.value.env] ?? '<unset>' : entry.value.literal]));
}

/** Runs the agent's own validation on rendered text. */
function agentConfig(text: string, env: NodeJS.ProcessEnv): ReturnType<typeof parseAgentConfig> {
  return parseAgentConfig(substituteEnv(parseProperties(text), env, 'agent.properties'), 'agent.properties', AGENT_NAME);
}

// Strings that try to break out: line breaks, separators, comments, escapes, unicode, env references.
const NASTY = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('\n', '\r', '=', ':', '\\', '#', '!', ' ', '\t', '\f', '$', '{', '}', 'u', '0', 'A', 'é', '\u2028', '\u0085', 'x'), maxLength: 30 }),
  fc.constantFrom('${POD_NAME}', '$${POD_NAME}', '$$${X}', 'a\nlogshipper.sinks.kafka.kafka.topic = evil', 'x\\', '\\u0041', ' lead', 'trail ', '#c', '!c', 'k=v', 'k:v', '${KAFKA_SASL_PASSWORD}', '\r\nlogshipper.sources = x'),
);
const HEADER_NAME = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), NASTY.filter((s) => s !== ''));
const GLOB = fc.array(fc.stringMatching(/^([A-Za-z0-9 _@=,%~:#!-]|\.|\*|\?|\[[a-z.]{1,3}\]){1,8}$/).filter((s) => s !== '.' && s !== '..'), { minLength: 1, maxLength: 4 })
  .map((segments) => segments.join('/'));

const RESOLVED: fc.Arbitrary<ResolvedSpec> = fc.record({
  volume: fc.constant('logs'),
  files: fc.uniqueArray(fc.record({ path: GLOB, headers: fc.dictionary(HEADER_NAME, NASTY, { maxKeys: 4 }) }), { minLength: 1, maxLength: 4, selector: (f) => f.path }),
  encoding: fc.constantFrom('UTF-8', 'ISO-8859-1', 'UTF-16LE'),
  maxLineBytes: fc.integer({ min: 256, max: 16_777_216 }),
  longLines: fc.constantFrom('Split', 'Truncate'),
  kafka: fc.record({
    brokers: fc.array(fc.constantFrom('kafka:9092', 'k-0.k.svc:19092', '[::1]:9092'), { minLength: 1, maxLength: 3 }),
    topic: fc.stringMatching(/^[A-Za-z0-9._-]{3,20}$/),
    key: fc.option(fc.oneof(fc.record({ value: NASTY.filter((s) => s !== '') }), fc.record({ field: fc.constantFrom('PodName', 'Namespace', 'NodeName', 'PodUID', 'Container') })), { nil: undefined }),
    acks: fc.constantFrom('All', 'Leader', 'None'),
    compression: fc.constantFrom(...COMPRESSIONS),
    compressionLevel: fc.option(fc.integer({ min: -5, max: 22 }), { nil: undefined }),
    format: fc.constantFrom('Raw', 'Json', 'FlumeEvent'),
    timestamp: fc.option(fc.record({
      format: fc.constantFrom('Iso8601', 'EpochSeconds', 'EpochMillis', 'CommonLog'),
      pattern: fc.option(fc.constantFrom('^\\[(\\S+)\\]', 'ts=(?<timestamp>\\d+)', '#!=:(.*)', '\\\\$', ' (\\S+) $'), { nil: undefined }),
    }), { nil: undefined }),
    batchSize: fc.integer({ min: 1, max: 500 }),
    lingerMs: fc.integer({ min: 0, max: 60_000 }),
    tls: fc.constant(undefined),
    sasl: fc.option(fc.record({ mechanism: fc.constantFrom('PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'), secretName: fc.constant('creds'), usernameKey: fc.constant('username'), passwordKey: fc.constant('password'), tokenKey: fc.constant('token') }), { nil: undefined }),
  }),
  channel: fc.record({ capacity: fc.integer({ min: 500, max: 100_000 }), byteCapacity: fc.integer({ min: 16_777_216, max: 1_073_741_824 }) }),
  multiline: fc.option(fc.record({
    mode: fc.constantFrom('Start', 'Continuation'),
    pattern: fc.constantFrom('^\\s', '^\\d{4}-', '^(at|Caused by:)', '^[^\\n=:#!]+$', '\\\\$'),
    maxLines: fc.integer({ min: 1, max: 1000 }),
    maxBytes: fc.integer({ min: 256, max: 1_048_576 }),
    timeoutMs: fc.integer({ min: 1, max: 10_000 }),
  }), { nil: undefined }),
  enrichment: fc.record({
    fields: fc.uniqueArray(fc.constantFrom('PodName', 'Namespace', 'NodeName', 'PodUID', 'Container', 'FilePath')),
    labels: fc.uniqueArray(fc.stringMatching(/^([a-z0-9]{1,5}(\.[a-z0-9]{1,5}){0,2}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?$/), { maxLength: 4 }),
    headerPrefix: fc.stringMatching(/^[A-Za-z0-9._-]{0,6}$/),
  }),
  extraProperties: fc.constant([]),
});

describe('render: injection safety (property-based, with the agent parser)', () => {
  it('the agent reads back exactly the intended keys and values, whatever the user values', () => {
    fc.assert(fc.property(RESOLVED, NASTY, (spec, envValue) => {
      const result = render(spec, CONTEXT);
      const env = sidecarEnv(result.env, (name) => `${name}=${envValue}`);
      assert.deepEqual(agentRead(result.text, env), intended(result.entries, env));
      // Keys are unique: nothing was overwritten by a later line.
      assert.equal(new Set(result.entries.map((e) => e.key)).size, result.entries.length);
    }), { numRuns: 400 });
  });

  it('the agent keys records by spec.kafka.key.value exactly, % and %{...} included', () => {
    fc.assert(fc.property(fc.oneof(NASTY, fc.constantFrom('50%', '%{app}', '%%', '%')).filter((value) => value.trim() !== '' && value.trim() === value), (value) => {
      const result = render(resolveSpec(minimal({ kafka: { brokers: ['kafka:9092'], topic: 'app-logs', key: { value } } })), CONTEXT);
      const sink = agentConfig(result.text, {}).sinks[0]?.spec;
      assert.equal(sink?.type, 'kafka');
      assert.equal(sink.config.key === undefined ? undefined : renderTemplate(sink.config.key, {}, () => assert.fail('reads no header')), value);
    }), { numRuns: 300 });
  });

  it('extraProperties text values cannot add keys or lines', () => {
    const textKeys = EXTRA_PROPERTIES.filter((p) => p.kind === 'text').map((p) => p.key);
    fc.assert(fc.property(fc.constantFrom(...textKeys), NASTY, (name, value) => {
      const spec = { ...resolveSpec(minimal()), extraProperties: [{ name, value }] };
      const result = render(spec, CONTEXT);
      assert.deepEqual(agentRead(result.text, {}), intended(result.entries, {}));
    }));
  });

  it('escapes ${NAME} so the agent substitutes nothing in user values', () => {
    for (const value of ['${POD_NAME}', '$${POD_NAME}', 'a${B}c${D}', '${', '$${', '${1}', '${KAFKA_SASL_PASSWORD}']) {
      const result = render(resolveSpec(minimal({ files: [{ path: 'x.log', headers: { h: value } }] })), CONTEXT);
      const read = agentRead(result.text, {});
      assert.equal(read.get(`${AGENT_NAME}.sources.files.headers.f1.h`), value, `${value} -> ${escapeEnvReferences(value)}`);
    }
  });

  it('a value with a newline and a key-like suffix stays one value', () => {
    const evil = 'x\nlogshipper.sinks.kafka.kafka.topic = stolen\r\n#';
    const result = render(resolveSpec(minimal({ kafka: { brokers: ['kafka:9092'], topic: 'app-logs', key: { value: evil } } })), CONTEXT);
    const read = agentRead(result.text, {});
    assert.equal(read.get(`${AGENT_NAME}.sinks.kafka.kafka.topic`), 'app-logs');
    assert.equal(read.get(`${AGENT_NAME}.sinks.kafka.partition.key`), evil);
    assert.equal(read.size, result.entries.length);
  });
});

describe('render: determinism and hash', () => {
  it('the same spec gives the same text and hash; header order in the input does not matter', () => {
    fc.assert(fc.property(RESOLVED, (spec) => {
      const reordered: ResolvedSpec = {
        ...spec,
        files: spec.files.map((file) => ({ ...file, headers: Object.fromEntries(Object.entries(file.headers).reverse()) })),
      };
      const a = render(spec, CONTEXT);
      const b = render(structuredClone(reordered), CONTEXT);
      assert.equal(a.text, b.text);
      assert.equal(a.hash, b.hash);
      assert.match(a.hash, /^[0-9a-f]{64}$/);
    }), { numRuns: 100 });
  });

  it('a changed value changes the hash', () => {
    const a = render(resolveSpec(minimal()), CONTEXT);
    const b = render(resolveSpec(minimal({ kafka: { brokers: ['kafka:9092'], topic: 'other' } })), CONTEXT);
    assert.notEqual(a.hash, b.hash);
  });
});

describe('render: the agent accepts the result', () => {
  const full = (): LogShipperSpec => minimal({
    files: [{ path: 'app/*.log', headers: { logtype: 'app', 'x.y': 'a=b:c#d' } }, { path: 'audit/**/*.json' }, { path: 'plain.log' }],
    kafka: {
      brokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'], topic: 'app-logs', key: { field: 'PodName' },
      acks: 'Leader', compression: 'zstd', compressionLevel: 12, batchSize: 250, lingerMs: 20,
      sasl: { mechanism: 'SCRAM-SHA-512', secretName: 'creds' },
    },
    channel: { capacity: 5000, byteCapacity: 33_554_432 },
    multiline: { mode: 'Start', pattern: '^\\d{4}-\\d{2}-\\d{2}', maxLines: 200, maxBytes: 65_536, timeoutMs: 500 },
    enrichment: { fields: ['PodName', 'Namespace', 'NodeName', 'PodUID', 'Container', 'FilePath'], labels: ['app.kubernetes.io/name', 'team'] },
    encoding: 'ISO-8859-1',
    maxLineBytes: 65_536,
    longLines: 'Truncate',
    extraProperties: EXTRA_PROPERTIES.map((p) => ({
      name: p.key,
      value: p.key === 'channel.transactionCapacity' ? '300' : p.kind === 'bool' ? 'true' : p.kind === 'int' ? String(Math.max(p.min ?? 1, 1)) : Array.isArray(p.kind) ? String(p.kind[0]) : 'custom-value',
    })),
  });

  for (const [name, spec] of [['minimal', minimal()], ['every field', full()]] as const) {
    it(`${name}: parseAgentConfig reports no error and zero warnings`, () => {
      const result = render(resolveSpec(spec), CONTEXT);
      const env = sidecarEnv(result.env, (variable) => `value-of-${variable}`);
      const config = agentConfig(result.text, env);
      assert.deepEqual(config.warnings, []);
      assert.equal(config.sources.length, 1);
      assert.equal(config.sinks.length, 1);
    });
  }

  it('compression and its level reach the agent as compression.type and compression.<codec>.level', () => {
    const cases = [['none', undefined], ['snappy', undefined], ['gzip', 1], ['gzip', undefined], ['lz4', 9], ['zstd', -3], ['zstd', 22]] as const;
    for (const [compression, compressionLevel] of cases) {
      const kafka = { brokers: ['kafka:9092'], topic: 'app-logs', compression, ...(compressionLevel === undefined ? {} : { compressionLevel }) };
      const result = render(resolveSpec(minimal({ kafka })), CONTEXT);
      const config = agentConfig(result.text, sidecarEnv(result.env, (variable) => `value-of-${variable}`));
      assert.deepEqual(config.warnings, []);
      const sink = config.sinks[0]?.spec;
      assert.ok(sink?.type === 'kafka');
      const expected = compressionLevel ?? (compression === 'none' || compression === 'snappy' ? undefined : LEVELS[compression].default);
      assert.deepEqual([sink.config.compression, sink.config.compressionLevel], [compression, expected], `${compression} ${String(compressionLevel)}`);
    }
  });

  it('the examples render and the agent accepts them (the TLS and SASL files are read only when the Kafka client is built)', () => {
    for (const file of ['examples/logshipper.yaml', 'examples/logshipper-secure.yaml', 'examples/logshipper-mtls-json.yaml', 'examples/logshipper-oauthbearer.yaml']) {
      const doc = yaml.load(readFileSync(file, 'utf8')) as { spec: unknown; metadata: { name: string; namespace: string } };
      const result = render(resolveSpec(doc.spec), { namespace: doc.metadata.namespace, name: doc.metadata.name });
      const env = sidecarEnv(result.env, (variable) => `value-of-${variable}`);
      assert.deepEqual(agentConfig(result.text, env).warnings, [], file);
    }
  });

  it('the TAILDIR source is always confined to the log volume\'s mount path', () => {
    for (const spec of [minimal(), full()]) {
      const result = render(resolveSpec(spec), CONTEXT);
      const config = agentConfig(result.text, sidecarEnv(result.env, (variable) => `value-of-${variable}`));
      const source = config.sources[0]?.spec;
      assert.ok(source?.type === 'taildir');
      assert.equal(source.config.confineTo, LOG_VOLUME_MOUNT_PATH);
    }
  });

  it('enrichment refers to the sidecar env vars of the layout; SASL to the files of the mounted Secret', () => {
    const result = render(resolveSpec(full()), CONTEXT);
    assert.deepEqual(result.env, [
      ENV.container, ENV.nodeName, ENV.podName, ENV.podNamespace, ENV.podUID,
      labelEnvName('app.kubernetes.io/name'), labelEnvName('team'),
    ].sort());
    assert.match(result.text, new RegExp(`^logshipper\\.sinks\\.kafka\\.kafka\\.producer\\.sasl\\.username\\.file = ${SASL_USERNAME_FILE_PATH}$`, 'm'));
    assert.match(result.text, new RegExp(`^logshipper\\.sinks\\.kafka\\.kafka\\.producer\\.sasl\\.password\\.file = ${SASL_PASSWORD_FILE_PATH}$`, 'm'));
    assert.doesNotMatch(result.text, /sasl\.(username|password) =/, 'no credential in the ConfigMap');
    const config = agentConfig(result.text, sidecarEnv(result.env, (variable) => `value-of-${variable}`));
    const sink = config.sinks[0]?.spec;
    assert.deepEqual(sink?.type === 'kafka' ? credentialFiles(sink.config.security) : undefined, [SASL_USERNAME_FILE_PATH, SASL_PASSWORD_FILE_PATH]);
  });
});

describe('render: the client certificate, from a combined PEM or a kubernetes.io/tls Secret', () => {
  const withTls = (tls: NonNullable<LogShipperSpec['kafka']['tls']>): LogShipperSpec => minimal({ kafka: { brokers: ['kafka:9093'], topic: 't', tls } });
  const tlsOf = (spec: LogShipperSpec): unknown => {
    const result = render(resolveSpec(spec), CONTEXT);
    const sink = agentConfig(result.text, sidecarEnv(result.env, (variable) => `value-of-${variable}`)).sinks[0]?.spec;
    return sink?.type === 'kafka' ? sink.config.security.tls : undefined;
  };
  const at = (file: string, key: string): { file: string; key: string } => ({ file, key: `logshipper.sinks.kafka.kafka.producer.${key}` });

  it('CombinedPEM (the default): one keystore file holding both', () => {
    assert.deepEqual(tlsOf(withTls({ clientCertificate: { secretName: 'c' } })), {
      cert: at(TLS_CLIENT_FILE_PATH, 'ssl.keystore.location'), key: at(TLS_CLIENT_FILE_PATH, 'ssl.keystore.location'), verifyHostname: true,
    });
  });

  it('KubernetesTLS: tls.crt and tls.key as two files, the CA from the same Secret\'s ca.crt', () => {
    const spec = withTls({ ca: { secretName: 'app-tls' }, clientCertificate: { secretName: 'app-tls', format: 'KubernetesTLS' } });
    assert.deepEqual(tlsOf(spec), {
      ca: at(TLS_CA_FILE_PATH, 'ssl.truststore.location'),
      cert: at(TLS_CLIENT_CERT_FILE_PATH, 'ssl.certificate.location'),
      key: at(TLS_CLIENT_KEY_FILE_PATH, 'ssl.key.location'),
      verifyHostname: true,
    });
    assert.deepEqual([...referencedSecrets(resolveSpec(spec))], [['app-tls', new Set(['ca.crt', 'tls.crt', 'tls.key'])]]);
    assert.deepEqual(secretReferences(resolveSpec(spec)).map((ref) => `${ref.secretName}/${ref.key} ${ref.field}`), [
      'app-tls/ca.crt spec.kafka.tls.ca',
      'app-tls/tls.crt spec.kafka.tls.clientCertificate (certificateKey)',
      'app-tls/tls.key spec.kafka.tls.clientCertificate (privateKeyKey)',
    ]);
    const renamed = resolveSpec(withTls({ clientCertificate: { secretName: 's', format: 'KubernetesTLS', certificateKey: 'client.crt', privateKeyKey: 'client.key' } }));
    assert.deepEqual([...referencedSecrets(renamed)], [['s', new Set(['client.crt', 'client.key'])]]);
  });

  it('refuses a key of the other format, naming the field', () => {
    assert.throws(() => resolveSpec(withTls({ clientCertificate: { secretName: 's', format: 'KubernetesTLS', key: 'combined.pem' } })),
      /^SpecError: spec\.kafka\.tls\.clientCertificate\.key: invalid value "combined\.pem": with format KubernetesTLS: key is used with format CombinedPEM only \(KubernetesTLS reads certificateKey and privateKeyKey\)$/);
    assert.throws(() => resolveSpec(withTls({ clientCertificate: { secretName: 's', privateKeyKey: 'my.key' } })),
      /^SpecError: spec\.kafka\.tls\.clientCertificate\.privateKeyKey: invalid value "my\.key": with format CombinedPEM: privateKeyKey is used with format KubernetesTLS only \(CombinedPEM reads key\)$/);
    assert.throws(() => resolveSpec(withTls({ clientCertificate: { secretName: 's', format: 'PKCS12' as never } })),
      /spec\.kafka\.tls\.clientCertificate\.format: invalid value "PKCS12": one of CombinedPEM, KubernetesTLS/);
    // As the apiserver stores them: every key with its default, whatever the format.
    assert.doesNotThrow(() => resolveSpec(withTls({ clientCertificate: { secretName: 's', format: 'KubernetesTLS', key: 'tls-combined.pem', certificateKey: 'tls.crt', privateKeyKey: 'tls.key' } })));
  });
});

describe('render: SASL OAUTHBEARER, the token from the Secret', () => {
  it('renders the token file (not username and password), mounted from tokenKey, listed as the reference', () => {
    const spec = minimal({ kafka: { brokers: ['kafka:9092'], topic: 't', sasl: { mechanism: 'OAUTHBEARER', secretName: 'svc-token', tokenKey: 'jwt' } } });
    const resolved = resolveSpec(spec);
    const result = render(resolved, CONTEXT);
    const sink = agentConfig(result.text, sidecarEnv(result.env, (variable) => `value-of-${variable}`)).sinks[0]?.spec;
    assert.deepEqual(sink?.type === 'kafka' ? sink.config.security : undefined, {
      protocol: 'SASL_PLAINTEXT',
      sasl: { mechanism: 'oauthbearer', token: { file: SASL_TOKEN_FILE_PATH, key: 'logshipper.sinks.kafka.kafka.producer.sasl.oauthbearer.token.file' } },
    });
    assert.doesNotMatch(result.text, /sasl\.(username|password)/);
    assert.deepEqual([...referencedSecrets(resolved)], [['svc-token', new Set(['jwt'])]]);
    assert.deepEqual(secretReferences(resolved).map((ref) => ref.field), ['spec.kafka.sasl (tokenKey)']);
  });

  it('refuses a key of the other kind, naming the field', () => {
    assert.throws(() => resolveSpec(minimal({ kafka: { brokers: ['k:1'], topic: 't', sasl: { mechanism: 'OAUTHBEARER', secretName: 's', usernameKey: 'user' } } })),
      /^SpecError: spec\.kafka\.sasl\.usernameKey: invalid value "user": with mechanism OAUTHBEARER: usernameKey is used with mechanism PLAIN or SCRAM-SHA-256 or SCRAM-SHA-512 only \(OAUTHBEARER reads tokenKey\)$/);
    assert.throws(() => resolveSpec(minimal({ kafka: { brokers: ['k:1'], topic: 't', sasl: { mechanism: 'PLAIN', secretName: 's', tokenKey: 'jwt' } } })),
      /^SpecError: spec\.kafka\.sasl\.tokenKey: invalid value "jwt": with mechanism PLAIN: tokenKey is used with mechanism OAUTHBEARER only/);
  });
});

describe('render: record format and timestamp', () => {
  const sinkKeys = (spec: LogShipperSpec): Map<string, string> => {
    const result = render(resolveSpec(spec), CONTEXT);
    const env = sidecarEnv(result.env, (variable) => `value-of-${variable}`);
    assert.deepEqual(agentConfig(result.text, env).warnings, []);
    return new Map([...agentRead(result.text, env)].filter(([key]) => key.startsWith(`${AGENT_NAME}.sinks.kafka.`)).map(([key, value]) => [key.slice(`${AGENT_NAME}.sinks.kafka.`.length), value]));
  };

  it('Raw renders no format key: existing configurations render as before', () => {
    assert.equal(render(resolveSpec(minimal()), CONTEXT).text, render(resolveSpec(minimal({ kafka: { brokers: ['kafka:9092'], topic: 'app-logs', format: 'Raw' } })), CONTEXT).text);
    assert.equal(sinkKeys(minimal()).has('format'), false);
  });

  it('Json: the envelope format, every pod fact and the file as enrichment headers whatever enrichment.fields says, the file relative to the volume', () => {
    const spec = minimal({ kafka: { brokers: ['kafka:9092'], topic: 'app-logs', format: 'Json' }, enrichment: { labels: ['team'], headerPrefix: 'x.' } });
    const keys = sinkKeys(spec);
    assert.equal(keys.get('format'), 'json');
    assert.equal(keys.get('json.podHeaderPrefix'), 'x.');
    assert.equal(keys.get('json.fileHeader'), 'x.file.path');
    assert.equal(keys.get('json.fileRoot'), LOG_VOLUME_MOUNT_PATH);
    const result = render(resolveSpec(spec), CONTEXT);
    const read = agentRead(result.text, sidecarEnv(result.env, (variable) => `value-of-${variable}`));
    const headers = [...read].filter(([key]) => key.startsWith(`${AGENT_NAME}.sources.files.headers.f1.`)).map(([key, value]) => [key.slice(`${AGENT_NAME}.sources.files.headers.f1.`.length), value]);
    assert.deepEqual(Object.fromEntries(headers), {
      'x.pod.name': 'value-of-POD_NAME', 'x.pod.namespace': 'value-of-POD_NAMESPACE', 'x.pod.uid': 'value-of-POD_UID', 'x.container.name': 'value-of-CONTAINER_NAME',
      'x.node.name': 'value-of-NODE_NAME', [`x.pod.label.team`]: `value-of-${labelEnvName('team')}`,
    });
    assert.equal(read.get(`${AGENT_NAME}.sources.files.fileHeaderKey`), 'x.file.path');
  });

  it('FlumeEvent: Flume\'s Avro event', () => {
    assert.equal(sinkKeys(minimal({ kafka: { brokers: ['kafka:9092'], topic: 'app-logs', format: 'FlumeEvent' } })).get('format'), 'flume-event');
  });

  it('timestamp: the format and the pattern as written (backslashes and all)', () => {
    const keys = sinkKeys(minimal({ kafka: { brokers: ['kafka:9092'], topic: 'app-logs', timestamp: { format: 'CommonLog', pattern: '\\[([^\\]]+)\\]' } } }));
    assert.equal(keys.get('timestampFormat'), 'clf');
    assert.equal(keys.get('timestampPattern'), '\\[([^\\]]+)\\]');
    const iso = sinkKeys(minimal({ kafka: { brokers: ['kafka:9092'], topic: 'app-logs', timestamp: { format: 'Iso8601' } } }));
    assert.equal(iso.get('timestampFormat'), 'iso8601');
    assert.equal(iso.has('timestampPattern'), false);
  });
});

describe('agentPath: globs relative to the volume, read by the agent as globs', () => {
  it('every allowed path becomes a glob for the agent with the same meaning', () => {
    fc.assert(fc.property(GLOB, (relative) => {
      const path = agentPath(relative, 'spec.files[0].path');
      const pattern = compileFilePattern(path);
      const name = relative.slice(relative.lastIndexOf('/') + 1);
      if (pattern.kind !== 'glob') assert.match(name, /^[^*?[.]+$/, `${path}: only a plain name may stay an (exact) regex`);
      assert.ok(`${pattern.baseDir}/`.startsWith(`${LOG_VOLUME_MOUNT_PATH}/`), `${path} stays inside the volume`);
      if (!/[*?[]/.test(relative)) {
        // A literal path matches itself and not a look-alike.
        const rel = `${LOG_VOLUME_MOUNT_PATH}/${relative}`.slice(pattern.baseDir.length + 1);
        assert.ok(pattern.matches(rel), `${path} matches ${rel}`);
        if (rel.includes('.')) assert.ok(!pattern.matches(rel.replace('.', 'X')), `${path} must not match ${rel.replace('.', 'X')}`);
      }
    }), { numRuns: 500 });
  });

  it('app.log matches only app.log', () => {
    const pattern = compileFilePattern(agentPath('app.log', 'f'));
    assert.equal(pattern.kind, 'glob');
    assert.ok(pattern.matches('app.log'));
    assert.ok(!pattern.matches('appXlog'));
  });
});

describe('render: topics and keys from templates', () => {
  const spec = minimal({
    files: [{ path: 'app/*.log', headers: { app: 'shop' }, topic: 'logs-%{app}' }, { path: 'audit.log', topic: 'audit' }, { path: 'other.log' }],
    kafka: { brokers: ['kafka:9092'], topic: '%{k8s.pod.namespace}.logs', fallbackTopic: 'unrouted', key: { template: '%{k8s.pod.label.app.kubernetes.io/name}/%{k8s.pod.name}' } },
    enrichment: { fields: ['PodName', 'Namespace', 'FilePath'], labels: ['app.kubernetes.io/name'] },
  });

  it('renders files[].topic as the file group\'s topic, and kafka.topic, fallbackTopic and key.template as the sink\'s', () => {
    const result = render(resolveSpec(spec), CONTEXT);
    const read = agentRead(result.text, sidecarEnv(result.env, (name) => name));
    assert.equal(read.get(`${AGENT_NAME}.sources.files.filegroups.f1.topic`), 'logs-%{app}');
    assert.equal(read.get(`${AGENT_NAME}.sources.files.filegroups.f2.topic`), 'audit');
    assert.equal(read.get(`${AGENT_NAME}.sources.files.filegroups.f3.topic`), undefined);
    assert.equal(read.get(`${AGENT_NAME}.sinks.kafka.kafka.topic`), '%{k8s.pod.namespace}.logs');
    assert.equal(read.get(`${AGENT_NAME}.sinks.kafka.fallbackTopic`), 'unrouted');
    assert.equal(read.get(`${AGENT_NAME}.sinks.kafka.partition.key`), '%{k8s.pod.label.app.kubernetes.io/name}/%{k8s.pod.name}');
  });

  it('the agent accepts what the operator accepts: its own header check passes, without a warning', () => {
    const result = render(resolveSpec(spec), CONTEXT);
    const config = agentConfig(result.text, sidecarEnv(result.env, (name) => `value-of-${name}`));
    assert.deepEqual(config.warnings, []);
    const source = config.sources[0]?.spec;
    assert.equal(source?.type, 'taildir');
    assert.deepEqual(source.config.groups.map((group) => group.topic?.text), ['logs-%{app}', 'audit', undefined]);
    const sink = config.sinks[0]?.spec;
    assert.equal(sink?.type, 'kafka');
    assert.deepEqual(sink.config.key?.headers, ['k8s.pod.label.app.kubernetes.io/name', 'k8s.pod.name']);
    assert.equal(sink.config.fallbackTopic, 'unrouted');
  });
});

describe('resolveSpec: errors name the field, the bad value and what is allowed', () => {
  const cases: [string, unknown, RegExp][] = [
    ['absolute path', minimal({ files: [{ path: '/etc/passwd' }] }), /^spec\.files\[0\]\.path: invalid value "\/etc\/passwd": must be relative/],
    ['.. in path', minimal({ files: [{ path: 'a/../../etc/passwd' }] }), /^spec\.files\[0\]\.path: .*'\.\.'/],
    ['newline in path', minimal({ files: [{ path: 'a\nb.log' }] }), /^spec\.files\[0\]\.path: invalid value "a\\nb\.log"/],
    ['no files', minimal({ files: [] }), /^spec\.files: invalid value \[\]: a list of 1\.\.32 items/],
    ['bad broker', minimal({ kafka: { brokers: ['kafka'], topic: 't' } }), /^spec\.kafka\.brokers\[0\]: invalid value "kafka": host:port/],
    ['bad topic', minimal({ kafka: { brokers: ['k:1'], topic: 'a b' } }), /^spec\.kafka\.topic: invalid value "a b"/],
    ['bad acks', minimal({ kafka: { brokers: ['k:1'], topic: 't', acks: '1' as never } }), /^spec\.kafka\.acks: invalid value "1": one of All, Leader, None/],
    ['key with both', minimal({ kafka: { brokers: ['k:1'], topic: 't', key: { field: 'PodName', value: 'x' } } }), /^spec\.kafka\.key: needs exactly one/],
    ['capacity < batch', minimal({ kafka: { brokers: ['k:1'], topic: 't', batchSize: 500 }, channel: { capacity: 100 } }), /^spec\.channel\.capacity: invalid value 100: must be at least spec\.kafka\.batchSize \(500\)/],
    ['unknown extra', minimal({ extraProperties: [{ name: 'sink.type', value: 'logger' }] }), /^spec\.extraProperties\[0\]\.name: invalid value "sink\.type": one of source\.skipToEnd/],
    ['bad extra value', minimal({ extraProperties: [{ name: 'source.skipToEnd', value: 'yes' }] }), /^spec\.extraProperties\[0\]\.value: invalid value "yes" for source\.skipToEnd: true or false/],
    ['bad regex', minimal({ multiline: { mode: 'Start', pattern: '(' } }), /^spec\.multiline\.pattern: invalid value "\(": a JavaScript regular expression/],
    ['bad header name', minimal({ files: [{ path: 'a.log', headers: { 'a b': 'x' } }] }), /^spec\.files\[0\]\.headers\["a b"\]: invalid name "a b"/],
    ['sasl without mechanism', minimal({ kafka: { brokers: ['k:1'], topic: 't', sasl: { secretName: 's' } as never } }), /^spec\.kafka\.sasl\.mechanism: is required/],
    ['static header posing as a pod fact', minimal({ files: [{ path: 'a.log', headers: { 'k8s.pod.namespace': 'kube-system' } }], enrichment: { fields: ['Namespace'] } }),
      /^spec\.files\[0\]\.headers\["k8s\.pod\.namespace"\]: invalid name "k8s\.pod\.namespace": it is an enrichment header/],
    ['static header posing as a pod label', minimal({ files: [{ path: 'a.log', headers: { 'x.pod.label.team': 'other' } }], enrichment: { labels: ['team'], headerPrefix: 'x.' } }),
      /^spec\.files\[0\]\.headers\["x\.pod\.label\.team"\]: invalid name/],
    ['static header posing as the file path', minimal({ files: [{ path: 'a.log', headers: { 'k8s.file.path': '/etc/shadow' } }], enrichment: { fields: ['FilePath'] } }),
      /^spec\.files\[0\]\.headers\["k8s\.file\.path"\]: invalid name/],
    ['bad format', minimal({ kafka: { brokers: ['k:1'], topic: 't', format: 'Avro' as never } }), /^spec\.kafka\.format: invalid value "Avro": one of Raw, Json, FlumeEvent/],
    ['timestamp without format', minimal({ kafka: { brokers: ['k:1'], topic: 't', timestamp: {} as never } }), /^spec\.kafka\.timestamp\.format: is required/],
    ['bad timestamp format', minimal({ kafka: { brokers: ['k:1'], topic: 't', timestamp: { format: 'RFC822' as never } } }), /^spec\.kafka\.timestamp\.format: invalid value "RFC822": one of Iso8601, EpochSeconds, EpochMillis, CommonLog/],
    ['bad timestamp pattern', minimal({ kafka: { brokers: ['k:1'], topic: 't', timestamp: { format: 'Iso8601', pattern: '([' } } }), /^spec\.kafka\.timestamp\.pattern: invalid value "\(\[": a JavaScript regular expression/],
    ['Json: a static header posing as an unlisted pod label', minimal({ kafka: { brokers: ['k:1'], topic: 't', format: 'Json' }, files: [{ path: 'a.log', headers: { 'k8s.pod.label.tier': 'gold' } }] }),
      /^spec\.files\[0\]\.headers\["k8s\.pod\.label\.tier"\]: invalid name/],
    ['Json: a static header posing as a pod fact not in enrichment.fields', minimal({ kafka: { brokers: ['k:1'], topic: 't', format: 'Json' }, files: [{ path: 'a.log', headers: { 'k8s.pod.namespace': 'kube-system' } }] }),
      /^spec\.files\[0\]\.headers\["k8s\.pod\.namespace"\]: invalid name/],
    ['a level for snappy', minimal({ kafka: { brokers: ['k:1'], topic: 't', compression: 'snappy', compressionLevel: 3 } }),
      /^spec\.kafka\.compressionLevel: invalid value 3: with compression snappy, no level \(snappy has none\) is allowed/],
    ['a level without a codec', minimal({ kafka: { brokers: ['k:1'], topic: 't', compressionLevel: 3 } }), /^spec\.kafka\.compressionLevel: invalid value 3: with compression none, no level/],
    ['an LZ4 high-compression level', minimal({ kafka: { brokers: ['k:1'], topic: 't', compression: 'lz4', compressionLevel: 12 } }),
      /^spec\.kafka\.compressionLevel: invalid value 12: with compression lz4, 9 \(Kafka's default, LZ4's fast mode/],
    ['gzip level 10', minimal({ kafka: { brokers: ['k:1'], topic: 't', compression: 'gzip', compressionLevel: 10 } }), /^spec\.kafka\.compressionLevel: invalid value 10: with compression gzip, an integer 1\.\.9, or -1/],
    ['zstd level below the range', minimal({ kafka: { brokers: ['k:1'], topic: 't', compression: 'zstd', compressionLevel: -200000 } }), /^spec\.kafka\.compressionLevel: invalid value -200000: an integer -131072\.\.22/],
    ['privileged sidecar port', minimal({ sidecar: { httpPort: 80 } }), /^spec\.sidecar\.httpPort: invalid value 80: an integer 1024\.\.65535 is allowed/],
    ['malformed topic template', minimal({ kafka: { brokers: ['k:1'], topic: 'logs-%{app', fallbackTopic: 'f' } }), /^spec\.kafka\.topic: invalid value "logs-%\{app": a Kafka topic name .*with %\{header\}/],
    ['file topic with a slash', minimal({ files: [{ path: 'a.log', topic: 'a/b' }] }), /^spec\.files\[0\]\.topic: invalid value "a\/b": a Kafka topic name/],
    ['templated topic without fallbackTopic', minimal({ files: [{ path: 'a.log', headers: { app: 'x' } }], kafka: { brokers: ['k:1'], topic: 'logs-%{app}' } }),
      /^spec\.kafka\.fallbackTopic: is required when spec\.kafka\.topic is a %\{header\} template/],
    ['key with value and template', minimal({ kafka: { brokers: ['k:1'], topic: 't', key: { value: 'x', template: '%{k8s.pod.name}' } } }), /^spec\.kafka\.key: needs exactly one of field, value or template/],
    ['key template with a lone %', minimal({ kafka: { brokers: ['k:1'], topic: 't', key: { template: '50%' } } }), /^spec\.kafka\.key\.template: invalid value "50%": text with %\{header\}/],
    // Templates name only the LogShipper's own headers: another file's static header, a label not enriched, a pod fact not chosen.
    ['file topic naming another file\'s header', minimal({ files: [{ path: 'a.log', headers: { app: 'a' } }, { path: 'b.log', topic: 'b-%{app}' }] }),
      /^spec\.files\[1\]\.topic: invalid value "b-%\{app\}": %\{app\} names a header no line of spec\.files\[1\] has \(the lines have no headers, from spec\.files\[\]\.headers and spec\.enrichment\)$/],
    ['topic naming a label not enriched', minimal({ kafka: { brokers: ['k:1'], topic: 'logs-%{k8s.pod.label.team}', fallbackTopic: 'f' }, enrichment: { fields: ['PodName'], labels: ['app'] } }),
      /^spec\.kafka\.topic: invalid value "logs-%\{k8s\.pod\.label\.team\}": %\{k8s\.pod\.label\.team\} names a header no line has \(the lines have k8s\.pod\.label\.app, k8s\.pod\.name, from/],
    ['key template naming a pod fact not enriched', minimal({ kafka: { brokers: ['k:1'], topic: 't', key: { template: '%{k8s.node.name}' } } }),
      /^spec\.kafka\.key\.template: invalid value "%\{k8s\.node\.name\}": %\{k8s\.node\.name\} names a header no line has/],
  ];
  for (const [name, spec, message] of cases) {
    it(name, () => {
      assert.throws(() => render(resolveSpec(spec), CONTEXT), (error: unknown) => {
        assert.ok(error instanceof SpecError, String(error));
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

describe('overreach: what no LogShipper string can reach', () => {
  // The keys the operator and the injector must agree on, or that would re-point the pipeline: the
  // source's type, files and position file, the wiring, the brokers, and the TLS/SASL material.
  const GUARDED = /^(sources|channels|sinks)$|^[a-z]+\.[^.]+\.(type|channels?|positionFile|filegroups(\..*)?|kafka\.bootstrap\.servers|kafka\.producer\.(ssl|sasl|security)\..*|confineTo)$/;
  it('no extraProperties name maps to a guarded agent key', () => {
    for (const property of EXTRA_PROPERTIES) assert.doesNotMatch(agentKey(property.key), GUARDED, property.key);
  });
  it('a spec full of hostile strings renders the guarded keys exactly as the operator sets them', () => {
    const hostile = '\\n${KAFKA_SASL_PASSWORD}\n logshipper.sinks.kafka.kafka.bootstrap.servers = evil:9092\r\nlogshipper.sources.files.positionFile=/tmp/p';
    const spec = minimal({
      files: [{ path: 'app/*.log', headers: { h: hostile } }],
      kafka: { brokers: ['kafka:9092'], topic: 'app-logs', key: { value: hostile } },
      extraProperties: [{ name: 'sink.kafka.producer.client.id', value: 'id' }, { name: 'sink.topicHeader', value: 'x' }],
    });
    const result = render(resolveSpec(spec), CONTEXT);
    const read = agentRead(result.text, sidecarEnv(result.env, (name) => `<${name}>`));
    const guarded = [...read].filter(([key]) => GUARDED.test(key.slice(AGENT_NAME.length + 1)));
    assert.deepEqual(Object.fromEntries(guarded), {
      'logshipper.sources': 'files', 'logshipper.channels': 'memory', 'logshipper.sinks': 'kafka',
      'logshipper.sources.files.type': 'TAILDIR', 'logshipper.sources.files.channels': 'memory',
      'logshipper.sources.files.positionFile': '/var/lib/logshipper/taildir_position.json', 'logshipper.sources.files.confineTo': LOG_VOLUME_MOUNT_PATH,
      'logshipper.sources.files.filegroups': 'f1', 'logshipper.sources.files.filegroups.f1': `${LOG_VOLUME_MOUNT_PATH}/app/*.log`,
      'logshipper.channels.memory.type': 'memory', 'logshipper.sinks.kafka.type': 'org.apache.flume.sink.kafka.KafkaSink',
      'logshipper.sinks.kafka.channel': 'memory', 'logshipper.sinks.kafka.kafka.bootstrap.servers': 'kafka:9092',
      'logshipper.sinks.kafka.kafka.producer.security.protocol': 'PLAINTEXT',
    });
    assert.equal(read.get('logshipper.sinks.kafka.partition.key'), hostile, 'the hostile value stays one literal value, nothing substituted');
  });
});

describe('layout', () => {
  it('label env names are valid ${NAME} references, stable and distinct', () => {
    const names = ['app', 'a.b', 'a-b', 'a_b', 'app.kubernetes.io/name', 'x'.repeat(63)].map(labelEnvName);
    for (const name of names) assert.match(name, /^[A-Za-z_][A-Za-z0-9_]*$/);
    assert.equal(new Set(names).size, names.length);
    assert.equal(labelEnvName('a.b'), labelEnvName('a.b'));
  });

  it('renderEntries keys all start with the agent name', () => {
    for (const entry of renderEntries(resolveSpec(minimal()), CONTEXT)) assert.ok(entry.key.startsWith(`${AGENT_NAME}.`));
  });
});
