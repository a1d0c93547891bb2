// The CRD's schema and CEL rules refuse bad LogShippers at `kubectl apply` time, with messages
// that name the field. No operator runs here: this is the apiserver's own validation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { kubeConfig, unique } from '../../env/testing.ts';
import { GROUP, PLURAL, VERSION } from '../../../operator/crd-types.ts';
import { resolveSpec, SpecError } from '../../../operator/spec.ts';
import { createNamespace, deleteNamespace, installCrd } from './helpers.ts';

const GOOD = {
  volume: 'logs',
  files: [{ path: 'app/*.log' }],
  kafka: { brokers: ['kafka:9092'], topic: 'app-logs' },
};

type Spec = Record<string, unknown>;
const withKafka = (kafka: Spec): Spec => ({ ...GOOD, kafka: { ...GOOD.kafka, ...kafka } });

/** name, spec (or whole-object override), the field the message must name, and a part of the message. */
const BAD: [string, Spec, string, RegExp][] = [
  ['absolute path', { ...GOOD, files: [{ path: '/etc/passwd' }] }, 'spec.files[0].path', /must be relative to the volume/],
  ['.. escapes the volume', { ...GOOD, files: [{ path: 'app/../../etc/shadow' }] }, 'spec.files[0].path', /must not contain '\.' or '\.\.'/],
  ['newline in a path', { ...GOOD, files: [{ path: 'a\nb.log' }] }, 'spec.files[0].path', /should match/],
  ['duplicate paths', { ...GOOD, files: [{ path: 'a.log' }, { path: 'a.log' }] }, 'spec.files[1]', /Duplicate value/],
  ['no files', { ...GOOD, files: [] }, 'spec.files', /should have at least 1 items/],
  ['missing kafka', { volume: 'logs', files: [{ path: 'a.log' }] }, 'spec.kafka', /Required value/],
  ['broker without port', withKafka({ brokers: ['kafka'] }), 'spec.kafka.brokers[0]', /should match/],
  ['topic with a space', withKafka({ topic: 'app logs' }), 'spec.kafka.topic', /should match/],
  ['acks as a number', withKafka({ acks: '1' }), 'spec.kafka.acks', /Unsupported value: "1": supported values: "All", "Leader", "None"/],
  ['unknown compression', withKafka({ compression: 'brotli' }), 'spec.kafka.compression', /Unsupported value: "brotli": supported values: "none", "gzip", "snappy", "lz4", "zstd"/],
  ['a compression level for snappy', withKafka({ compression: 'snappy', compressionLevel: 3 }), 'spec.kafka.compressionLevel', /must be one spec\.kafka\.compression has: .*none and snappy have no levels/],
  ['an LZ4 high-compression level', withKafka({ compression: 'lz4', compressionLevel: 12 }), 'spec.kafka.compressionLevel', /lz4 only 9/],
  ['gzip level 0', withKafka({ compression: 'gzip', compressionLevel: 0 }), 'spec.kafka.compressionLevel', /gzip 1\.\.9 \(or -1\)/],
  ['zstd level above 22', withKafka({ compression: 'zstd', compressionLevel: 23 }), 'spec.kafka.compressionLevel', /should be less than or equal to 22/],
  ['unknown record format', withKafka({ format: 'Avro' }), 'spec.kafka.format', /Unsupported value: "Avro": supported values: "Raw", "Json", "FlumeEvent"/],
  ['timestamp without a format', withKafka({ timestamp: { pattern: '^(\\S+)' } }), 'spec.kafka.timestamp.format', /Required value/],
  ['unknown timestamp format', withKafka({ timestamp: { format: 'RFC822' } }), 'spec.kafka.timestamp.format', /Unsupported value: "RFC822"/],
  ['key with field and value', withKafka({ key: { field: 'PodName', value: 'x' } }), 'spec.kafka.key', /exactly one of field, value or template/],
  ['key with value and template', withKafka({ key: { value: 'x', template: '%{k8s.pod.name}' } }), 'spec.kafka.key', /exactly one of field, value or template/],
  ['key template with a lone %', withKafka({ key: { template: '50%' } }), 'spec.kafka.key.template', /should match/],
  ['unclosed topic template', withKafka({ topic: 'logs-%{app', fallbackTopic: 'unrouted' }), 'spec.kafka.topic', /should match/],
  ['templated topic without fallbackTopic', withKafka({ topic: 'logs-%{app}' }), 'spec.kafka.fallbackTopic', /spec\.kafka\.fallbackTopic is required when spec\.kafka\.topic is a %\{header\} template/],
  ['fallbackTopic as a template', withKafka({ topic: 'logs-%{app}', fallbackTopic: 'x-%{app}' }), 'spec.kafka.fallbackTopic', /should match/],
  ['file topic with a slash', { ...GOOD, files: [{ path: 'a.log', topic: 'a/b' }] }, 'spec.files[0].topic', /should match/],
  ['file topic ..', { ...GOOD, files: [{ path: 'a.log', topic: '..' }] }, 'spec.files[0].topic', /must not be '\.' or '\.\.'/],
  ['inline password (unknown field is pruned) and no secret', withKafka({ sasl: { mechanism: 'PLAIN' } }), 'spec.kafka.sasl.secretName', /Required value/],
  ['unknown SASL mechanism', withKafka({ sasl: { mechanism: 'GSSAPI', secretName: 's' } }), 'spec.kafka.sasl.mechanism', /Unsupported value: "GSSAPI"/],
  ['bad Secret name', withKafka({ tls: { ca: { secretName: 'Not_A_Name' } } }), 'spec.kafka.tls.ca.secretName', /should match/],
  ['unknown client certificate format', withKafka({ tls: { clientCertificate: { secretName: 's', format: 'PKCS12' } } }), 'spec.kafka.tls.clientCertificate.format', /Unsupported value: "PKCS12": supported values: "CombinedPEM", "KubernetesTLS"/],
  ['a combined PEM key with format KubernetesTLS', withKafka({ tls: { clientCertificate: { secretName: 's', format: 'KubernetesTLS', key: 'combined.pem' } } }), 'spec.kafka.tls.clientCertificate.key', /key is used with format CombinedPEM only/],
  ['tls.key renamed with format CombinedPEM', withKafka({ tls: { clientCertificate: { secretName: 's', privateKeyKey: 'client.key' } } }), 'spec.kafka.tls.clientCertificate.privateKeyKey', /privateKeyKey is used with format KubernetesTLS only/],
  ['a password key with OAUTHBEARER', withKafka({ sasl: { mechanism: 'OAUTHBEARER', secretName: 's', passwordKey: 'pw' } }), 'spec.kafka.sasl.passwordKey', /passwordKey is used with mechanism PLAIN or SCRAM-SHA-256 or SCRAM-SHA-512 only: OAUTHBEARER reads tokenKey/],
  ['a token key with SCRAM', withKafka({ sasl: { mechanism: 'SCRAM-SHA-512', secretName: 's', tokenKey: 'jwt' } }), 'spec.kafka.sasl.tokenKey', /tokenKey is used with mechanism OAUTHBEARER only/],
  ['channel smaller than a batch', { ...withKafka({ batchSize: 500 }), channel: { capacity: 100 } }, 'spec.channel.capacity', /must be at least spec\.kafka\.batchSize/],
  ['extraProperties outside the allow-list', { ...GOOD, extraProperties: [{ name: 'sink.type', value: 'logger' }] }, 'spec.extraProperties[0].name', /Unsupported value: "sink\.type": supported values: "source\.skipToEnd"/],
  ['multiline without pattern', { ...GOOD, multiline: { mode: 'Start' } }, 'spec.multiline.pattern', /Required value/],
  ['bad header name', { ...GOOD, files: [{ path: 'a.log', headers: { 'bad name': 'x' } }] }, 'spec.files[0].headers', /header names must be/],
  ['bad label key', { ...GOOD, enrichment: { labels: ['not a label'] } }, 'spec.enrichment.labels[0]', /should match/],
  ['unknown enrichment field', { ...GOOD, enrichment: { fields: ['HostIP'] } }, 'spec.enrichment.fields[0]', /Unsupported value: "HostIP"/],
  ['volume not a DNS label', { ...GOOD, volume: 'Logs_Volume' }, 'spec.volume', /should match/],
  ['bad resource quantity', { ...GOOD, sidecar: { resources: { limits: { memory: 'lots' } } } }, 'spec.sidecar.resources.limits.memory', /should match/],
  ['privileged sidecar port', { ...GOOD, sidecar: { httpPort: 80 } }, 'spec.sidecar.httpPort', /should be greater than or equal to 1024/],
  ['sidecar port out of range', { ...GOOD, sidecar: { httpPort: 70000 } }, 'spec.sidecar.httpPort', /should be less than or equal to 65535/],
];

/** A spec with every optional object present and their defaults left to the apiserver. */
const EVERY_OBJECT: Spec = {
  ...withKafka({ key: { field: 'PodName' }, compression: 'zstd', compressionLevel: 7, format: 'Json', timestamp: { format: 'Iso8601', pattern: '^\\[(\\S+)\\]' }, tls: { ca: { secretName: 'ca' }, clientCertificate: { secretName: 'client' } }, sasl: { mechanism: 'PLAIN', secretName: 'creds' } }),
  files: [{ path: 'app/*.log', headers: { team: 'shop' } }],
  multiline: { mode: 'Start', pattern: '^\\d' },
  enrichment: { fields: ['PodName'] },
  sidecar: { httpPort: 2000 },
  extraProperties: [{ name: 'source.skipToEnd', value: 'true' }],
};

/** A field as the apiserver names it: a map entry is `.name`, where resolveSpec writes `["name"]`. */
const apiserverField = (field: string): string => field.replace(/\["([^"]*)"\]/g, '.$1');

/** The Status message of an API error body (what kubectl prints). */
function statusMessage(body: unknown): string {
  const text = String(body);
  try {
    return String((JSON.parse(text) as { message?: unknown }).message);
  } catch {
    return text;
  }
}

describe('CRD validation: the apiserver refuses bad LogShippers, naming the field', () => {
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  const namespace = unique('lship-val');

  before(async () => {
    kc = kubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    await installCrd(kc);
    await createNamespace(kc, namespace);
  });

  after(async () => {
    await deleteNamespace(kc, namespace);
  });

  const create = async (name: string, spec: Spec): Promise<unknown> => custom.createNamespacedCustomObject({
    group: GROUP, version: VERSION, namespace, plural: PLURAL,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'LogShipper', metadata: { name }, spec },
  });

  it('accepts the good one (and applies defaults)', async () => {
    const created = await create('good', GOOD) as { spec: { kafka: { acks: string; batchSize: number }; channel: { capacity: number } } };
    assert.equal(created.spec.kafka.acks, 'All');
    assert.equal(created.spec.kafka.batchSize, 500);
    assert.equal(created.spec.channel.capacity, 10_000);
  });

  it('accepts every codec, with a level where the codec has one', async () => {
    const good = [['none'], ['snappy'], ['gzip', 9], ['gzip', -1], ['lz4', 9], ['lz4'], ['zstd', -131072], ['zstd', 22]] as const;
    for (const [compression, compressionLevel] of good) {
      const spec = withKafka({ compression, ...(compressionLevel === undefined ? {} : { compressionLevel }) });
      const created = await create(unique(`codec-${compression}`), spec) as { spec: { kafka: { compression: string; compressionLevel?: number } } };
      assert.deepEqual([created.spec.kafka.compression, created.spec.kafka.compressionLevel], [compression, compressionLevel]);
      assert.deepEqual(resolveSpec(created.spec), resolveSpec(spec));
    }
  });

  it('stores the defaults resolveSpec applies (the CRD defaults and the walk agree)', async () => {
    for (const [name, spec] of [['defaults-good', GOOD], ['defaults-every', EVERY_OBJECT]] as const) {
      const created = await create(name, spec) as { spec: unknown };
      assert.deepEqual(resolveSpec(created.spec), resolveSpec(spec), name);
    }
  });

  it('accepts a kubernetes.io/tls client certificate and OAUTHBEARER, storing the keys of both formats and kinds with their defaults', async () => {
    const spec = withKafka({ tls: { ca: { secretName: 'app-tls' }, clientCertificate: { secretName: 'app-tls', format: 'KubernetesTLS' } }, sasl: { mechanism: 'OAUTHBEARER', secretName: 'token', tokenKey: 'jwt' } });
    const created = await create('tls-secret-oauth', spec) as { spec: { kafka: { tls: unknown; sasl: unknown } } };
    assert.deepEqual(created.spec.kafka.tls, {
      ca: { secretName: 'app-tls', key: 'ca.crt' },
      clientCertificate: { secretName: 'app-tls', format: 'KubernetesTLS', key: 'tls-combined.pem', certificateKey: 'tls.crt', privateKeyKey: 'tls.key' },
      verifyHostname: true,
    });
    assert.deepEqual(created.spec.kafka.sasl, { mechanism: 'OAUTHBEARER', secretName: 'token', tokenKey: 'jwt', usernameKey: 'username', passwordKey: 'password' });
    assert.deepEqual(resolveSpec(created.spec), resolveSpec(spec));
  });

  it('accepts file topics and topic and key templates, as resolveSpec does', async () => {
    const spec = {
      ...withKafka({ topic: '%{k8s.pod.namespace}.logs', fallbackTopic: 'unrouted', key: { template: '%{k8s.pod.name}/%{team}' } }),
      files: [{ path: 'app/*.log', headers: { team: 'shop' }, topic: 'shop-%{team}' }, { path: 'audit.log', topic: 'audit' }],
      enrichment: { fields: ['PodName', 'Namespace'] },
    };
    const created = await create('templated', spec) as { spec: unknown };
    assert.deepEqual(resolveSpec(created.spec), resolveSpec(spec));
  });

  it('refuses a name longer than 63 characters', async () => {
    await assert.rejects(create('x'.repeat(64), GOOD), (error: unknown) => {
      assert.ok(error instanceof ApiException);
      assert.equal(error.code, 422);
      assert.match(statusMessage(error.body), /metadata\.name must be at most 63 characters/);
      return true;
    });
  });

  for (const [name, spec, field, message] of BAD) {
    it(name, async () => {
      await assert.rejects(create(unique('bad'), spec), (error: unknown) => {
        assert.ok(error instanceof ApiException, String(error));
        assert.equal(error.code, 422, String(error.body));
        const body = statusMessage(error.body);
        assert.ok(body.includes(field), `the message names ${field}: ${body}`);
        assert.match(body, message);
        return true;
      });
      // resolveSpec (render -f, the reconciler) refuses it too, naming the same field.
      assert.throws(() => resolveSpec(spec), (error: unknown) => {
        assert.ok(error instanceof SpecError, String(error));
        assert.ok(apiserverField(error.field).startsWith(field), `resolveSpec names ${field}: ${error.message}`);
        return true;
      });
    });
  }
});
