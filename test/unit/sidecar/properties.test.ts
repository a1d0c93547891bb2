// The agent reads Flume configs with java.util.Properties semantics; each case is what Java's load() gives.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties, substituteEnv } from '../../../sidecar/config/properties.ts';
import { ConfigError } from '../../../sidecar/config/errors.ts';

function parse(text: string): Record<string, string> {
  return Object.fromEntries([...parseProperties(text)].map(([key, property]) => [key, property.value]));
}

describe('properties parser (java.util.Properties semantics)', () => {
  const cases: [string, string, Record<string, string>][] = [
    ['= separator', 'a=b', { a: 'b' }],
    [': separator', 'a:b', { a: 'b' }],
    ['whitespace separator', 'a b', { a: 'b' }],
    ['tab separator', 'a\tb', { a: 'b' }],
    ['whitespace around the separator', '  a   =   b', { a: 'b' }],
    ['trailing whitespace of the value is kept', 'a = b  ', { a: 'b  ' }],
    ['key without value', 'a', { a: '' }],
    ['key with separator but no value', 'a=', { a: '' }],
    ['only the first separator counts', 'a==b', { a: '=b' }],
    ['whitespace then = is one separator', 'a = :b', { a: ':b' }],
    ['# and ! comments', '# x=1\n! y=2\n   # z=3\na=b', { a: 'b' }],
    ['# inside a value is not a comment', 'a=b # c', { a: 'b # c' }],
    ['blank lines', '\n\n  \na=b\n\n', { a: 'b' }],
    ['continuation, leading whitespace of the next line dropped', 'a = one \\\n     two', { a: 'one two' }],
    ['continuation over several lines', 'a = x\\\n y\\\n z', { a: 'xyz' }],
    ['even backslashes do not continue', 'a = x\\\\\nb = y', { a: 'x\\', b: 'y' }],
    ['escapes', 'a = t\\tn\\nr\\rf\\f', { a: 't\tn\nr\rf\f' }],
    ['unicode escape', 'a = \\u00e9\\u4e2d', { a: 'é中' }],
    ['unknown escape drops the backslash', 'a = \\q\\z', { a: 'qz' }],
    ['escaped separators in the key', 'a\\=b\\:c\\ d = v', { 'a=b:c d': 'v' }],
    ['last duplicate wins', 'a=1\na=2', { a: '2' }],
    ['CRLF line ends', 'a=1\r\nb=2\r\n', { a: '1', b: '2' }],
    ['dots in keys are plain characters', 'producer.sinks.r.type = logger', { 'producer.sinks.r.type': 'logger' }],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      assert.deepEqual(parse(text), expected);
    });
  }

  it('keeps the line number where each key starts', () => {
    const parsed = parseProperties('# header\n\na = 1\nb = x\\\n  y\nc = 3\n');
    assert.equal(parsed.get('a')?.line, 3);
    assert.equal(parsed.get('b')?.line, 4);
    assert.equal(parsed.get('c')?.line, 6);
  });
});

describe('${ENV} substitution', () => {
  const file = 'agent.properties';
  it('replaces references with environment variables', () => {
    const parsed = substituteEnv(parseProperties('a = ${USER_NAME}:${PASS}@x\nb = $notAReference {X}'), { USER_NAME: 'u', PASS: 'p' }, file);
    assert.equal(parsed.get('a')?.value, 'u:p@x');
    assert.equal(parsed.get('b')?.value, '$notAReference {X}');
  });

  it('reads $${NAME} as a literal ${NAME}', () => {
    const parsed = substituteEnv(parseProperties('a = $${HOME} and ${X}'), { HOME: '/root', X: 'x' }, file);
    assert.equal(parsed.get('a')?.value, '${HOME} and x');
  });

  it('fails on an unset variable, naming the key, the line and the variable', () => {
    assert.throws(() => substituteEnv(parseProperties('\nsecret = ${KAFKA_PASSWORD}'), {}, file), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^agent\.properties:2: secret: .*\$\{KAFKA_PASSWORD\}.*not set/);
      return true;
    });
  });
});
