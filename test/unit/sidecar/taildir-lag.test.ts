// TAILDIR's report (what /metrics shows as logshipper_file_lag_bytes): a file's size is its size
// now, not as last read. With the channel full the source reads nothing; the lag must still grow
// with every line the app writes meanwhile, or an outage looks as small as the channel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { Deadline } from '../../../sidecar/deadline.ts';
import type { Event } from '../../../sidecar/event.ts';
import { createLogger } from '../../../sidecar/log.ts';
import { configureTaildirSource, TaildirSource, type BatchProcessor } from '../../../sidecar/sources/taildir.ts';

/** A channel that is full (Kafka down): takes the first batch's call and never returns from it. */
class FullChannel implements BatchProcessor {
  puts = 0;
  put(_events: Event[], signal?: AbortSignal): Promise<void> {
    this.puts++;
    return new Promise((_, reject) => {
      signal?.addEventListener('abort', () => {
        reject(new Error('given up'));
      });
    });
  }
}

const until = async (what: string, condition: () => boolean): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('TAILDIR file lag', () => {
  it('grows with what the app writes while the source waits on a full channel', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-lag-'));
    t.after(() => { rmSync(dir, { recursive: true, force: true }); });
    const file = join(dir, 'app.log');
    writeFileSync(file, 'line 1\nline 2\n');
    const text = ['filegroups = g', String.raw`filegroups.g = ${dir}/.*\\.log`, `positionFile = ${dir}/positions.json`, 'batchSize = 1'].join('\n');
    const channel = new FullChannel();
    const tailer = new TaildirSource(configureTaildirSource(new Settings('', parseProperties(text), 'lag.properties')), channel, createLogger('silent'));
    await tailer.start();
    const reported = (): { size: number; committedOffset: number } | undefined => tailer.report().files.find((f) => f.path === file);
    try {
      await until('the source blocked on the full channel', () => channel.puts > 0);
      assert.equal(reported()?.committedOffset, 0);
      for (let i = 3; i < 1000; i++) appendFileSync(file, `line ${String(i)}\n`);
      const size = statSync(file).size;
      assert.equal(channel.puts, 1, 'the source read nothing more: it waits for room');
      assert.equal(reported()?.size, size, 'the reported size is the size now');
    } finally {
      const deadline = Deadline.after(100);
      await tailer.drain(deadline, { quietMs: 0 });
      await tailer.stop();
      deadline.dispose();
      await tailer.close();
    }
  });
});
