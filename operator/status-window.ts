// Coalesced status writes. Pod events (a rollout of a Deployment of 500 replicas is ~1,500 of them:
// created, scheduled, running, old ones deleted) each change a LogShipper's pod counts: one status
// write per event was most of the operator's API writes and of the LogShipper's watch traffic to
// every client. A write that changes only what pods drive (counts, SidecarsInjected, the deletion
// condition) waits for the window since the last write of that LogShipper to pass; the reconcile is
// re-queued for then and writes the counts of that moment. What a user changed (a new generation,
// the Ready condition, the configuration hash) is written at once.
import { monotonicMs } from '../sidecar/clock.ts';

/**
 * At most one pod-driven status write per LogShipper in this time: long enough that a rollout's
 * burst of pod events makes a handful of writes, short enough that `kubectl get logshipper` is
 * current within a couple of seconds after the last pod.
 */
export const STATUS_WRITE_WINDOW_MS = 2000;

export class StatusWriteWindow {
  private readonly lastWrite = new Map<string, number>();
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(windowMs = STATUS_WRITE_WINDOW_MS, now: () => number = monotonicMs) {
    this.windowMs = windowMs;
    this.now = now;
  }

  /** How long a pod-driven write of `key` must wait (0: it may be written now). */
  wait(key: string): number {
    const last = this.lastWrite.get(key);
    return last === undefined ? 0 : Math.max(0, last + this.windowMs - this.now());
  }

  wrote(key: string): void {
    this.lastWrite.set(key, this.now());
  }

  forget(key: string): void {
    this.lastWrite.delete(key);
  }
}
