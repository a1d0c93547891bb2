/**
 * How often a drain that waits for the files to go quiet looks at them again: a stat per open
 * file. Short enough that the quiet period ends close to quietMs after the last write.
 */
export const QUIET_LOOK_MS = 100;

/**
 * A drain waiting for the files to go quiet (the app may still be writing its last lines): how
 * long to wait before the next look at the files, or undefined once no file has grown for
 * `quietMs` since `lastGrowthAt` (when the waiting began if nothing grew since). Monotonic ms.
 */
export function nextQuietLook(quietMs: number, lastGrowthAt: number, now: number): number | undefined {
  const left = lastGrowthAt + quietMs - now;
  return left <= 0 ? undefined : Math.min(left, QUIET_LOOK_MS);
}
