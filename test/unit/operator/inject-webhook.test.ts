// The webhook shell and its helpers without a cluster: AdmissionReview answers (patch, admit with a
// warning + Event, deny in strict mode, no Event on dry run, other kinds and operations untouched),
// where failure Events go, pod counting, and two replicas racing to create the certificate Secret.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, type AdmissionregistrationV1Api, type CoreV1Api, type V1ObjectReference, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import { pino } from 'pino';
import { eventTarget, review, type AdmissionRequest, type WebhookDeps } from '../../../operator/webhook.ts';
import { createMetrics, type OperatorMetrics } from '../../../operator/metrics.ts';
import { countPods } from '../../../operator/pod-counts.ts';
import { SecretCertificates, servingNames } from '../../../operator/certs.ts';
import type { LogShipper } from '../../../operator/crd-types.ts';
import { OPEN_POLICY } from '../../../operator/admin-policy.ts';

const log = pino({ level: 'silent' });

const SHIPPER: LogShipper = {
  metadata: { name: 'app', namespace: 'shop' },
  spec: { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['k:9092'], topic: 't' } },
  status: { configHash: 'h1', conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }] },
};

function podObject(annotations: Record<string, string>, owner = false): V1Pod {
  return {
    metadata: {
      generateName: 'web-7d9-', labels: { 'logshipper.io/inject': 'true' }, annotations,
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9', uid: 'rs-uid', controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'web', image: 'w' }], volumes: [{ name: 'logs', emptyDir: {} }] },
  };
}

function request(object: unknown, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { uid: 'req-1', kind: { group: '', version: 'v1', kind: 'Pod' }, namespace: 'shop', operation: 'CREATE', object, ...extra };
}

function deps(overrides: Partial<Omit<WebhookDeps, 'metrics'>> = {}): WebhookDeps & { events: [V1ObjectReference, string, string][]; metrics: OperatorMetrics } {
  const events: [V1ObjectReference, string, string][] = [];
  return {
    inject: { defaultImage: 'img', defaultMode: 'native', policy: OPEN_POLICY },
    strict: false,
    findShipper: (namespace, name) => Promise.resolve(namespace === 'shop' && name === 'app' ? SHIPPER : undefined),
    recordEvent: (ref, reason, message) => {
      events.push([ref, reason, message]);
    },
    metrics: createMetrics(),
    log,
    events,
    ...overrides,
  };
}

describe('webhook review()', () => {
  it('injects: a base64 JSON patch, the pod namespace taken from the request', async () => {
    const response = await review(request(podObject({ 'logshipper.io/inject': 'app' })), deps());
    assert.equal(response.allowed, true);
    assert.equal(response.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString()) as { path: string }[];
    assert.ok(patch.some((op) => op.path === '/spec/initContainers'));
  });

  it('admits unchanged with a warning and an Event on the ReplicaSet when the LogShipper is missing; strict (flag or annotation) denies', async () => {
    const d = deps();
    const response = await review(request(podObject({ 'logshipper.io/inject': 'gone' }, true)), d);
    assert.deepEqual(response, { uid: 'req-1', allowed: true, warnings: ['logshipper: sidecar not injected: LogShipper gone not found in namespace shop (logshipper.io/inject)'] });
    assert.equal(d.events.length, 1);
    const [ref, reason, message] = d.events[0] ?? [];
    assert.deepEqual(ref, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9', uid: 'rs-uid', namespace: 'shop' });
    assert.equal(reason, 'SidecarInjectionFailed');
    assert.match(message ?? '', /^pod shop\/web-7d9-<generated>: admitted without the logshipper sidecar: LogShipper gone not found/);
    assert.equal((await d.metrics.injections.get()).values.find((v) => v.labels.result === 'failed')?.value, 1);

    const strict = await review(request(podObject({ 'logshipper.io/inject': 'gone' })), deps({ strict: true }));
    assert.deepEqual(strict, { uid: 'req-1', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'logshipper: sidecar not injected: LogShipper gone not found in namespace shop (logshipper.io/inject)' } });
    const byAnnotation = await review(request(podObject({ 'logshipper.io/inject': 'gone', 'logshipper.io/inject-strict': 'true' })), deps());
    assert.equal(byAnnotation.allowed, false);
    const optOut = await review(request(podObject({ 'logshipper.io/inject': 'gone', 'logshipper.io/inject-strict': 'false' })), deps({ strict: true }));
    assert.equal(optOut.allowed, true);
  });

  it('an API error reading the LogShipper is a failure (admitted, or denied in strict mode), never an exception', async () => {
    const failing = deps({ findShipper: () => Promise.reject(new Error('connection refused')) });
    const response = await review(request(podObject({ 'logshipper.io/inject': 'app' })), failing);
    assert.equal(response.allowed, true);
    assert.match(response.warnings?.[0] ?? '', /cannot inject the sidecar: connection refused/);
  });

  it('dry run: no Event; not a pod CREATE or no annotation: allowed without a lookup', async () => {
    const d = deps();
    await review(request(podObject({ 'logshipper.io/inject': 'gone' }), { dryRun: true }), d);
    assert.equal(d.events.length, 0);
    const noLookup = deps({ findShipper: () => Promise.reject(new Error('must not be called')) });
    assert.deepEqual(await review(request(podObject({})), noLookup), { uid: 'req-1', allowed: true });
    assert.deepEqual(await review(request(podObject({ 'logshipper.io/inject': 'app' }), { operation: 'UPDATE' }), noLookup), { uid: 'req-1', allowed: true });
    assert.deepEqual(await review(request({}, { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }), noLookup), { uid: 'req-1', allowed: true });
  });

  it('eventTarget: the controlling owner (with its uid), else the pod by name or generateName', () => {
    assert.deepEqual(eventTarget(podObject({}, true), 'shop'), { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9', uid: 'rs-uid', namespace: 'shop' });
    assert.deepEqual(eventTarget(podObject({}), 'shop'), { apiVersion: 'v1', kind: 'Pod', name: 'web-7d9-', namespace: 'shop' });
    assert.deepEqual(eventTarget({ metadata: { name: 'solo' } }, 'shop'), { apiVersion: 'v1', kind: 'Pod', name: 'solo', namespace: 'shop' });
  });
});

describe('countPods', () => {
  const pod = (name: string, shipper: string, hash: string | undefined, extra: Partial<V1Pod> = {}): V1Pod => ({
    metadata: { name, labels: { 'logshipper.io/injected': shipper }, annotations: hash === undefined ? {} : { 'logshipper.io/config-hash': hash } },
    ...extra,
  });
  it('current vs stale by config hash; other LogShippers, terminating and finished pods not counted', () => {
    const pods = [
      pod('a', 'app', 'h2'), pod('b', 'app', 'h1'), pod('c', 'app', undefined), pod('d', 'other', 'h2'),
      pod('e', 'app', 'h2', { status: { phase: 'Succeeded' } }),
      { ...pod('f', 'app', 'h2'), metadata: { ...pod('f', 'app', 'h2').metadata, deletionTimestamp: new Date() } },
    ];
    assert.deepEqual(countPods(pods, 'app', 'h2'), { injectedPods: 3, currentPods: 1, stalePods: 2 });
    assert.deepEqual(countPods(pods, 'app', undefined), { injectedPods: 3, currentPods: 0, stalePods: 3 });
    assert.deepEqual(countPods([], 'app', 'h2'), { injectedPods: 0, currentPods: 0, stalePods: 0 });
  });
});

describe('SecretCertificates: two replicas racing', () => {
  it('both start at once against an empty namespace: one creates the Secret, the other gets 409 and uses it (one CA, one certificate)', async () => {
    const store = new Map<string, V1Secret>();
    let version = 0;
    let creates = 0;
    const delay = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
    const core = {
      readNamespacedSecret: async ({ name }: { name: string }) => {
        await delay();
        const secret = store.get(name);
        if (secret === undefined) throw new ApiException(404, 'not found', '', {});
        return structuredClone(secret);
      },
      createNamespacedSecret: async ({ body }: { body: V1Secret }) => {
        await delay();
        creates++;
        const name = body.metadata?.name ?? '';
        if (store.has(name)) throw new ApiException(409, 'already exists', '', {});
        const data = Object.fromEntries(Object.entries(body.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
        const stored: V1Secret = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) }, data };
        delete stored.stringData;
        store.set(name, stored);
        return stored;
      },
      replaceNamespacedSecret: () => Promise.reject(new Error('not expected')),
    } as unknown as CoreV1Api;
    const patches: unknown[] = [];
    const admission = {
      readMutatingWebhookConfiguration: () => Promise.resolve({ webhooks: [{ name: 'inject.logshipper.io', clientConfig: {} }] }),
      patchMutatingWebhookConfiguration: ({ body }: { body: unknown }) => {
        patches.push(body);
        return Promise.resolve({});
      },
    } as unknown as AdmissionregistrationV1Api;
    const make = (): SecretCertificates => new SecretCertificates({
      core, admission, namespace: 'ops', secretName: 'tls', webhookConfigName: 'logshipper', names: servingNames('svc', 'ops'), checkIntervalMs: 60_000, log,
    });
    const [a, b] = [make(), make()];
    const [certA, certB] = await Promise.all([a.start(), b.start()]);
    a.stop();
    b.stop();
    assert.equal(creates, 2, 'both tried to create');
    assert.equal(store.size, 1);
    assert.equal(certA.cert, certB.cert, 'the loser uses the winner\'s certificate');
    const caBundle = Buffer.from(store.get('tls')?.data?.['ca.crt'] ?? '', 'base64').toString();
    for (const ops of patches) assert.deepEqual((ops as { value: string }[])[1]?.value, Buffer.from(caBundle).toString('base64'));
  });
});
