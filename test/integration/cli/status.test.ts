// `logshipper status` against the real kube-apiserver: LogShippers with the status the operator
// writes, and pods carrying what the webhook sets (label, config hash, sidecar container) or asking
// for the sidecar without it, created directly or by a Deployment (no operator, no webhook; never
// scheduled).
// The real command runs as a process with the env's kubeconfig, and with a ServiceAccount's token
// that may read nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type KubeConfig as Kc, type V1Pod } from '@kubernetes/client-node';
import { createNamespace, deleteNamespace, installCrd, Shippers } from '../operator/helpers.ts';
import { eventually, kubeConfig, testEnv, unique } from '../../env/testing.ts';
import { GROUP, PLURAL, VERSION, type LogShipperSpec, type LogShipperStatus } from '../../../operator/crd-types.ts';
import { INJECT_ANNOTATION, INJECT_LABEL, INJECTED_LABEL } from '../../../operator/inject.ts';
import { CONFIG_HASH_ANNOTATION, SIDECAR_CONTAINER_NAME } from '../../../operator/sidecar-layout.ts';
import type { StatusReport } from '../../../cli/status/report.ts';
import { DELIVERY_ANNOTATION } from '../../../operator/sidecar-health.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const SPEC: LogShipperSpec = { volume: 'logs', files: [{ path: 'app.log' }], kafka: { brokers: ['kafka:9092'], topic: 'app-logs' } };
const CURRENT = 'c'.repeat(64);
const OLD = 'a'.repeat(64);
const NOW = '2026-01-01T00:00:00Z';

function status(counts: Partial<LogShipperStatus>, ready: { status: 'True' | 'False'; reason: string; message: string }): LogShipperStatus {
  return { observedGeneration: 1, configHash: CURRENT, ...counts, conditions: [{ type: 'Ready', ...ready, lastTransitionTime: NOW }] };
}

function pod(name: string, labels: Record<string, string>, annotations: Record<string, string>, sidecar: 'native' | 'plain' | 'none'): V1Pod {
  const app = { name: 'app', image: 'busybox' };
  const logshipper = { name: SIDECAR_CONTAINER_NAME, image: 'logshipper' };
  return {
    metadata: { name, labels, annotations },
    spec: {
      // Never scheduled: the test reads what the API holds, no kubelet runs these.
      nodeSelector: { 'logshipper.io/status-test': 'nowhere' },
      initContainers: sidecar === 'native' ? [{ ...logshipper, restartPolicy: 'Always' }] : undefined,
      containers: sidecar === 'plain' ? [app, logshipper] : [app],
    },
  };
}

function runStatus(args: string[], kubeconfig = testEnv('KUBECONFIG')): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['cli/main.ts', 'status', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A kubeconfig of the test cluster whose user is `namespace`'s ServiceAccount `name` (no RBAC grants). */
async function serviceAccountKubeconfig(kc: Kc, namespace: string, name: string, file: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const token = await core.createNamespacedServiceAccountToken({ namespace, name, body: { spec: { audiences: [], expirationSeconds: 600 } } });
  const cluster = kc.getCurrentCluster();
  assert.ok(cluster !== null);
  const sa = new KubeConfig();
  sa.loadFromOptions({
    clusters: [cluster], users: [{ name, token: token.status?.token }],
    contexts: [{ name: 'nobody', cluster: cluster.name, user: name, namespace }], currentContext: 'other',
  });
  writeFileSync(file, sa.exportConfig());
}

describe('logshipper status against the real kube-apiserver', () => {
  const kc = kubeConfig();
  const namespace = unique('status');
  const dir = mkdtempSync(join(tmpdir(), 'status-test-'));
  /** The Deployment's pod (its name has the ReplicaSet's hash and a random suffix). */
  let stale = '';

  before(async () => {
    await installCrd(kc);
    await createNamespace(kc, namespace);
    const shippers = new Shippers(kc, namespace);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const setStatus = (name: string, value: LogShipperStatus): Promise<unknown> => custom.patchNamespacedCustomObjectStatus({
      group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: [{ op: 'add', path: '/status', value }],
    });
    await shippers.create('app-logs', SPEC);
    await setStatus('app-logs', status({ injectedPods: 2, currentPods: 1, stalePods: 1, uninjectedPods: 1 },
      { status: 'True', reason: 'Reconciled', message: 'agent configuration rendered into ConfigMap app-logs-logshipper (key agent.properties)' }));
    await shippers.create('audit', { ...SPEC, kafka: { ...SPEC.kafka, topic: 'audit', tls: { ca: { secretName: 'kafka-ca' } } } });
    await setStatus('audit', status({ injectedPods: 0, currentPods: 0, stalePods: 0, uninjectedPods: 0 },
      { status: 'False', reason: 'SecretNotFound', message: `Secret kafka-ca (spec.kafka.tls.ca) not found in namespace ${namespace}: create it; the operator retries when it appears` }));
    const core = kc.makeApiClient(CoreV1Api);
    const asks = { [INJECT_ANNOTATION]: 'app-logs' };
    const injected = { [INJECTED_LABEL]: 'app-logs', [INJECT_LABEL.key]: INJECT_LABEL.value };
    await core.createNamespacedPod({ namespace, body: pod('app-current', injected, { ...asks, [CONFIG_HASH_ANNOTATION]: CURRENT }, 'native') });
    await core.createNamespacedPod({ namespace, body: pod('app-bare', {}, asks, 'none') });
    await core.createNamespacedPod({ namespace, body: pod('unrelated', {}, {}, 'none') });
    const template = pod('', { ...injected, app: 'web' }, {
      ...asks, [CONFIG_HASH_ANNOTATION]: OLD, [DELIVERY_ANNOTATION]: JSON.stringify({ delivering: false, since: NOW, reason: 'sink in backoff: broker unreachable' }),
    }, 'plain');
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace, body: { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: template.metadata?.labels, annotations: template.metadata?.annotations }, spec: template.spec } } },
    });
    stale = await eventually('the Deployment\'s pod', 30_000, async () => (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items[0]?.metadata?.name);
  });

  after(async () => {
    await deleteNamespace(kc, namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints each LogShipper, its pods (stale, uninjected, undelivering), the summary and the fix, and exits 1', () => {
    const run = runStatus(['-n', namespace]);
    assert.equal(run.stderr, '');
    assert.equal(run.code, 1, run.stdout);
    const lines = run.stdout.split('\n').map((line) => line.replace(/ +/g, ' '));
    for (const expected of [
      `${namespace} app-logs True app-logs cccccccccccc 2 1 1 1 -`,
      ` app-bare <none> Pending NONE - - - - -`,
      ` app-current <none> Pending native unknown false 0 cccccccccccc ok`,
      ` ${stale} <none> Pending plain unknown false 0 aaaaaaaaaaaa STALE FAILING since ${NOW}: sink in backoff: broker unreachable`,
      `${namespace} audit False (SecretNotFound) audit cccccccccccc 0 0 0 0 -`,
      ` Ready: Secret kafka-ca (spec.kafka.tls.ca) not found in namespace ${namespace}: create it; the operator retries when it appears`,
      '2 LogShippers, 3 pods, 1 stale, 1 uninjected, 1 undelivering, 1 not ready',
      ` kubectl delete pod app-bare -n ${namespace}, then create it again # app-bare`,
      ` kubectl rollout restart deployment/web -n ${namespace} # ${stale}`,
    ]) assert.ok(lines.includes(expected), `a line "${expected}" in:\n${run.stdout}`);
    assert.ok(!run.stdout.includes('unrelated'));
  });

  it('-o json: the report, one LogShipper by NAME', () => {
    const run = runStatus(['-n', namespace, 'app-logs', '-o', 'json']);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as StatusReport;
    assert.deepEqual(report.summary, { logShippers: 1, pods: 3, stale: 1, uninjected: 1, undelivering: 1, notReady: 0 });
    assert.deepEqual(report.logShippers[0]?.pods.map((p) => [p.name, p.sidecar?.mode ?? null, p.stale, p.uninjected]),
      [['app-bare', null, false, true], ['app-current', 'native', false, false], [stale, 'plain', true, false]]);
  });

  it('a missing LogShipper and a user without RBAC grants: exit 3, naming what was asked, where, and the refusal', async () => {
    const missing = runStatus(['-n', namespace, 'nope']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, new RegExp(`cannot get logshippers.logshipper.io nope in namespace ${namespace} \\(context [^)]+\\): HTTP 404`));
    const file = join(dir, 'kubeconfig');
    await serviceAccountKubeconfig(kc, namespace, 'nobody', file);
    const denied = runStatus(['--kubeconfig', file, '--context', 'nobody']);
    assert.equal(denied.code, 3);
    assert.match(denied.stderr, new RegExp(`cannot list logshippers.logshipper.io in namespace ${namespace} \\(context nobody\\): HTTP 403: .*system:serviceaccount:${namespace}:nobody.* \\(needs RBAC verb "list" on logshippers.logshipper.io in namespace ${namespace}\\)`));
  });
});
