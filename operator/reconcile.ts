// The reconciler: a thin shell around render(). For one LogShipper key it compares the world (from
// the informer caches) with what should be, and writes only the difference:
//   the finalizer logshipper.io/pods          -> added; on deletion removed once no injected pod is
//                                                left (operator/deletion.ts)
//   spec -> render -> ConfigMap <name>-logshipper (owned by the LogShipper, server-side apply)
//   referenced Secrets and keys exist (read)  -> Ready condition; re-checked later while missing
//   pods of the namespace (the pod cache)     -> pod counts, SidecarsInjected condition, and a Warning
//                                                Event on each pod admitted without the sidecar;
//                                                pods whose sidecar reports delivery trouble
//                                                (operator/sidecar-health.ts) -> Delivering condition
//   status (observedGeneration, configHash, conditions, counts) through the status subresource,
//   pod-driven changes coalesced (operator/status-window.ts)
// Level-based and idempotent: reconciling an unchanged world writes nothing.
// client-node's model types (V1Lease, V1ConfigMap, ...) are classes with only public data fields;
// its API takes plain object literals for them.
import { ApiException, type KubernetesObject, type ObjectCache, type V1ConfigMap, type V1ObjectReference, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, KIND, type LogShipper, type LogShipperStatus, type ResolvedSpec } from './crd-types.ts';
import { policyRefusal, type AdminPolicy } from './admin-policy.ts';
import { render, type RenderResult } from './render.ts';
import {
  CONFIG_FILE_KEY, CONFIG_HASH_ANNOTATION, configMapName, LOGSHIPPER_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE,
} from './sidecar-layout.ts';
import { resolveSpec, SpecError } from './spec.ts';
import { findCondition, nextCondition, nextStatus, promptPart, REASONS, sameStatus, setCondition, type Readiness } from './status.ts';
import { DELETING, deletingState, FINALIZER, podsUsing, WAITING_FOR_PODS, withoutFinalizer } from './deletion.ts';
import { KeyBackoff } from './queue.ts';
import { SECRET_RECHECK, SecretReadError, secretReadiness, waitsForSecret } from './secret-refs.ts';
import { StatusWriteWindow } from './status-window.ts';
import { countPods } from './pod-counts.ts';
import { objectKey, splitKey } from './object-keys.ts';
import { RecentWrites } from './recent-writes.ts';
import type { OperatorMetrics } from './metrics.ts';
import {
  NOT_INJECTED_EVENT_REASON, NotInjectedNotices, notInjectedMessage, podReference, SIDECARS_INJECTED, sidecarsInjectedState, uninjectedPods,
} from './uninjected-pods.ts';
import { DELIVERING, deliveringState, undeliveringPods } from './sidecar-health.ts';

/** The API calls the reconciler makes (operator/controller.ts implements them with client-node). */
export interface ReconcilerApi {
  /** A ConfigMap straight from the API (used only when the cache has none), undefined when absent. */
  readConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  /** Server-side apply of the operator's fields of a ConfigMap. */
  applyConfigMap(configMap: V1ConfigMap): Promise<V1ConfigMap>;
  /** Replaces the status, on condition that the object still has `resourceVersion`. */
  replaceStatus(namespace: string, name: string, resourceVersion: string, status: LogShipperStatus): Promise<LogShipper>;
  /** Replaces metadata.finalizers, on condition that the object still has `resourceVersion`; undefined when it is gone. */
  replaceFinalizers(namespace: string, name: string, resourceVersion: string, finalizers: string[]): Promise<LogShipper | undefined>;
  /** The key names of a Secret (read when reconciling, never cached), undefined when it does not exist. */
  readSecretKeys(namespace: string, name: string): Promise<string[] | undefined>;
}

export interface EventSink {
  record(target: { namespace: string; name: string; uid: string; resourceVersion?: string }, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  /** An Event on another object (a pod). */
  recordOn(involvedObject: V1ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export interface ReconcilerDeps {
  shippers: ObjectCache<LogShipper>;
  configMaps: ObjectCache<V1ConfigMap>;
  api: ReconcilerApi;
  events: EventSink;
  log: Logger;
  now?: () => Date;
  /**
   * The pods of a namespace (the pod cache): the status pod counts (operator/pod-counts.ts) and the
   * pods admitted without the sidecar (operator/uninjected-pods.ts). Without it both are left as they are.
   */
  pods?: (namespace: string) => readonly V1Pod[];
  /** The per-LogShipper gauges: pods admitted without the sidecar, stale pods, pods whose sidecar cannot deliver. */
  metrics?: Pick<OperatorMetrics, 'uninjectedPods' | 'stalePods' | 'undeliveringPods'>;
  /** The cluster admin's allow-lists, and the operator's own sidecar image (always allowed). Without it: anything. */
  policy?: { policy: AdminPolicy; defaultImage: string | undefined };
  /** The coalescing of pod-driven status writes (tests give a window of their own). */
  statusWindow?: StatusWriteWindow;
}

export interface ReconcileOutcome {
  /** What was written: 'finalizer', 'configmap', 'status' (events are not counted here). */
  writes: string[];
  readiness?: Readiness;
  /** Reconcile the key again after this long (a deferred status write, a Secret re-check), unless an event does sooner. */
  requeueAfterMs?: number;
}

/** The ConfigMap a LogShipper should have. */
export function desiredConfigMap(shipper: LogShipper, rendered: RenderResult): V1ConfigMap {
  const name = shipper.metadata?.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName(name),
      namespace: shipper.metadata?.namespace ?? '',
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [LOGSHIPPER_LABEL]: name },
      annotations: { [CONFIG_HASH_ANNOTATION]: rendered.hash },
      ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name, uid: shipper.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    data: { [CONFIG_FILE_KEY]: rendered.text },
  };
}

function controllerUid(object: KubernetesObject): string | undefined {
  return object.metadata?.ownerReferences?.find((ref) => ref.controller === true)?.uid;
}

/** Whether `existing` already carries everything `desired` sets (other fields are someone else's). */
export function configMapUpToDate(existing: V1ConfigMap, desired: V1ConfigMap): boolean {
  const subset = (want: Record<string, string> | undefined, have: Record<string, string> | undefined): boolean =>
    Object.entries(want ?? {}).every(([key, value]) => have?.[key] === value);
  const ref = desired.metadata?.ownerReferences?.[0];
  return subset(desired.data, existing.data)
    && subset(desired.metadata?.labels, existing.metadata?.labels)
    && subset(desired.metadata?.annotations, existing.metadata?.annotations)
    && (existing.metadata?.ownerReferences ?? []).some((have) => have.uid === ref?.uid && have.controller === true && have.blockOwnerDeletion === true
      && have.apiVersion === ref.apiVersion && have.kind === ref.kind && have.name === ref.name);
}

export class Reconciler {
  readonly configMapWrites = new RecentWrites<V1ConfigMap>();
  readonly shipperWrites = new RecentWrites<LogShipper>();
  private readonly deps: ReconcilerDeps;
  private readonly notices = new NotInjectedNotices();
  private readonly statusWindow: StatusWriteWindow;
  private readonly secretRecheck = new KeyBackoff(SECRET_RECHECK);

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
    this.statusWindow = deps.statusWindow ?? new StatusWriteWindow();
  }

  /** Reconciles one LogShipper. Throws on API errors (the caller retries with backoff). */
  async reconcile(key: string): Promise<ReconcileOutcome> {
    const { namespace, name } = splitKey(key);
    const { log } = this.deps;
    let shipper = this.shipperWrites.get(key, this.deps.shippers.get(name, namespace));
    if (shipper === undefined) {
      this.forget(key);
      return { writes: [] };
    }
    if (shipper.metadata?.deletionTimestamp !== undefined) return this.finalize(key, shipper);
    const writes: string[] = [];
    if (shipper.metadata?.finalizers?.includes(FINALIZER) !== true) {
      const meta = shipper.metadata ?? {};
      const updated = await this.deps.api.replaceFinalizers(namespace, name, meta.resourceVersion ?? '', [...(meta.finalizers ?? []), FINALIZER]);
      if (updated === undefined) return { writes };
      this.shipperWrites.remember(updated);
      writes.push('finalizer');
      shipper = updated;
    }
    let spec: ResolvedSpec;
    let rendered: RenderResult;
    try {
      spec = resolveSpec(shipper.spec);
      rendered = render(spec, { namespace, name });
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      const readiness: Readiness = { ready: false, reason: REASONS.invalidSpec, message: invalidSpecMessage(error) };
      return { writes, readiness, ...await this.writeStatus(shipper, readiness, undefined, writes) };
    }
    // Refused: no ConfigMap either, or the pods already injected would reload the new brokers.
    const policy = this.deps.policy;
    const refusal = policy === undefined ? undefined : policyRefusal(shipper.spec.sidecar?.image, spec.kafka.brokers, policy.policy, policy.defaultImage);
    if (refusal !== undefined) {
      const readiness: Readiness = { ready: false, reason: refusal.reason, message: refusal.message };
      return { writes, readiness, ...await this.writeStatus(shipper, readiness, undefined, writes) };
    }

    const cmName = configMapName(name);
    const cmKey = `${namespace}/${cmName}`;
    let existing = this.configMapWrites.get(cmKey, this.deps.configMaps.get(cmName, namespace));
    // The cache sees only the operator's (labelled) ConfigMaps: make sure no foreign one has the name.
    existing ??= await this.deps.api.readConfigMap(namespace, cmName);
    const uid = shipper.metadata?.uid ?? '';
    let readiness: Readiness | undefined;
    if (existing !== undefined && controllerUid(existing) !== uid) {
      readiness = {
        ready: false, reason: REASONS.configMapConflict,
        message: `ConfigMap ${cmName} exists and is not owned by this LogShipper: delete or rename it, the operator needs this name`,
      };
    } else {
      const desired = desiredConfigMap(shipper, rendered);
      if (existing === undefined || !configMapUpToDate(existing, desired)) {
        let applied: V1ConfigMap;
        try {
          applied = await this.deps.api.applyConfigMap(desired);
        } catch (error) {
          await this.reportApiError(shipper, `cannot write ConfigMap ${cmName}`, error, writes);
          throw error;
        }
        this.configMapWrites.remember(applied);
        writes.push('configmap');
        const before = existing?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
        log.info({ logshipper: key, configMap: cmName, hash: rendered.hash, previousHash: before }, existing === undefined ? 'configmap created' : 'configmap updated');
        await this.deps.events.record(this.target(shipper), 'Normal', existing === undefined ? 'ConfigCreated' : 'ConfigUpdated',
          `rendered the agent configuration (hash ${rendered.hash.slice(0, 12)}) into ConfigMap ${cmName}`);
      }
    }

    if (readiness === undefined) {
      try {
        readiness = await secretReadiness(namespace, spec, async (secretNamespace, secretName) => this.deps.api.readSecretKeys(secretNamespace, secretName));
      } catch (error) {
        if (!(error instanceof SecretReadError)) throw error;
        await this.reportApiError(shipper, error.message, error.cause, writes);
        throw error;
      }
    }
    readiness ??= { ready: true, reason: REASONS.reconciled, message: `agent configuration rendered into ConfigMap ${cmName} (key ${CONFIG_FILE_KEY})` };
    const config = readiness.reason === REASONS.configMapConflict ? undefined : { hash: rendered.hash, configMapName: cmName };
    const deferred = await this.writeStatus(shipper, readiness, config, writes);
    // No watch tells when a missing Secret appears: look again, sooner at first.
    let requeueAfterMs = deferred.requeueAfterMs;
    if (waitsForSecret(readiness)) {
      const recheck = this.secretRecheck.next(key);
      requeueAfterMs = Math.min(requeueAfterMs ?? recheck, recheck);
    } else {
      this.secretRecheck.reset(key);
    }
    return { writes, readiness, ...(requeueAfterMs === undefined ? {} : { requeueAfterMs }) };
  }

  /** A LogShipper being deleted: the finalizer stays while injected pods mount the ConfigMap. */
  private async finalize(key: string, shipper: LogShipper): Promise<ReconcileOutcome> {
    const meta = shipper.metadata ?? {};
    const name = meta.name ?? '';
    const writes: string[] = [];
    if (meta.finalizers?.includes(FINALIZER) !== true) {
      this.forget(key);
      return { writes };
    }
    const using = podsUsing(this.deps.pods?.(meta.namespace ?? '') ?? [], name);
    if (using.length === 0) {
      await this.deps.api.replaceFinalizers(meta.namespace ?? '', name, meta.resourceVersion ?? '', withoutFinalizer(meta.finalizers));
      writes.push('finalizer');
      this.deps.log.info({ logshipper: key }, 'no injected pod left: finalizer removed, the ConfigMap goes with the LogShipper');
      this.forget(key);
      return { writes };
    }
    const now = this.deps.now?.() ?? new Date();
    const previous = findCondition(shipper.status, DELETING);
    const condition = nextCondition(previous, DELETING, deletingState(using, configMapName(name)), meta.generation, now);
    const status: LogShipperStatus = { ...shipper.status, conditions: setCondition(shipper.status?.conditions, condition) };
    const deferred = await this.commitStatus(shipper, status, writes);
    if (previous?.reason !== WAITING_FOR_PODS && writes.includes('status')) {
      await this.deps.events.record(this.target(shipper), 'Normal', WAITING_FOR_PODS, condition.message);
    }
    return { writes, ...deferred };
  }

  private forget(key: string): void {
    const { namespace, name } = splitKey(key);
    this.shipperWrites.forget(key);
    this.notices.forget(key);
    this.statusWindow.forget(key);
    this.secretRecheck.reset(key);
    this.deps.metrics?.uninjectedPods.remove({ namespace, logshipper: name });
    this.deps.metrics?.stalePods.remove({ namespace, logshipper: name });
    this.deps.metrics?.undeliveringPods.remove({ namespace, logshipper: name });
  }

  /** A failed API call into the Ready condition (best effort: the caller rethrows and retries). */
  private async reportApiError(shipper: LogShipper, what: string, error: unknown, writes: string[]): Promise<void> {
    const message = apiErrorReadinessMessage(what, error);
    await this.writeStatus(shipper, { ready: false, reason: REASONS.apiError, message }, undefined, writes).catch(() => undefined);
  }

  /** The pod counts and the SidecarsInjected and Delivering conditions into `status`; an Event on each pod newly found without the sidecar; the gauges. */
  private async podStatus(shipper: LogShipper, status: LogShipperStatus, pods: readonly V1Pod[], now: Date): Promise<void> {
    const namespace = shipper.metadata?.namespace ?? '';
    const name = shipper.metadata?.name ?? '';
    const counts = countPods(pods, name, status.configHash);
    Object.assign(status, counts);
    this.deps.metrics?.stalePods.set({ namespace, logshipper: name }, counts.stalePods);
    const uninjected = uninjectedPods(pods, name);
    status.uninjectedPods = uninjected.length;
    const condition = nextCondition(findCondition(shipper.status, SIDECARS_INJECTED), SIDECARS_INJECTED, sidecarsInjectedState(uninjected, name), shipper.metadata?.generation, now);
    status.conditions = setCondition(status.conditions, condition);
    this.deps.metrics?.uninjectedPods.set({ namespace, logshipper: name }, uninjected.length);
    const undelivering = undeliveringPods(pods, name);
    status.undeliveringPods = undelivering.length;
    const delivering = nextCondition(findCondition(shipper.status, DELIVERING), DELIVERING, deliveringState(undelivering, name), shipper.metadata?.generation, now);
    status.conditions = setCondition(status.conditions, delivering);
    this.deps.metrics?.undeliveringPods.set({ namespace, logshipper: name }, undelivering.length);
    for (const pod of this.notices.unnotified(`${namespace}/${name}`, uninjected)) {
      this.deps.log.warn({ logshipper: `${namespace}/${name}`, pod: `${namespace}/${pod.metadata?.name ?? ''}`, uid: pod.metadata?.uid }, 'pod runs without the sidecar');
      await this.deps.events.recordOn(podReference(pod), 'Warning', NOT_INJECTED_EVENT_REASON, notInjectedMessage(pod, name));
    }
  }

  private target(shipper: LogShipper): { namespace: string; name: string; uid: string; resourceVersion?: string } {
    const meta = shipper.metadata ?? {};
    return { namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '', ...(meta.resourceVersion === undefined ? {} : { resourceVersion: meta.resourceVersion }) };
  }

  private async writeStatus(
    shipper: LogShipper, readiness: Readiness, config: { hash: string; configMapName: string } | undefined, writes: string[],
  ): Promise<{ requeueAfterMs?: number }> {
    const now = this.deps.now?.() ?? new Date();
    const status = nextStatus(shipper.status, readiness, shipper.metadata?.generation, config, now);
    const pods = this.deps.pods?.(shipper.metadata?.namespace ?? '');
    if (pods !== undefined) await this.podStatus(shipper, status, pods, now);
    const deferred = await this.commitStatus(shipper, status, writes);
    if (!writes.includes('status')) return deferred;
    const before = findCondition(shipper.status, 'Ready');
    const after = findCondition(status, 'Ready');
    this.deps.log.info({
      logshipper: objectKey(shipper), ready: after?.status, reason: after?.reason, observedGeneration: status.observedGeneration,
      injectedPods: status.injectedPods, currentPods: status.currentPods, stalePods: status.stalePods, uninjectedPods: status.uninjectedPods, undeliveringPods: status.undeliveringPods,
    }, 'status updated');
    if (before?.status !== after?.status || before?.reason !== after?.reason) {
      await this.deps.events.record(this.target(shipper), readiness.ready ? 'Normal' : 'Warning', readiness.ready ? 'Ready' : readiness.reason, readiness.message);
    }
    return deferred;
  }

  /** Writes `status` if it differs: at once when its prompt part changed, else at most once per window (re-queued for then). */
  private async commitStatus(shipper: LogShipper, status: LogShipperStatus, writes: string[]): Promise<{ requeueAfterMs?: number }> {
    if (sameStatus(status, shipper.status)) return {};
    const key = objectKey(shipper);
    if (sameStatus(promptPart(status), promptPart(shipper.status))) {
      const wait = this.statusWindow.wait(key);
      if (wait > 0) return { requeueAfterMs: wait };
    }
    const meta = shipper.metadata ?? {};
    const updated = await this.deps.api.replaceStatus(meta.namespace ?? '', meta.name ?? '', meta.resourceVersion ?? '', status);
    this.statusWindow.wrote(key);
    this.shipperWrites.remember(updated);
    writes.push('status');
    return {};
  }
}

/**
 * An API error for the status message: the code and the apiserver's message. Not client-node's
 * Error message, which also holds the response headers (a new audit-id and date on every request):
 * a status message that differs on every attempt is a new status write each time, whose watch event
 * re-queued the LogShipper at once, past the backoff (a loop of ~50 requests/s on a 403).
 */
export function apiErrorMessage(error: unknown): string {
  if (!(error instanceof ApiException)) return error instanceof Error ? error.message : String(error);
  let body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: use it as it is
    }
  }
  const message = typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
    ? (body as { message: string }).message
    : typeof body === 'string' && body !== '' ? body : 'no message';
  return `HTTP ${String(error.code)}: ${message}`;
}

/** The Ready message of an unrenderable spec: the field, the bad value, what is allowed (SpecError's text), and what follows. */
export function invalidSpecMessage(error: SpecError): string {
  return `${error.message} (fix the LogShipper; until then its ConfigMap is not updated and pods are not injected)`;
}

/** The Ready message of a failed API call: what failed, the apiserver's answer, and what to do. */
export function apiErrorReadinessMessage(what: string, error: unknown): string {
  const advice = error instanceof ApiException && error.code === 403
    ? "the operator's service account lacks the permission (the chart's templates/rbac.yaml grants it; check the operator's ClusterRole or Role); retried with backoff"
    : 'retried with backoff; the operator log has the details';
  return `${what}: ${apiErrorMessage(error)}; ${advice}`;
}
