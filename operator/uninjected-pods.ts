// Pods that ask for the sidecar (logshipper.io/inject: <LogShipper>) and run without it. The webhook
// is registered with failurePolicy Ignore, so while it is unreachable (operator pods scaled to 0 or
// crashed, its certificate not trusted yet) the apiserver admits such pods unchanged without calling
// it: nothing records or counts them at admission, and their logs are silently not shipped. The
// leader finds them in its pod cache when it reconciles the LogShipper and reports them: a Warning
// Event on each pod (once), status.uninjectedPods, the SidecarsInjected condition and a gauge. Pods
// the webhook itself admitted without the sidecar (a failed injection) are found too: their logs are
// not shipped either. So are pods with the annotation and without the opt-in label (INJECT_LABEL),
// which the chart's webhook configuration never sends to the webhook: the texts say to add it.
import type { V1ObjectReference, V1Pod } from '@kubernetes/client-node';
import { INJECT_ANNOTATION, INJECT_LABEL, INJECTED_LABEL, requestedLogShipper } from './inject.ts';
import { isLivePod } from './pod-counts.ts';

/** The condition type, True while every live pod that asks for the LogShipper carries the sidecar. */
export const SIDECARS_INJECTED = 'SidecarsInjected';
export const SIDECARS_INJECTED_REASONS = {
  allInjected: 'AllPodsInjected',
  podsWithoutSidecar: 'PodsWithoutSidecar',
} as const;
/** The reason of the Warning Event on each such pod. */
export const NOT_INJECTED_EVENT_REASON = 'SidecarNotInjected';
/** How many pod names the condition's message lists (the count is complete). */
const LISTED_PODS = 5;

function podName(pod: V1Pod): string {
  return pod.metadata?.name ?? '';
}

/**
 * The live pods of `pods` (one namespace's) that ask for `logShipper` and lack the sidecar, by name.
 * The pod cache holds metadata only: the sidecar is told by the label the webhook sets with it.
 */
export function uninjectedPods(pods: readonly V1Pod[], logShipper: string): V1Pod[] {
  return pods
    .filter((pod) => requestedLogShipper(pod) === logShipper && pod.metadata?.labels?.[INJECTED_LABEL] === undefined && isLivePod(pod))
    .sort((a, b) => (podName(a) < podName(b) ? -1 : podName(a) > podName(b) ? 1 : 0));
}

/** Whether the pod lacks the opt-in label, so the webhook (selecting on it) never saw the pod. */
export function lacksInjectLabel(pod: V1Pod): boolean {
  return pod.metadata?.labels?.[INJECT_LABEL.key] !== INJECT_LABEL.value;
}

/** The fix for pods without the label: the label on the pod template. */
const ADD_LABEL = `add the label ${INJECT_LABEL.key}: "${INJECT_LABEL.value}" next to the annotation (in the workload's pod template), which the injection webhook selects pods by`;

/** The SidecarsInjected condition's state for the pods uninjectedPods() found. */
export function sidecarsInjectedState(uninjected: readonly V1Pod[], logShipper: string): { ok: boolean; reason: string; message: string } {
  if (uninjected.length === 0) {
    return { ok: true, reason: SIDECARS_INJECTED_REASONS.allInjected, message: `every live pod that asks for LogShipper ${logShipper} (${INJECT_ANNOTATION}) carries the sidecar` };
  }
  const listed = uninjected.slice(0, LISTED_PODS).map(podName).join(', ');
  const more = uninjected.length > LISTED_PODS ? ` and ${String(uninjected.length - LISTED_PODS)} more` : '';
  const pods = uninjected.length === 1 ? '1 pod asks' : `${String(uninjected.length)} pods ask`;
  const unlabelled = uninjected.filter(lacksInjectLabel).length;
  const labelHint = unlabelled === 0 ? '' : ` ${String(unlabelled)} of them ${unlabelled === 1 ? 'lacks' : 'lack'} the label ${INJECT_LABEL.key}: "${INJECT_LABEL.value}" (never sent to the webhook): ${ADD_LABEL}, then recreate them.`;
  return {
    ok: false, reason: SIDECARS_INJECTED_REASONS.podsWithoutSidecar,
    message: `${pods} for LogShipper ${logShipper} (${INJECT_ANNOTATION}) and ${uninjected.length === 1 ? 'runs' : 'run'} without the sidecar, `
      + `so ${uninjected.length === 1 ? 'its' : 'their'} logs are NOT shipped: ${listed}${more}. Admitted while the injection webhook was unavailable or failed `
      + `(${NOT_INJECTED_EVENT_REASON} Events on the pods); recreate them to get the sidecar (kubectl rollout restart of their workload).${labelHint}`,
  };
}

/** The Event's message: which LogShipper, what happened, what it means, what to do. */
export function notInjectedMessage(pod: V1Pod, logShipper: string): string {
  const owner = pod.metadata?.ownerReferences?.find((ref) => ref.controller === true);
  const fix = owner === undefined
    ? 'delete it and create it again'
    : `recreate it, e.g. kubectl rollout restart of the workload that owns it (${owner.kind} ${owner.name})`;
  if (lacksInjectLabel(pod)) {
    return `pod ${pod.metadata?.namespace ?? ''}/${podName(pod)} asks for LogShipper ${logShipper} (${INJECT_ANNOTATION} annotation) but lacks the label `
      + `${INJECT_LABEL.key}: "${INJECT_LABEL.value}", so the injection webhook never saw it and it runs without the logshipper sidecar: its logs are NOT shipped. `
      + `To get the sidecar, ${ADD_LABEL}, then ${fix}`;
  }
  return `pod ${pod.metadata?.namespace ?? ''}/${podName(pod)} asks for LogShipper ${logShipper} (${INJECT_ANNOTATION}) but was admitted without the logshipper sidecar `
    + `(the injection webhook was unavailable or failed): its logs are NOT shipped. To get the sidecar, ${fix} once the webhook answers again`;
}

export function podReference(pod: V1Pod): V1ObjectReference {
  const meta = pod.metadata ?? {};
  return { apiVersion: 'v1', kind: 'Pod', namespace: meta.namespace, name: meta.name, uid: meta.uid };
}

/**
 * The pods an Event was recorded for, per LogShipper: one Event per pod (by uid), not one per
 * reconcile. Held in memory, bounded by the live uninjected pods: after an operator restart each
 * such pod gets one more Event.
 */
export class NotInjectedNotices {
  private readonly notified = new Map<string, Set<string>>();

  /** The pods of `uninjected` not notified for `key` yet; from now on `key`'s notified pods are exactly `uninjected`. */
  unnotified(key: string, uninjected: readonly V1Pod[]): V1Pod[] {
    const before = this.notified.get(key);
    const now = new Set<string>();
    const fresh: V1Pod[] = [];
    for (const pod of uninjected) {
      const uid = pod.metadata?.uid;
      if (uid === undefined) continue;
      now.add(uid);
      if (before?.has(uid) !== true) fresh.push(pod);
    }
    if (now.size === 0) this.notified.delete(key);
    else this.notified.set(key, now);
    return fresh;
  }

  forget(key: string): void {
    this.notified.delete(key);
  }
}
