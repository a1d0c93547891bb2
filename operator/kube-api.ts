// The reconciler's API calls (ReconcilerApi) made with client-node, each write counted in the
// operator's writes metric.
import { ApiException, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type LogShipper, type LogShipperStatus } from './crd-types.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { ReconcilerApi } from './reconcile.ts';

export const FIELD_MANAGER = 'logshipper-operator';

/** `call`'s result, undefined when the apiserver answers 404. */
async function unlessNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

export function kubeReconcilerApi(kc: KubeConfig, metrics: Pick<OperatorMetrics, 'writes'>): ReconcilerApi {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const crd = { group: GROUP, version: VERSION, plural: PLURAL };
  return {
    readConfigMap: async (namespace, name) => unlessNotFound(async () => core.readNamespacedConfigMap({ namespace, name })),
    applyConfigMap: async (configMap) => {
      metrics.writes.inc({ kind: 'configmap' });
      return objects.patch(configMap, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    },
    replaceStatus: async (namespace, name, resourceVersion, status: LogShipperStatus) => {
      metrics.writes.inc({ kind: 'status' });
      // JSON patch with a test: the status is replaced only if nobody changed the object since it was read.
      const updated: unknown = await custom.patchNamespacedCustomObjectStatus({
        ...crd, namespace, name,
        body: [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, { op: 'add', path: '/status', value: status }],
      });
      return updated as LogShipper;
    },
    replaceFinalizers: async (namespace, name, resourceVersion, finalizers) => {
      metrics.writes.inc({ kind: 'finalizer' });
      // The same test: another controller's finalizer added meanwhile is not dropped.
      return unlessNotFound(async () => {
        const updated: unknown = await custom.patchNamespacedCustomObject({
          ...crd, namespace, name,
          body: [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, { op: 'add', path: '/metadata/finalizers', value: finalizers }],
        });
        return updated as LogShipper;
      });
    },
    readSecretKeys: async (namespace, name) => {
      const secret = await unlessNotFound(async () => core.readNamespacedSecret({ namespace, name }));
      return secret === undefined ? undefined : Object.keys(secret.data ?? {});
    },
  };
}
