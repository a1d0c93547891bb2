// Leader election under a stepped wall clock: the lease's validity and the renew deadline are
// measured on the monotonic clock, so a jump of Date.now by an hour (NTP, an admin, a resumed VM)
// neither keeps a leader that cannot renew, nor ends one early, nor lets a standby take a lease
// that is still held (two leaders), nor strands a standby behind an abandoned one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { becomesTrue, HOUR_MS, stepWallClock } from '../../helpers/clock.ts';
import { ApiException, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { LeaderElector } from '../../../operator/leader.ts';


/** An apiserver holding one Lease, with resourceVersion checks; `down` makes every call fail. */
class FakeLeases {
  lease: V1Lease | undefined;
  down = false;
  private version = 0;

  client(): CoordinationV1Api {
    const api = {
      readNamespacedLease: (): Promise<V1Lease> => this.answer(() => {
        if (this.lease === undefined) throw new ApiException(404, 'not found', {}, {});
        return structuredClone(this.lease);
      }),
      createNamespacedLease: ({ body }: { body: V1Lease }): Promise<V1Lease> => this.answer(() => this.write(body)),
      replaceNamespacedLease: ({ body }: { body: V1Lease }): Promise<V1Lease> => this.answer(() => {
        if (body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw new ApiException(409, 'conflict', {}, {});
        return this.write(body);
      }),
    };
    return api as unknown as CoordinationV1Api;
  }

  holder(): string | undefined {
    return this.lease?.spec?.holderIdentity;
  }

  /** A call's result as the client returns it: a promise, rejected while the apiserver is down. */
  private answer(call: () => V1Lease): Promise<V1Lease> {
    return new Promise((resolve) => {
      if (this.down) throw new Error('apiserver unreachable');
      resolve(call());
    });
  }

  private write(body: V1Lease): V1Lease {
    this.lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++this.version) } };
    return structuredClone(this.lease);
  }
}

const timings = { leaseDurationMs: 1000, renewDeadlineMs: 400, retryPeriodMs: 50 };

function elector(leases: FakeLeases, identity: string, events: { started?: number; stopped?: number }): LeaderElector {
  return new LeaderElector({
    client: leases.client(), namespace: 'ns', name: 'lease', identity, ...timings, log: pino({ level: 'silent' }),
    onStartedLeading: () => { events.started = performance.now(); },
    onStoppedLeading: () => { events.stopped = performance.now(); },
  });
}

describe('leader election with a stepped wall clock', () => {
  for (const [label, offset] of [['back', -HOUR_MS], ['forward', HOUR_MS]] as const) {
    it(`a leader that cannot renew steps down after the renew deadline when the wall clock jumps ${label} an hour`, async (t) => {
      const leases = new FakeLeases();
      const events: { started?: number; stopped?: number } = {};
      const leader = elector(leases, 'a', events);
      leader.start();
      try {
        assert.ok(await becomesTrue(() => leader.isLeader(), 2000), 'became the leader');
        // The last renewal succeeded at most a retry period before the apiserver went away.
        await new Promise((resolve) => setTimeout(resolve, timings.retryPeriodMs));
        const lastSeenOk = performance.now();
        leases.down = true;
        stepWallClock(t, offset);
        assert.ok(await becomesTrue(() => events.stopped !== undefined, 3000), 'stepped down');
        const after = (events.stopped ?? 0) - lastSeenOk;
        assert.ok(after >= timings.renewDeadlineMs - 2 * timings.retryPeriodMs, `not before the renew deadline (after ${Math.round(after)} ms)`);
        assert.ok(after < timings.leaseDurationMs, `before the lease expires for the others (after ${Math.round(after)} ms)`);
        assert.equal(leader.isLeader(), false);
      } finally {
        await leader.release();
      }
    });

    it(`a standby takes a lease no longer renewed after the lease duration, not earlier nor never, when the wall clock jumps ${label} an hour`, async (t) => {
      const leases = new FakeLeases();
      const holder = elector(leases, 'a', {});
      holder.start();
      assert.ok(await becomesTrue(() => leases.holder() === 'a', 2000));
      // The holder dies without releasing (its loop stops, the Lease stays as written).
      leases.down = true;
      await holder.release();
      leases.down = false;
      const events: { started?: number } = {};
      const standby = elector(leases, 'b', events);
      const startedAt = performance.now();
      standby.start();
      try {
        await new Promise((resolve) => setTimeout(resolve, 2 * timings.retryPeriodMs)); // the record is observed
        stepWallClock(t, offset);
        assert.ok(await becomesTrue(() => events.started !== undefined, 4000), 'took the lease over');
        const after = (events.started ?? 0) - startedAt;
        assert.ok(after >= timings.leaseDurationMs, `not while the lease may still be held (after ${Math.round(after)} ms)`);
        assert.equal(leases.holder(), 'b');
      } finally {
        await standby.release();
      }
    });
  }
});
