// When TAILDIR's next turn runs (taildir/turns.ts), on an injected clock: polls and rescans on
// their intervals, file deadlines, the readInterval floor after a watcher event, and a
// sleep that a watcher event shortens and a stop ends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROTATED_POLL_MS, Turns } from '../../../sidecar/sources/taildir/turns.ts';

const intervals = { rescanIntervalMs: 1000, pollIntervalMs: 200, readIntervalMs: 40 };

function turns(): { turns: Turns; clock: { now: number } } {
  const clock = { now: 5000 };
  return { turns: new Turns(intervals, () => clock.now), clock };
}

describe('TAILDIR turns', () => {
  it('rescans at the first turn, then on the interval or when asked; polls on its interval or when asked', () => {
    const { turns: t, clock } = turns();
    let now = t.begin();
    assert.equal(t.rescanDue(now), true);
    assert.equal(t.pollDue(now), true);
    assert.equal(t.rescanDue(now), false);
    assert.equal(t.pollDue(now), false);
    clock.now += 200;
    now = t.begin();
    assert.equal(t.pollDue(now), true);
    assert.equal(t.rescanDue(now), false);
    t.requestRescan();
    t.pollSoon();
    assert.equal(t.rescanDue(now), true);
    assert.equal(t.pollDue(now), true);
    clock.now += 1000;
    assert.equal(t.rescanDue(t.begin()), true);
  });

  it('polls every ROTATED_POLL_MS while a rotated file is read to its end, if pollInterval is longer', () => {
    const clock = { now: 0 };
    const t = new Turns({ ...intervals, rescanIntervalMs: 10_000, pollIntervalMs: 10_000 }, () => clock.now);
    assert.equal(t.pollDue(t.begin(), () => true), true);
    clock.now += ROTATED_POLL_MS;
    assert.equal(t.pollDue(t.begin(), () => false), true, 'rotating: the next poll comes ROTATED_POLL_MS later');
    clock.now += ROTATED_POLL_MS;
    assert.equal(t.pollDue(t.begin()), false, 'no longer rotating: back to pollInterval');
    clock.now += 10_000 - ROTATED_POLL_MS;
    assert.equal(t.pollDue(t.begin()), true);
  });

  it('wakes at the next poll, rescan or file deadline, whichever is first', () => {
    const { turns: t } = turns();
    const now = t.begin();
    t.rescanDue(now);
    t.pollDue(now);
    assert.equal(t.nextWake(Infinity), now + 200);
    assert.equal(t.nextWake(now + 50), now + 50);
  });

  it('after a watcher event, wakes readIntervalMs after the turn started, not sooner; after a rescan request at once', () => {
    const { turns: t, clock } = turns();
    const now = t.begin();
    t.rescanDue(now);
    t.pollDue(now);
    t.woke();
    assert.equal(t.nextWake(Infinity), now + intervals.readIntervalMs);
    clock.now += 3;
    assert.equal(t.begin(), now + 3); // a new turn forgets the event
    assert.equal(t.nextWake(Infinity), now + 200);
    t.requestRescan();
    assert.equal(t.nextWake(Infinity), now + 3);
  });

  it('is caught up unless a file fell behind in this turn', () => {
    const { turns: t } = turns();
    t.begin();
    assert.equal(t.caughtUp, true);
    t.fellBehind();
    assert.equal(t.caughtUp, false);
    t.begin();
    assert.equal(t.caughtUp, true);
  });

  it('a sleep ends early at a watcher event, and at once when ended', async () => {
    const t = new Turns({ rescanIntervalMs: 60_000, pollIntervalMs: 60_000, readIntervalMs: 10 });
    const now = t.begin();
    t.rescanDue(now);
    t.pollDue(now);
    let ended = false;
    const started = performance.now();
    const woken = t.sleep(Infinity, () => ended);
    setTimeout(() => { t.woke(); }, 20);
    await woken;
    const slept = performance.now() - started;
    assert.ok(slept < 5000, `slept ${slept} ms after a watcher event`);
    const stopped = t.sleep(Infinity, () => ended);
    ended = true;
    t.wake();
    await stopped;
    assert.ok(performance.now() - started < 5000);
  });
});
