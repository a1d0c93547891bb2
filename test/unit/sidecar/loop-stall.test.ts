// The event loop stall watch behind /healthz (loop-stall.ts): a blocked loop shows as the lateness
// of its one coarse timer, also when read before that timer ran; the largest delay is kept for one
// to two windows; an idle loop reads ~0.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoopStallWatch } from '../../../sidecar/loop-stall.ts';

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the event loop cannot run
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('event loop stall watch', () => {
  it('measures a block of the real loop, read at once (before its timer ran) and after', async () => {
    const watch = new LoopStallWatch({ checkMs: 50 });
    try {
      await sleep(120);
      // Loose: other tests share the machine.
      assert.ok(watch.maxDelayMs() < 300, `idle loop read ${watch.maxDelayMs()} ms`);
      block(800);
      const atOnce = watch.maxDelayMs();
      assert.ok(atOnce >= 790, `read right after an 800 ms block: ${atOnce} ms`);
      await sleep(80);
      const later = watch.maxDelayMs();
      assert.ok(later >= 790, `read after the timer ran: ${later} ms`);
    } finally {
      watch.close();
    }
  });

  it('keeps the largest delay for one to two windows, then forgets it', () => {
    // The loop is busy exactly while a check is late.
    const clock = { now: 0, active: 0 };
    const watch = new LoopStallWatch({ checkMs: 1000, windowMs: 10_000, clock: () => clock.now, activeMs: () => clock.active });
    watch.close(); // driven by hand below
    const tick = (lateMs = 0): void => {
      clock.now += 1000 + lateMs;
      clock.active += lateMs;
      watch.check();
    };
    for (let i = 0; i < 3; i++) tick();
    assert.equal(watch.maxDelayMs(), 0);
    tick(6000);
    assert.equal(watch.maxDelayMs(), 6000);
    for (let i = 0; i < 8; i++) tick();
    assert.equal(watch.maxDelayMs(), 6000, 'still within the next window');
    for (let i = 0; i < 12; i++) tick();
    assert.equal(watch.maxDelayMs(), 0, 'forgotten two windows later');
    clock.now += 1000 + 7000; // the check is 7 s late and has not run yet; the block began 500 ms before it was due
    clock.active += 7500;
    assert.equal(watch.maxDelayMs(), 7500);
  });

  it('reads 0 for a busy loop whose check runs on time', () => {
    const clock = { now: 0, active: 0 };
    const watch = new LoopStallWatch({ checkMs: 1000, clock: () => clock.now, activeMs: () => clock.active });
    watch.close();
    for (let i = 0; i < 30; i++) {
      clock.now += 1000;
      clock.active += 900;
      watch.check();
    }
    assert.equal(watch.maxDelayMs(), 0);
  });
});
