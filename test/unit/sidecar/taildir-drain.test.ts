// TAILDIR's drain (the agent stops for good): every open file is read to its end, the incomplete
// last line and the pending multiline event are emitted, all is put; at the deadline it gives up.
// With a quiet period, what the files gain while the app shuts down (a container-mode sidecar gets
// SIGTERM at the same time as the app) is read too, until no file has grown for that long.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { Deadline } from '../../../sidecar/deadline.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { createLogger } from '../../../sidecar/log.ts';
import { configureTaildirSource, TaildirSource, type BatchProcessor } from '../../../sidecar/sources/taildir.ts';
import { nextQuietLook, QUIET_LOOK_MS } from '../../../sidecar/sources/taildir/quiet-period.ts';

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

function source(dir: string, processor: Processor, extra: string[] = []): TaildirSource {
  const text = [
    'filegroups = g', String.raw`filegroups.g = ${dir}/.*\\.log`, `positionFile = ${dir}/positions.json`,
    String.raw`multiline.startPattern = ^\\d`, 'partialLineTimeout = 60000', 'multiline.flushTimeout = 60000', ...extra,
  ].join('\n');
  return new TaildirSource(configureTaildirSource(new Settings('', parseProperties(text), 'drain.properties')), processor, log);
}

async function drainWithin(tailer: TaildirSource, ms: number, quietMs = 0): Promise<number> {
  const deadline = Deadline.after(ms);
  const started = Date.now();
  await tailer.drain(deadline, { quietMs });
  await tailer.stop();
  deadline.dispose();
  return Date.now() - started;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An app's shutdown: appends each piece after `everyMs`, while the drain runs. */
async function appendSlowly(file: string, pieces: string[], everyMs: number): Promise<void> {
  for (const piece of pieces) {
    await pause(everyMs);
    appendFileSync(file, piece);
  }
}

describe('TAILDIR drain quiet period (nextQuietLook)', () => {
  it('looks again every QUIET_LOOK_MS at most, and ends quietMs after the last growth', () => {
    assert.equal(nextQuietLook(2000, 0, 0), QUIET_LOOK_MS);
    assert.equal(nextQuietLook(2000, 0, 1950), 50, 'the last wait ends exactly at the quiet period');
    assert.equal(nextQuietLook(2000, 0, 2000), undefined);
    assert.equal(nextQuietLook(2000, 1500, 2000), QUIET_LOOK_MS, 'a growth seen at 1500 starts the period again');
    assert.equal(nextQuietLook(2000, 1500, 3499), 1);
    assert.equal(nextQuietLook(2000, 1500, 3500), undefined);
    assert.equal(nextQuietLook(30, 0, 0), 30, 'a period shorter than a look');
    assert.equal(nextQuietLook(0, 0, 0), undefined, '0: no waiting');
  });
});

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

  it('with a quiet period: the lines the app writes after the drain began are read, the last one whole', async () => {
    const results: { quietMs: number; expected: number; delivered: number; tookMs: number; whole: boolean }[] = [];
    for (const quietMs of [300, 0]) {
      const dir = mkdtempSync(join(tmpdir(), 'logshipper-drain-'));
      const file = join(dir, 'a.log');
      const processor = new Processor();
      const tailer = source(dir, processor);
      const before = Array.from({ length: 1000 }, (_, i) => `${i} before`);
      writeFileSync(file, before.join('\n') + '\n');
      await tailer.start();
      // ~500 ms of shutdown lines, the last written in two halves and never terminated.
      const after = Array.from({ length: 25 }, (_, i) => `${i} shutting down`);
      const writing = appendSlowly(file, [...after.map((line) => `${line}\n`), '99 last line, first half', ', second half'], 20);
      const tookMs = await drainWithin(tailer, 10_000, quietMs);
      await writing;
      await tailer.close();
      const last = '99 last line, first half, second half';
      const expected = [...before, ...after, last];
      results.push({ quietMs, expected: expected.length, delivered: processor.delivered.length, tookMs, whole: processor.delivered.at(-1) === last });
      if (quietMs > 0) {
        assert.deepEqual(processor.delivered, expected);
        assert.ok(tookMs >= 500, `read on until the writer stopped and then quietMs (${tookMs} ms)`);
      }
    }
    console.log(`drain while the app writes for ~500 ms: ${JSON.stringify(results)}`);
    assert.ok((results[1]?.delivered ?? 0) < (results[1]?.expected ?? 0), 'without a quiet period the shutdown lines are lost (the test can fail)');
  });

  it('with a quiet period: an idle (closed) file the app writes to at shutdown is reopened and read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-drain-'));
    const file = join(dir, 'a.log');
    const processor = new Processor();
    // A short flushTimeout: a held multiline event keeps a file from going idle.
    const tailer = source(dir, processor, ['idleTimeout = 100', 'pollInterval = 50', 'multiline.flushTimeout = 50']);
    writeFileSync(file, '1 started\n');
    await tailer.start();
    while (tailer.stats.files[0]?.state !== 'idle') await pause(20);
    const writing = appendSlowly(file, ['2 shutting down\n', '3 bye\n'], 150);
    await drainWithin(tailer, 10_000, 300);
    await writing;
    await tailer.close();
    assert.deepEqual(processor.delivered, ['1 started', '2 shutting down', '3 bye']);
  });

  it('with a quiet period: a file truncated (copytruncate) or replaced meanwhile does not break the drain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-drain-'));
    const truncated = join(dir, 'a.log');
    const replaced = join(dir, 'b.log');
    const processor = new Processor();
    const tailer = source(dir, processor);
    writeFileSync(truncated, '1 a before\n');
    writeFileSync(replaced, '1 b before\n');
    await tailer.start();
    const writing = (async () => {
      await pause(50);
      appendFileSync(truncated, '2 a before the truncation\n');
      appendFileSync(replaced, '2 b before the rename\n');
      await pause(150);
      truncateSync(truncated, 0);
      appendFileSync(truncated, '3 a after the truncation, longer than what was there\n');
      renameSync(replaced, join(dir, 'b.log.1'));
      writeFileSync(replaced, '3 b new file: not discovered by a drain\n');
      await pause(150);
      appendFileSync(truncated, '4 a last\n');
      appendFileSync(join(dir, 'b.log.1'), '4 b last, written to the renamed file\n');
    })();
    const tookMs = await drainWithin(tailer, 10_000, 300);
    await writing;
    await tailer.close();
    assert.deepEqual([...processor.delivered].sort(), [
      '1 a before', '1 b before', '2 a before the truncation', '2 b before the rename',
      '3 a after the truncation, longer than what was there', '4 a last', '4 b last, written to the renamed file',
    ]);
    assert.equal(tailer.stats.totals.truncations, 1);
    assert.ok(tookMs < 3000, `ended once quiet (${tookMs} ms)`);
  });

  it('with a quiet period: a file that never goes quiet is read until the deadline, no longer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-drain-'));
    const file = join(dir, 'a.log');
    const processor = new Processor();
    const tailer = source(dir, processor);
    writeFileSync(file, '');
    await tailer.start();
    const writing = new AbortController();
    const writer = (async () => {
      for (let i = 0; !writing.signal.aborted; i++) {
        appendFileSync(file, `${i} still busy\n`);
        await pause(30);
      }
    })();
    const tookMs = await drainWithin(tailer, 700, 500);
    const deliveredAtTheDeadline = processor.delivered.length;
    writing.abort();
    await writer;
    await tailer.close();
    assert.ok(tookMs >= 650 && tookMs < 2000, `ended at the deadline (${tookMs} ms)`);
    assert.ok(deliveredAtTheDeadline >= 10, `read on while the file grew (${deliveredAtTheDeadline} lines)`);
  });
});
