// TAILDIR's position writes (taildir/positions.ts): only when the positions changed, in order,
// the latest positions last, a failed write retried at the next one, and no interval timer while idle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../sidecar/log.ts';
import { readPositionFile, type PositionEntry } from '../../../sidecar/sources/taildir/position-file.ts';
import { Positions } from '../../../sidecar/sources/taildir/positions.ts';

const log = createLogger('silent');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('TAILDIR positions', () => {
  it('writes only when the positions changed, the latest last', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-positions-'));
    t.after(() => { rmSync(dir, { recursive: true, force: true }); });
    const path = join(dir, 'taildir_position.json');
    let current: PositionEntry[] = [{ inode: '7', pos: 10, file: '/var/log/a.log', dev: '2049', fp: 'ab', fplen: 2 }];
    const positions = new Positions(path, () => current, log);
    await positions.write();
    assert.deepEqual(await readPositionFile(path), current);
    rmSync(path);
    await positions.write();
    assert.equal(existsSync(path), false, 'unchanged positions were written again');
    current = [{ inode: '7', pos: 20, file: '/var/log/a.log', dev: '2049', fp: 'ab', fplen: 2 }];
    const first = positions.write();
    current = [{ inode: '7', pos: 30, file: '/var/log/a.log', dev: '2049', fp: 'ab', fplen: 2 }];
    await Promise.all([first, positions.write()]);
    assert.deepEqual(await readPositionFile(path), current);
  });

  it('retries a failed write at the next one, and writes when asked at the end of the turn', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-positions-'));
    t.after(() => { rmSync(dir, { recursive: true, force: true }); });
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const current: PositionEntry[] = [{ inode: '7', pos: 10, file: '/var/log/a.log', dev: '2049', fp: 'ab', fplen: 2 }];
    const failing = new Positions(join(blocker, 'taildir_position.json'), () => current, log);
    await failing.write(); // warns, does not throw
    const path = join(dir, 'taildir_position.json');
    const positions = new Positions(path, () => current, log);
    await positions.writeIfAsked();
    assert.equal(existsSync(path), false, 'written though nobody asked');
    positions.writeSoon();
    await positions.writeIfAsked();
    assert.deepEqual(await readPositionFile(path), current);
  });
});

describe('TAILDIR position writes while idle', () => {
  it('pause once nothing changed and nothing awaits acknowledgement, and resume when stirred by a change', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-positions-'));
    t.after(() => { rmSync(dir, { recursive: true, force: true }); });
    const path = join(dir, 'taildir_position.json');
    let current: PositionEntry[] = [{ inode: '7', pos: 10, file: '/var/log/a.log', dev: '2049', fp: 'ab', fplen: 2 }];
    let settled = false;
    const positions = new Positions(path, () => current, log, () => settled);
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const idle = timers();
    positions.every(20);
    // Waits for states, not for times: a loaded machine may be slow to write.
    const written = async (expected: PositionEntry[]): Promise<boolean> => {
      try {
        assert.deepEqual(await readPositionFile(path), expected);
        return true;
      } catch {
        return false;
      }
    };
    const eventually = async (what: string, condition: () => Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!(await condition())) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
        await sleep(10);
      }
    };
    try {
      await eventually('the first write', () => written(current));
      await sleep(60);
      assert.equal(positions.paused, false, 'a batch awaits acknowledgement: the interval runs on');
      current = [{ inode: '7', pos: 20, file: '/var/log/a.log', dev: '2049', fp: 'ab', fplen: 2 }];
      settled = true; // acknowledged
      await eventually('the acknowledged position written', () => written(current));
      // Paused, not between a fired interval and the write it started (which may re-arm).
      await eventually('the interval to pause once nothing changes by itself', () => Promise.resolve(positions.paused && timers() === idle));
      positions.stir();
      assert.equal(timers(), idle, 'stirred without a change: still none');
      current = [{ inode: '7', pos: 30, file: '/var/log/a.log', dev: '2049', fp: 'ab', fplen: 2 }];
      positions.stir();
      assert.equal(timers(), idle + 1, 'a change resumes the interval');
      await eventually('the changed position written', () => written(current));
    } finally {
      await positions.stop();
    }
  });
});
