// TAILDIR's confineTo: a file is read only when the real path of what was opened is inside the
// directory. Symlinks that stay inside work; one leading out (to a file, through a directory, or
// re-pointed out while tailed) is refused, logged once and counted once. Without the key every
// symlink is followed, as in Flume.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { ConfigError } from '../../../sidecar/config/errors.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { configureTaildirSource, TaildirSource, type BatchProcessor } from '../../../sidecar/sources/taildir.ts';
import { isInside } from '../../../sidecar/sources/taildir/confinement.ts';
import { GroupWatcher } from '../../../sidecar/sources/taildir/watcher.ts';
import { escapingVolume, type EscapingVolume } from '../../helpers/escaping-volume.ts';
import { until } from '../../helpers/until.ts';

class Processor implements BatchProcessor {
  readonly delivered: string[] = [];
  put(events: Event[]): Promise<void> {
    for (const event of events) this.delivered.push(event.body.toString('utf8'));
    settleReceipts(events);
    return Promise.resolve();
  }
}

function capturingLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  return { log, lines };
}

function configure(lines: string[]): ReturnType<typeof configureTaildirSource> {
  return configureTaildirSource(new Settings('a.sources.s.', parseProperties(lines.join('\n')), 'confine.properties'));
}

/** The escaping volume with one line in each file, and a third outside file for the swap. */
function layout(): EscapingVolume {
  const root = escapingVolume();
  const [app = '', dated = '', sub = ''] = root.insideFiles;
  writeFileSync(app, 'app 1\n');
  writeFileSync(dated, 'dated 1\n');
  writeFileSync(sub, 'sub 1\n');
  const [key = '', dirFile = ''] = root.outsideFiles;
  writeFileSync(key, 'SECRET outside line\n');
  writeFileSync(dirFile, 'SECRET outside dir line\n');
  writeFileSync(join(root.outside, 'later.key'), 'SECRET swapped-in line\n');
  return root;
}

function sourceLines(root: EscapingVolume, confineTo: string | undefined): string[] {
  return [
    'filegroups = top sub out', `filegroups.top = ${root.mount}/*.log`, `filegroups.sub = ${root.mount}/sub/*.log`, `filegroups.out = ${root.mount}/outdir/*.log`,
    `positionFile = ${root.state}/positions.json`, 'pollInterval = 50', 'rescanInterval = 100',
    ...(confineTo === undefined ? [] : [`confineTo = ${confineTo}`]),
  ];
}

describe('TAILDIR confineTo', () => {
  it('isInside compares whole path components', () => {
    assert.equal(isInside('/vol', '/vol'), true);
    assert.equal(isInside('/vol', '/vol/a.log'), true);
    assert.equal(isInside('/vol', '/vol/sub/a.log'), true);
    assert.equal(isInside('/vol', '/volume/a.log'), false);
    assert.equal(isInside('/vol', '/etc/passwd'), false);
    assert.equal(isInside('/', '/etc/passwd'), true);
  });

  it('a relative confineTo is refused, naming the key', () => {
    assert.throws(() => configure(['filegroups = g', 'filegroups.g = /v/a.log', 'confineTo = var/log']), (error: unknown) =>
      error instanceof ConfigError && error.message.includes('a.sources.s.confineTo') && error.message.includes('"var/log"') && error.message.includes('absolute'));
  });

  it('reads files and symlinks inside the volume, refuses those leading out (file, directory, re-pointed later), each logged and counted once', { timeout: 20_000 }, async () => {
    const root = layout();
    const processor = new Processor();
    const { log, lines } = capturingLog();
    // The volume is named through its symlink, as the operator names the mount path.
    const tailer = new TaildirSource(configure(sourceLines(root, root.mount)), processor, log);
    await tailer.start();
    try {
      await until('the inside lines', () => processor.delivered.length >= 3);
      // Re-pointed from inside to outside while tailed; then every file gains a line.
      symlinkSync('app.log', join(root.volume, 'swap.log.tmp'));
      renameSync(join(root.volume, 'swap.log.tmp'), join(root.volume, 'swap.log'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      symlinkSync(join(root.outside, 'later.key'), join(root.volume, 'swap.log.tmp'));
      renameSync(join(root.volume, 'swap.log.tmp'), join(root.volume, 'swap.log'));
      appendFileSync(join(root.volume, 'app.log'), 'app 2\n');
      appendFileSync(join(root.volume, '2026-12-01.log'), 'dated 2\n');
      appendFileSync(join(root.outside, 'client.key'), 'SECRET outside line 2\n');
      appendFileSync(join(root.outside, 'later.key'), 'SECRET swapped-in line 2\n');
      await until('the second inside lines', () => processor.delivered.length >= 5);
      await until('three refusals', () => (tailer.report().filesRefused['outside'] ?? 0) >= 3);
      // Several more rescans and polls: nothing more is refused, logged or read.
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.deepEqual([...processor.delivered].sort(), ['app 1', 'app 2', 'dated 1', 'dated 2', 'sub 1']);
      assert.deepEqual(tailer.report().filesRefused, { outside: 3, unverifiable: 0 });
      const refusals = lines.filter((line) => String(line['msg']).startsWith('file refused'));
      assert.deepEqual(refusals.map((line) => [line['file'], line['realPath'], line['root'], line['level']]).sort(), [
        [join(root.mount, 'evil.log'), join(root.outside, 'client.key'), root.volume, 40],
        [join(root.mount, 'outdir', 'x.log'), join(root.outside, 'dir', 'x.log'), root.volume, 40],
        [join(root.mount, 'swap.log'), join(root.outside, 'later.key'), root.volume, 40],
      ]);
    } finally {
      await tailer.stop();
      await tailer.close();
      rmSync(root.base, { recursive: true, force: true });
    }
  });

  it('an idle file moved out of the volume, a symlink left at its path, is refused when it is reopened', { timeout: 20_000 }, async () => {
    const root = layout();
    const processor = new Processor();
    const { log, lines } = capturingLog();
    const tailer = new TaildirSource(configure([...sourceLines(root, root.mount), 'idleTimeout = 100']), processor, log);
    await tailer.start();
    try {
      await until('the inside lines', () => processor.delivered.length >= 3);
      await until('app.log to be closed as idle', () => lines.some((line) => line['msg'] === 'file idle: closed until it changes' && line['path'] === join(root.mount, 'app.log')));
      // Same inode, now outside: the path still names it (through a symlink), so it is reopened.
      const [app = ''] = root.insideFiles;
      const moved = join(root.outside, 'moved.log');
      renameSync(app, moved);
      symlinkSync(moved, app);
      appendFileSync(moved, 'SECRET written after the move\n');
      await until('the refusal', () => lines.some((line) => String(line['msg']).startsWith('file refused')));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(!processor.delivered.some((line) => line.startsWith('SECRET')), processor.delivered.join('|'));
      const refusals = lines.filter((line) => String(line['msg']).startsWith('file refused'));
      assert.deepEqual(refusals.filter((line) => line['realPath'] === moved).length, 1, 'logged once');
    } finally {
      await tailer.stop();
      await tailer.close();
      rmSync(root.base, { recursive: true, force: true });
    }
  });

  it('a reload that adds confineTo stops reading the files outside it; a later reload neither logs nor counts them again', { timeout: 20_000 }, async () => {
    const root = layout();
    const processor = new Processor();
    const { log, lines } = capturingLog();
    let tailer = new TaildirSource(configure(sourceLines(root, undefined)), processor, log);
    await tailer.start();
    const reload = async (confineTo: string, rescan: string): Promise<void> => {
      await tailer.stop();
      tailer = new TaildirSource(configure([...sourceLines(root, confineTo), `rescanInterval = ${rescan}`]), processor, log, await tailer.handOver());
      await tailer.start();
    };
    try {
      await until('every line, the outside ones too (no confineTo yet)', () => processor.delivered.length >= 5);
      await reload(root.mount, '100');
      const [key = '', dirFile = ''] = root.outsideFiles;
      appendFileSync(key, 'SECRET after the reload\n');
      appendFileSync(dirFile, 'SECRET dir after the reload\n');
      appendFileSync(root.insideFiles[0] ?? '', 'app 2\n');
      await until('the inside line', () => processor.delivered.includes('app 2'));
      await until('two refusals', () => tailer.report().filesRefused['outside'] === 2);
      await reload(root.mount, '101'); // another change of the source's keys
      appendFileSync(root.insideFiles[0] ?? '', 'app 3\n');
      await until('the inside line', () => processor.delivered.includes('app 3'));
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.ok(!processor.delivered.some((line) => line.includes('after the reload')), processor.delivered.join('|'));
      assert.deepEqual(tailer.report().filesRefused, { outside: 2, unverifiable: 0 }, 'counted once across reloads');
      assert.equal(lines.filter((line) => String(line['msg']).startsWith('file refused')).length, 2, 'logged once across reloads');
    } finally {
      await tailer.stop();
      await tailer.close();
      rmSync(root.base, { recursive: true, force: true });
    }
  });

  it('a confineTo that does not exist refuses every file as unverifiable', { timeout: 20_000 }, async () => {
    const root = layout();
    const processor = new Processor();
    const tailer = new TaildirSource(configure(sourceLines(root, join(root.base, 'no-such-dir'))), processor, capturingLog().log);
    await tailer.start();
    try {
      await until('the refusals', () => (tailer.report().filesRefused['unverifiable'] ?? 0) >= 5);
      assert.deepEqual(processor.delivered, []);
    } finally {
      await tailer.stop();
      await tailer.close();
      rmSync(root.base, { recursive: true, force: true });
    }
  });

  it('the watcher follows no directory symlink below a base (as the listing), and a base leading out of confineTo only without it', { timeout: 20_000 }, async () => {
    const root = layout();
    const watch = async (pattern: string, confineTo: string | undefined, round: number): Promise<string[]> => {
      const { groups } = configure(['filegroups = all app', `filegroups.all = ${pattern}`, `filegroups.app = ${root.mount}/app.log`]);
      const paths: string[] = [];
      const watcher = new GroupWatcher(groups, () => false, (_event, path) => paths.push(path), confineTo, capturingLog().log);
      await watcher.ready();
      try {
        appendFileSync(root.outsideFiles[1] ?? '', `SECRET ${round}\n`);
        writeFileSync(join(root.outside, 'dir', `new-${round}.log`), 'SECRET\n');
        appendFileSync(root.insideFiles[0] ?? '', `app ${round}\n`);
        await until('the inside event', () => paths.some((path) => path.endsWith('app.log')));
        await new Promise((resolve) => setTimeout(resolve, 500));
        return paths.filter((path) => path.includes('/outdir'));
      } finally {
        await watcher.close();
      }
    };
    try {
      assert.deepEqual(await watch(`${root.mount}/**/*.log`, undefined, 1), []);
      assert.deepEqual(await watch(`${root.mount}/**/*.log`, root.mount, 2), []);
      assert.deepEqual(await watch(`${root.mount}/outdir/*.log`, root.mount, 3), []);
      assert.notDeepEqual(await watch(`${root.mount}/outdir/*.log`, undefined, 4), [], 'a base directory through a symlink is watched without confineTo');
    } finally {
      rmSync(root.base, { recursive: true, force: true });
    }
  });

  it('without confineTo every symlink is followed, as in Flume', { timeout: 20_000 }, async () => {
    const root = layout();
    const processor = new Processor();
    const tailer = new TaildirSource(configure(sourceLines(root, undefined)), processor, capturingLog().log);
    await tailer.start();
    try {
      await until('every line', () => processor.delivered.length >= 5);
      assert.deepEqual([...processor.delivered].sort(), ['SECRET outside dir line', 'SECRET outside line', 'app 1', 'dated 1', 'sub 1']);
      assert.deepEqual(tailer.report().filesRefused, { outside: 0, unverifiable: 0 });
    } finally {
      await tailer.stop();
      await tailer.close();
      rmSync(root.base, { recursive: true, force: true });
    }
  });
});
