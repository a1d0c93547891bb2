// A reload hands a TAILDIR source's files to its replacement (TaildirHandover) while its
// batches are still unacknowledged: what the settings change can and cannot carry over.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { configureTaildirSource, TaildirSource, type BatchProcessor, type TaildirConfig } from '../../../sidecar/sources/taildir.ts';

/** Holds every batch unacknowledged until ack(), as a slow sink does. */
class SlowSink implements BatchProcessor {
  readonly lines: string[] = [];
  private held: Event[][] = [];

  put(events: Event[]): Promise<void> {
    for (const event of events) this.lines.push(event.body.toString('utf8'));
    this.held.push(events);
    return Promise.resolve();
  }

  ack(): void {
    for (const events of this.held.splice(0)) settleReceipts(events);
  }
}

const log = pino({ level: 'silent' });

function config(dir: string, lines: string[]): TaildirConfig {
  return configureTaildirSource(new Settings('', parseProperties([
    `positionFile = ${dir}/positions.json`, 'pollInterval = 20', 'rescanInterval = 100', 'writePosInterval = 20', ...lines,
  ].join('\n')), 'handover.properties'));
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 3000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 200));

function positions(dir: string): { file: string; pos: number }[] {
  return JSON.parse(readFileSync(join(dir, 'positions.json'), 'utf8')) as { file: string; pos: number }[];
}

/** Runs `source`, hands it over to a new source with `next`, and returns the new one, started. */
async function reload(source: TaildirSource, next: TaildirConfig, sink: SlowSink): Promise<TaildirSource> {
  await source.stop();
  const replacement = new TaildirSource(next, sink, log, await source.handOver());
  await replacement.start();
  return replacement;
}

describe('TAILDIR handover on reload', () => {
  it('a removed file group: its file is not read further, its position stays until its lines in the channel are delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-handover-'));
    const app = join(dir, 'app.log');
    const other = join(dir, 'other.log');
    writeFileSync(app, 'app 1\n');
    writeFileSync(other, 'other 1\n');
    const sink = new SlowSink();
    const groups = [`filegroups.g = ${dir}/app\\\\.log`, `filegroups.h = ${dir}/other\\\\.log`];
    let source = new TaildirSource(config(dir, ['filegroups = g h', ...groups]), sink, log);
    await source.start();
    try {
      await until('both files read', () => sink.lines.length === 2);
      source = await reload(source, config(dir, ['filegroups = g', ...groups.slice(0, 1)]), sink);
      appendFileSync(other, 'other 2\n');
      appendFileSync(app, 'app 2\n');
      await until('the kept group read on', () => sink.lines.includes('app 2'));
      await settle();
      assert.deepEqual(sink.lines.sort(), ['app 1', 'app 2', 'other 1'], 'nothing read twice, the removed group not read further');
      assert.equal(positions(dir).find((p) => p.file === other)?.pos, 0, 'kept at its acknowledged offset while its line is in the channel');
      sink.ack();
      await until('the released file dropped from the position file once delivered', () => !positions(dir).some((p) => p.file === other));
      await until('the kept file checkpointed', () => positions(dir).find((p) => p.file === app)?.pos === 12);
    } finally {
      await source.stop();
      await source.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('changed reading settings: a held partial line is read again under them, a line emitted by its timeout is not emitted twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-handover-'));
    const app = join(dir, 'app.log');
    writeFileSync(app, 'one\nearly');
    const sink = new SlowSink();
    const group = ['filegroups = g', `filegroups.g = ${dir}/app\\\\.log`];
    let source = new TaildirSource(config(dir, [...group, 'partialLineTimeout = 50']), sink, log);
    await source.start();
    try {
      await until('the partial line emitted by its timeout', () => sink.lines.includes('early'));
      source = await reload(source, config(dir, [...group, 'partialLineTimeout = 0', 'maxLineLength = 4000']), sink);
      // Its newline comes after the reload: no empty line. Then a partial line held across a second reload.
      appendFileSync(app, '\ntwo\nhel');
      await until('the next line', () => sink.lines.includes('two'));
      await settle();
      source = await reload(source, config(dir, [...group, 'partialLineTimeout = 0', 'maxLineLength = 3000', 'headers.g.gen = 2']), sink);
      appendFileSync(app, 'd line\n');
      await until('the held line completed', () => sink.lines.includes('held line'));
      await settle();
      assert.deepEqual(sink.lines, ['one', 'early', 'two', 'held line']);
      sink.ack();
      await until('checkpointed to the end', () => positions(dir)[0]?.pos === readFileSync(app).length);
    } finally {
      await source.stop();
      await source.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
