// The operator as a separate process against the real kube-apiserver: a rollout's pod events make a
// bounded number of status writes (coalesced), and deleting a LogShipper keeps it (finalizer) and its
// ConfigMap while pods injected for it remain, also when it was deleted while the operator was down.
// The pods are stored only (a scheduler that does not exist: the real node never runs them) and carry
// what the webhook gives an injected pod, which is what the operator reads: the injected label and
// the configuration hash annotation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { eventually, unique } from '../../env/testing.ts';
import type { LogShipperSpec } from '../../../operator/crd-types.ts';
import { FINALIZER } from '../../../operator/deletion.ts';
import { INJECT_ANNOTATION, INJECTED_LABEL } from '../../../operator/inject.ts';
import { CONFIG_HASH_ANNOTATION, configMapName } from '../../../operator/sidecar-layout.ts';
import { STATUS_WRITE_WINDOW_MS } from '../../../operator/status-window.ts';
import { deleteNamespace, operatorSuite, startOperator, type OperatorProcess, type Shippers } from './helpers.ts';

const SPEC: LogShipperSpec = { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['kafka-0.kafka:9092'], topic: 'app-logs' } };
const ROLLOUT_PODS = 60;

/** A pod as the webhook stores it for `shipper` (label and annotations), never scheduled. */
function injectedPod(name: string, shipper: string, configHash: string): V1Pod {
  return {
    metadata: {
      name,
      labels: { [INJECTED_LABEL]: shipper, [INJECT_ANNOTATION]: 'true' },
      annotations: { [INJECT_ANNOTATION]: shipper, [CONFIG_HASH_ANNOTATION]: configHash },
    },
    spec: { schedulerName: 'logshipper-test-unscheduled', containers: [{ name: 'web', image: 'busybox:1.36' }] },
  };
}

async function gone(read: () => Promise<unknown>): Promise<true | undefined> {
  try {
    await read();
    return undefined;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return true;
    throw error;
  }
}

describe('operator: coalesced status writes and LogShipper deletion against the real kube-apiserver', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let shippers: Shippers;
  let operator: OperatorProcess | undefined;
  const namespace = unique('lship-del');

  const createPods = async (names: string[], shipper: string, configHash: string): Promise<void> => {
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(names.slice(i, i + 10).map(async (name) => core.createNamespacedPod({ namespace, body: injectedPod(name, shipper, configHash) })));
    }
  };

  before(async () => {
    ({ kc, core, shippers, operator } = await operatorSuite(namespace, 'del-1'));
  });

  after(async () => {
    await operator?.stop();
    await deleteNamespace(kc, namespace);
  });

  it(`a rollout of ${String(ROLLOUT_PODS)} pods: the counts converge with at most one status write per ${String(STATUS_WRITE_WINDOW_MS)} ms`, async () => {
    assert.ok(operator);
    await shippers.create('app', SPEC);
    const ready = await shippers.waitReady('app', 'True');
    assert.deepEqual(ready.metadata?.finalizers, [FINALIZER]);
    const hash = ready.status?.configHash ?? '';
    const writesBefore = await operator.metric('logshipper_operator_writes_total', { kind: 'status' });
    const started = Date.now();
    await createPods(Array.from({ length: ROLLOUT_PODS }, (_, i) => `web-${String(i)}`), 'app', hash);
    const created = Date.now();
    await eventually('the pod counts', 30_000, async () => {
      const status = (await shippers.get('app')).status;
      return status?.injectedPods === ROLLOUT_PODS && status.currentPods === ROLLOUT_PODS ? true : undefined;
    });
    const converged = Date.now();
    // Let a write still in flight land before counting.
    await new Promise((resolve) => setTimeout(resolve, STATUS_WRITE_WINDOW_MS + 500));
    const writes = await operator.metric('logshipper_operator_writes_total', { kind: 'status' }) - writesBefore;
    // One write when the first pod arrives, then one per window while pods keep coming, the last one's counts at the end.
    const bound = Math.floor((converged - started) / STATUS_WRITE_WINDOW_MS) + 2;
    console.log(`# ${String(ROLLOUT_PODS)} pods created in ${String(created - started)} ms, status converged ${String(converged - created)} ms after the last: ${String(writes)} status writes (bound ${String(bound)})`);
    assert.ok(writes >= 1 && writes <= bound, `${String(writes)} status writes for ${String(ROLLOUT_PODS)} pods, at most ${String(bound)} expected`);
  });

  it('deleted with injected pods: kept with the finalizer and its ConfigMap, the Deleting condition counts them; the pods deleted: gone, the ConfigMap collected', async () => {
    await shippers.delete('app');
    const held = await eventually('the Deleting condition', 15_000, async () => {
      const shipper = await shippers.get('app');
      return shipper.status?.conditions?.find((c) => c.type === 'Deleting') === undefined ? undefined : shipper;
    });
    assert.ok(held.metadata?.deletionTimestamp !== undefined);
    assert.deepEqual(held.metadata.finalizers, [FINALIZER]);
    assert.match(held.status?.conditions?.find((c) => c.type === 'Deleting')?.message ?? '', new RegExp(`while ${String(ROLLOUT_PODS)} injected pods still mount it`));
    await core.readNamespacedConfigMap({ namespace, name: configMapName('app') });
    await eventually('the WaitingForInjectedPods Event', 10_000, async () =>
      (await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=app' })).items.find((e) => e.reason === 'WaitingForInjectedPods'));

    // All but one: still held, the count follows.
    await core.deleteCollectionNamespacedPod({ namespace, labelSelector: `${INJECTED_LABEL}=app`, fieldSelector: 'metadata.name!=web-0', gracePeriodSeconds: 0 });
    await eventually('the count of 1', 15_000, async () =>
      /while 1 injected pod still mounts it \(web-0\)/.test((await shippers.get('app')).status?.conditions?.find((c) => c.type === 'Deleting')?.message ?? '') ? true : undefined);
    await core.readNamespacedConfigMap({ namespace, name: configMapName('app') });

    await core.deleteNamespacedPod({ namespace, name: 'web-0', gracePeriodSeconds: 0 });
    await eventually('the LogShipper gone', 15_000, async () => gone(async () => shippers.get('app')));
    // The garbage collector learns of a resource type at its discovery resync (every 30 s): up to two.
    await eventually('the ConfigMap garbage-collected', 75_000, async () => gone(async () => core.readNamespacedConfigMap({ namespace, name: configMapName('app') })));
  });

  it('deleted while the operator is down: held by the finalizer, finalized once it starts', async () => {
    await shippers.create('down', SPEC);
    const ready = await shippers.waitReady('down', 'True');
    assert.deepEqual(ready.metadata?.finalizers, [FINALIZER]);
    assert.ok(operator);
    await operator.stop();
    await shippers.delete('down');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.ok((await shippers.get('down')).metadata?.deletionTimestamp !== undefined, 'still there: nobody removed the finalizer');

    operator = startOperator(namespace, 'del-2');
    await eventually('the LogShipper finalized', 30_000, async () => gone(async () => shippers.get('down')));
  });
});
