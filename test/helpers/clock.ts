// Clock helpers for tests of code that must keep time on the monotonic clock (sidecar/clock.ts).
import type { TestContext } from 'node:test';

export const HOUR_MS = 3_600_000;

/** Date.now() from now on `offset` ms off (the wall clock stepped); performance.now() is untouched. */
export function stepWallClock(t: TestContext, offset: number): void {
  const real = Date.now.bind(Date);
  t.mock.method(Date, 'now', () => real() + offset);
}

/** Whether `condition` became true within `timeoutMs`, measured on the monotonic clock. */
export async function becomesTrue(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
