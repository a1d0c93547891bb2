// What the TAILDIR source holds while it reads: its batches are bounded by bytes as well as by
// batchSize, and events copied out of read buffers they would pin while using little of them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { createLogger } from '../../../sidecar/log.ts';
import { BATCH_BYTES } from '../../../sidecar/sources/batch-bytes.ts';
import { configureTaildirSource, READ_BYTES, TaildirSource, type BatchProcessor } from '../../../sidecar/sources/taildir.ts';
import { detachFromReadBuffer } from '../../../sidecar/sources/taildir/read-buffer.ts';

const log = createLogger('silent');

/** Records each put's body bytes and acknowledges it at once. */
class RecordingProcessor implements BatchProcessor {
  readonly putBytes: number[] = [];
  readonly bodies: Buffer[] = [];

  put(events: Event[]): Promise<void> {
    let bytes = 0;
    for (const event of events) {
      bytes += event.body.length;
      this.bodies.push(event.body);
    }
    this.putBytes.push(bytes);
    settleReceipts(events);
    return Promise.resolve();
  }
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('TAILDIR source memory', () => {
  it('puts its batch at BATCH_BYTES of bodies, not only at batchSize events (a long line split into pieces)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-taildir-memory-'));
    const maxLineLength = 64 * 1024;
    const longLine = Buffer.alloc(8 * BATCH_BYTES, 'x');
    const short = Array.from({ length: 100 }, (_, i) => `short ${i}`);
    writeFileSync(join(dir, 'app.log'), Buffer.concat([longLine, Buffer.from('\n' + short.join('\n') + '\n')]));
    const config = configureTaildirSource(new Settings('', parseProperties([
      'filegroups = g', `filegroups.g = ${dir}/app\\\\.log`, `positionFile = ${dir}/positions.json`,
      'batchSize = 500', `maxLineLength = ${maxLineLength}`, 'maxLineLengthPolicy = split',
    ].join('\n')), 'memory.properties'));
    const processor = new RecordingProcessor();
    const source = new TaildirSource(config, processor, log);
    await source.start();
    const pieces = longLine.length / maxLineLength;
    try {
      await until('every line', () => processor.bodies.length >= pieces + short.length);
    } finally {
      await source.stop();
      await source.close();
    }
    const bound = BATCH_BYTES + READ_BYTES + maxLineLength;
    const largest = Math.max(...processor.putBytes);
    console.log(`puts: ${processor.putBytes.length}, largest ${largest} bytes (bound ${bound}; the file holds ${longLine.length + 1000} bytes)`);
    assert.ok(largest <= bound, `a put of ${largest} bytes: more than BATCH_BYTES + READ_BYTES + maxLineLength = ${bound}`);
    assert.equal(processor.bodies.length, pieces + short.length);
    assert.ok(processor.bodies.slice(0, pieces).every((body) => body.length === maxLineLength && body.every((byte) => byte === 0x78)), 'the long line in maxLineLength pieces');
    assert.deepEqual(processor.bodies.slice(pieces).map(String), short);
    assert.equal(source.stats.totals.longLines, pieces - 1, 'every cut counted');
  });

  it('copies events out of a read buffer they use little of, and hands over one they fill', () => {
    const buffer = Buffer.alloc(256 * 1024, 'a');
    const few: Event[] = [{ body: Buffer.from('kept'), headers: {} }, { body: buffer.subarray(10, 20), headers: {} }, { body: buffer.subarray(21, 21), headers: {} }, { body: buffer.subarray(22, 30), headers: {} }];
    assert.equal(detachFromReadBuffer(few, 1, buffer), true, 'the buffer may be read into again');
    assert.ok(few.every((event) => event.body.buffer !== buffer.buffer), 'no event pins the read buffer, an empty one neither');
    assert.deepEqual(few.map((event) => event.body.length), [4, 10, 0, 8]);
    assert.ok((few[1]?.body.buffer.byteLength ?? Infinity) <= 20, 'copied into a buffer of their span');
    buffer.fill('b');
    assert.equal(String(few[1]?.body), 'a'.repeat(10), 'the copy does not change when the buffer is read into again');

    const full: Event[] = [];
    for (let at = 0; at + 100 <= buffer.length; at += 101) full.push({ body: buffer.subarray(at, at + 100), headers: {} });
    assert.equal(detachFromReadBuffer(full, 0, buffer), false, 'events using most of it keep it');
    assert.ok(full.every((event) => event.body.buffer === buffer.buffer), 'and were not copied');
  });
});
