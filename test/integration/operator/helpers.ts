// Shared by the operator's integration tests: the CRD installed from crds/, operators run as
// separate processes (as in a cluster), and small readers for what they wrote.
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { eventually, testEnv } from '../../env/testing.ts';
import { operatorProcess, type OperatorProcess } from '../../helpers/operator-process.ts';
import { GROUP, PLURAL, VERSION, type LogShipper, type LogShipperSpec } from '../../../operator/crd-types.ts';

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

  async replaceSpec(name: string, spec: LogShipperSpec): Promise<LogShipper> {
    const current = await this.get(name);
    const replaced: unknown = await this.custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: PLURAL, name, body: { ...current, spec } });
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

/** Creates a namespace and waits for its `default` ServiceAccount, without which pods are refused. */
export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } });
  await eventually(`the default ServiceAccount of namespace ${name}`, 30_000, () => core.readNamespacedServiceAccount({ namespace: name, name: 'default' }));
}

export async function deleteNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name }).catch(() => undefined);
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
