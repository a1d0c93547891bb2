// What the operator's pod cache keeps of a pod. The leader watches every pod of the namespaces it
// watches, not only injected ones: a pod that asked for the sidecar and was admitted without it has
// only an annotation to tell it by, and annotations cannot be selected on. A whole pod is kilobytes
// (managedFields, the spec, kubectl's last-applied-configuration annotation); the summary keeps what
// the status pod counts and the detection of uninjected pods read (operator/pod-counts.ts,
// operator/uninjected-pods.ts), so the cache grows with the cluster by a few hundred bytes a pod.
import type { V1Container, V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { GROUP } from './crd-types.ts';

/** Only the logshipper.io/ keys: the operator's label and annotations, the pod's opt-in and overrides. */
function ours(entries: Record<string, string> | undefined): Record<string, string> | undefined {
  if (entries === undefined) return undefined;
  const kept = Object.entries(entries).filter(([key]) => key.startsWith(`${GROUP}/`));
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

function names(containers: readonly V1Container[] | undefined): V1Container[] | undefined {
  return containers?.map((container) => ({ name: container.name }));
}

function controller(refs: readonly V1OwnerReference[] | undefined): V1OwnerReference[] | undefined {
  const owner = refs?.find((ref) => ref.controller === true);
  return owner === undefined ? undefined : [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true }];
}

/**
 * The pod reduced to: name, namespace, uid, resourceVersion, deletionTimestamp, the logshipper.io/
 * labels and annotations, the controlling owner, the container names (is the sidecar there?) and
 * the phase (is the pod live?).
 */
export function podSummary(pod: V1Pod): V1Pod {
  const meta = pod.metadata ?? {};
  return {
    metadata: {
      name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion, deletionTimestamp: meta.deletionTimestamp,
      labels: ours(meta.labels), annotations: ours(meta.annotations), ownerReferences: controller(meta.ownerReferences),
    },
    spec: { containers: names(pod.spec?.containers) ?? [], initContainers: names(pod.spec?.initContainers) },
    status: { phase: pod.status?.phase },
  };
}
