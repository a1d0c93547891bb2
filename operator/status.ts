// The LogShipper's status, computed purely from what the reconciler found; the Ready condition keeps
// its lastTransitionTime while its status stays the same, so an unchanged world gives an equal status.
import { POLICY_REASONS } from './admin-policy.ts';
import type { Condition, LogShipperStatus } from './crd-types.ts';

/** Reasons of the Ready condition (documented in the CRD and the README). */
export const REASONS = {
  /** True: configuration rendered into the ConfigMap, every referenced Secret and key exists. */
  reconciled: 'Reconciled',
  /** A referenced Secret does not exist (retried when it appears). */
  secretNotFound: 'SecretNotFound',
  /** A referenced Secret exists but lacks the key (retried when it changes). */
  secretKeyNotFound: 'SecretKeyNotFound',
  /** The spec cannot be rendered (a rule the schema could not express). */
  invalidSpec: 'InvalidSpec',
  /** A ConfigMap of the name the operator needs exists and is not owned by this LogShipper. */
  configMapConflict: 'ConfigMapConflict',
  /** Writing the ConfigMap failed (retried with backoff). */
  apiError: 'ApiError',
  /** spec.sidecar.image is not in the cluster admin's allow-list (no ConfigMap is written). */
  imageNotAllowed: POLICY_REASONS.imageNotAllowed,
  /** A broker of spec.kafka.brokers is not in the cluster admin's allow-list (no ConfigMap is written). */
  brokerNotAllowed: POLICY_REASONS.brokerNotAllowed,
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];

export interface Readiness {
  ready: boolean;
  reason: Reason;
  message: string;
}

/** A condition's new state; it keeps its lastTransitionTime while its status stays the same. */
export function nextCondition(
  previous: Condition | undefined, type: string, state: { ok: boolean; reason: string; message: string }, generation: number | undefined, now: Date,
): Condition {
  const status = state.ok ? 'True' : 'False';
  return {
    type,
    status,
    reason: state.reason,
    message: state.message,
    lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
}

/** The conditions with `condition` replacing the one of its type in place, or appended (a stable order: an unchanged world gives an equal status). */
export function setCondition(conditions: readonly Condition[] | undefined, condition: Condition): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === condition.type);
  if (index === -1) list.push(condition);
  else list[index] = condition;
  return list;
}

export function findCondition(status: LogShipperStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((condition) => condition.type === type);
}

/** The new status: the operator's fields replaced, the pod counts kept (the reconciler sets them from the pod cache). */
export function nextStatus(
  current: LogShipperStatus | undefined, readiness: Readiness, generation: number | undefined, config: { hash: string; configMapName: string } | undefined, now: Date,
): LogShipperStatus {
  const status: LogShipperStatus = { ...current };
  if (generation !== undefined) status.observedGeneration = generation;
  if (config !== undefined) {
    status.configHash = config.hash;
    status.configMapName = config.configMapName;
  }
  const ready = nextCondition(findCondition(current, 'Ready'), 'Ready', { ok: readiness.ready, reason: readiness.reason, message: readiness.message }, generation, now);
  status.conditions = setCondition(current?.conditions, ready);
  return status;
}

/**
 * The part of a status a user's change drives, written at once: the generation seen, the
 * configuration, the Ready condition. The rest (pod counts, pod-driven conditions) is coalesced
 * (operator/status-window.ts).
 */
export function promptPart(status: LogShipperStatus | undefined): LogShipperStatus {
  const ready = findCondition(status, 'Ready');
  return {
    observedGeneration: status?.observedGeneration, configHash: status?.configHash, configMapName: status?.configMapName,
    ...(ready === undefined ? {} : { conditions: [ready] }),
  };
}

/** Equal as the API stores them (key order and undefined fields do not matter). */
export function sameStatus(a: LogShipperStatus | undefined, b: LogShipperStatus | undefined): boolean {
  return canonical(a ?? {}) === canonical(b ?? {});
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
