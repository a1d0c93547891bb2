// The operator as a separate process against the real kube-apiserver: LogShipper -> ConfigMap and
// Ready status; updates; a missing Secret; a restart that must write nothing; garbage collection.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { eventually, unique } from '../../env/testing.ts';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import type { LogShipperSpec } from '../../../operator/crd-types.ts';
import { render } from '../../../operator/render.ts';
import { resolveSpec } from '../../../operator/spec.ts';
import { CONFIG_FILE_KEY, CONFIG_HASH_ANNOTATION, configMapName, SASL_PASSWORD_FILE_PATH } from '../../../operator/sidecar-layout.ts';
import { deleteNamespace, operatorSuite, startOperator, type OperatorProcess, type Shippers } from './helpers.ts';

const SPEC: LogShipperSpec = {
  volume: 'logs',
  files: [{ path: 'app/*.log', headers: { logtype: 'app' } }],
  kafka: { brokers: ['kafka-0.kafka:9092'], topic: 'app-logs', key: { field: 'PodName' } },
  enrichment: { fields: ['PodName', 'Namespace'] },
};

describe('operator: reconciliation against the real kube-apiserver', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let shippers: Shippers;
  let operator: OperatorProcess | undefined;
  const namespace = unique('lship-rec');

  const configMap = async (name: string): Promise<V1ConfigMap> => core.readNamespacedConfigMap({ namespace, name: configMapName(name) });

  before(async () => {
    ({ kc, core, shippers, operator } = await operatorSuite(namespace, 'rec-1'));
  });

  after(async () => {
    await operator?.stop();
    await deleteNamespace(kc, namespace);
  });

  it('apply -> ConfigMap with the rendered properties, owned by the LogShipper, and Ready=True for the current generation', async () => {
    const created = await shippers.create('app', SPEC);
    const ready = await shippers.waitReady('app', 'True', 'Reconciled');
    const cm = await configMap('app');
    const expected = render(resolveSpec(ready.spec), { namespace, name: 'app' });
    assert.equal(cm.data?.[CONFIG_FILE_KEY], expected.text);
    assert.equal(cm.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], expected.hash);
    const status = ready.status ?? {};
    assert.equal(status.configHash, expected.hash);
    assert.equal(status.configMapName, configMapName('app'));
    assert.equal(status.observedGeneration, created.metadata?.generation);
    const owner = cm.metadata.ownerReferences?.[0];
    assert.equal(owner?.uid, created.metadata?.uid);
    assert.equal(owner?.controller, true);
    const properties = parseProperties(expected.text);
    assert.equal(properties.get('logshipper.sinks.kafka.kafka.topic')?.value, 'app-logs');
    // Events tell the story.
    const events = await eventually('events on the LogShipper', 10_000, async () => {
      const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=app` });
      const reasons = list.items.map((e) => e.reason);
      return reasons.includes('ConfigCreated') && reasons.includes('Ready') ? reasons : undefined;
    });
    assert.ok(events.length >= 2);
  });

  it('update -> new properties and hash, observedGeneration follows', async () => {
    const before = await configMap('app');
    const updated = await shippers.replaceSpec('app', { ...SPEC, kafka: { ...SPEC.kafka, topic: 'app-logs-v2' } });
    const ready = await eventually('the new generation to be reconciled', 30_000, async () => {
      const shipper = await shippers.waitReady('app', 'True');
      return shipper.status?.observedGeneration === updated.metadata?.generation ? shipper : undefined;
    });
    const after = await configMap('app');
    assert.notEqual(after.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], before.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]);
    assert.equal(ready.status?.configHash, after.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]);
    assert.equal(parseProperties(after.data?.[CONFIG_FILE_KEY] ?? '').get('logshipper.sinks.kafka.kafka.topic')?.value, 'app-logs-v2');
  });

  it('a missing Secret -> Ready=False SecretNotFound naming it; ready once the Secret is created', async () => {
    await shippers.create('secure', { ...SPEC, kafka: { ...SPEC.kafka, sasl: { mechanism: 'SCRAM-SHA-512', secretName: 'kafka-user' } } });
    const notReady = await shippers.waitReady('secure', 'False', 'SecretNotFound');
    const condition = notReady.status?.conditions?.find((c) => c.type === 'Ready');
    assert.match(condition?.message ?? '', /Secret kafka-user \(spec\.kafka\.sasl/);
    // The configuration is rendered anyway (it holds no secret, only the paths of the mounted Secret's files).
    assert.ok(((await configMap('secure')).data?.[CONFIG_FILE_KEY] ?? '').includes(`sasl.password.file = ${SASL_PASSWORD_FILE_PATH}`));

    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'kafka-user' }, stringData: { username: 'shop' } } });
    const missingKey = await shippers.waitReady('secure', 'False', 'SecretKeyNotFound');
    assert.match(missingKey.status?.conditions?.[0]?.message ?? '', /has no key password: it has username/);

    await core.replaceNamespacedSecret({ namespace, name: 'kafka-user', body: { metadata: { name: 'kafka-user' }, stringData: { username: 'shop', password: 'pw' } } });
    await shippers.waitReady('secure', 'True', 'Reconciled');
  });

  it('reconciling an unchanged world writes nothing; an operator restart writes nothing (resourceVersions unchanged)', async () => {
    assert.ok(operator);
    // Let the first operator settle, then snapshot.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const snapshot = async (): Promise<string[]> => [
      ...await Promise.all(['app', 'secure'].map(async (name) => (await shippers.get(name)).metadata?.resourceVersion ?? '')),
      ...await Promise.all(['app', 'secure'].map(async (name) => (await configMap(name)).metadata?.resourceVersion ?? '')),
    ];
    const before = await snapshot();
    const eventsBefore = (await core.listNamespacedEvent({ namespace })).items.length;
    await operator.stop();

    operator = startOperator(namespace, 'rec-2');
    await operator.waitForLog('caches synced', (l) => l['msg'] === 'caches synced; reconciling');
    // Every LogShipper was reconciled by the new process...
    await eventually('the new operator to reconcile both LogShippers', 15_000, async () => (await operator?.metric('logshipper_operator_reconcile_total', { result: 'success' }) ?? 0) >= 2 ? true : undefined);
    // ...and nothing was written.
    assert.equal(await operator.metric('logshipper_operator_writes_total'), 0);
    assert.deepEqual(await snapshot(), before);
    assert.equal((await core.listNamespacedEvent({ namespace })).items.length, eventsBefore);
  });

  it('a ConfigMap changed by hand is put back', async () => {
    const cm = await configMap('app');
    await core.replaceNamespacedConfigMap({ namespace, name: configMapName('app'), body: { metadata: cm.metadata, data: { [CONFIG_FILE_KEY]: 'tampered = yes\n' } } });
    await eventually('the ConfigMap to be restored', 15_000, async () => {
      const current = await configMap('app');
      return current.data?.[CONFIG_FILE_KEY]?.includes('app-logs-v2') === true ? true : undefined;
    });
  });

  it('/healthz, /readyz and /metrics answer', async () => {
    assert.ok(operator);
    const port = await operator.port();
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const name of ['logshipper_operator_reconcile_total', 'logshipper_operator_reconcile_errors_total', 'logshipper_operator_reconcile_duration_seconds_bucket', 'logshipper_operator_queue_depth', 'logshipper_operator_leader 1']) {
      assert.ok(metrics.includes(name), `${name} in /metrics`);
    }
  });

  it('deleting a LogShipper garbage-collects its ConfigMap (owner reference, kube-controller-manager)', async () => {
    await shippers.delete('app');
    await eventually('the ConfigMap to be garbage-collected', 60_000, async () => {
      try {
        await configMap('app');
        return undefined;
      } catch {
        return true;
      }
    });
  });
});
