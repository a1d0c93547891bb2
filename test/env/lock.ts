// One `up`/`down` at a time per checkout: two `npm test` runs (or a developer's `testenv:up`
// during a CI-like run) would otherwise start two sets of daemons over one .testenv and stop
// each other's. The lock is a file holding the owner's pid; a lock whose owner is gone is stale.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCK_FILE, STATE_DIR } from './paths.ts';
import { note, TestEnvError } from './process.ts';

let held = 0;

function ownerAlive(): boolean {
  try {
    const pid = Number(fs.readFileSync(LOCK_FILE, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists under another user, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `fn` holding the checkout's test-environment lock (re-entrant within this process). */
export async function withLock<T>(fn: () => Promise<T>, timeoutMs = 60 * 60_000): Promise<T> {
  if (held > 0) {
    held++;
    try {
      return await fn();
    } finally {
      held--;
    }
  }
  const deadline = Date.now() + timeoutMs;
  let told = false;
  fs.mkdirSync(STATE_DIR, { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, `${String(process.pid)}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!ownerAlive()) {
        fs.rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new TestEnvError('lock', `another testenv up/down (pid in ${LOCK_FILE}) held the lock for ${String(timeoutMs / 60_000)} minutes`);
      }
      if (!told) note(`waiting for another testenv up/down in this checkout (pid in ${LOCK_FILE})`);
      told = true;
      await sleep(500);
    }
  }
  held = 1;
  try {
    return await fn();
  } finally {
    held = 0;
    fs.rmSync(LOCK_FILE, { force: true });
  }
}
