// The CRD file is the single source of truth; the TypeScript side must agree with it where it
// restates it (defaults, enums, the extraProperties allow-list), and `kubectl explain` must have a
// description for every field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import {
  ACKS, COMPRESSIONS, DEFAULTS, ENCODINGS, ENRICHMENT_FIELDS, GROUP, KIND, LONG_LINE_POLICIES, MULTILINE_MODES, PLURAL, POD_FIELDS,
  SASL_MECHANISMS, SIDECAR_HTTP_PORT_RANGE, VERSION,
} from '../../../operator/crd-types.ts';
import { EXTRA_PROPERTY_KEYS } from '../../../operator/extra-properties.ts';
import { HTTP_PORT_NAME } from '../../../operator/inject.ts';
import { REASONS } from '../../../operator/status.ts';
import { DEFAULT_HTTP_PORT } from '../../../sidecar/http.ts';

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
  enum?: unknown[];
  default?: unknown;
}

const crd = yaml.load(readFileSync('crds/logshipper.io_logshippers.yaml', 'utf8')) as {
  spec: { group: string; names: { kind: string; plural: string; shortNames: string[] }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
};
const version = crd.spec.versions[0];
assert.ok(version);
const root = version.schema.openAPIV3Schema;

function at(path: string): Schema {
  let schema: Schema = root;
  for (const part of path.split('.')) {
    const next: Schema | undefined = part === '[]' ? schema.items : schema.properties?.[part];
    assert.ok(next, `no schema at ${path}`);
    schema = next;
  }
  return schema;
}

describe('CRD', () => {
  it('names match the TypeScript constants', () => {
    assert.equal(crd.spec.group, GROUP);
    assert.equal(version.name, VERSION);
    assert.equal(crd.spec.names.kind, KIND);
    assert.equal(crd.spec.names.plural, PLURAL);
    assert.ok(crd.spec.names.shortNames.includes('lship'));
  });

  it('every field has a description', () => {
    const missing: string[] = [];
    const walk = (schema: Schema, path: string): void => {
      if (path !== '' && path !== 'metadata' && (schema.description ?? '').trim() === '') missing.push(path);
      for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, path === '' ? name : `${path}.${name}`);
      if (schema.items !== undefined) walk(schema.items, `${path}[]`);
      if (schema.additionalProperties !== undefined) walk(schema.additionalProperties, `${path}{}`);
    };
    walk(root, '');
    assert.deepEqual(missing, []);
  });

  it('enums equal the TypeScript ones', () => {
    assert.deepEqual(at('spec.kafka.acks').enum, [...ACKS]);
    assert.deepEqual(at('spec.kafka.compression').enum, [...COMPRESSIONS]);
    assert.deepEqual(at('spec.kafka.sasl.mechanism').enum, [...SASL_MECHANISMS]);
    assert.deepEqual(at('spec.kafka.key.field').enum, [...POD_FIELDS]);
    assert.deepEqual(at('spec.enrichment.fields.[]').enum, [...ENRICHMENT_FIELDS]);
    assert.deepEqual(at('spec.multiline.mode').enum, [...MULTILINE_MODES]);
    assert.deepEqual(at('spec.encoding').enum, [...ENCODINGS]);
    assert.deepEqual(at('spec.longLines').enum, [...LONG_LINE_POLICIES]);
    assert.deepEqual(at('spec.extraProperties.[].name').enum, [...EXTRA_PROPERTY_KEYS]);
  });

  it('defaults equal the ones `render -f` applies', () => {
    const expected: [string, unknown][] = [
      ['spec.encoding', DEFAULTS.encoding],
      ['spec.maxLineBytes', DEFAULTS.maxLineBytes],
      ['spec.longLines', DEFAULTS.longLines],
      ['spec.kafka.acks', DEFAULTS.acks],
      ['spec.kafka.compression', DEFAULTS.compression],
      ['spec.kafka.batchSize', DEFAULTS.batchSize],
      ['spec.kafka.lingerMs', DEFAULTS.lingerMs],
      ['spec.kafka.tls.verifyHostname', DEFAULTS.verifyHostname],
      ['spec.kafka.tls.ca.key', DEFAULTS.caKey],
      ['spec.kafka.tls.clientCertificate.key', DEFAULTS.clientCertificateKey],
      ['spec.kafka.sasl.usernameKey', DEFAULTS.usernameKey],
      ['spec.kafka.sasl.passwordKey', DEFAULTS.passwordKey],
      ['spec.channel.capacity', DEFAULTS.capacity],
      ['spec.channel.byteCapacity', DEFAULTS.byteCapacity],
      ['spec.multiline.maxLines', DEFAULTS.multilineMaxLines],
      ['spec.multiline.maxBytes', DEFAULTS.multilineMaxBytes],
      ['spec.multiline.timeoutMs', DEFAULTS.multilineTimeoutMs],
      ['spec.enrichment.headerPrefix', DEFAULTS.headerPrefix],
    ];
    for (const [path, value] of expected) assert.equal(at(path).default, value, path);
  });

  it('spec.sidecar.httpPort: the range spec.ts checks; its description names the agent\'s default port and the container port name', () => {
    const schema = at('spec.sidecar.httpPort') as Schema & { minimum?: number; maximum?: number };
    assert.deepEqual([schema.minimum, schema.maximum], [SIDECAR_HTTP_PORT_RANGE.min, SIDECAR_HTTP_PORT_RANGE.max]);
    assert.match(schema.description ?? '', new RegExp(`default ${String(DEFAULT_HTTP_PORT)}\\.`));
    assert.match(schema.description ?? '', new RegExp(`container port named ${HTTP_PORT_NAME}`));
  });

  it('the Ready condition\'s documented reasons are the reconciler\'s', () => {
    const text = at('status.conditions').description ?? '';
    for (const reason of Object.values(REASONS)) assert.match(text, new RegExp(`\\b${reason}\\b`), reason);
  });

  it('the status schema has every field of LogShipperStatus', () => {
    for (const field of ['observedGeneration', 'configHash', 'configMapName', 'injectedPods', 'currentPods', 'stalePods', 'uninjectedPods', 'conditions']) at(`status.${field}`);
  });
});
