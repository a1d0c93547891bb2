// Informer events to work-queue keys: which LogShipper a changed object concerns.
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import type { LeaderCaches } from './caches.ts';
import type { LogShipper } from './crd-types.ts';
import { INJECTED_LABEL, requestedLogShipper } from './inject.ts';
import { objectKey } from './object-keys.ts';
import type { Reconciler } from './reconcile.ts';
import { LOGSHIPPER_LABEL } from './sidecar-layout.ts';

/** The LogShippers a pod concerns: the one that injected it, and the one it asks for (the same, unless it was admitted without the sidecar). */
export function podKeys(pod: V1Pod): string[] {
  const namespace = pod.metadata?.namespace ?? '';
  const owners = new Set([pod.metadata?.labels?.[INJECTED_LABEL], requestedLogShipper(pod)]);
  return [...owners].filter((owner) => owner !== undefined).map((owner) => `${namespace}/${owner}`);
}

/** The LogShipper whose ConfigMap this is (the operator's label), if any. */
export function configMapKey(configMap: V1ConfigMap): string | undefined {
  const owner = configMap.metadata?.labels?.[LOGSHIPPER_LABEL];
  return owner === undefined ? undefined : `${configMap.metadata?.namespace ?? ''}/${owner}`;
}

/** Every add, update and delete of the caches queues the keys it concerns; the reconciler learns of its own writes arriving. */
export function routeEvents(caches: LeaderCaches, reconciler: Reconciler, enqueue: (key: string) => void): void {
  const onShipper = (object: LogShipper): void => {
    reconciler.shipperWrites.observe(object);
    enqueue(objectKey(object));
  };
  const onConfigMap = (object: V1ConfigMap): void => {
    reconciler.configMapWrites.observe(object);
    const key = configMapKey(object);
    if (key !== undefined) enqueue(key);
  };
  const onPod = (pod: V1Pod): void => {
    for (const key of podKeys(pod)) enqueue(key);
  };
  for (const verb of ['add', 'update', 'delete'] as const) {
    caches.shippers.on(verb, onShipper);
    caches.configMaps.on(verb, onConfigMap);
    caches.pods.on(verb, onPod);
  }
}
