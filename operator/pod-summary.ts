// What the operator's pod cache keeps of a pod. The leader watches every pod of the namespaces it
// watches, not only injected ones: a pod that asked for the sidecar and was admitted without it has
// only an annotation to tell it by, and annotations cannot be selected on. It watches them as
// metadata only (operator/caches.ts: the apiserver sends no spec and no status), and of that metadata
// (managedFields, kubectl's last-applied-configuration annotation: kilobytes) the summary keeps what
// the status pod counts and the detection of uninjected pods read (operator/pod-counts.ts,
// operator/uninjected-pods.ts), so the cache grows with the cluster by a few hundred bytes a pod.
// What the metadata does not tell is replaced: whether the sidecar is there by the label the
// webhook sets when it injects (logshipper.io/injected), the phase by a field selector (a pod that
// finished leaves the cache).
import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { GROUP } from './crd-types.ts';

/** The pods the cache holds: the live ones. A pod that becomes Succeeded or Failed comes as a DELETED watch event. */
export const LIVE_PODS_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

/** Only the logshipper.io/ keys: the operator's label and annotations, the pod's opt-in and overrides. */
function ours(entries: Record<string, string> | undefined): Record<string, string> | undefined {
  if (entries === undefined) return undefined;
  const kept = Object.entries(entries).filter(([key]) => key.startsWith(`${GROUP}/`));
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

function controller(refs: readonly V1OwnerReference[] | undefined): V1OwnerReference[] | undefined {
  const owner = refs?.find((ref) => ref.controller === true);
  return owner === undefined ? undefined : [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true }];
}

/**
 * The pod (its metadata) reduced to: name, namespace, uid, resourceVersion, deletionTimestamp, the
 * logshipper.io/ labels and annotations and the controlling owner.
 */
export function podSummary(pod: V1Pod): V1Pod {
  const meta = pod.metadata ?? {};
  return {
    metadata: {
      name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion, deletionTimestamp: meta.deletionTimestamp,
      labels: ours(meta.labels), annotations: ours(meta.annotations), ownerReferences: controller(meta.ownerReferences),
    },
  };
}
