// TAILDIR's drain (the agent stops for good): every open file is read to its end, the incomplete
// last line and the pending multiline event are emitted, all is put; at the deadline it gives up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { Deadline } from '../../../sidecar/deadline.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { createLogger } from '../../../sidecar/log.ts';
import { configureTaildirSource, TaildirSource, type BatchProcessor } from '../../../sidecar/sources/taildir.ts';

const log = createLogger('silent');

/** Delivers each batch at once, or (blocked) never takes it: a full channel with Kafka down. */
class Processor implements BatchProcessor {
  readonly delivered: string[] = [];
  blocked = false;
  put(events: Event[], signal?: AbortSignal): Promise<void> {
    if (this.blocked) {
      return new Promise((_, reject) => {
        signal?.addEventListener('abort', () => {
          reject(new Error('given up'));
        });
      });
    }
    for (const event of events) this.delivered.push(event.body.toString('utf8'));
    settleReceipts(events);
    return Promise.resolve();
  }
}

function source(dir: string, processor: Processor): TaildirSource {
  const text = [
    'filegroups = g', String.raw`filegroups.g = ${dir}/.*\\.log`, `positionFile = ${dir}/positions.json`,
    String.raw`multiline.startPattern = ^\\d`, 'partialLineTimeout = 60000', 'multiline.flushTimeout = 60000',
  ].join('\n');
  return new TaildirSource(configureTaildirSource(new Settings('', parseProperties(text), 'drain.properties')), processor, log);
}

async function drainWithin(tailer: TaildirSource, ms: number): Promise<number> {
  const deadline = Deadline.after(ms);
  const started = Date.now();
  await tailer.drain(deadline);
  await tailer.stop();
  deadline.dispose();
  return Date.now() - started;
}

describe('TAILDIR drain', () => {
  it('reads every file to its end, emits the pending multiline event and the unterminated last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-drain-'));
    const processor = new Processor();
    const tailer = source(dir, processor);
    writeFileSync(join(dir, 'a.log'), '');
    await tailer.start();
    const lines = Array.from({ length: 50_000 }, (_, i) => `${i} line`);
    appendFileSync(join(dir, 'a.log'), lines.join('\n') + '\n1 trace\n\tat x\n\tat y\n2 last');
    writeFileSync(join(dir, 'b.log'), '3 other file, no newline');
    await drainWithin(tailer, 10_000);
    await tailer.close();
    assert.deepEqual(processor.delivered.slice(0, lines.length), lines);
    assert.deepEqual(processor.delivered.slice(lines.length), ['1 trace\n\tat x\n\tat y', '2 last'],
      'the trace as one event and the last line; b.log was created after the drain began: not discovered');
    const files = tailer.report().files;
    const a = files.find((f) => f.path.endsWith('a.log'));
    assert.equal(a?.committedOffset, statSync(join(dir, 'a.log')).size, 'the checkpoint is at the end of the file');
  });

  it('gives up at the deadline while the channel takes nothing, and reports the file as not delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-drain-'));
    const processor = new Processor();
    processor.blocked = true;
    const tailer = source(dir, processor);
    writeFileSync(join(dir, 'a.log'), Array.from({ length: 1000 }, (_, i) => `${i} line`).join('\n') + '\n');
    await tailer.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const took = await drainWithin(tailer, 300);
    await tailer.close();
    assert.ok(took >= 250 && took < 3000, `gave up at the deadline (${took} ms)`);
    const a = tailer.report().files.find((f) => f.path.endsWith('a.log'));
    assert.ok(a !== undefined);
    assert.equal(a.committedOffset, 0);
    assert.ok(a.size > 0, 'its bytes are reported as not delivered');
  });
});
