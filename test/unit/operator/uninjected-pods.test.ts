// Pods admitted without the sidecar: which pods are found, the condition and Event texts, one Event
// per pod (by uid), and the pod summary the operator caches (the counts are the same on it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { countPods } from '../../../operator/pod-counts.ts';
import { LIVE_PODS_FIELD_SELECTOR, podSummary } from '../../../operator/pod-summary.ts';
import {
  NotInjectedNotices, notInjectedMessage, podReference, sidecarsInjectedState, uninjectedPods,
} from '../../../operator/uninjected-pods.ts';

function pod(name: string, options: { asks?: string; unlabelled?: boolean; injected?: string; sidecar?: boolean; phase?: string; terminating?: boolean; owner?: string } = {}): V1Pod {
  return {
    metadata: {
      name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '7',
      labels: {
        app: 'web',
        // A pod that asks has the opt-in label too (the webhook selects on it), unless the test says otherwise.
        ...(options.asks === undefined || options.unlabelled === true ? {} : { 'logshipper.io/inject': 'true' }),
        ...(options.injected === undefined ? {} : { 'logshipper.io/injected': options.injected }),
      },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"a":"big"}',
        ...(options.asks === undefined ? {} : { 'logshipper.io/inject': options.asks }),
        ...(options.injected === undefined ? {} : { 'logshipper.io/config-hash': 'h1' }),
      },
      ...(options.terminating === true ? { deletionTimestamp: new Date() } : {}),
      ...(options.owner === undefined ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: options.owner, uid: 'rs-uid', controller: true }] }),
      managedFields: [{ manager: 'kubectl', operation: 'Update' }],
    },
    spec: {
      containers: [{ name: 'web', image: 'busybox', env: [{ name: 'A', value: 'b' }] }],
      ...(options.sidecar === true ? { initContainers: [{ name: 'logshipper', image: 'ls' }] } : {}),
    },
    status: { phase: options.phase ?? 'Running', podIP: '10.0.0.1' },
  };
}

const names = (pods: V1Pod[]): string[] => pods.map((p) => p.metadata?.name ?? '');

describe('uninjectedPods', () => {
  const pods = [
    pod('web-b', { asks: 'app' }),
    pod('web-a', { asks: ' app ' }), // the webhook trims the annotation too
    pod('injected', { asks: 'app', injected: 'app', sidecar: true }),
    pod('injected-by-other-label', { asks: 'app', injected: 'other', sidecar: true }),
    pod('other', { asks: 'other' }),
    pod('plain'),
    pod('done', { asks: 'app', phase: 'Succeeded' }),
    pod('failed', { asks: 'app', phase: 'Failed' }),
    pod('going', { asks: 'app', terminating: true }),
  ];

  it('finds the live pods asking for the LogShipper without the injected label, sorted by name', () => {
    assert.deepEqual(names(uninjectedPods(pods, 'app')), ['web-a', 'web-b']);
    assert.deepEqual(names(uninjectedPods(pods, 'other')), ['other']);
    assert.deepEqual(uninjectedPods(pods, 'nope'), []);
  });

  it('gives the same answers (and the same countPods) on the cached pod summaries of the pods the cache holds', () => {
    // The apiserver applies the cache's field selector: finished pods are not sent.
    assert.equal(LIVE_PODS_FIELD_SELECTOR, 'status.phase!=Succeeded,status.phase!=Failed');
    const summaries = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').map(podSummary);
    assert.deepEqual(names(uninjectedPods(summaries, 'app')), ['web-a', 'web-b']);
    assert.deepEqual(countPods(summaries, 'app', 'h1'), countPods(pods, 'app', 'h1'));
    assert.deepEqual(countPods(summaries, 'app', 'h1'), { injectedPods: 1, currentPods: 1, stalePods: 0 });
  });
});

describe('podSummary', () => {
  it('keeps identity, resourceVersion, logshipper.io/ keys and the controlling owner; drops the rest (the cache asks for metadata only)', () => {
    const full = pod('web', { asks: 'app', owner: 'web-7d9', sidecar: true });
    const summary = podSummary(full);
    assert.deepEqual(JSON.parse(JSON.stringify(summary)), {
      metadata: {
        name: 'web', namespace: 'shop', uid: 'uid-web', resourceVersion: '7',
        labels: { 'logshipper.io/inject': 'true' },
        annotations: { 'logshipper.io/inject': 'app' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9', uid: 'rs-uid', controller: true }],
      },
    });
    assert.equal(podSummary(pod('going', { terminating: true })).metadata?.deletionTimestamp instanceof Date, true);
  });
});

describe('SidecarsInjected condition and the Event', () => {
  it('True with no such pod; False naming the count, the first five pods, that logs are not shipped and the fix', () => {
    assert.deepEqual(sidecarsInjectedState([], 'app'), {
      ok: true, reason: 'AllPodsInjected', message: 'every live pod that asks for LogShipper app (logshipper.io/inject) carries the sidecar',
    });
    const one = sidecarsInjectedState([pod('web-1', { asks: 'app' })], 'app');
    assert.equal(one.ok, false);
    assert.equal(one.reason, 'PodsWithoutSidecar');
    assert.match(one.message, /^1 pod asks for LogShipper app \(logshipper\.io\/inject\) and runs without the sidecar, so its logs are NOT shipped: web-1\. /);
    const seven = sidecarsInjectedState(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => pod(n, { asks: 'app' })), 'app');
    const mixed = sidecarsInjectedState([pod('a', { asks: 'app' }), pod('b', { asks: 'app', unlabelled: true })], 'app');
    assert.match(mixed.message, /recreate them to get the sidecar \(kubectl rollout restart of their workload\)\. 1 of them lacks the label logshipper\.io\/inject: "true" \(never sent to the webhook\): add the label logshipper\.io\/inject: "true" next to the annotation .*, then recreate them\.$/);
    assert.match(seven.message, /^7 pods ask .* run without the sidecar, so their logs are NOT shipped: a, b, c, d, e and 2 more\. Admitted while the injection webhook was unavailable or failed \(SidecarNotInjected Events on the pods\); recreate them to get the sidecar \(kubectl rollout restart of their workload\)\.$/);
  });

  it('the Event message names the pod, the LogShipper, that it was admitted without the sidecar, that its logs are not shipped, and how to recreate it', () => {
    assert.equal(notInjectedMessage(pod('web-1', { asks: 'app', owner: 'web-7d9' }), 'app'),
      'pod shop/web-1 asks for LogShipper app (logshipper.io/inject) but was admitted without the logshipper sidecar (the injection webhook was unavailable or failed): '
      + 'its logs are NOT shipped. To get the sidecar, recreate it, e.g. kubectl rollout restart of the workload that owns it (ReplicaSet web-7d9) once the webhook answers again');
    assert.match(notInjectedMessage(pod('solo', { asks: 'app' }), 'app'), /To get the sidecar, delete it and create it again once the webhook answers again$/);
    // Without the opt-in label the webhook never saw the pod: the fix is the label.
    assert.equal(notInjectedMessage(pod('web-2', { asks: 'app', unlabelled: true, owner: 'web-7d9' }), 'app'),
      'pod shop/web-2 asks for LogShipper app (logshipper.io/inject annotation) but lacks the label logshipper.io/inject: "true", so the injection webhook never saw it '
      + 'and it runs without the logshipper sidecar: its logs are NOT shipped. To get the sidecar, add the label logshipper.io/inject: "true" next to the annotation '
      + '(in the workload\'s pod template), which the injection webhook selects pods by, then recreate it, e.g. kubectl rollout restart of the workload that owns it (ReplicaSet web-7d9)');
    assert.deepEqual(podReference(pod('web-1')), { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'uid-web-1' });
  });
});

describe('NotInjectedNotices', () => {
  it('one notice per pod uid across reconciles; a gone pod is forgotten; a recreated pod (new uid) is new', () => {
    const notices = new NotInjectedNotices();
    const a = pod('a');
    const b = pod('b');
    assert.deepEqual(names(notices.unnotified('shop/app', [a])), ['a']);
    assert.deepEqual(names(notices.unnotified('shop/app', [a])), []);
    assert.deepEqual(names(notices.unnotified('shop/app', [a, b])), ['b']);
    assert.deepEqual(names(notices.unnotified('shop/other', [a])), ['a'], 'per LogShipper');
    assert.deepEqual(names(notices.unnotified('shop/app', [b])), []);
    assert.deepEqual(names(notices.unnotified('shop/app', [a, b])), ['a'], 'a was forgotten when it was gone');
    const recreated = { ...a, metadata: { ...a.metadata, uid: 'uid-a-2' } };
    assert.deepEqual(names(notices.unnotified('shop/app', [recreated, b])), ['a']);
    notices.forget('shop/app');
    assert.deepEqual(names(notices.unnotified('shop/app', [b])), ['b']);
  });
});
