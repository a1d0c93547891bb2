// TAILDIR's per-file reading (taildir/file-reader.ts) on its own: lines become events in order,
// put batchSize at a time; a read stops at maxBatchCount batches (the file falls behind, the
// next read goes on); the checkpoint reaches the file's end once every batch is acknowledged.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { LineDecoder } from '../../../sidecar/sources/line-reader.ts';
import { configureTaildirSource, type TaildirTotals } from '../../../sidecar/sources/taildir.ts';
import { FileReader } from '../../../sidecar/sources/taildir/file-reader.ts';
import { TailedFile } from '../../../sidecar/sources/taildir/tailed-file.ts';

/** A FileReader over `dir`/app.log holding `text`, opened; `put` records the batches. */
async function setup(t: TestContext, text: string, properties: string[]): Promise<{ reader: FileReader; file: TailedFile; handle: FileHandle; puts: Event[][]; totals: TaildirTotals }> {
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-file-reader-'));
  t.after(() => { rmSync(dir, { recursive: true, force: true }); });
  const path = join(dir, 'app.log');
  writeFileSync(path, text);
  const config = configureTaildirSource(new Settings('', parseProperties([
    'filegroups = g', `filegroups.g = ${dir}/app\\\\.log`, `positionFile = ${dir}/positions.json`, ...properties,
  ].join('\n')), 'reader.properties'));
  const group = config.groups[0];
  assert.ok(group !== undefined);
  const puts: Event[][] = [];
  const totals: TaildirTotals = {
    lines: 0, bytes: 0, events: 0, longLines: 0, invalidSequences: 0, multilineCut: 0, partialLinesFlushed: 0,
    rotations: 0, truncations: 0, filesOpened: 0, filesReleased: 0,
  };
  const reader = new FileReader({
    config, totals, decoder: new LineDecoder(config.encoding), stopping: new AbortController().signal, now: () => performance.now(),
    processor: { put: (events) => { puts.push(events); return Promise.resolve(); } },
  });
  const handle = await open(path, 'r');
  t.after(() => handle.close().catch(() => undefined));
  const file = new TailedFile({
    key: 'k', dev: '1', ino: '2', group, path, handle, offset: 0, size: text.length, fingerprint: { hash: '', length: 0 }, now: performance.now(),
    reader: { encoding: config.encoding, maxLineBytes: config.maxLineLength, policy: config.maxLineLengthPolicy, counters: totals },
    multiline: config.multiline,
  });
  return { reader, file, handle, puts, totals };
}

describe('TAILDIR file reader', () => {
  it('reads a file in turns of maxBatchCount batches, in order, and commits its end once acknowledged', async (t) => {
    const lines = Array.from({ length: 95 }, (_, i) => `line ${i}`);
    const text = lines.join('\n') + '\n';
    const { reader, file, handle, puts, totals } = await setup(t, text, ['batchSize = 10', 'maxBatchCount = 3']);
    const turns: { any: boolean; behind: boolean; puts: number }[] = [];
    for (let turn = 0; turn < 6 && (turns.length === 0 || turns.at(-1)?.behind === true); turn++) {
      const before = puts.length;
      const result = await reader.read(file, handle);
      assert.equal(result.failed, undefined);
      turns.push({ any: result.any, behind: result.behind, puts: puts.length - before });
    }
    // The whole file is one read (under READ_BYTES): its 95 events are put in one go of 10 batches.
    assert.deepEqual(turns, [{ any: true, behind: true, puts: 10 }, { any: false, behind: false, puts: 0 }]);
    assert.deepEqual(puts.flat().map((e) => e.body.toString('utf8')), lines);
    assert.deepEqual(puts.map((batch) => batch.length), [10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    assert.equal(totals.lines, 95);
    assert.equal(file.tracker.committed, 0);
    for (const batch of puts) settleReceipts(batch);
    assert.equal(file.tracker.committed, text.length);
  });

  it('reports a failed read instead of throwing (the source releases the file)', async (t) => {
    const { reader, file, handle } = await setup(t, 'a\n', []);
    await handle.close();
    const result = await reader.read(file, handle);
    assert.ok(result.failed !== undefined);
    assert.equal(result.any, false);
  });
});
