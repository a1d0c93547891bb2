// The line reader of every source (TAILDIR, exec, netcat): line ends as file offsets (what
// checkpoints are made of), long lines, partial lines flushed by a timeout or at the end of a
// stream, and the encodings (bodies always come out as UTF-8).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineDecoder, LineReader, type Encoding, type LongLinePolicy } from '../../../sidecar/sources/line-reader.ts';
import { cutAt } from '../../helpers/chunks.ts';

interface Line { text: string; start: number; end: number }

function read(chunks: Buffer[], options: { encoding?: Encoding; max?: number; policy?: LongLinePolicy; offset?: number } = {}): { lines: Line[]; reader: LineReader } {
  const encoding = options.encoding ?? 'utf8';
  const reader = new LineReader({ encoding, maxLineBytes: options.max ?? 1 << 20, policy: options.policy ?? 'split', offset: options.offset ?? 0 });
  const lines: Line[] = [];
  let offset = options.offset ?? 0;
  for (const chunk of chunks) {
    reader.push(chunk, offset, (raw, start, end) => lines.push({ text: raw.toString(encoding === 'utf16le' ? 'utf16le' : 'latin1'), start, end }));
    offset += chunk.length;
  }
  return { lines, reader };
}

describe('LineReader', () => {
  it('gives each line with the offsets of its start and of the byte past its newline; \\r\\n ends a line too', () => {
    const { lines, reader } = read([Buffer.from('ab\r\n\ncd\nef')], { offset: 100 });
    assert.deepEqual(lines, [{ text: 'ab', start: 100, end: 104 }, { text: '', start: 104, end: 105 }, { text: 'cd', start: 105, end: 108 }]);
    assert.equal(reader.pendingStart, 108, 'the incomplete "ef" is held: a checkpoint stays at its start');
    assert.equal(reader.holding, true);
  });

  it('property: however the bytes are cut into chunks, the same lines and offsets come out, and the offsets tile the complete lines', () => {
    fc.assert(fc.property(fc.array(fc.stringMatching(/^[a-z é\r]{0,12}$/), { maxLength: 20 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 8 }), (texts, trailing, points) => {
      const bytes = Buffer.from(texts.join('\n') + (trailing ? '\n' : ''), 'utf8');
      const whole = read([bytes]).lines;
      const pieces = read(cutAt(bytes, points)).lines;
      assert.deepEqual(pieces, whole);
      let offset = 0;
      for (const line of whole) {
        assert.equal(line.start, offset);
        offset = line.end;
      }
      let newlines = 0;
      for (const byte of bytes) if (byte === 10) newlines++;
      assert.equal(whole.length, newlines);
    }), { seed: 4, numRuns: 300 });
  });

  it('split policy: a long line becomes pieces of maxLineLength, with offsets inside the line, counted', () => {
    const { lines, reader } = read([Buffer.from('x'.repeat(150)), Buffer.from('y'.repeat(20) + '\nok\n')], { max: 64 });
    assert.deepEqual(lines.map((l) => [l.text.length, l.start, l.end]), [[64, 0, 64], [64, 64, 128], [42, 128, 171], [2, 171, 174]]);
    assert.equal(reader.counters.longLines, 2);
  });

  it('split policy does not cut a UTF-8 character in two', () => {
    const text = 'a' + '€'.repeat(30) + '\n'; // 1 + 90 bytes
    const { lines } = read([Buffer.from(text)], { max: 64 });
    for (const line of lines) assert.ok(Buffer.from(line.text, 'latin1').toString('utf8').indexOf('\uFFFD') === -1, 'no broken character');
    assert.equal(lines.map((l) => Buffer.from(l.text, 'latin1').toString('utf8')).join(''), text.slice(0, -1));
    assert.equal(lines[0]?.end, 64, '1 + 21 whole euro signs = 64 bytes');
  });

  it('truncate policy: the line is cut at maxLineLength, the rest dropped up to its newline, and its checkpoint is past that newline', () => {
    const { lines, reader } = read([Buffer.from('z'.repeat(100)), Buffer.from('z'.repeat(100) + '\nnext\n')], { max: 64, policy: 'truncate' });
    assert.deepEqual(lines.map((l) => [l.text.length, l.start, l.end]), [[64, 0, 201], [4, 201, 206]]);
    assert.equal(reader.counters.longLines, 1);
  });

  it('a partial line flushed by its timeout is emitted once; its bare newline later is not another line', () => {
    const reader = new LineReader({ encoding: 'utf8', maxLineBytes: 1000, policy: 'split', offset: 0 });
    const lines: Line[] = [];
    const on = (raw: Buffer, start: number, end: number): void => {
      lines.push({ text: raw.toString(), start, end });
    };
    reader.push(Buffer.from('abc'), 0, on);
    assert.equal(reader.flushPartial(on), true);
    assert.equal(reader.flushPartial(on), false, 'nothing held any more');
    reader.push(Buffer.from('\nd'), 3, on);
    reader.push(Buffer.from('ef\n'), 5, on);
    assert.deepEqual(lines, [{ text: 'abc', start: 0, end: 3 }, { text: 'def', start: 4, end: 8 }]);
    assert.equal(reader.pendingStart, 8);
  });

  it('as a stream reader (exec, netcat): empty lines are lines, and the unterminated last one comes out at the end', () => {
    const reader = LineReader.forStream(4096);
    const lines: { text: string; end: number }[] = [];
    for (const chunk of [Buffer.from('a\r\nb\n'), Buffer.from('\nc')]) {
      reader.pushNext(chunk, (raw, _start, end) => lines.push({ text: raw.toString('latin1'), end }));
    }
    assert.deepEqual(lines, [{ text: 'a', end: 3 }, { text: 'b', end: 5 }, { text: '', end: 6 }], 'offsets follow on from chunk to chunk');
    const rest: string[] = [];
    assert.equal(reader.flushPartial((raw) => rest.push(raw.toString('latin1'))), true);
    assert.deepEqual(rest, ['c']);
    assert.equal(reader.flushPartial(() => assert.fail('nothing is left')), false);
  });

  it('UTF-16LE: splits on the code unit 0A 00 only, at even offsets', () => {
    // U+0A0A is the bytes 0A 0A: not a newline; '\u0100' is 00 01. The source reads whole code units, so chunks are cut at even offsets.
    const text = '\u0A0Aa\u0100\r\nb\n';
    const { lines } = read(cutAt(Buffer.from(text, 'utf16le'), [4, 8]), { encoding: 'utf16le' });
    assert.deepEqual(lines.map((l) => [l.text, l.end]), [['\u0A0Aa\u0100', 10], ['b', 14]]);
  });
});

describe('LineDecoder', () => {
  it('passes valid UTF-8 through untouched (same buffer) and drops a byte-order mark at offset 0 only', () => {
    const decoder = new LineDecoder('utf8');
    const raw = Buffer.from('héllo');
    assert.equal(decoder.decode(raw, 10), raw);
    assert.equal(decoder.decode(Buffer.from('\uFEFFhi'), 0).toString(), 'hi');
    assert.equal(decoder.decode(Buffer.from('\uFEFFhi'), 5).toString(), '\uFEFFhi');
    assert.equal(decoder.invalid, 0);
  });

  it('replaces invalid UTF-8 with U+FFFD and counts it (a U+FFFD already in the file is not counted)', () => {
    const decoder = new LineDecoder('utf8');
    const body = decoder.decode(Buffer.concat([Buffer.from('a'), Buffer.from([0xff]), Buffer.from('b\uFFFDc'), Buffer.from([0xe2, 0x82])]), 1);
    assert.equal(body.toString('utf8'), 'a\uFFFDb\uFFFDc\uFFFD');
    assert.equal(decoder.invalid, 2);
  });

  it('ISO-8859-1 and UTF-16LE become UTF-8', () => {
    assert.equal(new LineDecoder('latin1').decode(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 1).toString('utf8'), 'café');
    const ascii = Buffer.from('plain');
    assert.equal(new LineDecoder('latin1').decode(ascii, 0), ascii, 'ASCII passes through');
    const utf16 = new LineDecoder('utf16le');
    assert.equal(utf16.decode(Buffer.from('\uFEFFgrüße €', 'utf16le'), 0).toString('utf8'), 'grüße €');
    assert.equal(utf16.decode(Buffer.from([0x00, 0xd8, 0x41, 0x00]), 2).toString('utf8'), '\uFFFDA', 'a lone surrogate is replaced');
    assert.equal(utf16.invalid, 1);
  });
});
