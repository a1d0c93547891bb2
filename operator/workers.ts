// The worker loop: takes LogShipper keys from the queue and reconciles them; a failure comes back
// after the queue's backoff, an outcome that asks for it (a deferred status write, a Secret
// re-check) after its delay.
import type { Logger } from 'pino';
import type { OperatorMetrics } from './metrics.ts';
import type { WorkQueue } from './queue.ts';
import type { Reconciler } from './reconcile.ts';

/** Runs until the queue is shut down. */
export async function work(queue: WorkQueue, reconciler: Reconciler, metrics: OperatorMetrics, log: Logger): Promise<void> {
  for (;;) {
    const key = await queue.get();
    metrics.queueDepth.set(queue.length);
    if (key === undefined) return;
    const stopTimer = metrics.reconcileDuration.startTimer();
    try {
      const outcome = await reconciler.reconcile(key);
      queue.forget(key);
      if (outcome.requeueAfterMs !== undefined) queue.addAfter(key, outcome.requeueAfterMs);
      metrics.reconciles.inc({ result: 'success' });
      log.debug({ logshipper: key, writes: outcome.writes, reason: outcome.readiness?.reason, requeueAfterMs: outcome.requeueAfterMs }, 'reconciled');
    } catch (error) {
      const delayMs = queue.addRateLimited(key);
      metrics.reconciles.inc({ result: 'error' });
      metrics.reconcileErrors.inc();
      log.warn({ logshipper: key, err: (error as Error).message, retryInMs: delayMs }, 'reconcile failed; retrying');
    } finally {
      stopTimer();
      queue.done(key);
    }
  }
}
