// The schema walk behind resolveSpec: defaults, each kind of error (naming the field, the value
// and what is allowed), and the pairing of every CEL rule with its JS twin.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { array, integer, intOrString, map, object, string, type Node } from '../../../operator/schema/nodes.ts';
import { resolveNode, SpecError } from '../../../operator/schema/resolve.ts';
import { ROOT } from '../../../operator/schema/logshipper.ts';
import { resolveSpec } from '../../../operator/spec.ts';
import { DEFAULTS } from '../../../operator/crd-types.ts';

function error(node: Node, value: unknown): string {
  try {
    resolveNode(node, value, 'x');
  } catch (caught) {
    assert.ok(caught instanceof SpecError, String(caught));
    return caught.message;
  }
  assert.fail(`accepted ${JSON.stringify(value)}`);
}

describe('schema walk: defaults', () => {
  it('a minimal spec resolves to every default, absent optional objects left out', () => {
    assert.deepEqual(resolveSpec({ volume: 'logs', files: [{ path: 'a.log' }], kafka: { brokers: ['k:9092'], topic: 't' } }), {
      volume: 'logs',
      files: [{ path: 'a.log', headers: {} }],
      encoding: DEFAULTS.encoding,
      maxLineBytes: DEFAULTS.maxLineBytes,
      longLines: DEFAULTS.longLines,
      kafka: { brokers: ['k:9092'], topic: 't', acks: DEFAULTS.acks, compression: DEFAULTS.compression, format: DEFAULTS.format, batchSize: DEFAULTS.batchSize, lingerMs: DEFAULTS.lingerMs },
      channel: { capacity: DEFAULTS.capacity, byteCapacity: DEFAULTS.byteCapacity },
      enrichment: { fields: [], labels: [], headerPrefix: DEFAULTS.headerPrefix },
      extraProperties: [],
    });
  });

  it('defaults inside a present optional object; the sidecar is checked, not resolved; unknown fields are dropped', () => {
    const spec = resolveSpec({
      volume: 'logs', files: [{ path: 'a.log' }], kafka: { brokers: ['k:9092'], topic: 't', tls: { ca: { secretName: 'ca' } }, password: 'x' },
      sidecar: { httpPort: 2000 }, unknown: 1,
    });
    assert.deepEqual(spec.kafka.tls, { ca: { secretName: 'ca', key: DEFAULTS.caKey }, verifyHostname: DEFAULTS.verifyHostname });
    assert.ok(!('password' in spec.kafka) && !('sidecar' in spec) && !('unknown' in spec));
  });

  it('a default object is itself resolved', () => {
    const node = object({ a: integer({ default: 3 }) }, { default: {} });
    assert.deepEqual(resolveNode(object({ o: node }), {}, 'x'), { o: { a: 3 } });
  });
});

describe('schema walk: errors name the field, the bad value and what is allowed', () => {
  const cases: [string, Node, unknown, string][] = [
    ['wrong type', string(), 3, 'x: invalid value 3: a string is allowed'],
    ['enum', string({ enum: ['A', 'B'] }), 'C', 'x: invalid value "C": one of A, B is allowed'],
    ['pattern, with the node\'s words', string({ pattern: '^[a-z]+$', allowed: 'a lower-case word' }), 'A', 'x: invalid value "A": a lower-case word is allowed'],
    ['pattern, said from the schema', string({ pattern: '^[a-z]+$' }), 'A', 'x: invalid value "A": a string matching ^[a-z]+$ is allowed'],
    ['minLength', string({ minLength: 1 }), '', 'x: invalid value "": a string is allowed'],
    ['maxLength counts characters', string({ maxLength: 2 }), 'abc', 'x: invalid value "abc": at most 2 characters are allowed'],
    ['integer range', integer({ minimum: 1, maximum: 9 }), 10, 'x: invalid value 10: an integer 1..9 is allowed'],
    ['integer, not a fraction', integer({ minimum: 1 }), 1.5, 'x: invalid value 1.5: an integer >= 1 is allowed'],
    ['list size', array(string(), { minItems: 1, maxItems: 2 }), [], 'x: invalid value []: a list of 1..2 items is allowed'],
    ['list item', array(string()), ['a', 1], 'x[1]: invalid value 1: a string is allowed'],
    ['set duplicate', array(string(), { listType: 'set' }), ['a', 'a'], 'x: duplicate value "a": each may be listed once'],
    ['map list duplicate key', array(object({ k: string() }), { listType: 'map', listMapKeys: ['k'] }), [{ k: 'a' }, { k: 'a' }], 'x[1].k: duplicate value "a": each k may be listed once'],
    ['required field', object({ a: string({ required: true, allowed: 'a name' }) }), {}, 'x.a: is required (a name)'],
    ['required object, its required fields named', object({ o: object({ a: string({ required: true }), b: string({ required: true }) }, { required: true }) }), {}, 'x.o: is required (a and b)'],
    ['not an object', object({}), [], 'x: invalid value []: an object is allowed'],
    ['map entry', map(string({ maxLength: 1 })), { k: 'long' }, 'x["k"]: invalid value "long": at most 1 characters are allowed'],
    ['map size', map(string(), { maxProperties: 1 }), { a: '', b: '' }, 'x: invalid value {"a":"","b":""}: a map of at most 1 names to values is allowed'],
    ['int or string', intOrString({ pattern: '^[0-9]+m$', allowed: 'a quantity' }), 'lots', 'x: invalid value "lots": a quantity is allowed'],
    ['a check names the field its CEL rule names', object({ a: integer(), b: integer() }, {
      checks: [{ cel: { rule: 'self.a <= self.b', message: 'a must be at most b', fieldPath: '.a' }, test: (self: { a: number; b: number }) => (self.a <= self.b ? undefined : 'must be at most b') }],
    }), { a: 2, b: 1 }, 'x.a: must be at most b'],
    ['a check may name a field under it', map(string(), {
      checks: [{ test: (self: Record<string, string>) => (Object.keys(self).includes('bad') ? { field: '["bad"]', problem: 'invalid name "bad"' } : undefined) }],
    }), { bad: '' }, 'x["bad"]: invalid name "bad"'],
  ];
  for (const [name, node, value, message] of cases) {
    it(name, () => {
      assert.equal(error(node, value), message);
    });
  }

  it('an absent spec', () => {
    assert.throws(() => resolveSpec(undefined), /^SpecError: spec: is required \(volume and files and kafka\)$/);
  });
});

describe('the LogShipper schema', () => {
  it('the CEL rules are the pinned nineteen (each has its JS twin beside it: Check.test is not optional)', () => {
    const rules: string[] = [];
    const walk = (node: Node, path: string): void => {
      for (const check of node.checks ?? []) if (check.cel !== undefined) rules.push(`${path}: ${check.cel.rule}`);
      if (node.type === 'object') {
        for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`);
        if (node.additionalProperties !== undefined) walk(node.additionalProperties, `${path}{}`);
      }
      if (node.type === 'array') walk(node.items, `${path}[]`);
    };
    walk(ROOT, '');
    // Every check has a test by its type; this pins the list so a new rule gets a case in
    // test/integration/operator/validation.test.ts (the apiserver runs the CEL side).
    assert.equal(rules.length, 19, rules.join('\n'));
  });

  it('the metadata.name rule\'s twin', () => {
    const long = { metadata: { name: 'x'.repeat(64) } };
    assert.equal(error(object({ metadata: object({}, { tsType: 'V1ObjectMeta' }) }, { checks: ROOT.checks ?? [] }), long),
      `x.metadata.name: invalid value "${'x'.repeat(64)}": at most 63 characters are allowed (it is used in labels and the ConfigMap name)`);
  });

  it('the multiline event must fit the channel (a CEL twin reading resolved defaults)', () => {
    assert.throws(() => resolveSpec({ volume: 'logs', files: [{ path: 'a.log' }], kafka: { brokers: ['k:9092'], topic: 't' }, channel: { byteCapacity: 65_536 }, multiline: { mode: 'Start', pattern: '^x' } }),
      /^SpecError: spec\.multiline\.maxBytes: invalid value 1032192: must be at most spec\.channel\.byteCapacity \(65536\)$/);
  });

  it('channel.transactionCapacity between batchSize and capacity (a check with no CEL rule)', () => {
    assert.throws(() => resolveSpec({ volume: 'logs', files: [{ path: 'a.log' }], kafka: { brokers: ['k:9092'], topic: 't' }, extraProperties: [{ name: 'channel.transactionCapacity', value: '10' }] }),
      /^SpecError: spec\.extraProperties\[channel\.transactionCapacity\]: invalid value "10": 500\.\.10000 is allowed/);
  });
});
