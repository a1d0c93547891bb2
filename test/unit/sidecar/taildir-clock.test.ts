// TAILDIR's deadlines under a stepped wall clock: an incomplete last line is emitted
// partialLineTimeout after the file last grew, by the monotonic clock, whether Date.now jumps an
// hour back (it would wait an hour: tailing looks stalled) or forward (it would be cut at once).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { becomesTrue, HOUR_MS, stepWallClock } from '../../helpers/clock.ts';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { configureTaildirSource, TaildirSource, type BatchProcessor } from '../../../sidecar/sources/taildir.ts';

const PARTIAL_MS = 300;

class Collector implements BatchProcessor {
  readonly lines: { text: string; at: number }[] = [];

  put(events: Event[]): Promise<void> {
    for (const event of events) this.lines.push({ text: event.body.toString('utf8'), at: performance.now() });
    settleReceipts(events);
    return Promise.resolve();
  }
}

describe('TAILDIR with a stepped wall clock', () => {
  for (const [label, offset] of [['back', -HOUR_MS], ['forward', HOUR_MS]] as const) {
    it(`emits a partial line partialLineTimeout after the last growth when the wall clock jumps ${label} an hour`, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'logshipper-taildir-clock-'));
      const file = join(dir, 'app.log');
      writeFileSync(file, 'complete\n');
      const config = configureTaildirSource(new Settings('', parseProperties([
        'filegroups = g', `filegroups.g = ${dir}/app\\\\.log`, `positionFile = ${dir}/positions.json`,
        `partialLineTimeout = ${PARTIAL_MS}`, 'pollInterval = 20', 'rescanInterval = 1000',
      ].join('\n')), 'clock.properties'));
      const collector = new Collector();
      const source = new TaildirSource(config, collector, pino({ level: 'silent' }));
      await source.start();
      try {
        assert.ok(await becomesTrue(() => collector.lines.length === 1, 3000), 'the complete line is read');
        const grewAt = performance.now();
        appendFileSync(file, 'partial');
        // Read (the file's growth noted) before the step, which then falls inside the wait.
        assert.ok(await becomesTrue(() => source.stats.files[0]?.readOffset === 'complete\npartial'.length, 3000), 'the partial line is read');
        stepWallClock(t, offset);
        assert.ok(await becomesTrue(() => collector.lines.length === 2, 3000), 'the partial line is emitted');
        const after = (collector.lines[1]?.at ?? 0) - grewAt;
        assert.equal(collector.lines[1]?.text, 'partial');
        assert.ok(after >= PARTIAL_MS - 30, `not before partialLineTimeout (after ${Math.round(after)} ms)`);
      } finally {
        await source.stop();
        await source.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
