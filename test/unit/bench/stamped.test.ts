import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseStamped, stampedLine } from '../../../bench/lib/stamped.ts';

describe('stamped lines', () => {
  it('are exactly the given size, newline included, and parse back', () => {
    for (const bytes of [60, 200, 1000]) {
      const line = stampedLine(123_456, 1_796_169_626_846.125, bytes);
      assert.equal(Buffer.byteLength(line), bytes);
      assert.ok(line.endsWith('\n'));
      assert.deepEqual(parseStamped(Buffer.from(line.slice(0, -1))), { sequence: 123_456, stampMs: 1_796_169_626_846.125 });
    }
  });

  it('parse back from a JSON string too (the Collector\'s raw encoding of a string body)', () => {
    const line = stampedLine(7, 1000.5, 200).slice(0, -1);
    assert.deepEqual(parseStamped(Buffer.from(JSON.stringify(line))), { sequence: 7, stampMs: 1000.5 });
  });

  it('anything else is not a stamped line', () => {
    for (const value of [null, Buffer.from(''), Buffer.from('hello world'), Buffer.from('x 12 y'), Buffer.from('12')]) assert.equal(parseStamped(value), undefined);
  });
});
