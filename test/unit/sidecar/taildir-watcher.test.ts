// TAILDIR's directory watcher against a real temporary directory (real fs.watch, inotify): a write
// is one 'change' naming the file and costs no listing and no stat; names coming and going ask for
// a rescan, once per burst; subdirectories come and go under `**`; a base directory created later
// is picked up; a directory symlink leading out of confineTo is not watched; a directory that
// cannot be watched is logged once and the source polls instead.
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs, { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { configureTaildirSource, TaildirSource, type BatchProcessor } from '../../../sidecar/sources/taildir.ts';
import { GroupWatcher, type WatchEvent } from '../../../sidecar/sources/taildir/watcher.ts';
import { until } from '../../helpers/until.ts';

interface Seen {
  event: WatchEvent;
  path: string;
}

function capturingLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  return { log, lines };
}

/** A watcher on these patterns (and confineTo), with what it reported. */
async function watching(patterns: string[], confineTo?: string): Promise<{ watcher: GroupWatcher; seen: Seen[]; lines: Record<string, unknown>[] }> {
  const names = patterns.map((_, index) => `g${index}`);
  const properties = [`filegroups = ${names.join(' ')}`, ...patterns.map((pattern, index) => `filegroups.g${index} = ${pattern}`), 'positionFile = /nonexistent/positions.json'];
  const { groups } = configureTaildirSource(new Settings('a.sources.s.', parseProperties(properties.join('\n')), 'watcher.properties'));
  const seen: Seen[] = [];
  const { log, lines } = capturingLog();
  const watcher = new GroupWatcher(groups, () => false, (event, path) => seen.push({ event, path }), confineTo, log);
  await watcher.ready();
  return { watcher, seen, lines };
}

const settle = (ms = 300): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const changes = (seen: Seen[], path: string): number => seen.filter((item) => item.event === 'change' && item.path === path).length;
const rescans = (seen: Seen[]): number => seen.filter((item) => item.event !== 'change').length;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'logshipper-watcher-'));
}

describe('TAILDIR watcher (fs.watch)', () => {
  it('a write to a watched file is one change naming it, and no rescan', { timeout: 20_000 }, async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    const { watcher, seen } = await watching([`${dir}/.*\\.log`]);
    try {
      appendFileSync(file, 'line 1\n');
      await until('the change', () => changes(seen, file) >= 1);
      await settle();
      assert.equal(changes(seen, file), 1);
      assert.equal(rescans(seen), 0);
    } finally {
      await watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('N writes cost the watcher no readdir and no stat', { timeout: 20_000 }, async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    const { watcher, seen } = await watching([`${dir}/**/*.log`]);
    const calls = { readdir: 0, stat: 0, lstat: 0, realpath: 0 };
    const spies = (['readdir', 'stat', 'lstat', 'realpath'] as const).map((name) => {
      const original = fsp[name] as (...args: unknown[]) => unknown;
      return mock.method(fsp, name, (...args: unknown[]) => {
        calls[name]++;
        return original(...args);
      });
    });
    syncBuiltinESMExports();
    try {
      const writes = 200;
      for (let i = 0; i < writes; i++) {
        appendFileSync(file, `line ${i}\n`);
        if (i % 20 === 0) await settle(5);
      }
      await until('changes', () => changes(seen, file) >= 1);
      await settle();
      assert.ok(changes(seen, file) >= 1);
      assert.deepEqual(calls, { readdir: 0, stat: 0, lstat: 0, realpath: 0 });
      assert.equal(rescans(seen), 0);
      // The spies do count: a new name makes the watcher look (one lstat, no listing).
      writeFileSync(join(dir, 'new.log'), 'x\n');
      await until('the rescan', () => rescans(seen) >= 1);
      assert.ok(calls.lstat >= 1, `lstat calls: ${calls.lstat}`);
      assert.equal(calls.readdir, 0);
    } finally {
      for (const own of spies) own.mock.restore();
      syncBuiltinESMExports();
      await watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('files created, renamed and deleted ask for a rescan, once per burst', { timeout: 20_000 }, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), '');
    const { watcher, seen } = await watching([`${dir}/*.log`]);
    try {
      writeFileSync(join(dir, 'new.log'), 'x\n');
      await until('a rescan for the create', () => rescans(seen) >= 1);
      const afterCreate = rescans(seen);
      renameSync(join(dir, 'app.log'), join(dir, 'app.log.1'));
      await until('a rescan for the rename', () => rescans(seen) > afterCreate);
      const afterRename = rescans(seen);
      unlinkSync(join(dir, 'new.log'));
      await until('a rescan for the delete', () => rescans(seen) > afterRename);
      const before = rescans(seen);
      const burst = 50;
      for (let i = 0; i < burst; i++) writeFileSync(join(dir, `burst-${i}.log`), '');
      await until('a rescan for the burst', () => rescans(seen) > before);
      await settle();
      const forBurst = rescans(seen) - before;
      assert.ok(forBurst <= 3, `${forBurst} rescans for ${burst} new files`);
    } finally {
      await watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('under ** a new subdirectory (and one below it) is watched, a removed one let go; a fixed depth stops there', { timeout: 20_000 }, async () => {
    const dir = tempDir();
    const deep = tempDir();
    const { watcher, seen } = await watching([`${dir}/**/*.log`, `${deep}/*/app.log`]);
    try {
      mkdirSync(join(dir, 'a', 'b'), { recursive: true });
      await until('the new directory', () => rescans(seen) >= 1);
      await settle(100);
      const file = join(dir, 'a', 'b', 'x.log');
      writeFileSync(file, '');
      await until('the new file', () => rescans(seen) >= 2);
      appendFileSync(file, 'line\n');
      await until('a change in the new subdirectory', () => changes(seen, file) >= 1);
      rmSync(join(dir, 'a'), { recursive: true });
      const before = rescans(seen);
      await until('the removal', () => rescans(seen) > before);
      mkdirSync(join(dir, 'a', 'b'), { recursive: true });
      writeFileSync(file, '');
      await settle(200);
      appendFileSync(file, 'again\n');
      await until('a change in the re-created subdirectory', () => changes(seen, file) >= 2);
      // `${deep}/*/app.log`: one level watched, not two.
      mkdirSync(join(deep, 'pod', 'nested'), { recursive: true });
      await settle(200);
      writeFileSync(join(deep, 'pod', 'app.log'), '');
      writeFileSync(join(deep, 'pod', 'nested', 'app.log'), '');
      await settle(200);
      appendFileSync(join(deep, 'pod', 'app.log'), 'x\n');
      appendFileSync(join(deep, 'pod', 'nested', 'app.log'), 'x\n');
      await until('the change one level down', () => changes(seen, join(deep, 'pod', 'app.log')) >= 1);
      await settle();
      assert.equal(changes(seen, join(deep, 'pod', 'nested', 'app.log')), 0);
    } finally {
      await watcher.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(deep, { recursive: true, force: true });
    }
  });

  it('a base directory created later (two levels) is watched, and again after it was deleted', { timeout: 20_000 }, async () => {
    const dir = tempDir();
    const base = join(dir, 'app', 'logs');
    const file = join(base, 'app.log');
    const { watcher, seen } = await watching([`${base}/*.log`]);
    try {
      for (let round = 1; round <= 3; round++) {
        mkdirSync(base, { recursive: true });
        await until(`the base directory (round ${round})`, () => rescans(seen) >= 1);
        writeFileSync(file, '');
        await settle(100);
        appendFileSync(file, `round ${round}\n`);
        await until(`a change in it (round ${round})`, () => changes(seen, file) >= 1);
        rmSync(join(dir, 'app'), { recursive: true });
        await settle(200);
        seen.length = 0;
      }
    } finally {
      await watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a directory symlink leading out of confineTo is not watched, as base or below it; one inside is, as base', { timeout: 20_000 }, async () => {
    const dir = tempDir();
    const volume = join(dir, 'volume');
    const outside = join(dir, 'outside');
    mkdirSync(volume);
    mkdirSync(outside);
    mkdirSync(join(volume, 'real'));
    symlinkSync(outside, join(volume, 'out'));
    symlinkSync(join(volume, 'real'), join(volume, 'in'));
    symlinkSync(volume, join(volume, 'loop')); // a cycle: never followed
    writeFileSync(join(outside, 'x.log'), '');
    writeFileSync(join(volume, 'real', 'y.log'), '');
    const { watcher, seen } = await watching([`${volume}/**/*.log`, `${volume}/out/*.log`, `${volume}/in/*.log`], volume);
    try {
      appendFileSync(join(outside, 'x.log'), 'SECRET\n');
      appendFileSync(join(volume, 'real', 'y.log'), 'inside\n');
      await until('the inside change', () => changes(seen, join(volume, 'in', 'y.log')) >= 1);
      await settle();
      assert.deepEqual(seen.filter((item) => item.path.includes('/out')), []);
      assert.ok(changes(seen, join(volume, 'real', 'y.log')) >= 1, 'the real subdirectory under **');
    } finally {
      await watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('directories that cannot be watched (ENOSPC under **) are logged once in all, naming one; the others still report', { timeout: 20_000 }, async () => {
    const dir = tempDir();
    for (const sub of ['a', 'b', 'c']) mkdirSync(join(dir, sub));
    const original = fs.watch;
    const watchSpy = mock.method(fs, 'watch', (...args: Parameters<typeof fs.watch>) => {
      if (args[0] === dir) return original(...args);
      throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
    });
    syncBuiltinESMExports();
    try {
      writeFileSync(join(dir, 'app.log'), '');
      const { watcher, seen, lines } = await watching([`${dir}/**/*.log`]);
      try {
        appendFileSync(join(dir, 'app.log'), 'x\n');
        await until('the change in the watched base', () => changes(seen, join(dir, 'app.log')) >= 1);
        const warnings = lines.filter((line) => line['code'] === 'ENOSPC');
        assert.equal(warnings.length, 1);
        assert.ok(['a', 'b', 'c'].some((sub) => warnings[0]?.['dir'] === join(dir, sub)), String(warnings[0]?.['dir']));
        assert.equal(watchSpy.mock.callCount(), 4);
      } finally {
        await watcher.close();
      }
    } finally {
      watchSpy.mock.restore();
      syncBuiltinESMExports();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with no directory watchable at all (EACCES) the source still ships every line, by polling', { timeout: 20_000 }, async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, 'line 0\n');
    const watchSpy = mock.method(fs, 'watch', () => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    });
    syncBuiltinESMExports();
    const delivered: string[] = [];
    const processor: BatchProcessor = {
      put(events: Event[]): Promise<void> {
        for (const event of events) delivered.push(event.body.toString('utf8'));
        settleReceipts(events);
        return Promise.resolve();
      },
    };
    const { log, lines } = capturingLog();
    const config = configureTaildirSource(new Settings('a.sources.s.', parseProperties([
      'filegroups = g', `filegroups.g = ${dir}/app.log`, `positionFile = ${dir}/positions.json`, 'pollInterval = 50', 'rescanInterval = 100',
    ].join('\n')), 'watcher.properties'));
    const source = new TaildirSource(config, processor, log);
    await source.start();
    try {
      for (let i = 1; i <= 5; i++) appendFileSync(file, `line ${i}\n`);
      writeFileSync(join(dir, 'later.log'), 'not in the pattern\n');
      await until('every line', () => delivered.length >= 6);
      assert.deepEqual(delivered, ['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
      assert.equal(lines.filter((line) => line['code'] === 'EACCES' && line['dir'] === dir).length, 1);
    } finally {
      await source.stop();
      await source.close();
      watchSpy.mock.restore();
      syncBuiltinESMExports();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
