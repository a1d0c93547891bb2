// The operator's runtime pieces without a cluster: the work queue, the informer supervisor, and
// the reconciler against in-memory caches and a fake API (idempotence, secrets, conflicts, the
// finalizer, coalesced status writes).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, ObjectCache, V1ConfigMap, V1ObjectReference, V1Pod, V1Secret } from '@kubernetes/client-node';
import { pino } from 'pino';
import { WorkQueue } from '../../../operator/queue.ts';
import { LIST_PAGE_SIZE, listAllPages, supervise, type Cache } from '../../../operator/informer.ts';
import { Reconciler, type ReconcilerApi } from '../../../operator/reconcile.ts';
import { RecentWrites } from '../../../operator/recent-writes.ts';
import { StatusWriteWindow } from '../../../operator/status-window.ts';
import { FINALIZER } from '../../../operator/deletion.ts';
import type { LogShipper, LogShipperStatus } from '../../../operator/crd-types.ts';
import { configMapName } from '../../../operator/sidecar-layout.ts';
import { createMetrics, type OperatorMetrics } from '../../../operator/metrics.ts';
import { DELIVERING, DELIVERY_ANNOTATION } from '../../../operator/sidecar-health.ts';

const log = pino({ level: 'silent' });

class MapCache<T extends KubernetesObject> implements ObjectCache<T> {
  readonly objects = new Map<string, T>();
  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }
  list(namespace?: string): readonly T[] {
    return [...this.objects.values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  }
  put(object: T): void {
    this.objects.set(`${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`, object);
  }
}

describe('WorkQueue', () => {
  it('dedups, never hands one key to two workers, re-queues a key added while in process', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('a');
    queue.add('b');
    assert.equal(queue.length, 2);
    assert.equal(await queue.get(), 'a');
    queue.add('a'); // while in process
    assert.equal(await queue.get(), 'b');
    assert.equal(queue.length, 0);
    queue.done('a');
    assert.equal(await queue.get(), 'a');
    queue.shutDown();
    assert.equal(await queue.get(), undefined);
  });

  it('backs off per key exponentially up to the cap, and forget() resets it', () => {
    const queue = new WorkQueue({ baseMs: 100, maxMs: 1000 });
    const delays = [1, 2, 3, 4, 5, 6].map(() => {
      const delay = queue.addRateLimited('k');
      queue.add('k'); // supersede the timer so the next call schedules again
      return delay;
    });
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
    assert.equal(queue.addRateLimited('other'), 100, 'backoff is per key');
    queue.forget('k');
    assert.equal(queue.failureCount('k'), 0);
    queue.shutDown();
  });

  it('a rate-limited key comes back after its delay', async () => {
    const queue = new WorkQueue({ baseMs: 20, maxMs: 100 });
    const started = Date.now();
    queue.addRateLimited('k');
    assert.equal(await queue.get(), 'k');
    assert.ok(Date.now() - started >= 15);
    queue.shutDown();
  });
});

describe('supervise (informer restart)', () => {
  it('restarts an informer that stopped on an error, and reports synced only after a good list', async () => {
    const handlers: Record<string, ((arg?: unknown) => void)[]> = {};
    let starts = 0;
    const fake = {
      on: (verb: string, cb: (arg?: unknown) => void) => {
        (handlers[verb] ??= []).push(cb);
      },
      off: () => undefined,
      start: () => {
        starts++;
        // The first start fails (like a list error: the library calls the error callbacks and resolves).
        if (starts === 1) for (const cb of handlers['error'] ?? []) cb(new Error('connection refused'));
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
      get: () => undefined,
      list: () => [],
    } as unknown as Cache<KubernetesObject>;
    const informer = supervise(fake, { name: 'fake', log, baseDelayMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(informer.isSynced(), false, 'a failed list is not a sync');
    await informer.synced;
    assert.equal(starts, 2);
    assert.equal(informer.restarts(), 1);
    // A later watch error restarts it again.
    for (const cb of handlers['error'] ?? []) cb({ code: 500 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(starts, 3);
    await informer.stop();
  });
});

describe('listAllPages', () => {
  it('follows continue tokens page by page (limit sent), maps each item, keeps the snapshot\'s resourceVersion; an empty metadata list has items: null', async () => {
    const asked: [string | undefined, number][] = [];
    const pages: Record<string, { items: V1ConfigMap[]; next?: string }> = {
      first: { items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }], next: 't1' },
      t1: { items: [{ metadata: { name: 'c' } }], next: 't2' },
      t2: { items: [{ metadata: { name: 'd' } }] },
    };
    const listed = await listAllPages<V1ConfigMap>(async (token, limit) => {
      asked.push([token, limit]);
      const page = pages[token ?? 'first'];
      assert.ok(page);
      return Promise.resolve({ metadata: { resourceVersion: '42', ...(page.next === undefined ? {} : { _continue: page.next }) }, items: page.items });
    }, (cm) => ({ metadata: { name: (cm.metadata?.name ?? '').toUpperCase() } }));
    assert.deepEqual(asked, [[undefined, LIST_PAGE_SIZE], ['t1', LIST_PAGE_SIZE], ['t2', LIST_PAGE_SIZE]]);
    assert.deepEqual(listed.items.map((cm) => cm.metadata?.name), ['A', 'B', 'C', 'D']);
    assert.equal(listed.metadata?.resourceVersion, '42');
    const empty = await listAllPages<V1ConfigMap>(async () => Promise.resolve({ metadata: { resourceVersion: '7' }, items: null as unknown as V1ConfigMap[] }));
    assert.deepEqual(empty.items, []);
  });
});

describe('Reconciler (fake API)', () => {
  interface Setup {
    reconciler: Reconciler; calls: string[]; shippers: MapCache<LogShipper>; configMaps: MapCache<V1ConfigMap>; secrets: MapCache<V1Secret>;
    pods: MapCache<V1Pod>; metrics: OperatorMetrics;
  }
  const setup = (spec: LogShipper['spec'], options: { pods?: boolean; statusWindow?: StatusWriteWindow } = {}): Setup => {
    const shippers = new MapCache<LogShipper>();
    const configMaps = new MapCache<V1ConfigMap>();
    const secrets = new MapCache<V1Secret>();
    const calls: string[] = [];
    let rv = 10;
    shippers.put({ apiVersion: 'logshipper.io/v1alpha1', kind: 'LogShipper', metadata: { name: 'app', namespace: 'ns', uid: 'uid-1', generation: 1, resourceVersion: String(rv) }, spec });
    const api: ReconcilerApi = {
      readConfigMap: (namespace, name) => Promise.resolve(configMaps.get(name, namespace)),
      applyConfigMap: (configMap) => {
        calls.push('applyConfigMap');
        const stored = { ...configMap, metadata: { ...configMap.metadata, resourceVersion: String(++rv) } };
        configMaps.put(stored); // the informer delivers it
        return Promise.resolve(stored);
      },
      replaceStatus: (namespace, name, resourceVersion, status: LogShipperStatus) => {
        calls.push('replaceStatus');
        const current = shippers.get(name, namespace);
        assert.ok(current);
        assert.equal(current.metadata?.resourceVersion, resourceVersion);
        const stored = { ...current, metadata: { ...current.metadata, resourceVersion: String(++rv) }, status };
        shippers.put(stored);
        return Promise.resolve(stored);
      },
      replaceFinalizers: (namespace, name, resourceVersion, finalizers) => {
        calls.push(`replaceFinalizers:${finalizers.join(',')}`);
        const current = shippers.get(name, namespace);
        assert.ok(current);
        assert.equal(current.metadata?.resourceVersion, resourceVersion);
        const stored = { ...current, metadata: { ...current.metadata, resourceVersion: String(++rv), finalizers } };
        // The apiserver deletes an object being deleted once its last finalizer is gone.
        if (finalizers.length === 0 && current.metadata.deletionTimestamp !== undefined) shippers.objects.delete(`${namespace}/${name}`);
        else shippers.put(stored);
        return Promise.resolve(stored);
      },
      readSecretKeys: (namespace, name) => {
        calls.push(`readSecret:${name}`);
        const secret = secrets.get(name, namespace);
        return Promise.resolve(secret === undefined ? undefined : Object.keys(secret.data ?? {}));
      },
    };
    const events = {
      record: (_t: unknown, _type: string, reason: string) => {
        calls.push(`event:${reason}`);
        return Promise.resolve();
      },
      recordOn: (object: V1ObjectReference, type: string, reason: string, message: string) => {
        calls.push(`event:${object.kind ?? ''}/${object.name ?? ''}/${object.uid ?? ''}:${type}:${reason}:${message}`);
        return Promise.resolve();
      },
    };
    const pods = new MapCache<V1Pod>();
    const metrics = createMetrics();
    const reconciler = new Reconciler({
      shippers, configMaps, api, events, log, statusWindow: options.statusWindow ?? new StatusWriteWindow(0),
      ...(options.pods === true ? { pods: (namespace: string) => pods.list(namespace), metrics } : {}),
    });
    return { reconciler, calls, shippers, configMaps, secrets, pods, metrics };
  };
  const spec = { volume: 'logs', files: [{ path: 'a.log' }], kafka: { brokers: ['k:9092'], topic: 't' } };

  it('first reconcile writes the finalizer, ConfigMap + status (+ events); the second writes nothing', async () => {
    const { reconciler, calls } = setup(spec);
    const first = await reconciler.reconcile('ns/app');
    assert.deepEqual(first.writes, ['finalizer', 'configmap', 'status']);
    assert.deepEqual(calls, [`replaceFinalizers:${FINALIZER}`, 'applyConfigMap', 'event:ConfigCreated', 'replaceStatus', 'event:Ready']);
    assert.equal(first.requeueAfterMs, undefined);
    calls.length = 0;
    const second = await reconciler.reconcile('ns/app');
    assert.deepEqual(second.writes, []);
    assert.deepEqual(calls, []);
  });

  it('a missing Secret gives SecretNotFound and a re-check with backoff (each Secret read once, none cached); Ready once it exists', async () => {
    const { reconciler, secrets, calls } = setup({ ...spec, kafka: { ...spec.kafka, sasl: { mechanism: 'PLAIN', secretName: 'user' } } });
    const first = await reconciler.reconcile('ns/app');
    assert.equal(first.readiness?.reason, 'SecretNotFound');
    assert.equal(first.requeueAfterMs, 1000);
    assert.deepEqual(calls.filter((c) => c.startsWith('readSecret')), ['readSecret:user'], 'two keys of one Secret: one read');
    assert.equal((await reconciler.reconcile('ns/app')).requeueAfterMs, 2000);
    assert.equal((await reconciler.reconcile('ns/app')).requeueAfterMs, 4000);
    secrets.put({ metadata: { name: 'user', namespace: 'ns' }, data: { username: 'dQ==' } });
    const missingKey = await reconciler.reconcile('ns/app');
    assert.equal(missingKey.readiness?.reason, 'SecretKeyNotFound');
    assert.match(missingKey.readiness.message, /has no key password: it has username/);
    assert.equal(missingKey.requeueAfterMs, 8000);
    secrets.put({ metadata: { name: 'user', namespace: 'ns' }, data: { username: 'dQ==', password: 'cA==' } });
    const outcome = await reconciler.reconcile('ns/app');
    assert.equal(outcome.readiness?.reason, 'Reconciled');
    assert.deepEqual(outcome.writes, ['status']);
    assert.equal(outcome.requeueAfterMs, undefined, 'ready: no re-check (a rotated Secret needs no reconcile)');
    secrets.objects.clear();
    assert.equal((await reconciler.reconcile('ns/app')).requeueAfterMs, 1000, 'the backoff starts again');
  });

  it('a foreign ConfigMap of the same name is not overwritten (ConfigMapConflict)', async () => {
    const { reconciler, configMaps, calls } = setup(spec);
    configMaps.put({ metadata: { name: configMapName('app'), namespace: 'ns' }, data: { mine: 'yes' } });
    const outcome = await reconciler.reconcile('ns/app');
    assert.equal(outcome.readiness?.reason, 'ConfigMapConflict');
    assert.ok(!calls.includes('applyConfigMap'));
  });

  it('an invalid spec (that slipped past the schema) gives InvalidSpec naming the field', async () => {
    const { reconciler } = setup({ ...spec, files: [{ path: '../x' }] });
    const outcome = await reconciler.reconcile('ns/app');
    assert.equal(outcome.readiness?.reason, 'InvalidSpec');
    assert.match(outcome.readiness.message, /^spec\.files\[0\]\.path: /);
  });

  it('a pod admitted without the sidecar: one Warning Event on it across reconciles, counted in status and gauge, SidecarsInjected False; gone: 0 and True', async () => {
    const { reconciler, calls, shippers, pods, metrics } = setup(spec, { pods: true });
    const gauge = async (): Promise<number | undefined> => (await metrics.uninjectedPods.get()).values.find((v) => v.labels['logshipper'] === 'app' && v.labels['namespace'] === 'ns')?.value;
    const status = (): LogShipperStatus | undefined => shippers.get('app', 'ns')?.status;
    const condition = (): string | undefined => {
      const c = status()?.conditions?.find((x) => x.type === 'SidecarsInjected');
      return c === undefined ? undefined : `${c.status} ${c.reason}`;
    };
    pods.put({ metadata: { name: 'ok', namespace: 'ns', uid: 'u-ok', labels: { 'logshipper.io/injected': 'app' }, annotations: { 'logshipper.io/inject': 'app' } }, spec: { containers: [] } });
    await reconciler.reconcile('ns/app');
    assert.equal(status()?.uninjectedPods, 0);
    assert.equal(status()?.injectedPods, 1);
    assert.equal(condition(), 'True AllPodsInjected');
    assert.equal(await gauge(), 0);
    assert.deepEqual(status()?.conditions?.map((c) => c.type), ['Ready', 'SidecarsInjected', 'Delivering']);

    calls.length = 0;
    pods.put({ metadata: { name: 'missed', namespace: 'ns', uid: 'u-missed', annotations: { 'logshipper.io/inject': 'app' } }, spec: { containers: [] } });
    await reconciler.reconcile('ns/app');
    assert.equal(status()?.uninjectedPods, 1);
    assert.equal(condition(), 'False PodsWithoutSidecar');
    assert.equal(await gauge(), 1);
    const podEvents = (): string[] => calls.filter((c) => c.startsWith('event:Pod/'));
    assert.equal(podEvents().length, 1);
    assert.match(podEvents()[0] ?? '', /^event:Pod\/missed\/u-missed:Warning:SidecarNotInjected:pod ns\/missed asks for LogShipper app .* its logs are NOT shipped/);
    assert.ok(calls.includes('replaceStatus'));
    assert.ok(!calls.includes('event:Ready'), 'Ready stays as it is: the webhook injects only for a Ready LogShipper');

    calls.length = 0;
    for (let i = 0; i < 3; i++) await reconciler.reconcile('ns/app');
    assert.deepEqual(calls, [], 'no repeat Event, no status write');

    pods.objects.delete('ns/missed');
    await reconciler.reconcile('ns/app');
    assert.equal(status()?.uninjectedPods, 0);
    assert.equal(condition(), 'True AllPodsInjected');
    assert.equal(await gauge(), 0);

    const last = shippers.get('app', 'ns');
    assert.ok(last);
    reconciler.shipperWrites.observe(last); // the informer delivered the last status write
    shippers.objects.delete('ns/app');
    await reconciler.reconcile('ns/app');
    assert.equal(await gauge(), undefined, 'the LogShipper gone: its series removed');
  });

  /** A change by someone else, as the informer delivers it (after the reconciler's own last write). */
  const deliver = (reconciler: Reconciler, shippers: MapCache<LogShipper>, object: LogShipper): void => {
    const written = shippers.get(object.metadata?.name ?? '', object.metadata?.namespace);
    if (written !== undefined) reconciler.shipperWrites.observe(written);
    shippers.put(object);
    reconciler.shipperWrites.observe(object);
  };
  const injectedPod = (name: string): V1Pod => ({ metadata: { name, namespace: 'ns', uid: `u-${name}`, labels: { 'logshipper.io/injected': 'app' }, annotations: { 'logshipper.io/inject': 'app' } } });

  it('pods whose sidecar reports delivery trouble: counted in undeliveringPods and the gauge, Delivering False naming them; cleared: 0 and True; Ready untouched', async () => {
    const { reconciler, calls, shippers, pods, metrics } = setup(spec, { pods: true });
    const gauge = async (): Promise<number | undefined> => (await metrics.undeliveringPods.get()).values.find((v) => v.labels['logshipper'] === 'app' && v.labels['namespace'] === 'ns')?.value;
    const status = (): LogShipperStatus | undefined => shippers.get('app', 'ns')?.status;
    const delivering = () => status()?.conditions?.find((x) => x.type === DELIVERING);
    const injectedPod = (name: string, annotations: Record<string, string> = {}): V1Pod => ({
      metadata: { name, namespace: 'ns', uid: `u-${name}`, labels: { 'logshipper.io/injected': 'app' }, annotations: { 'logshipper.io/inject': 'app', ...annotations } }, spec: { containers: [] },
    });
    pods.put(injectedPod('ok'));
    await reconciler.reconcile('ns/app');
    assert.equal(status()?.undeliveringPods, 0);
    assert.equal(delivering()?.status, 'True');
    assert.equal(delivering()?.reason, 'AllSidecarsDelivering');
    assert.equal(await gauge(), 0);

    calls.length = 0;
    pods.put(injectedPod('stuck', { [DELIVERY_ANNOTATION]: JSON.stringify({ delivering: false, since: '2026-01-01T00:00:00Z', reason: 'sink k: broker down' }) }));
    await reconciler.reconcile('ns/app');
    assert.equal(status()?.undeliveringPods, 1);
    assert.equal(delivering()?.status, 'False');
    assert.equal(delivering()?.reason, 'SidecarsNotDelivering');
    assert.match(delivering()?.message ?? '', /stuck \(since 2026-01-01T00:00:00Z: sink k: broker down\)/);
    assert.equal(await gauge(), 1);
    assert.equal(status()?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'not part of Ready');
    assert.ok(!calls.some((c) => c.startsWith('event:')), 'no Ready change, no Event');

    pods.put(injectedPod('stuck'));
    await reconciler.reconcile('ns/app');
    assert.equal(status()?.undeliveringPods, 0);
    assert.equal(delivering()?.status, 'True');
    assert.equal(await gauge(), 0);
  });

  it('pod-driven status changes are coalesced: at most one write per window, the counts of that moment; a spec change is written at once', async () => {
    let clock = 0;
    const { reconciler, calls, shippers, pods } = setup(spec, { pods: true, statusWindow: new StatusWriteWindow(2000, () => clock) });
    await reconciler.reconcile('ns/app');
    const statusWrites = (): number => calls.filter((c) => c === 'replaceStatus').length;
    assert.equal(statusWrites(), 1);
    // A rollout: 25 pods, one every 100 ms, a reconcile per pod event.
    const delays: number[] = [];
    for (let i = 0; i < 25; i++) {
      clock += 100;
      pods.put(injectedPod(`web-${String(i)}`));
      const outcome = await reconciler.reconcile('ns/app');
      if (outcome.requeueAfterMs !== undefined) delays.push(outcome.requeueAfterMs);
    }
    assert.equal(statusWrites(), 1 + 1, 'one pod-driven write in the 2.5 s of the rollout (at t=2000, 20 pods)');
    assert.equal(delays[0], 1900, 'deferred to the end of the window');
    // The deferred reconcile (the queue runs it after requeueAfterMs) writes the last counts.
    clock += 2000;
    const last = await reconciler.reconcile('ns/app');
    assert.deepEqual(last.writes, ['status']);
    assert.equal(shippers.get('app', 'ns')?.status?.injectedPods, 25);
    // A new generation, right after a write: at once.
    const current = shippers.get('app', 'ns');
    assert.ok(current);
    deliver(reconciler, shippers, { ...current, metadata: { ...current.metadata, generation: 2, resourceVersion: '900' }, spec: { ...spec, kafka: { ...spec.kafka, topic: 't2' } } });
    clock += 10;
    pods.put(injectedPod('web-late'));
    const changed = await reconciler.reconcile('ns/app');
    assert.deepEqual(changed.writes, ['configmap', 'status']);
    assert.equal(shippers.get('app', 'ns')?.status?.observedGeneration, 2);
    assert.equal(shippers.get('app', 'ns')?.status?.injectedPods, 26, 'the counts go with it');
  });

  it('deletion: the finalizer stays while injected pods remain (Deleting condition, one Event), removed when none is left', async () => {
    const { reconciler, calls, shippers, pods } = setup(spec, { pods: true });
    pods.put(injectedPod('web-1'));
    pods.put(injectedPod('web-2'));
    pods.put({ metadata: { name: 'other', namespace: 'ns', labels: { 'logshipper.io/injected': 'other' } } });
    await reconciler.reconcile('ns/app');
    const current = shippers.get('app', 'ns');
    assert.deepEqual(current?.metadata?.finalizers, [FINALIZER]);
    assert.ok(current);
    deliver(reconciler, shippers, { ...current, metadata: { ...current.metadata, deletionTimestamp: new Date(), resourceVersion: '900' } });
    calls.length = 0;
    const held = await reconciler.reconcile('ns/app');
    assert.deepEqual(held.writes, ['status']);
    const deleting = shippers.get('app', 'ns')?.status?.conditions?.find((c) => c.type === 'Deleting');
    assert.equal(deleting?.reason, 'WaitingForInjectedPods');
    assert.match(deleting.message, /^deleted: ConfigMap app-logshipper is kept while 2 injected pods still mount it \(web-1, web-2\)/);
    assert.ok(calls.some((c) => c === 'event:WaitingForInjectedPods'));
    assert.ok(!calls.some((c) => c.startsWith('replaceFinalizers') || c === 'applyConfigMap'));

    pods.objects.delete('ns/web-1');
    calls.length = 0;
    await reconciler.reconcile('ns/app');
    assert.match(shippers.get('app', 'ns')?.status?.conditions?.find((c) => c.type === 'Deleting')?.message ?? '', /while 1 injected pod still mounts it \(web-2\)/);
    assert.ok(!calls.includes('event:WaitingForInjectedPods'), 'one Event, not one per pod');

    pods.objects.delete('ns/web-2');
    calls.length = 0;
    const released = await reconciler.reconcile('ns/app');
    assert.deepEqual(released.writes, ['finalizer']);
    assert.deepEqual(calls, ['replaceFinalizers:']);
    assert.equal(shippers.get('app', 'ns'), undefined, 'gone (the garbage collector takes the ConfigMap)');
    assert.deepEqual((await reconciler.reconcile('ns/app')).writes, []);
  });

  it('a LogShipper being deleted without the operator\'s finalizer is left alone', async () => {
    const { reconciler, calls, shippers } = setup(spec);
    const current = shippers.get('app', 'ns');
    assert.ok(current);
    shippers.put({ ...current, metadata: { ...current.metadata, deletionTimestamp: new Date(), finalizers: ['someone.else/x'] } });
    assert.deepEqual((await reconciler.reconcile('ns/app')).writes, []);
    assert.deepEqual(calls, []);
  });
});

describe('RecentWrites (read your writes)', () => {
  const cm = (rv: string, data: string): V1ConfigMap => ({ metadata: { name: 'c', namespace: 'ns', resourceVersion: rv }, data: { d: data } });

  it('prefers its own write until the informer delivers it', () => {
    const writes = new RecentWrites<V1ConfigMap>();
    writes.remember(cm('2', 'new'));
    assert.equal(writes.get('ns/c', cm('1', 'old'))?.data?.['d'], 'new');
    writes.observe(cm('2', 'new'));
    assert.equal(writes.get('ns/c', cm('3', 'newer'))?.data?.['d'], 'newer');
  });

  it('a watch event that beats the write response does not leave a stale entry behind', () => {
    const writes = new RecentWrites<V1ConfigMap>();
    writes.observe(cm('2', 'new'));
    writes.observe(cm('3', 'changed by someone'));
    writes.remember(cm('2', 'new'));
    assert.equal(writes.get('ns/c', cm('3', 'changed by someone'))?.data?.['d'], 'changed by someone');
  });
});
