// LogShipper status pod counts: pods carrying the sidecar (label logshipper.io/injected=<name>),
// and of those, how many were injected with the LogShipper's current configuration hash (annotation
// logshipper.io/config-hash) and how many with an older one. A stale pod gets the new configuration
// text by hot reload, but not what only a new pod gets (env vars for new enrichment labels, new
// Secrets, image, resources): stalePods says how many pods a rollout would renew.
import type { V1Pod } from '@kubernetes/client-node';
import { INJECTED_LABEL } from './inject.ts';
import { CONFIG_HASH_ANNOTATION } from './sidecar-layout.ts';

export interface PodCounts {
  injectedPods: number;
  currentPods: number;
  stalePods: number;
}

/** Succeeded or Failed: its containers will not run again. (The pod cache holds no such pod: operator/pod-summary.ts.) */
export function isFinished(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Neither terminating nor finished: a pod whose logs are (or should be) shipped now. */
export function isLivePod(pod: V1Pod): boolean {
  return pod.metadata?.deletionTimestamp === undefined && !isFinished(pod);
}

/** Counts the live pods injected for `logShipper`. */
export function countPods(pods: readonly V1Pod[], logShipper: string, configHash: string | undefined): PodCounts {
  const counts: PodCounts = { injectedPods: 0, currentPods: 0, stalePods: 0 };
  for (const pod of pods) {
    if (pod.metadata?.labels?.[INJECTED_LABEL] !== logShipper || !isLivePod(pod)) continue;
    counts.injectedPods++;
    if (configHash !== undefined && pod.metadata.annotations?.[CONFIG_HASH_ANNOTATION] === configHash) counts.currentPods++;
    else counts.stalePods++;
  }
  return counts;
}
