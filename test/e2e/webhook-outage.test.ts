// The webhook down, on the test cluster's real node: with the operator's Deployment scaled to 0,
// annotated pods are still created (failurePolicy Ignore) and run without the sidecar; once the
// operator is back it records a Warning Event on each and counts them in the LogShipper's status;
// new pods get the sidecar again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CoreV1Api } from '@kubernetes/client-node';
import { eventually } from '../env/testing.ts';
import { Shippers } from '../integration/operator/helpers.ts';
import { operatorLeader, podRunning, scaleOperator, setUpShipping, tearDownShipping, type Shipping } from '../helpers/cluster.ts';
import { appPodSpec, injectMetadata } from '../helpers/app-workload.ts';
import { NOT_INJECTED_EVENT_REASON, notInjectedMessage, SIDECARS_INJECTED } from '../../operator/uninjected-pods.ts';

describe('the webhook down on a real node: pods start without the sidecar, the operator reports them once back, new pods get it', { timeout: 600_000 }, () => {
  let shipping: Shipping | undefined;
  let core: CoreV1Api;
  let appNs = '';
  const annotated = (name: string): Parameters<CoreV1Api['createNamespacedPod']>[0] => ({
    namespace: appNs,
    body: { metadata: { name, ...injectMetadata('app') }, spec: appPodSpec({ rate: 10 }) },
  });
  const hasSidecar = async (name: string): Promise<boolean> =>
    (await core.readNamespacedPod({ namespace: appNs, name })).spec?.initContainers?.some((c) => c.name === 'logshipper') === true;

  before(async () => {
    shipping = await setUpShipping('lsout');
    ({ core, appNamespace: appNs } = shipping);
  });

  after(async () => {
    await tearDownShipping(shipping);
  });

  it('operator scaled to 0: an annotated pod is created at once and runs, without the sidecar', async () => {
    assert.ok(shipping);
    const { kc, release } = shipping;
    await core.createNamespacedPod(annotated('before'));
    assert.ok(await hasSidecar('before'), 'injected while the webhook serves');
    await scaleOperator(kc, release, 0);
    const started = Date.now();
    await core.createNamespacedPod(annotated('during'));
    const took = Date.now() - started;
    assert.equal(await hasSidecar('during'), false);
    const pod = await podRunning(core, appNs, 'during');
    assert.deepEqual(pod.spec?.containers.map((c) => c.name), ['app']);
    console.log(`# webhook down: the pod was created in ${String(took)} ms (no endpoints: the apiserver fails open at once)`);
  });

  it('operator back: a Warning Event on that pod, uninjectedPods 1 and the SidecarsInjected condition False; new pods get the sidecar', async () => {
    assert.ok(shipping);
    const { kc, release } = shipping;
    await scaleOperator(kc, release, 2);
    await operatorLeader(kc, release);
    const event = await eventually('the Event on the pod without the sidecar', 60_000, async () =>
      (await core.listNamespacedEvent({ namespace: appNs, fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=during' })).items.find((e) => e.reason === NOT_INJECTED_EVENT_REASON));
    assert.equal(event.type, 'Warning');
    assert.equal(event.message, notInjectedMessage(await core.readNamespacedPod({ namespace: appNs, name: 'during' }), 'app'));
    assert.match(event.message ?? '', /its logs are NOT shipped/);
    const status = await eventually('uninjectedPods 1', 30_000, async () => {
      const s = (await new Shippers(kc, appNs).get('app')).status;
      return s?.uninjectedPods === 1 ? s : undefined;
    });
    assert.equal(status.conditions?.find((c) => c.type === SIDECARS_INJECTED)?.status, 'False');
    assert.equal(status.conditions.find((c) => c.type === 'Ready')?.status, 'True');

    await eventually('the webhook to inject again', 60_000, async () => {
      await core.deleteNamespacedPod({ namespace: appNs, name: 'after' }).catch(() => undefined);
      await eventually('the old probe pod gone', 60_000, async () => core.readNamespacedPod({ namespace: appNs, name: 'after' }).then(() => undefined, () => true));
      await core.createNamespacedPod(annotated('after'));
      return (await hasSidecar('after')) ? true : undefined;
    });
    await podRunning(core, appNs, 'after');
    // Recreated, the pod without the sidecar gets it, and the count returns to 0.
    await core.deleteNamespacedPod({ namespace: appNs, name: 'during', gracePeriodSeconds: 0 });
    await eventually('uninjectedPods 0', 60_000, async () => ((await new Shippers(kc, appNs).get('app')).status?.uninjectedPods === 0 ? true : undefined));
  });
});
