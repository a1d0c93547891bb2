// Deleting a LogShipper. Its ConfigMap is mounted by every pod it injected: deleted with the
// LogShipper (the garbage collector follows the owner reference), it would leave those pods unable
// to start a container again (a restart, a node reboot: the kubelet cannot mount a missing
// ConfigMap). So the operator holds the LogShipper with a finalizer while injected pods remain,
// reports how many in a condition, and removes the finalizer once none is left; the garbage
// collector then deletes the ConfigMap. The webhook injects nothing for a LogShipper being deleted.
import type { V1Pod } from '@kubernetes/client-node';
import { GROUP } from './crd-types.ts';
import { INJECTED_LABEL } from './inject.ts';
import { isFinished } from './pod-counts.ts';

/** The operator's finalizer on every LogShipper it reconciles. */
export const FINALIZER = `${GROUP}/pods`;

/** The condition on a LogShipper being deleted while pods still use its ConfigMap. */
export const DELETING = 'Deleting';
export const WAITING_FOR_PODS = 'WaitingForInjectedPods';
/** How many pod names the condition's message lists (the count is complete). */
const LISTED_PODS = 5;

/** The pods that mount the LogShipper's ConfigMap: injected for it and not finished (terminating ones still run). */
export function podsUsing(pods: readonly V1Pod[], logShipper: string): string[] {
  return pods.filter((pod) => pod.metadata?.labels?.[INJECTED_LABEL] === logShipper && !isFinished(pod))
    .map((pod) => pod.metadata?.name ?? '').sort();
}

export function withoutFinalizer(finalizers: readonly string[] | undefined): string[] {
  return (finalizers ?? []).filter((finalizer) => finalizer !== FINALIZER);
}

/** The Deleting condition's state while `using` (podsUsing) is not empty. */
export function deletingState(using: readonly string[], configMap: string): { ok: boolean; reason: string; message: string } {
  const listed = using.slice(0, LISTED_PODS).join(', ');
  const more = using.length > LISTED_PODS ? ` and ${String(using.length - LISTED_PODS)} more` : '';
  const pods = using.length === 1 ? '1 injected pod still mounts it' : `${String(using.length)} injected pods still mount it`;
  return {
    ok: true, reason: WAITING_FOR_PODS,
    message: `deleted: ConfigMap ${configMap} is kept while ${pods} (${listed}${more}); the finalizer ${FINALIZER} is removed once none is left, `
      + 'then the ConfigMap is garbage-collected',
  };
}
