// What `logshipper crds apply` reports as changed between two CRDs, and its arguments.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crdChanges, schemaFields, unchanged } from '../../../operator/crd-changes.ts';
import { parseCrdsArgs } from '../../../operator/crds-command.ts';
import { crdObject } from '../../../operator/schema/crd.ts';
import { VERSION } from '../../../operator/crd-types.ts';

interface Version {
  name: string;
  served: boolean;
  additionalPrinterColumns: { name: string; description?: string }[];
  schema: { openAPIV3Schema: { properties: Record<string, { properties: Record<string, Record<string, unknown>> }> } };
}

/** A deep copy of the generated CRD, changed by `edit`. */
function edited(edit: (crd: { spec: { scope: string; versions: Version[] } }) => void): unknown {
  const crd = structuredClone(crdObject()) as { spec: { scope: string; versions: Version[] } };
  edit(crd);
  return crd;
}

function version(crd: { spec: { versions: Version[] } }): Version {
  const [first] = crd.spec.versions;
  assert.ok(first);
  return first;
}

const none = { fieldsAdded: [], fieldsRemoved: [], fieldsChanged: [], columnsAdded: [], columnsRemoved: [], columnsChanged: [], other: [] };

describe('crdChanges', () => {
  it('the same CRD: nothing changed, whatever the key order', () => {
    const reordered = JSON.parse(JSON.stringify(crdObject(), (_key, value: unknown) =>
      typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse()) : value)) as unknown;
    assert.deepEqual(crdChanges(crdObject(), reordered), none);
    assert.equal(unchanged(crdChanges(crdObject(), crdObject())), true);
  });

  it('a new CRD: every field and column added', () => {
    const changes = crdChanges(undefined, crdObject());
    assert.equal(changes.fieldsAdded.length, schemaFields(version(crdObject() as { spec: { versions: Version[] } }).schema.openAPIV3Schema).size);
    assert.ok(changes.fieldsAdded.includes(`${VERSION}:spec.kafka.topic`));
    assert.ok(changes.columnsAdded.includes(`${VERSION}:Ready`));
    assert.ok(changes.other.includes('group') && changes.other.includes(`versions[${VERSION}] added`));
    assert.equal(unchanged(changes), false);
  });

  it('fields added, removed and changed by path (array items [], map values {}); their descendants listed too', () => {
    const before = edited((crd) => {
      const spec = version(crd).schema.openAPIV3Schema.properties['spec'];
      assert.ok(spec);
      delete spec.properties['enrichment'];
    });
    const after = edited((crd) => {
      const spec = version(crd).schema.openAPIV3Schema.properties['spec'];
      assert.ok(spec);
      delete spec.properties['volume'];
      spec.properties['kafka'] = { ...spec.properties['kafka'], description: 'changed' };
    });
    const changes = crdChanges(before, after);
    assert.ok(changes.fieldsAdded.includes(`${VERSION}:spec.enrichment`));
    assert.ok(changes.fieldsAdded.every((path) => path.startsWith(`${VERSION}:spec.enrichment`)), changes.fieldsAdded.join(', '));
    assert.ok(changes.fieldsAdded.some((path) => path.includes('[]') || path.includes('{}')), 'the nested paths of items and maps');
    assert.deepEqual(changes.fieldsRemoved, [`${VERSION}:spec.volume`]);
    assert.deepEqual(changes.fieldsChanged, [`${VERSION}:spec.kafka`], 'only the node whose own keywords differ, not its children');
    assert.deepEqual([changes.columnsAdded, changes.columnsRemoved, changes.other], [[], [], []]);
  });

  it('printer columns added, removed and changed by name; other spec keys and version keys', () => {
    const after = edited((crd) => {
      crd.spec.scope = 'Cluster';
      const v = version(crd);
      v.served = false;
      v.additionalPrinterColumns = v.additionalPrinterColumns.filter((c) => c.name !== 'Topic').map((c) => (c.name === 'Ready' ? { ...c, description: 'new' } : c));
      v.additionalPrinterColumns.push({ name: 'Lagging' });
    });
    const changes = crdChanges(crdObject(), after);
    assert.deepEqual(changes, {
      ...none, columnsAdded: [`${VERSION}:Lagging`], columnsRemoved: [`${VERSION}:Topic`], columnsChanged: [`${VERSION}:Ready`], other: ['scope', `versions[${VERSION}].served`],
    });
  });
});

describe('parseCrdsArgs', () => {
  it('apply with its defaults and options; help', () => {
    assert.deepEqual(parseCrdsArgs(['apply']), { dryRun: false, timeoutMs: 60_000, logLevel: undefined });
    assert.deepEqual(parseCrdsArgs(['apply', '--dry-run', '--timeout', '90s', '--log-level=debug']), { dryRun: true, timeoutMs: 90_000, logLevel: 'debug' });
    assert.deepEqual(parseCrdsArgs(['apply', '--timeout=2m']), { dryRun: false, timeoutMs: 120_000, logLevel: undefined });
    assert.equal(parseCrdsArgs(['--help']), 'help');
    assert.equal(parseCrdsArgs(['apply', '-h']), 'help');
  });

  it('usage errors name the argument and what is allowed', () => {
    assert.throws(() => parseCrdsArgs([]), /a subcommand is required: apply/);
    assert.throws(() => parseCrdsArgs(['delete']), /unknown subcommand "delete": apply is allowed/);
    assert.throws(() => parseCrdsArgs(['apply', '--force']), /unknown option "--force"/);
    assert.throws(() => parseCrdsArgs(['apply', '--timeout']), /--timeout needs a value/);
    assert.throws(() => parseCrdsArgs(['apply', '--timeout', '60']), /--timeout: invalid value "60": a duration such as 500ms, 15s or 5m is allowed/);
  });
});
