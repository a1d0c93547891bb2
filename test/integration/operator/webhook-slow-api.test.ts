// The webhook's answer within its budget when the Kubernetes API is slow, against the real
// kube-apiserver: the operator talks to the apiserver through a proxy (api-proxy.ts) that holds
// chosen requests for 30 s, while the apiserver calls the webhook with timeoutSeconds 5 (the chart's).
//  - the LogShipper GET of a cache miss hangs: the pod is answered after the GET's deadline, as for an
//    API error (admitted without the sidecar with the reason as a warning; strict: denied);
//  - the Events API hangs: the pod is answered at once; the Events wait in their own queue.
// An answer that came from the webhook carries its warning (or its denial message); one the apiserver
// gave up on (failurePolicy Ignore) carries neither and takes the full 5 s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, ApiException, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { kubeConfig, unique } from '../../env/testing.ts';
import { freePorts } from '../../env/ports.ts';
import { GROUP, PLURAL, VERSION } from '../../../operator/crd-types.ts';
import { ADMISSION_API_TIMEOUT_MS } from '../../../operator/admission-budget.ts';
import { startApiProxy, type ApiProxy } from './api-proxy.ts';
import { createNamespace, deleteNamespace, installCrd, localWebhookArgs, localWebhookConfiguration, startOperator, unscheduledPod, type OperatorProcess } from './helpers.ts';

const WEBHOOK_TIMEOUT_SECONDS = 5;
const HOLD_MS = 30_000;
const ROUNDS = 3;

function pod(name: string, annotations: Record<string, string>): V1Pod {
  return unscheduledPod(name, { 'logshipper.io/inject': 'true' }, annotations);
}

describe('webhook answers within its budget while the Kubernetes API is slow', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let admission: AdmissionregistrationV1Api;
  let proxy: ApiProxy | undefined;
  let operator: OperatorProcess | undefined;
  const ns = unique('lship-slow');
  const config = `${ns}-inject`;

  /** Creates the pod; its wall time and the admission warnings the apiserver passed on. */
  const create = async (body: V1Pod): Promise<{ ms: number; warnings: string }> => {
    const started = performance.now();
    const answer = await core.createNamespacedPodWithHttpInfo({ namespace: ns, body });
    return { ms: performance.now() - started, warnings: answer.headers['warning'] ?? '' };
  };

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    admission = kc.makeApiClient(AdmissionregistrationV1Api);
    await installCrd(kc);
    await createNamespace(kc, ns);
    const [port = 0] = await freePorts(1);
    // Held: the GET of LogShippers named slow-*, and every Event created in the namespace.
    proxy = await startApiProxy(kc, (method, path) =>
      (method === 'GET' && path.startsWith(`/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}/slow-`))
      || (method === 'POST' && path === `/api/v1/namespaces/${ns}/events`), HOLD_MS);
    await admission.createMutatingWebhookConfiguration({ body: localWebhookConfiguration(config, port, ns, WEBHOOK_TIMEOUT_SECONDS) });
    operator = startOperator(ns, 'slow-api', localWebhookArgs(port, ns, config), proxy.kubeconfig);
    // Generous: a loaded 2-core machine takes long to start a process and its worker thread.
    await operator.waitForLog('webhook listening', (l) => l['msg'] === 'webhook listening', 90_000);
    await operator.waitForLog('caches synced', (l) => l['msg'] === 'caches synced; reconciling', 90_000);
    // The caBundle is patched in and trusted: a pod asking for nothing is admitted through the webhook.
    await create(pod('warm-up', {}));
  });

  after(async () => {
    await operator?.stop();
    await proxy?.close();
    await admission.deleteMutatingWebhookConfiguration({ name: config }).catch(() => undefined);
    await deleteNamespace(kc, ns);
  });

  it('the LogShipper GET hangs: the pod is admitted without the sidecar after the GET\'s deadline (strict: denied), well inside timeoutSeconds', async (t) => {
    let clean = 0;
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { ms, warnings } = await create(pod(`slow-get-${round}`, { 'logshipper.io/inject': `slow-${round}` }));
      times.push(Math.round(ms));
      assert.match(warnings, new RegExp(`no answer from the Kubernetes API within ${ADMISSION_API_TIMEOUT_MS} ms`), `round ${round}: the webhook answered (${Math.round(ms)} ms)`);
      assert.ok(ms < WEBHOOK_TIMEOUT_SECONDS * 1000 - 500, `round ${round}: answered in ${Math.round(ms)} ms, before the apiserver's ${WEBHOOK_TIMEOUT_SECONDS} s`);
      const stored = await core.readNamespacedPod({ namespace: ns, name: `slow-get-${round}` });
      assert.equal(stored.spec?.initContainers, undefined, 'admitted without the sidecar');
      await assert.rejects(create(pod(`slow-get-strict-${round}`, { 'logshipper.io/inject': `slow-s${round}`, 'logshipper.io/inject-strict': 'true' })), (error: unknown) => {
        assert.ok(error instanceof ApiException);
        assert.equal(error.code, 403);
        assert.match(String(error.body), /cannot inject the sidecar: GET LogShipper .*no answer from the Kubernetes API within/);
        return true;
      });
      clean++;
    }
    assert.ok((proxy?.held.filter((h) => h.startsWith('GET')).length ?? 0) >= 2 * ROUNDS, 'the GETs were held');
    t.diagnostic(`${clean} of ${ROUNDS} rounds clean; admitted after ${times.join(', ')} ms`);
    assert.equal(await operator?.metric('logshipper_operator_injections_total', { result: 'failed', reason: 'InternalError' }), ROUNDS);
  });

  it('the Events API hangs: the pod is answered without waiting for its Event; the failing Events API is logged once', async (t) => {
    let clean = 0;
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { ms, warnings } = await create(pod(`no-shipper-${round}`, { 'logshipper.io/inject': 'nope' }));
      times.push(Math.round(ms));
      assert.match(warnings, /LogShipper nope not found/, `round ${round}: the webhook answered (${Math.round(ms)} ms)`);
      // The answer does not include the Event's deadline (ADMISSION_API_TIMEOUT_MS), let alone the 30 s hold.
      assert.ok(ms < ADMISSION_API_TIMEOUT_MS, `round ${round}: answered in ${Math.round(ms)} ms`);
      clean++;
    }
    await operator?.waitForLog('the Events failure', (l) => String(l['msg']).startsWith('cannot record events'), 15_000);
    assert.ok((proxy?.held.filter((h) => h.startsWith('POST')).length ?? 0) > 0, 'Events were sent, and held');
    t.diagnostic(`${clean} of ${ROUNDS} rounds clean; answered after ${times.join(', ')} ms`);
    assert.equal(operator?.logs.filter((l) => String(l['msg']).startsWith('cannot record events')).length, 1);
  });

  it('SIGTERM: the webhook thread stops cleanly (Events still held are given up), the process exits 0', async () => {
    assert.ok(operator);
    assert.equal(await operator.stop(), 0);
    assert.ok(operator.logs.some((l) => l['msg'] === 'webhook stopped' && l['component'] === 'webhook'), 'the worker logged its stop');
    assert.ok(operator.logs.some((l) => l['msg'] === 'operator stopped'));
  });
});
