import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicMs } from '../../../sidecar/clock.ts';
import { Deadline } from '../../../sidecar/deadline.ts';

describe('Deadline', () => {
  it('aborts its signal at its time, once', async () => {
    const deadline = Deadline.after(30);
    assert.equal(deadline.expired, false);
    assert.ok(deadline.remaining() > 0 && deadline.remaining() <= 30);
    await new Promise((resolve) => {
      deadline.signal.addEventListener('abort', resolve);
    });
    assert.equal(deadline.expired, true);
    assert.equal(deadline.remaining(), 0);
    assert.match((deadline.signal.reason as Error).message, /deadline/);
  });

  it('within(): true for work that settles in time (also by failing), false when the deadline comes first', async () => {
    const deadline = Deadline.after(100);
    assert.equal(await deadline.within(sleep(5)), true);
    assert.equal(await deadline.within(Promise.reject(new Error('failed'))), true);
    const started = Date.now();
    assert.equal(await deadline.within(new Promise(() => undefined)), false);
    assert.ok(Date.now() - started < 1000);
    assert.equal(await deadline.within(Promise.resolve()), true, 'past the deadline, work already done still counts');
    assert.equal(await deadline.within(new Promise(() => undefined)), false);
  });

  it('a deadline already past is expired at once', async () => {
    const deadline = new Deadline(monotonicMs() - 1);
    await sleep(1);
    assert.equal(deadline.expired, true);
  });
});
