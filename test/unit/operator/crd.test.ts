// What the generated CRD must say that the generator cannot know: `kubectl explain` has a
// description for every field, and the texts that name facts living elsewhere name them right.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crdObject } from '../../../operator/schema/crd.ts';
import { HTTP_PORT_NAME } from '../../../operator/inject.ts';
import { REASONS } from '../../../operator/status.ts';
import { DEFAULT_HTTP_PORT } from '../../../sidecar/http.ts';

interface Schema {
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
}

const crd = crdObject() as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
const version = crd.spec.versions[0];
assert.ok(version);
const root = version.schema.openAPIV3Schema;

function at(path: string): Schema {
  let schema: Schema | undefined = root;
  for (const part of path.split('.')) schema = schema?.properties?.[part];
  assert.ok(schema, `no schema at ${path}`);
  return schema;
}

describe('CRD', () => {
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

  it('spec.sidecar.httpPort\'s description names the agent\'s default port and the container port name', () => {
    const { description = '' } = at('spec.sidecar.httpPort');
    assert.match(description, new RegExp(`default ${String(DEFAULT_HTTP_PORT)}\\.`));
    assert.match(description, new RegExp(`container port named ${HTTP_PORT_NAME}`));
  });

  it('the Ready condition\'s documented reasons are the reconciler\'s', () => {
    const text = at('status.conditions').description ?? '';
    for (const reason of Object.values(REASONS)) assert.match(text, new RegExp(`\\b${reason}\\b`), reason);
  });

  it('kubectl get lship: READY TOPIC PODS STALE AGE, -o wide adds REASON UNINJECTED UNDELIVERING; each column reads a field the schema has', () => {
    const columns = (version as unknown as { additionalPrinterColumns: { name: string; jsonPath: string; priority?: number }[] }).additionalPrinterColumns;
    assert.deepEqual(columns.filter((c) => c.priority === undefined).map((c) => c.name.toUpperCase()), ['READY', 'TOPIC', 'PODS', 'STALE', 'AGE']);
    assert.deepEqual(columns.filter((c) => c.priority === 1).map((c) => c.name.toUpperCase()), ['REASON', 'UNINJECTED', 'UNDELIVERING']);
    for (const { jsonPath } of columns) {
      const path = /^\.((?:spec|status)(?:\.\w+)+)$/.exec(jsonPath)?.[1] ?? /^\.(status\.conditions)\[/.exec(jsonPath)?.[1];
      if (path !== undefined) at(path);
    }
  });
});
