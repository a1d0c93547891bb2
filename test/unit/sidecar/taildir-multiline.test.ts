// Multiline events: a Java stack trace is one event, in either mode; limits and the checkpoint start.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MultilineJoiner, type MultilineConfig } from '../../../sidecar/sources/taildir/multiline.ts';

const TRACE = [
  '2026-11-24 10:00:00 ERROR request failed',
  'java.lang.IllegalStateException: boom',
  '\tat com.example.Service.handle(Service.java:42)',
  '\tat com.example.Server.run(Server.java:7)',
  'Caused by: java.io.IOException: disk',
  '\t... 2 more',
  '2026-11-24 10:00:01 INFO next request',
];

function join(config: Partial<MultilineConfig> & Pick<MultilineConfig, 'mode' | 'pattern'>, lines: string[], flush = true): { body: string; start: number; end: number }[] {
  const joiner = new MultilineJoiner({ maxLines: 500, maxBytes: 1 << 20, flushTimeoutMs: 1000, ...config });
  const out: { body: string; start: number; end: number }[] = [];
  const on = (body: Buffer, start: number, end: number): void => {
    out.push({ body: body.toString(), start, end });
  };
  let offset = 0;
  for (const line of lines) {
    const end = offset + Buffer.byteLength(line) + 1;
    joiner.push(Buffer.from(line), offset, end, 0, on);
    offset = end;
  }
  if (flush) joiner.flush(on);
  return out;
}

describe('TAILDIR multiline', () => {
  it('start mode: a line matching the start pattern begins an event; a Java stack trace is one event', () => {
    const events = join({ mode: 'start', pattern: /^\d{4}-\d{2}-\d{2} / }, TRACE);
    assert.equal(events.length, 2);
    const [first, second] = events;
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(first.body, TRACE.slice(0, 6).join('\n'));
    assert.equal(second.body, TRACE[6]);
    assert.equal(first.start, 0);
    assert.equal(second.start, first.end, 'events tile the file');
  });

  it('continuation mode: lines matching the continuation pattern join the previous line', () => {
    const events = join({ mode: 'continuation', pattern: /^(\s+at |\s+\.\.\. \d+ more|Caused by:)/ }, TRACE);
    assert.deepEqual(events.map((e) => e.body.split('\n').length), [1, 5, 1], 'the header line, the exception with its frames and cause, the next line');
  });

  it('holds the last event until the next start line or the flush, with the checkpoint at its start', () => {
    const joiner = new MultilineJoiner({ mode: 'start', pattern: /^S/, maxLines: 10, maxBytes: 1000, flushTimeoutMs: 250 });
    const out: string[] = [];
    joiner.push(Buffer.from('S1'), 0, 3, 1000, (b) => out.push(b.toString()));
    joiner.push(Buffer.from(' c'), 3, 6, 1100, (b) => out.push(b.toString()));
    assert.equal(out.length, 0, 'held until the next start line or the flush');
    assert.equal(joiner.pendingStart, 0);
    assert.equal(joiner.deadline, 1350, 'flushTimeout after the last line');
    joiner.flush((b) => out.push(b.toString()));
    assert.deepEqual(out, ['S1\n c']);
    assert.equal(joiner.holding, false);
  });

  it('closes an event at maxLines and at maxBytes, and counts it', () => {
    const lines = ['S', ...Array.from({ length: 7 }, (_, i) => ` c${i}`)];
    const byLines = new MultilineJoiner({ mode: 'start', pattern: /^S/, maxLines: 3, maxBytes: 1000, flushTimeoutMs: 1 });
    const out: string[] = [];
    lines.forEach((line, i) => {
      byLines.push(Buffer.from(line), i, i + 1, 0, (b) => out.push(b.toString()));
    });
    byLines.flush((b) => out.push(b.toString()));
    assert.deepEqual(out.map((b) => b.split('\n').length), [3, 3, 2]);
    assert.equal(byLines.cut, 2);
    const byBytes = join({ mode: 'start', pattern: /^S/, maxBytes: 70 }, ['S' + 'a'.repeat(40), ' ' + 'b'.repeat(40), ' c']);
    assert.deepEqual(byBytes.map((e) => e.body.length), [41, 44]);
  });
});
