// Shared by the operator's integration tests: the CRD installed from crds/, operators run as
// separate processes (as in a cluster), and small readers for what they wrote.
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1MutatingWebhookConfiguration, type V1Pod } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv } from '../../env/testing.ts';
import { operatorProcess, type OperatorProcess } from '../../helpers/operator-process.ts';
import { GROUP, PLURAL, VERSION, type LogShipper, type LogShipperSpec } from '../../../operator/crd-types.ts';
import { FINALIZER, withoutFinalizer } from '../../../operator/deletion.ts';
import { INJECT_LABEL } from '../../../operator/inject.ts';
import { WEBHOOK_PATH } from '../../../operator/webhook.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

export async function installCrd(kc: KubeConfig): Promise<void> {
  // With kubectl, as users do: client-node's serializer would drop the schema's `enum`, `default` and
  // `x-kubernetes-validations` keys of a CRD given as plain YAML (its model names them _enum, ...).
  execFileSync(testEnv('KUBECTL'), [
    'apply', '--server-side', '--force-conflicts', '--field-manager', 'logshipper-operator-tests', '-f', `${ROOT}crds/logshipper.io_logshippers.yaml`,
  ], { env: { ...process.env, KUBECONFIG: testEnv('KUBECONFIG') }, stdio: ['ignore', 'ignore', 'pipe'] });
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  await eventually('the LogShipper CRD to be Established', 30_000, async () => {
    const current = await extensions.readCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` });
    return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true ? true : undefined;
  });
  // Discovery can lag a moment behind Established: list until the resource is served.
  const custom = kc.makeApiClient(CustomObjectsApi);
  await eventually('LogShippers to be served', 15_000, async () => {
    await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL });
    return true;
  });
}

export function logShipper(namespace: string, name: string, spec: LogShipperSpec): LogShipper {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'LogShipper', metadata: { name, namespace }, spec };
}

export class Shippers {
  private readonly custom: CustomObjectsApi;
  private readonly namespace: string;

  constructor(kc: KubeConfig, namespace: string) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.namespace = namespace;
  }

  async create(name: string, spec: LogShipperSpec): Promise<LogShipper> {
    const created: unknown = await this.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: PLURAL, body: logShipper(this.namespace, name, spec) });
    return created as LogShipper;
  }

  async get(name: string): Promise<LogShipper> {
    const read: unknown = await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: PLURAL, name });
    return read as LogShipper;
  }

  /** A JSON patch of the spec alone: a status the operator writes meanwhile is no conflict. */
  async replaceSpec(name: string, spec: LogShipperSpec): Promise<LogShipper> {
    const replaced: unknown = await this.custom.patchNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace: this.namespace, plural: PLURAL, name, body: [{ op: 'replace', path: '/spec', value: spec }],
    });
    return replaced as LogShipper;
  }

  async delete(name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: PLURAL, name });
  }

  /** Waits until the Ready condition has `status` (and `reason`) for the current generation. */
  async waitReady(name: string, status: 'True' | 'False', reason?: string, timeoutMs = 30_000): Promise<LogShipper> {
    return eventually(`LogShipper ${name} Ready=${status}${reason === undefined ? '' : ` (${reason})`}`, timeoutMs, async () => {
      const shipper = await this.get(name);
      const ready = shipper.status?.conditions?.find((c) => c.type === 'Ready');
      const current = shipper.status?.observedGeneration === shipper.metadata?.generation;
      return current && ready?.status === status && (reason === undefined || ready.reason === reason) ? shipper : undefined;
    });
  }
}

/**
 * An app pod with an emptyDir volume `logs`, never scheduled (no scheduler has its scheduler
 * name): the apiserver, its webhooks and the operator see it, no node runs it.
 */
export function unscheduledPod(name: string, labels: Record<string, string>, annotations: Record<string, string>): V1Pod {
  return {
    metadata: { name, labels, annotations },
    spec: {
      schedulerName: 'logshipper-test-unscheduled',
      containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'logs', mountPath: '/var/log/app' }] }],
      volumes: [{ name: 'logs', emptyDir: {} }],
    },
  };
}

/** Creates a namespace and waits for its `default` ServiceAccount, without which pods are refused. */
export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } });
  await eventually(`the default ServiceAccount of namespace ${name}`, 30_000, () => core.readNamespacedServiceAccount({ namespace: name, name: 'default' }));
}

/**
 * Removes the operator's finalizers from the LogShippers of `namespace` (every namespace when
 * undefined): after a test whose operator is stopped, nothing else would (a namespace being deleted
 * would stay Terminating).
 */
export async function releaseFinalizers(kc: KubeConfig, namespace?: string): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const crd = { group: GROUP, version: VERSION, plural: PLURAL };
  // A patch whose object changed meanwhile (its resourceVersion test fails) is tried again on the next read.
  for (let round = 0; round < 5; round++) {
    const listed = await (namespace === undefined ? custom.listClusterCustomObject(crd) : custom.listNamespacedCustomObject({ ...crd, namespace }))
      .catch(() => ({ items: [] })) as { items: LogShipper[] };
    const held = listed.items.filter((shipper) => shipper.metadata?.finalizers?.includes(FINALIZER) === true);
    if (held.length === 0) return;
    await Promise.all(held.map(async (shipper) => {
      const meta = shipper.metadata ?? {};
      await custom.patchNamespacedCustomObject({
        ...crd, namespace: meta.namespace ?? '', name: meta.name ?? '',
        body: [{ op: 'test', path: '/metadata/resourceVersion', value: meta.resourceVersion }, { op: 'add', path: '/metadata/finalizers', value: withoutFinalizer(meta.finalizers) }],
      }).catch(() => undefined);
    }));
  }
}

/** Deletes a namespace, and the operator's finalizer from its LogShippers (the test's operator is stopped by now). */
export async function deleteNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name }).catch(() => undefined);
  await releaseFinalizers(kc, name);
}

export type { OperatorProcess } from '../../helpers/operator-process.ts';

/** Short Lease timings so tests see a takeover within seconds. */
export const FAST_LEASE = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms'];

/** `kubeconfig`: another kubeconfig file than the test env's (an API proxy's). */
export function startOperator(namespace: string, identity: string, extraArgs: string[] = [], kubeconfig = testEnv('KUBECONFIG')): OperatorProcess {
  const child = spawn(process.execPath, [
    'cli/main.ts', 'operator', '--namespace', namespace, '--lease-namespace', namespace, '--identity', identity,
    '--metrics-port', '0', '--bind-address', '127.0.0.1', ...FAST_LEASE, ...extraArgs,
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: kubeconfig } });
  // Every line also goes to a file, for a post-mortem of a failed run.
  return operatorProcess(child, identity, join(tmpdir(), `logshipper-operator-${namespace}-${identity}.log`));
}

export interface OperatorSuite {
  kc: KubeConfig;
  core: CoreV1Api;
  shippers: Shippers;
  operator: OperatorProcess;
}

/** The CRD installed, `namespace` created, and an operator process watching it, its caches synced. */
export async function operatorSuite(namespace: string, identity: string): Promise<OperatorSuite> {
  const kc = kubeConfig();
  await installCrd(kc);
  await createNamespace(kc, namespace);
  const operator = startOperator(namespace, identity);
  await operator.waitForLog('caches synced', (l) => l['msg'] === 'caches synced; reconciling');
  return { kc, core: kc.makeApiClient(CoreV1Api), shippers: new Shippers(kc, namespace), operator };
}

/**
 * A MutatingWebhookConfiguration `name` that sends the opted-in pods (INJECT_LABEL) of `namespace`
 * alone to a webhook on 127.0.0.1:`port` (by url: the operator runs here), failurePolicy Ignore.
 * No caBundle: the operator patches its own in.
 */
export function localWebhookConfiguration(name: string, port: number, namespace: string, timeoutSeconds = 5): V1MutatingWebhookConfiguration {
  return {
    metadata: { name },
    webhooks: [{
      name: 'inject.logshipper.io', clientConfig: { url: `https://127.0.0.1:${String(port)}${WEBHOOK_PATH}` },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
      objectSelector: { matchLabels: { [INJECT_LABEL.key]: INJECT_LABEL.value } },
      failurePolicy: 'Ignore', sideEffects: 'NoneOnDryRun', admissionReviewVersions: ['v1'], timeoutSeconds,
    }],
  };
}

/** The operator flags serving the webhook of localWebhookConfiguration `config` on 127.0.0.1:`port`, its certificate in a Secret of `namespace`. */
export function localWebhookArgs(port: number, namespace: string, config: string): string[] {
  return [
    '--webhook-port', String(port), '--webhook-bind-address', '127.0.0.1', '--sidecar-image', 'registry.example/logshipper:test',
    '--webhook-cert-secret', 'logshipper-webhook-tls', '--webhook-cert-namespace', namespace, '--webhook-config', config,
    '--webhook-service', 'logshipper-webhook', '--webhook-extra-sans', '127.0.0.1',
  ];
}
