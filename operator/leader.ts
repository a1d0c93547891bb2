// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does:
// - a candidate takes the Lease when nobody holds it, or when the holder has not renewed it for
//   leaseDuration as measured by this process's own monotonic clock since it last saw the record
//   change (so neither clock skew between nodes nor a step of the wall clock matters; renewTime
//   and acquireTime stay wall-clock times, as the Lease API defines them);
// - every write carries the resourceVersion read, so two candidates can never both win;
// - the leader renews every retryPeriod and gives up (onStoppedLeading) when it could not renew
//   for renewDeadline (monotonic), which is shorter than leaseDuration: it stops before anyone else may start;
// - on shutdown the leader releases the Lease (empty holder), so a standby takes over at once.
// client-node's model types (V1Lease, V1ConfigMap, ...) are classes with only public data fields;
// its API takes plain object literals (and spread copies) for them.
import { ApiException, V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { monotonicMs } from '../sidecar/clock.ts';

export interface LeaderElectionOptions {
  client: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  onStartedLeading: () => void;
  /** Called once when leadership is lost (not after release()). */
  onStoppedLeading: () => void;
}

export const DEFAULT_LEASE_TIMINGS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 };

export class LeaderElector {
  private readonly options: LeaderElectionOptions;
  /** The Lease record last seen and when it was first seen so (monotonic ms). */
  private observed: { key: string; at: number } | undefined;
  private lease: V1Lease | undefined;
  private leading = false;
  private stopped = false;
  /** Monotonic ms of the last successful renewal. */
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    if (!(options.renewDeadlineMs < options.leaseDurationMs)) throw new Error('the renew deadline must be shorter than the lease duration');
    if (!(options.retryPeriodMs < options.renewDeadlineMs)) throw new Error('the retry period must be shorter than the renew deadline');
    this.options = options;
  }

  private isStopping(): boolean {
    return this.stopped;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning (and, once leading, renewing) in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    const { log, retryPeriodMs, renewDeadlineMs } = this.options;
    log.info({ lease: `${this.options.namespace}/${this.options.name}` }, 'leader election: campaigning');
    while (!this.stopped) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'leader election: cannot read or write the Lease');
      }
      if (this.isStopping()) break;
      const now = monotonicMs();
      if (ok) {
        this.lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          log.info('leader election: became the leader');
          this.options.onStartedLeading();
        }
      } else if (this.leading && now - this.lastRenew >= renewDeadlineMs) {
        this.leading = false;
        log.error({ sinceRenewMs: Math.round(now - this.lastRenew) }, 'leader election: lost the lease (could not renew within the renew deadline)');
        this.options.onStoppedLeading();
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, retryPeriodMs);
      });
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity, leaseDurationMs } = this.options;
    const now = new V1MicroTime();
    const durationSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));
    let current: V1Lease;
    try {
      current = await client.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!(error instanceof ApiException) || error.code !== 404) throw error;
      this.lease = await client.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        },
      });
      return true;
    }
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    // Expiry by this process's clock: when did the record last change, as seen from here?
    const key = `${holder}|${String(spec.renewTime?.valueOf() ?? '')}|${current.metadata?.resourceVersion ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, at: monotonicMs() };
    const duration = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== '' && holder !== identity && monotonicMs() - this.observed.at < duration) return false;

    const taking = holder !== identity;
    const body: V1Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: now,
        acquireTime: taking ? now : spec.acquireTime ?? now,
        // As client-go counts: every change of holder, a takeover after a release included.
        leaseTransitions: (spec.leaseTransitions ?? 0) + (taking ? 1 : 0),
      },
    };
    try {
      this.lease = await client.replaceNamespacedLease({ name, namespace, body });
    } catch (error) {
      // 409: someone else wrote the Lease since we read it; try again next period.
      if (error instanceof ApiException && error.code === 409) return false;
      throw error;
    }
    if (taking) this.options.log.info({ previous: holder === '' ? undefined : holder }, 'leader election: acquired the lease');
    return true;
  }

  /** Stops campaigning; the leader releases the Lease so that a standby takes over without waiting. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    if (!this.leading) return;
    this.leading = false;
    const { client, namespace, name, identity, log } = this.options;
    try {
      const current = await client.readNamespacedLease({ name, namespace });
      if (current.spec?.holderIdentity !== identity) return;
      await client.replaceNamespacedLease({
        name,
        namespace,
        body: { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime() } },
      });
      log.info('leader election: released the lease');
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'leader election: could not release the lease; it expires by itself');
    }
  }
}
