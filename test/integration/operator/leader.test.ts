// Two operator processes on one Lease: only the leader reconciles and writes; when the leader is
// killed (no chance to release) the Lease moves to the other after the lease duration; a leader
// stopped with SIGTERM releases the Lease so that the standby takes over at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { eventually, kubeConfig, unique } from '../../env/testing.ts';
import type { LogShipperSpec } from '../../../operator/crd-types.ts';
import { createNamespace, deleteNamespace, installCrd, Shippers, startOperator, type OperatorProcess } from './helpers.ts';

const SPEC: LogShipperSpec = { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['kafka:9092'], topic: 'logs' } };
const LEASE = 'logshipper-operator';

describe('operator: leader election on a Lease', () => {
  let kc: KubeConfig;
  let leases: CoordinationV1Api;
  let shippers: Shippers;
  const processes: OperatorProcess[] = [];
  const namespace = unique('lship-lead');

  const holder = async (): Promise<string> => (await leases.readNamespacedLease({ name: LEASE, namespace })).spec?.holderIdentity ?? '';
  const start = (identity: string): OperatorProcess => {
    const started = startOperator(namespace, identity);
    processes.push(started);
    return started;
  };

  before(async () => {
    kc = kubeConfig();
    leases = kc.makeApiClient(CoordinationV1Api);
    await installCrd(kc);
    await createNamespace(kc, namespace);
    shippers = new Shippers(kc, namespace);
  });

  after(async () => {
    await Promise.all(processes.map(async (p) => p.stop('SIGKILL')));
    await deleteNamespace(kc, namespace);
  });

  it('two processes: only the leader reconciles and writes; the Lease moves when the leader is killed', async () => {
    const a = start('replica-a');
    await a.waitForLog('leadership', (l) => l['msg'] === 'leader election: became the leader');
    const b = start('replica-b');
    await b.waitForLog('campaigning', (l) => l['msg'] === 'leader election: campaigning');
    assert.equal(await holder(), 'replica-a');

    await shippers.create('one', SPEC);
    await shippers.waitReady('one', 'True');
    // Give the standby every chance to (wrongly) act.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.ok(await a.metric('logshipper_operator_writes_total', { kind: 'configmap' }) >= 1, 'the leader wrote the ConfigMap');
    assert.equal(await b.metric('logshipper_operator_writes_total'), 0, 'the standby wrote nothing');
    assert.equal(await b.metric('logshipper_operator_reconcile_total'), 0, 'the standby reconciled nothing');
    assert.equal(await b.metric('logshipper_operator_leader'), 0);
    assert.equal(await a.metric('logshipper_operator_leader'), 1);
    assert.equal((await fetch(`http://127.0.0.1:${await b.port()}/readyz`)).status, 200, 'a standby is ready (it serves probes)');

    // Kill the leader: it cannot release the Lease, which must expire (3 s) before b takes it.
    const killedAt = Date.now();
    await a.stop('SIGKILL');
    await eventually('the Lease to move to replica-b', 20_000, async () => ((await holder()) === 'replica-b' ? true : undefined));
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs >= 2000, `the standby waited for the lease to expire (${tookMs} ms)`);
    await b.waitForLog('leadership', (l) => l['msg'] === 'leader election: became the leader');

    // The new leader reconciles.
    await shippers.create('two', SPEC);
    await shippers.waitReady('two', 'True');
    assert.ok(await b.metric('logshipper_operator_writes_total', { kind: 'configmap' }) >= 1);
    const lease = await leases.readNamespacedLease({ name: LEASE, namespace });
    assert.ok((lease.spec?.leaseTransitions ?? 0) >= 1);
  });

  it('SIGTERM releases the Lease: the standby takes over without waiting for it to expire', async () => {
    const c = start('replica-c');
    await c.waitForLog('campaigning', (l) => l['msg'] === 'leader election: campaigning');
    const b = processes.find((p) => p.identity === 'replica-b');
    assert.ok(b);
    const stoppedAt = Date.now();
    assert.equal(await b.stop('SIGTERM'), 0, 'a clean stop exits 0');
    assert.ok(b.logs.some((l) => l['msg'] === 'leader election: released the lease'));
    await eventually('the Lease to move to replica-c', 10_000, async () => ((await holder()) === 'replica-c' ? true : undefined));
    // Released: the takeover needs about one retry period (500 ms), not the lease duration (3 s).
    assert.ok(Date.now() - stoppedAt < 2500, `takeover after release took ${Date.now() - stoppedAt} ms`);
    await shippers.create('three', SPEC);
    await shippers.waitReady('three', 'True');
  });
});
