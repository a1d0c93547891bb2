// The leader's caches: LogShippers, the operator's ConfigMaps, and pods as metadata only. Every list
// is paged. No Secret is cached: the reconciler reads the few Secrets LogShippers name (a cache of
// every Secret of the cluster with its data, Helm's release history included, was most of the
// leader's memory, and needed list/watch on every Secret).
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type LogShipper } from './crd-types.ts';
import { informerFor, METADATA_LIST, metadataInformerFor, type Cache, type ListPage } from './informer.ts';
import { LIVE_PODS_FIELD_SELECTOR, podSummary } from './pod-summary.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './sidecar-layout.ts';

export interface LeaderCaches {
  shippers: Cache<LogShipper>;
  configMaps: Cache<V1ConfigMap>;
  /** Live pods (not Succeeded or Failed), summarized from their metadata (operator/pod-summary.ts). */
  pods: Cache<V1Pod>;
}

/** Pages of the LogShippers of `namespace` (every namespace when undefined). */
export function shipperPages(kc: KubeConfig, namespace: string | undefined): ListPage<LogShipper> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  return async (token, limit) => {
    const request = { group: GROUP, version: VERSION, plural: PLURAL, limit, _continue: token };
    const listed: unknown = namespace === undefined
      ? await custom.listClusterCustomObject(request)
      : await custom.listNamespacedCustomObject({ ...request, namespace });
    return listed as KubernetesListObject<LogShipper>;
  };
}

export function leaderCaches(kc: KubeConfig, namespace: string | undefined): LeaderCaches {
  const core = kc.makeApiClient(CoreV1Api);
  const ns = namespace === undefined ? '' : `/namespaces/${namespace}`;
  const managed = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
  const shippers = informerFor(kc, `/apis/${GROUP}/${VERSION}${ns}/${PLURAL}`, shipperPages(kc, namespace));
  const configMaps = informerFor<V1ConfigMap>(kc, `/api/v1${ns}/configmaps`, async (token, limit) => {
    const request = { labelSelector: managed, limit, _continue: token };
    return namespace === undefined ? core.listConfigMapForAllNamespaces(request) : core.listNamespacedConfigMap({ ...request, namespace });
  }, managed);
  // Every pod (an uninjected pod has only its annotation to tell it by, which cannot be selected
  // on), but as metadata only: the apiserver sends no spec or status, a finished pod leaves the
  // cache (the field selector), and the summary keeps only the logshipper.io/ keys.
  const pods = metadataInformerFor<V1Pod>(kc, `/api/v1${ns}/pods`, async (token, limit) => {
    const request = { fieldSelector: LIVE_PODS_FIELD_SELECTOR, limit, _continue: token };
    return namespace === undefined ? core.listPodForAllNamespaces(request, METADATA_LIST) : core.listNamespacedPod({ ...request, namespace }, METADATA_LIST);
  }, podSummary, LIVE_PODS_FIELD_SELECTOR);
  return { shippers, configMaps, pods };
}
