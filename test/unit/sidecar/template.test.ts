// `%{header}` templates: compiled once, rendered per event; property-tested against a model.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileTemplate, isStatic, renderTemplate, TemplateError } from '../../../sidecar/template.ts';

type Piece = { literal: string } | { header: string };

const headerName = fc.stringMatching(/^[A-Za-z0-9_.\-/]{1,12}$/);
// Literal text of any characters, '%' included (written '%%').
const literal = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '.', '%', '{', '}', ' ', 'é', '\u0000'), maxLength: 8 });
const pieces = fc.array(fc.oneof(literal.map((text): Piece => ({ literal: text })), headerName.map((name): Piece => ({ header: name }))), { maxLength: 8 });

function write(parts: readonly Piece[]): string {
  return parts.map((part) => ('literal' in part ? part.literal.replaceAll('%', '%%') : `%{${part.header}}`)).join('');
}

/** What rendering must give: literals as they are, each header's value or nothing. */
function model(parts: readonly Piece[], headers: Record<string, string>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = parts.map((part) => {
    if ('literal' in part) return part.literal;
    const value = Object.hasOwn(headers, part.header) ? headers[part.header] : undefined;
    if (value === undefined) missing.push(part.header);
    return value ?? '';
  }).join('');
  return { text, missing };
}

function render(text: string, headers: Record<string, string>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const rendered = renderTemplate(compileTemplate(text), headers, (header) => missing.push(header));
  return { text: rendered, missing };
}

describe('header templates', () => {
  it('render as the model says: literals kept (%% is %), each %{name} its header or empty, missing headers reported in order', () => {
    fc.assert(fc.property(pieces, fc.dictionary(headerName, fc.string({ maxLength: 6 })), (parts, headers) => {
      assert.deepEqual(render(write(parts), headers), model(parts, headers));
    }), { numRuns: 2000 });
  });

  it('a text without % is static and renders to itself, whatever the headers', () => {
    fc.assert(fc.property(fc.string().filter((text) => !text.includes('%')), fc.dictionary(headerName, fc.string()), (text, headers) => {
      const template = compileTemplate(text);
      assert.ok(isStatic(template));
      assert.equal(renderTemplate(template, headers, () => assert.fail('no header is read')), text);
    }));
  });

  it('any text either compiles or is refused with a TemplateError naming the position', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('%', '{', '}', 'a', '/', ' ', '$'), maxLength: 12 }), (text) => {
      try {
        const template = compileTemplate(text);
        assert.equal(template.parts.length, template.headers.length + 1);
      } catch (error) {
        assert.ok(error instanceof TemplateError, String(error));
        assert.match(error.message, /at position \d+/);
      }
    }), { numRuns: 2000 });
  });

  it('lists the headers a template reads, and names Kubernetes label headers', () => {
    const template = compileTemplate('logs-%{k8s.pod.label.app.kubernetes.io/name}-%{env}.%{env}');
    assert.deepEqual(template.headers, ['k8s.pod.label.app.kubernetes.io/name', 'env', 'env']);
    assert.equal(renderTemplate(template, { 'k8s.pod.label.app.kubernetes.io/name': 'shop', env: 'prod' }, () => undefined), 'logs-shop-prod.prod');
  });

  it('reads own headers only: %{constructor} of an event without it is missing, not Object.prototype', () => {
    assert.deepEqual(render('x%{constructor}%{__proto__}', {}), { text: 'x', missing: ['constructor', '__proto__'] });
  });

  for (const [text, message] of [
    ['logs-%{app', /^"%\{" at position 5 is not closed by "\}"$/],
    ['logs-%{}', /^"%\{\}" at position 5 names no header$/],
    ['%{a b}', /^invalid header name "a b" at position 0: letters, digits, '_', '\.', '-', '\/' are allowed$/],
    ['logs-%Y', /^"%" at position 5 does not start a %\{header\}: write %\{name\} for a header's value, %% for a literal %/],
    ['50%', /^"%" at position 2 does not start/],
  ] as const) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => compileTemplate(text), (error: unknown) => error instanceof TemplateError && message.test(error.message));
    });
  }
});
