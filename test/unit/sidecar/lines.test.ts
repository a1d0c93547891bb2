import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter } from '../../../sidecar/sources/lines.ts';
import { cutAt } from '../../helpers/chunks.ts';

function split(chunks: Buffer[], maxLineBytes?: number): { lines: string[]; rest: string | undefined; truncated: number } {
  const splitter = new LineSplitter(maxLineBytes);
  const lines: string[] = [];
  for (const chunk of chunks) splitter.push(chunk, (line) => lines.push(line.toString('latin1')));
  return { lines, rest: splitter.flush()?.toString('latin1'), truncated: splitter.truncated };
}

describe('LineSplitter', () => {
  it('splits on \\n and drops a \\r before it', () => {
    assert.deepEqual(split([Buffer.from('a\r\nb\n\nc')]), { lines: ['a', 'b', ''], rest: 'c', truncated: 0 });
  });

  it('joins a line spread over chunks', () => {
    assert.deepEqual(split([Buffer.from('hel'), Buffer.from('lo\nwor'), Buffer.from('ld\n')]).lines, ['hello', 'world']);
  });

  it('cuts long lines at maxLineBytes, discards the rest of the line and counts it', () => {
    assert.deepEqual(split([Buffer.from('abcdefgh\nxy\n123'), Buffer.from('4567\n')], 4), { lines: ['abcd', 'xy', '1234'], rest: undefined, truncated: 2 });
  });

  it('gives the same lines however the stream is chunked (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.stringMatching(/^[a-z\r]{0,12}$/), { maxLength: 20 }),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 10 }),
      (lines, endsWithNewline, cuts) => {
        const text = lines.join('\n') + (endsWithNewline ? '\n' : '');
        const whole = split([Buffer.from(text, 'latin1')]);
        const pieces = split(cutAt(Buffer.from(text, 'latin1'), cuts));
        assert.deepEqual(pieces, whole);
        const expected = text.split('\n');
        const last = expected.pop();
        assert.deepEqual(whole.lines, expected.map((line) => line.replace(/\r$/, '')));
        assert.equal(whole.rest, last === '' ? undefined : last?.replace(/\r$/, ''));
      },
    ));
  });
});
