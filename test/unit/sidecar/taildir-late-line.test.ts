// TAILDIR's partialLineTimeout counts from when the source read the incomplete line, not from the
// start of the turn that read it: a turn that waits long for room in the channel (here: a busy
// file's slow puts before the quiet file's turn comes) must not make the quiet file's line look
// late the moment it is read, and cut it in two when its newline follows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { becomesTrue } from '../../helpers/clock.ts';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { configureTaildirSource, TaildirSource, type BatchProcessor } from '../../../sidecar/sources/taildir.ts';

const PARTIAL_MS = 1000;
/** Per put: the busy file's first turn (maxBatchCount 10 puts) outlasts PARTIAL_MS. */
const PUT_MS = 150;

class SlowCollector implements BatchProcessor {
  readonly emitted: { text: string; at: number }[] = [];

  async put(events: Event[]): Promise<void> {
    await sleep(PUT_MS);
    for (const event of events) this.emitted.push({ text: event.body.toString('utf8'), at: performance.now() });
    settleReceipts(events);
  }
}

describe('TAILDIR partialLineTimeout after a long turn', () => {
  it('an incomplete line read at the end of a long turn waits partialLineTimeout from that read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-taildir-late-'));
    try {
      // Group order is reading order: the busy file first, then the quiet one.
      writeFileSync(join(dir, 'busy.log'), Array.from({ length: 3000 }, (_, i) => `busy ${String(i)}`).join('\n') + '\n');
      writeFileSync(join(dir, 'quiet.log'), 'half of a');
      const config = configureTaildirSource(new Settings('', parseProperties([
        'filegroups = busy quiet', `filegroups.busy = ${dir}/busy\\\\.log`, `filegroups.quiet = ${dir}/quiet\\\\.log`,
        `positionFile = ${dir}/positions.json`, `partialLineTimeout = ${String(PARTIAL_MS)}`,
      ].join('\n')), 'late.properties'));
      const collector = new SlowCollector();
      const source = new TaildirSource(config, collector, pino({ level: 'silent' }));
      await source.start();
      try {
        const quietRead = (): boolean => source.stats.files.some((f) => f.path.endsWith('quiet.log') && f.readOffset === 'half of a'.length);
        assert.ok(await becomesTrue(quietRead, 10_000), 'the quiet file\'s incomplete line is read');
        const readAt = performance.now();
        assert.ok(await becomesTrue(() => collector.emitted.some((e) => e.text === 'half of a'), 10_000), 'the line is emitted once late');
        const after = (collector.emitted.find((e) => e.text === 'half of a')?.at ?? 0) - readAt;
        assert.ok(after >= PARTIAL_MS - 100, `emitted ${String(Math.round(after))} ms after it was read (partialLineTimeout ${String(PARTIAL_MS)} ms)`);
      } finally {
        await source.stop();
        await source.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
