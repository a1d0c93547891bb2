import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { parseAgentConfig, type AgentConfig } from '../../../sidecar/config/agent-config.ts';
import { ConfigError } from '../../../sidecar/config/errors.ts';
import { DEFAULT_MAX_LINE_BYTES } from '../../../sidecar/size-limits.ts';
import type { Event } from '../../../sidecar/event.ts';

const FILE = 'agent.properties';

function load(text: string, agent = 'a'): AgentConfig {
  return parseAgentConfig(parseProperties(text), FILE, agent);
}

const VALID = `
a.sources = s
a.channels = c
a.sinks = k
a.sources.s.type = exec
a.sources.s.command = tail -F /tmp/x.log
a.sources.s.channels = c
a.channels.c.type = memory
a.sinks.k.type = logger
a.sinks.k.channel = c
`;

/** VALID with `key = value` lines replaced or added. */
function variant(changes: Record<string, string | null>): string {
  const lines = VALID.trim().split('\n').filter((line) => {
    const key = line.split('=')[0]?.trim() ?? '';
    return !(key in changes);
  });
  for (const [key, value] of Object.entries(changes)) if (value !== null) lines.push(`${key} = ${value}`);
  return lines.join('\n') + '\n';
}

describe('agent configuration', () => {
  it('accepts the reference Flume config unchanged', () => {
    const text = readFileSync(new URL('../../../../shared/reference/flume-kafka.properties', import.meta.url), 'utf8');
    const config = load(text, 'producer');
    assert.deepEqual(config.warnings, []);
    const [source] = config.sources;
    const [sink] = config.sinks;
    assert.equal(source?.spec.type, 'exec');
    assert.deepEqual(source.spec.config, {
      command: 'tail -F /var/log/app/test.txt', shell: undefined, restart: true, restartThrottleMs: 10000, logStdErr: false, batchSize: 20, batchTimeoutMs: 3000, maxLineLength: DEFAULT_MAX_LINE_BYTES,
    });
    assert.equal(sink?.spec.type, 'kafka');
    assert.equal(sink.spec.config.topic.text, 'kafkaTest');
    assert.deepEqual(sink.spec.config.brokers, ['127.0.0.1:9092']);
    assert.equal(sink.spec.config.acks, 0);
    assert.equal(sink.spec.config.partition, 0, 'SinglePartitioner sends everything to partition.key');
    assert.equal(sink.spec.config.key?.text, '0');
    assert.equal(sink.spec.config.bodyEncoding, null, 'UTF-8 bodies pass through');
    assert.equal(sink.spec.config.maxMessageBytes, 1_000_000);
    assert.deepEqual(config.channels.map(({ name, config: c }) => ({ name, config: c })), [{ name: 'c', config: { capacity: 1000, transactionCapacity: 100, byteCapacity: 53687091, keepAliveSeconds: 3 } }]);
  });

  it('reads Flume 1.11 KafkaSink keys', () => {
    const config = load(variant({
      'a.sinks.k.type': 'org.apache.flume.sink.kafka.KafkaSink',
      'a.sinks.k.kafka.bootstrap.servers': 'k1:9092, k2:9093',
      'a.sinks.k.kafka.topic': 'logs',
      'a.sinks.k.flumeBatchSize': '50',
      'a.sinks.k.kafka.producer.acks': 'all',
      'a.sinks.k.kafka.producer.linger.ms': '5',
      'a.sinks.k.kafka.producer.max.in.flight.requests.per.connection': '3',
      'a.sinks.k.kafka.producer.compression.type': 'gzip',
      'a.sinks.k.allowTopicOverride': 'false',
      'a.sinks.k.partitionIdHeader': 'p',
      'a.sinks.k.defaultPartitionId': '2',
      'a.sinks.k.kafka.producer.security.protocol': 'SASL_PLAINTEXT',
      'a.sinks.k.kafka.producer.sasl.mechanism': 'SCRAM-SHA-512',
      'a.sinks.k.kafka.producer.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="s3\\\\"cret";',
    }));
    const sink = config.sinks[0]?.spec;
    assert.equal(sink?.type, 'kafka');
    assert.deepEqual(sink.config.brokers, ['k1:9092', 'k2:9093']);
    assert.equal(sink.config.topic.text, 'logs');
    assert.equal(sink.config.batchSize, 50);
    assert.equal(sink.config.acks, -1);
    assert.equal(sink.config.lingerMs, 5);
    assert.equal(sink.config.maxInFlight, 3);
    assert.equal(sink.config.compression, 'gzip');
    assert.equal(sink.config.allowTopicOverride, false);
    assert.equal(sink.config.partitionIdHeader, 'p');
    assert.equal(sink.config.partition, 2);
    assert.deepEqual(sink.config.security.sasl, { mechanism: 'scram-sha-512', username: { value: 'svc' }, password: { value: 's3"cret' } });
  });

  it('takes TLS from a PEM keystore, or from separate certificate and key files as in a Kubernetes TLS Secret (read when the client is built)', () => {
    const base = { 'a.sinks.k.type': 'kafka', 'a.sinks.k.kafka.bootstrap.servers': 'b:9093', 'a.sinks.k.kafka.producer.security.protocol': 'SSL' };
    const separate = load(variant({ ...base,
      'a.sinks.k.kafka.producer.ssl.ca.location': '/tls/ca.crt',
      'a.sinks.k.kafka.producer.ssl.certificate.location': '/tls/tls.crt',
      'a.sinks.k.kafka.producer.ssl.key.location': '/tls/tls.key' }));
    assert.deepEqual(separate.sinks[0]?.spec.type === 'kafka' ? separate.sinks[0].spec.config.security.tls : undefined, {
      ca: { file: '/tls/ca.crt', key: 'a.sinks.k.kafka.producer.ssl.ca.location' },
      cert: { file: '/tls/tls.crt', key: 'a.sinks.k.kafka.producer.ssl.certificate.location' },
      key: { file: '/tls/tls.key', key: 'a.sinks.k.kafka.producer.ssl.key.location' },
      verifyHostname: true,
    });
    const combined = load(variant({ ...base,
      'a.sinks.k.kafka.producer.ssl.truststore.location': '/tls/ca.crt',
      'a.sinks.k.kafka.producer.ssl.truststore.type': 'PEM',
      'a.sinks.k.kafka.producer.ssl.keystore.location': '/tls/keystore.pem' }));
    const keystore = { file: '/tls/keystore.pem', key: 'a.sinks.k.kafka.producer.ssl.keystore.location' };
    assert.deepEqual(combined.sinks[0]?.spec.type === 'kafka' ? combined.sinks[0].spec.config.security.tls : undefined, {
      ca: { file: '/tls/ca.crt', key: 'a.sinks.k.kafka.producer.ssl.truststore.location' }, cert: keystore, key: keystore, verifyHostname: true,
    });
    assert.deepEqual(combined.warnings, []);
    assert.throws(() => load(variant({ ...base, 'a.sinks.k.kafka.producer.ssl.truststore.location': '/tls/ca.crt', 'a.sinks.k.kafka.producer.ssl.truststore.type': 'JKS' })),
      /ssl\.truststore\.type: invalid value "JKS": one of PEM is allowed/);
  });

  it('takes the SASL username and password from files, never both a file and a literal', () => {
    const base = { 'a.sinks.k.type': 'kafka', 'a.sinks.k.kafka.bootstrap.servers': 'b:9092', 'a.sinks.k.kafka.producer.security.protocol': 'SASL_PLAINTEXT',
      'a.sinks.k.kafka.producer.sasl.mechanism': 'SCRAM-SHA-256', 'a.sinks.k.kafka.producer.sasl.password.file': '/sasl/password' };
    const config = load(variant({ ...base, 'a.sinks.k.kafka.producer.sasl.username.file': '/sasl/username' }));
    assert.deepEqual(config.sinks[0]?.spec.type === 'kafka' ? config.sinks[0].spec.config.security.sasl : undefined, {
      mechanism: 'scram-sha-256',
      username: { file: '/sasl/username', key: 'a.sinks.k.kafka.producer.sasl.username.file' },
      password: { file: '/sasl/password', key: 'a.sinks.k.kafka.producer.sasl.password.file' },
    });
    assert.deepEqual(config.warnings, []);
    const literalUser = load(variant({ ...base, 'a.sinks.k.kafka.producer.sasl.username': 'svc' }));
    assert.deepEqual(literalUser.sinks[0]?.spec.type === 'kafka' ? literalUser.sinks[0].spec.config.security.sasl : undefined, { mechanism: 'scram-sha-256', username: { value: 'svc' }, password: { file: '/sasl/password', key: 'a.sinks.k.kafka.producer.sasl.password.file' } });
    assert.throws(() => load(variant({ ...base, 'a.sinks.k.kafka.producer.sasl.username': 'svc', 'a.sinks.k.kafka.producer.sasl.password': 'pw' })),
      /sasl\.password\.file: the password is set twice: .*sasl\.password sets it too: keep one/);
  });

  it('takes the OAUTHBEARER token from a file, and refuses what another mechanism needs', () => {
    const base = { 'a.sinks.k.type': 'kafka', 'a.sinks.k.kafka.bootstrap.servers': 'b:9092', 'a.sinks.k.kafka.producer.security.protocol': 'SASL_SSL',
      'a.sinks.k.kafka.producer.sasl.mechanism': 'OAUTHBEARER' };
    const config = load(variant({ ...base, 'a.sinks.k.kafka.producer.sasl.oauthbearer.token.file': '/oauth/token' }));
    assert.deepEqual(config.sinks[0]?.spec.type === 'kafka' ? config.sinks[0].spec.config.security.sasl : undefined,
      { mechanism: 'oauthbearer', token: { file: '/oauth/token', key: 'a.sinks.k.kafka.producer.sasl.oauthbearer.token.file' } });
    assert.deepEqual(config.warnings, []);
    assert.throws(() => load(variant(base)), /a\.sinks\.k\.kafka\.producer\.sasl\.oauthbearer\.token\.file: sasl\.mechanism OAUTHBEARER needs the path of a file holding the token/);
    assert.throws(() => load(variant({ ...base, 'a.sinks.k.kafka.producer.sasl.oauthbearer.token.file': ' ' })), /token\.file: empty path/);
    assert.throws(() => load(variant({ ...base, 'a.sinks.k.kafka.producer.sasl.oauthbearer.token.file': '/oauth/token', 'a.sinks.k.kafka.producer.sasl.password.file': '/sasl/password' })),
      /sasl\.password\.file: is not used by sasl\.mechanism OAUTHBEARER, whose token is read from the file named by a\.sinks\.k\.kafka\.producer\.sasl\.oauthbearer\.token\.file/);
    assert.throws(() => load(variant({ ...base, 'a.sinks.k.kafka.producer.sasl.oauthbearer.token.file': '/oauth/token', 'a.sinks.k.kafka.producer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;' })),
      /sasl\.jaas\.config: is not used by sasl\.mechanism OAUTHBEARER/);
    assert.throws(() => load(variant({ ...base, 'a.sinks.k.kafka.producer.sasl.mechanism': 'PLAIN', 'a.sinks.k.kafka.producer.sasl.oauthbearer.token.file': '/oauth/token', 'a.sinks.k.kafka.producer.sasl.jaas.config': 'x username="u" password="p";' })),
      /sasl\.oauthbearer\.token\.file: is used by sasl\.mechanism OAUTHBEARER only, but a\.sinks\.k\.kafka\.producer\.sasl\.mechanism is PLAIN/);
    assert.throws(() => load(variant({ ...base, 'a.sinks.k.kafka.producer.sasl.mechanism': 'GSSAPI' })), /sasl\.mechanism: invalid value "GSSAPI": one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER is allowed/);
  });

  it('maps any *KafkaSink class to the Kafka sink', () => {
    const config = load(variant({ 'a.sinks.k.type': 'com.example.flume.MyKafkaSink', 'a.sinks.k.metadata.broker.list': 'b:9092' }));
    assert.equal(config.sinks[0]?.spec.type, 'kafka');
  });

  it('accepts Flume class names and interceptors', () => {
    const config = load(variant({
      'a.sources.s.type': 'org.apache.flume.source.ExecSource',
      'a.channels.c.type': 'org.apache.flume.channel.MemoryChannel',
      'a.sinks.k.type': 'org.apache.flume.sink.NullSink',
      'a.sources.s.interceptors': 'i1 i2',
      'a.sources.s.interceptors.i1.type': 'org.apache.flume.interceptor.StaticInterceptor$Builder',
      'a.sources.s.interceptors.i1.key': 'env',
      'a.sources.s.interceptors.i1.value': 'prod',
      'a.sources.s.interceptors.i2.type': 'timestamp',
    }));
    assert.equal(config.sinks[0]?.spec.type, 'null');
    const interceptors = config.sources[0]?.interceptors ?? [];
    assert.equal(interceptors.length, 2);
    let events: Event[] = [{ body: Buffer.from('x'), headers: {} }];
    for (const intercept of interceptors) events = intercept(events);
    const [event] = events;
    assert.ok(event);
    assert.equal(event.headers['env'], 'prod');
    assert.match(event.headers['timestamp'] ?? '', /^\d{13}$/);
  });

  it('warns about unknown keys with their line, and still loads', () => {
    const config = load(VALID + 'a.sinks.k.batchSzie = 10\n');
    const [warning, ...others] = config.warnings;
    assert.deepEqual(others, []);
    assert.equal(warning?.key, 'a.sinks.k.batchSzie');
    assert.equal(warning.line, 11);
  });

  // Each bad config must fail before anything starts, naming the file, the key, the value and what is allowed.
  const errors: [string, Record<string, string | null>, RegExp][] = [
    ['unknown source type', { 'a.sources.s.type': 'spooldir' }, /^agent\.properties:\d+: a\.sources\.s\.type: unknown source type "spooldir": allowed are exec, .*seq.*netcat/],
    ['unknown sink type', { 'a.sinks.k.type': 'hdfs' }, /a\.sinks\.k\.type: unknown sink type "hdfs": allowed are kafka/],
    ['unknown channel type', { 'a.channels.c.type': 'file' }, /a\.channels\.c\.type: unknown channel type "file": allowed are memory/],
    ['missing type', { 'a.sinks.k.type': null }, /a\.sinks\.k\.type: is required/],
    ['source wired to an undeclared channel', { 'a.sources.s.channels': 'c other' }, /a\.sources\.s\.channels: names channel "other", which is not in a\.channels/],
    ['sink wired to an undeclared channel', { 'a.sinks.k.channel': 'nope' }, /a\.sinks\.k\.channel: names channel "nope"/],
    ['source without channels', { 'a.sources.s.channels': null }, /a\.sources\.s\.channels: is required/],
    ['sink without channel', { 'a.sinks.k.channel': null }, /a\.sinks\.k\.channel: is required/],
    ['exec without command', { 'a.sources.s.command': null }, /a\.sources\.s\.command: is required/],
    ['not a number', { 'a.channels.c.capacity': 'lots' }, /^agent\.properties:\d+: a\.channels\.c\.capacity: invalid value "lots": an integer >= 1 is allowed/],
    ['out of range', { 'a.channels.c.byteCapacityBufferPercentage': '120' }, /byteCapacityBufferPercentage: invalid value "120": an integer 0\.\.99 is allowed/],
    ['not a boolean', { 'a.sources.s.restart': 'yes' }, /a\.sources\.s\.restart: invalid value "yes": true or false is allowed/],
    ['transactionCapacity above capacity', { 'a.channels.c.capacity': '10', 'a.channels.c.transactionCapacity': '20' }, /transactionCapacity: 20 is larger than capacity 10/],
    ['source batch above transactionCapacity', { 'a.sources.s.batchSize': '500' }, /a\.sources\.s\.batchSize: 500 is larger than the transactionCapacity 100 of channel c/],
    ['kafka without brokers', { 'a.sinks.k.type': 'kafka' }, /a\.sinks\.k\.kafka\.bootstrap\.servers or a\.sinks\.k\.metadata\.broker\.list or a\.sinks\.k\.brokerList: is required/],
    ['bad broker', { 'a.sinks.k.type': 'kafka', 'a.sinks.k.metadata.broker.list': 'localhost' }, /metadata\.broker\.list: invalid broker "localhost": host:port is allowed/],
    ['bad acks', { 'a.sinks.k.type': 'kafka', 'a.sinks.k.metadata.broker.list': 'b:1', 'a.sinks.k.request.required.acks': '2' }, /request\.required\.acks: invalid value "2": one of 0, 1, -1, all is allowed/],
    ['bad compression', { 'a.sinks.k.type': 'kafka', 'a.sinks.k.metadata.broker.list': 'b:1', 'a.sinks.k.kafka.producer.compression.type': 'brotli' }, /compression\.type: invalid value "brotli": one of none, gzip, snappy, lz4, zstd is allowed/],
    ['unknown partitioner', { 'a.sinks.k.type': 'kafka', 'a.sinks.k.metadata.broker.list': 'b:1', 'a.sinks.k.partitioner.class': 'com.x.Hash' }, /partitioner\.class: unknown partitioner "com\.x\.Hash"/],
    ['single partitioner without numeric key', { 'a.sinks.k.type': 'kafka', 'a.sinks.k.metadata.broker.list': 'b:1', 'a.sinks.k.partitioner.class': 'org.apache.flume.plugins.SinglePartition', 'a.sinks.k.partition.key': 'abc' }, /partition\.key: .*must be a partition number \(got "abc"\)/],
    ['unknown serializer', { 'a.sinks.k.type': 'kafka', 'a.sinks.k.metadata.broker.list': 'b:1', 'a.sinks.k.serializer.class': 'kafka.serializer.Avro' }, /serializer\.class: unknown serializer "kafka\.serializer\.Avro": allowed are kafka\.serializer\.StringEncoder/],
    ['unknown charset', { 'a.sinks.k.type': 'kafka', 'a.sinks.k.metadata.broker.list': 'b:1', 'a.sinks.k.custom.encoding': 'klingon' }, /custom\.encoding: unknown charset "klingon"/],
    ['SASL without credentials', { 'a.sinks.k.type': 'kafka', 'a.sinks.k.metadata.broker.list': 'b:1', 'a.sinks.k.kafka.producer.security.protocol': 'SASL_SSL' }, /sasl\.jaas\.config: SASL_SSL needs a username and password/],
    ['unknown interceptor', { 'a.sources.s.interceptors': 'i', 'a.sources.s.interceptors.i.type': 'regex_filter' }, /a\.sources\.s\.interceptors\.i\.type: unknown interceptor type "regex_filter"/],
    ['unsupported selector', { 'a.sources.s.selector.type': 'multiplexing' }, /selector\.type: invalid value "multiplexing": one of replicating is allowed/],
  ];
  for (const [name, changes, expected] of errors) {
    it(`rejects: ${name}`, () => {
      assert.throws(() => load(variant(changes)), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, expected);
        assert.ok(error.message.startsWith(FILE), error.message);
        return true;
      });
    });
  }

  it('rejects an agent name that is not in the file, listing the ones that are', () => {
    assert.throws(() => load(VALID, 'producer'), /no agent named "producer" \(--name\): the file defines agents a/);
  });
});
