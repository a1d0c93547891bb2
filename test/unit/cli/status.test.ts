// `logshipper status`: the report from LogShippers and pods, its table (exact columns) and the
// argument parsing. The JSON output is checked against the real apiserver (test/integration/cli/).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { LogShipper, LogShipperStatus } from '../../../operator/crd-types.ts';
import { INJECT_ANNOTATION, INJECT_LABEL, INJECTED_LABEL } from '../../../operator/inject.ts';
import { CONFIG_HASH_ANNOTATION, SIDECAR_CONTAINER_NAME } from '../../../operator/sidecar-layout.ts';
import { parseStatusArgs, UsageError } from '../../../cli/status/args.ts';
import { formatTable } from '../../../cli/status/format.ts';
import { statusReport } from '../../../cli/status/report.ts';
import { DELIVERY_ANNOTATION } from '../../../operator/sidecar-health.ts';

const HASH = '0123456789abcdef'.repeat(4);
const OLD = 'f'.repeat(64);

function shipper(name: string, status: LogShipperStatus | undefined, namespace = 'shop'): LogShipper {
  return {
    apiVersion: 'logshipper.io/v1alpha1', kind: 'LogShipper', metadata: { name, namespace },
    spec: { volume: 'logs', files: [{ path: 'app.log' }], kafka: { brokers: ['kafka:9092'], topic: `${name}-topic` } }, status,
  };
}

const READY: LogShipperStatus = {
  configHash: HASH, injectedPods: 3, currentPods: 1, stalePods: 2, uninjectedPods: 1,
  conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'rendered', lastTransitionTime: '2026-01-01T00:00:00Z' }],
};

interface PodOptions {
  namespace?: string;
  hash?: string;
  sidecar?: 'native' | 'plain' | 'none';
  injected?: string | null;
  labelled?: boolean;
  delivery?: string;
  owner?: { kind: string; name: string };
  templateHash?: string;
  node?: string;
  running?: { ready: boolean; restarts: number };
  deleting?: boolean;
}

function pod(name: string, o: PodOptions = {}): V1Pod {
  const injected = o.injected === undefined ? 'web' : o.injected;
  const sidecar = o.sidecar ?? 'native';
  const container = { name: SIDECAR_CONTAINER_NAME, image: 'logshipper' };
  const status = o.running === undefined ? undefined : { name: SIDECAR_CONTAINER_NAME, image: 'logshipper', imageID: '', ready: o.running.ready, restartCount: o.running.restarts, state: { running: {} } };
  return {
    metadata: {
      name, namespace: o.namespace ?? 'shop',
      labels: {
        ...(injected === null ? {} : { [INJECTED_LABEL]: injected }), ...(o.labelled === false ? {} : { [INJECT_LABEL.key]: INJECT_LABEL.value }),
        ...(o.templateHash === undefined ? {} : { 'pod-template-hash': o.templateHash }),
      },
      annotations: {
        [INJECT_ANNOTATION]: injected ?? 'web', ...(o.hash === undefined ? {} : { [CONFIG_HASH_ANNOTATION]: o.hash }),
        ...(o.delivery === undefined ? {} : { [DELIVERY_ANNOTATION]: o.delivery }),
      },
      ownerReferences: o.owner === undefined ? undefined : [{ apiVersion: 'apps/v1', ...o.owner, uid: 'u', controller: true }],
      deletionTimestamp: o.deleting === true ? new Date() : undefined,
    },
    spec: {
      nodeName: o.node,
      initContainers: sidecar === 'native' ? [{ ...container, restartPolicy: 'Always' }] : undefined,
      containers: [{ name: 'app', image: 'app' }, ...(sidecar === 'plain' ? [container] : [])],
    },
    status: {
      phase: 'Running',
      ...(status === undefined ? {} : sidecar === 'native' ? { initContainerStatuses: [status] } : { containerStatuses: [status] }),
    },
  };
}

const TROUBLE = JSON.stringify({ delivering: false, since: '2026-01-01T10:00:00Z', reason: 'sink in backoff' });

const PODS: V1Pod[] = [
  pod('web-6d4f9c7b8-aaaaa', { hash: HASH, owner: { kind: 'ReplicaSet', name: 'web-6d4f9c7b8' }, templateHash: '6d4f9c7b8', node: 'n1', running: { ready: true, restarts: 0 } }),
  pod('web-5c8b7d6f4-bbbbb', { hash: OLD, owner: { kind: 'ReplicaSet', name: 'web-5c8b7d6f4' }, templateHash: '5c8b7d6f4', node: 'n2', running: { ready: false, restarts: 3 }, delivery: TROUBLE }),
  pod('web-5c8b7d6f4-ccccc', { hash: OLD, sidecar: 'plain', owner: { kind: 'ReplicaSet', name: 'web-5c8b7d6f4' }, templateHash: '5c8b7d6f4' }),
  pod('db-0', { injected: null, sidecar: 'none', labelled: false, owner: { kind: 'StatefulSet', name: 'db' }, node: 'n1' }),
  pod('web-going', { hash: OLD, deleting: true }),
  pod('elsewhere', { namespace: 'other', hash: OLD }),
  pod('other-shipper', { injected: 'audit', hash: HASH }),
];

describe('logshipper status: the report', () => {
  const report = statusReport([shipper('web', READY), shipper('audit', undefined)], PODS);
  const web = report.logShippers.find((s) => s.name === 'web');

  it('lists the live pods of the LogShipper in its namespace: sidecar mode and state, hash, stale, uninjected, delivery, owner', () => {
    assert.deepEqual(web?.pods.map((p) => [p.name, p.sidecar?.mode ?? null, p.stale, p.uninjected, p.lacksInjectLabel, p.owner]), [
      ['db-0', null, false, true, true, { kind: 'StatefulSet', name: 'db' }],
      ['web-5c8b7d6f4-bbbbb', 'native', true, false, false, { kind: 'Deployment', name: 'web' }],
      ['web-5c8b7d6f4-ccccc', 'plain', true, false, false, { kind: 'Deployment', name: 'web' }],
      ['web-6d4f9c7b8-aaaaa', 'native', false, false, false, { kind: 'Deployment', name: 'web' }],
    ]);
    const [, troubled, plain] = web.pods;
    assert.deepEqual(troubled?.sidecar, { mode: 'native', state: 'running', ready: false, restarts: 3 });
    assert.deepEqual(troubled.delivery, { since: '2026-01-01T10:00:00Z', reason: 'sink in backoff' });
    assert.deepEqual(plain?.sidecar, { mode: 'plain', state: 'unknown', ready: false, restarts: 0 });
  });

  it('takes the counts from the status, the summary and the hints from the pods; attention when anything is off', () => {
    assert.deepEqual(web?.counts, { pods: 3, current: 1, stale: 2, uninjected: 1, undelivering: null });
    assert.deepEqual(report.summary, { logShippers: 2, pods: 5, stale: 3, uninjected: 1, undelivering: 1, notReady: 1 });
    assert.deepEqual(report.renew, [
      { namespace: 'shop', command: 'kubectl delete pod other-shipper -n shop, then create it again', pods: ['other-shipper'] },
      { namespace: 'shop', command: 'kubectl rollout restart statefulset/db -n shop', pods: ['db-0'] },
      { namespace: 'shop', command: 'kubectl rollout restart deployment/web -n shop', pods: ['web-5c8b7d6f4-bbbbb', 'web-5c8b7d6f4-ccccc'] },
    ]);
    assert.equal(report.attention, true);
  });

  it('a LogShipper without a status yet: Ready Unknown, every injected pod stale (as the operator counts)', () => {
    const audit = report.logShippers.find((s) => s.name === 'audit');
    assert.deepEqual(audit?.ready, { status: 'Unknown', reason: null, message: 'the operator has not reported a Ready condition' });
    assert.deepEqual(audit.pods.map((p) => [p.name, p.stale]), [['other-shipper', true]]);
  });

  it('delivery: the operator\'s record is shown, anything else (as the operator, it counts any annotation) as unreadable; a bare pod is deleted and created again', () => {
    const r = statusReport([shipper('web', READY)], [
      pod('a', { hash: HASH, delivery: JSON.stringify({ delivering: false, since: '2026-12-02T07:00:00Z', reason: 'sink k: broker unreachable' }) }),
      pod('b', { hash: HASH, delivery: 'not json' }),
      pod('c', { hash: OLD, owner: { kind: 'Job', name: 'batch' } }),
      pod('d', { hash: OLD }),
    ]);
    assert.deepEqual(r.logShippers[0]?.pods.map((p) => p.delivery), [{ since: '2026-12-02T07:00:00Z', reason: 'sink k: broker unreachable' }, { unreadable: 'not json' }, null, null]);
    assert.deepEqual(r.renew.map((h) => h.command), ['kubectl delete pod c -n shop (its Job batch makes a new one)', 'kubectl delete pod d -n shop, then create it again']);
  });

  it('all current, injected and delivering: no attention, no hints', () => {
    const r = statusReport([shipper('web', READY)], [PODS[0] as V1Pod]);
    assert.equal(r.attention, false);
    assert.deepEqual(r.renew, []);
  });
});

describe('logshipper status: the table', () => {
  it('prints each LogShipper, its pods in fixed columns, the summary and the renew commands', () => {
    const notReady = shipper('audit', { ...READY, injectedPods: 0, currentPods: 0, stalePods: 0, uninjectedPods: 0,
      conditions: [{ type: 'Ready', status: 'False', reason: 'SecretNotFound', message: 'Secret kafka-ca (spec.kafka.tls.ca) not found', lastTransitionTime: '2026-01-01T00:00:00Z' }] });
    const text = formatTable(statusReport([shipper('web', READY), notReady], PODS.filter((p) => p.metadata?.name !== 'other-shipper')));
    assert.equal(text, `NAMESPACE   LOGSHIPPER   READY                    TOPIC         CONFIG         PODS   CURRENT   STALE   UNINJECTED   UNDELIVERING
shop        audit        False (SecretNotFound)   audit-topic   0123456789ab   0      0         0       0            -
  Ready: Secret kafka-ca (spec.kafka.tls.ca) not found
  no pods ask for it

NAMESPACE   LOGSHIPPER   READY   TOPIC       CONFIG         PODS   CURRENT   STALE   UNINJECTED   UNDELIVERING
shop        web          True    web-topic   0123456789ab   3      1         2       1            -

  POD                   NODE     PHASE     SIDECAR   STATE     READY   RESTARTS   CONFIG               DELIVERY
  db-0                  n1       Running   NONE      -         -       -          -                    -
  web-5c8b7d6f4-bbbbb   n2       Running   native    running   false   3          ffffffffffff STALE   FAILING since 2026-01-01T10:00:00Z: sink in backoff
  web-5c8b7d6f4-ccccc   <none>   Running   plain     unknown   false   0          ffffffffffff STALE   ok
  web-6d4f9c7b8-aaaaa   n1       Running   native    running   true    0          0123456789ab         ok
  SIDECAR NONE: the pod asks for web (annotation logshipper.io/inject) and runs without the sidecar: its logs are NOT shipped.
  db-0: without the label logshipper.io/inject: "true" the webhook never sees the pod; add it to the pod template.

2 LogShippers, 4 pods, 2 stale, 1 uninjected, 1 undelivering, 1 not ready

Stale pods run an older configuration, uninjected ones no sidecar: only a new pod gets the current one. Renew them:
  kubectl rollout restart statefulset/db -n shop   # db-0
  kubectl rollout restart deployment/web -n shop   # web-5c8b7d6f4-bbbbb, web-5c8b7d6f4-ccccc
`);
  });

  it('all well: the table and a summary without hints', () => {
    const text = formatTable(statusReport([shipper('web', READY)], [PODS[0] as V1Pod]));
    assert.match(text, /\n1 LogShipper, 1 pod, 0 stale, 0 uninjected, 0 undelivering\n$/);
  });
});

describe('logshipper status: arguments', () => {
  it('parses namespace, all namespaces, NAME, output, kubeconfig and context, in both flag forms', () => {
    assert.deepEqual(parseStatusArgs(['-n', 'shop', 'web', '-o', 'json', '--kubeconfig=/k', '--context', 'prod']),
      { namespace: 'shop', allNamespaces: false, name: 'web', output: 'json', kubeconfig: '/k', context: 'prod' });
    assert.deepEqual(parseStatusArgs(['-A']), { namespace: undefined, allNamespaces: true, name: undefined, output: 'table', kubeconfig: undefined, context: undefined });
    assert.equal(parseStatusArgs(['status', '--help'].slice(1)), 'help');
  });

  it('refuses what it cannot do, naming the argument', () => {
    for (const [args, message] of [
      [['-o', 'yaml'], '-o: invalid value "yaml": table or json is allowed'],
      [['-n'], '-n: a value is required'],
      [['-n', 'a', '-A'], '-n and -A exclude each other'],
      [['-A', 'web'], 'NAME "web" needs one namespace (-n), not -A'],
      [['a', 'b'], 'one NAME is allowed, got "a" and "b"'],
      [['--watch'], 'unknown option "--watch"'],
    ] as const) {
      assert.throws(() => parseStatusArgs(args), (error: unknown) => error instanceof UsageError && error.message === message, args.join(' '));
    }
  });
});
