// The status report: LogShippers and the pods that ask for them, read as a person would want them
// read (what needs attention and what to do), computed purely from what the API returned. The
// LogShipper's counts are its status (the operator's view, coalesced); the pod lines are the pods
// as the API holds them now, and the summary and the exit code follow the pod lines.
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { LogShipper } from '../../operator/crd-types.ts';
import { INJECTED_LABEL } from '../../operator/inject.ts';
import { isLivePod } from '../../operator/pod-counts.ts';
import { CONFIG_HASH_ANNOTATION, SIDECAR_CONTAINER_NAME } from '../../operator/sidecar-layout.ts';
import { DELIVERY_ANNOTATION, parseDeliveryRecord } from '../../operator/sidecar-health.ts';
import { findCondition } from '../../operator/status.ts';
import { lacksInjectLabel, uninjectedPods } from '../../operator/uninjected-pods.ts';

export interface DeliveryTrouble {
  since: string;
  reason: string;
}

export interface SidecarReport {
  /** native: an init container with restartPolicy Always; plain: one of the pod's containers. */
  mode: 'native' | 'plain';
  /** running, waiting: <reason>, terminated: <reason>, or unknown before the kubelet reports it. */
  state: string;
  ready: boolean;
  restarts: number;
}

export interface PodReport {
  name: string;
  node: string | null;
  phase: string;
  /** null: the pod asks for the LogShipper and runs without the sidecar (its logs are not shipped). */
  sidecar: SidecarReport | null;
  /** The configuration hash the pod was injected with (annotation logshipper.io/config-hash). */
  configHash: string | null;
  stale: boolean;
  /** Asks for the LogShipper (annotation logshipper.io/inject) and has no sidecar. */
  uninjected: boolean;
  /** Uninjected and without the opt-in label, so the webhook never saw it. */
  lacksInjectLabel: boolean;
  /** The trouble the operator recorded, or the annotation's text when it is not the expected JSON. */
  delivery: DeliveryTrouble | { unreadable: string } | null;
  /** The workload that owns the pod (a ReplicaSet's Deployment), or null for a bare pod. */
  owner: { kind: string; name: string } | null;
}

export interface LogShipperReport {
  namespace: string;
  name: string;
  ready: { status: string; reason: string | null; message: string | null };
  topic: string | null;
  configHash: string | null;
  /** From the status (null when the operator has not reported it). */
  counts: { pods: number | null; current: number | null; stale: number | null; uninjected: number | null; undelivering: number | null };
  pods: PodReport[];
}

/** What to run to renew the pods of one workload (stale: new configuration; uninjected: the sidecar). */
export interface RenewHint {
  namespace: string;
  command: string;
  pods: string[];
}

export interface StatusReport {
  logShippers: LogShipperReport[];
  summary: { logShippers: number; pods: number; stale: number; uninjected: number; undelivering: number; notReady: number };
  renew: RenewHint[];
  /** Something needs attention: a LogShipper not Ready, or a stale, uninjected or undelivering pod. */
  attention: boolean;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function sidecarOf(pod: V1Pod): SidecarReport | null {
  const find = (list: V1Container[] | undefined): V1Container | undefined => list?.find((c) => c.name === SIDECAR_CONTAINER_NAME);
  const native = find(pod.spec?.initContainers);
  const mode = native !== undefined ? 'native' : find(pod.spec?.containers) !== undefined ? 'plain' : undefined;
  if (mode === undefined) return null;
  const statuses: V1ContainerStatus[] | undefined = mode === 'native' ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
  const status = statuses?.find((s) => s.name === SIDECAR_CONTAINER_NAME);
  const state = status?.state;
  const text = state?.running !== undefined ? 'running'
    : state?.waiting !== undefined ? `waiting: ${state.waiting.reason ?? 'unknown'}`
      : state?.terminated !== undefined ? `terminated: ${state.terminated.reason ?? `exit ${String(state.terminated.exitCode)}`}`
        : 'unknown';
  return { mode, state: text, ready: status?.ready ?? false, restarts: status?.restartCount ?? 0 };
}

function deliveryOf(pod: V1Pod): PodReport['delivery'] {
  const text = pod.metadata?.annotations?.[DELIVERY_ANNOTATION];
  if (text === undefined) return null;
  const record = parseDeliveryRecord(text);
  return record === undefined ? { unreadable: text } : { since: record.since, reason: record.reason };
}

/** The controlling owner, a ReplicaSet named for its Deployment (<deployment>-<pod-template-hash>) as that Deployment. */
function ownerOf(pod: V1Pod): PodReport['owner'] {
  const owner = pod.metadata?.ownerReferences?.find((ref) => ref.controller === true);
  if (owner === undefined) return null;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash !== undefined && owner.name.endsWith(`-${hash}`)) {
    return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
  }
  return { kind: owner.kind, name: owner.name };
}

function podReport(pod: V1Pod, configHash: string | undefined): PodReport {
  const sidecar = sidecarOf(pod);
  const podHash = pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
  const injected = pod.metadata?.labels?.[INJECTED_LABEL] !== undefined;
  return {
    name: pod.metadata?.name ?? '',
    node: pod.spec?.nodeName ?? null,
    phase: pod.status?.phase ?? 'Unknown',
    sidecar,
    configHash: podHash ?? null,
    // As the operator counts (operator/pod-counts.ts): injected with another hash than the current one, or none yet.
    stale: injected && (configHash === undefined || podHash !== configHash),
    uninjected: !injected,
    lacksInjectLabel: !injected && lacksInjectLabel(pod),
    delivery: injected ? deliveryOf(pod) : null,
    owner: ownerOf(pod),
  };
}

function logShipperReport(shipper: LogShipper, pods: readonly V1Pod[]): LogShipperReport {
  const namespace = shipper.metadata?.namespace ?? '';
  const name = shipper.metadata?.name ?? '';
  const status = shipper.status;
  const ready = findCondition(status, 'Ready');
  const own = pods.filter((pod) => pod.metadata?.namespace === namespace);
  const injected = own.filter((pod) => pod.metadata?.labels?.[INJECTED_LABEL] === name && isLivePod(pod));
  return {
    namespace, name,
    ready: ready === undefined
      ? { status: 'Unknown', reason: null, message: 'the operator has not reported a Ready condition' }
      : { status: ready.status, reason: ready.status === 'True' ? null : ready.reason, message: ready.status === 'True' ? null : ready.message },
    topic: shipper.spec.kafka.topic,
    configHash: status?.configHash ?? null,
    counts: {
      pods: status?.injectedPods ?? null, current: status?.currentPods ?? null, stale: status?.stalePods ?? null,
      uninjected: status?.uninjectedPods ?? null, undelivering: status?.undeliveringPods ?? null,
    },
    pods: [...injected, ...uninjectedPods(own, name)].map((pod) => podReport(pod, status?.configHash)).sort(byName),
  };
}

function renewCommand(namespace: string, pod: PodReport): string {
  const { owner } = pod;
  if (owner !== null && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(owner.kind)) {
    return `kubectl rollout restart ${owner.kind.toLowerCase()}/${owner.name} -n ${namespace}`;
  }
  // A bare pod (or one of a Job, a lone ReplicaSet): only a new pod gets what the webhook injects.
  return `kubectl delete pod ${pod.name} -n ${namespace}${owner === null ? ', then create it again' : ` (its ${owner.kind} ${owner.name} makes a new one)`}`;
}

/** One hint per workload whose pods are stale or uninjected. */
function renewHints(shippers: readonly LogShipperReport[]): RenewHint[] {
  const hints = new Map<string, RenewHint>();
  for (const shipper of shippers) {
    for (const pod of shipper.pods.filter((p) => p.stale || p.uninjected)) {
      const command = renewCommand(shipper.namespace, pod);
      const hint = hints.get(command) ?? { namespace: shipper.namespace, command, pods: [] };
      hint.pods.push(pod.name);
      hints.set(command, hint);
    }
  }
  return [...hints.values()];
}

/** The report of `logShippers` (already narrowed to the namespace or name asked for) and the pods of their namespaces. */
export function statusReport(logShippers: readonly LogShipper[], pods: readonly V1Pod[]): StatusReport {
  const shippers = logShippers.map((shipper) => logShipperReport(shipper, pods))
    .sort((a, b) => (a.namespace === b.namespace ? byName(a, b) : a.namespace < b.namespace ? -1 : 1));
  const all = shippers.flatMap((s) => s.pods);
  const summary = {
    logShippers: shippers.length,
    pods: all.length,
    stale: all.filter((p) => p.stale).length,
    uninjected: all.filter((p) => p.uninjected).length,
    undelivering: all.filter((p) => p.delivery !== null).length,
    notReady: shippers.filter((s) => s.ready.status !== 'True').length,
  };
  const attention = summary.notReady + summary.stale + summary.uninjected + summary.undelivering > 0;
  return { logShippers: shippers, summary, renew: renewHints(shippers), attention };
}
