// The reconciler: a thin shell around render(). For one LogShipper key it compares the world (from
// the informer caches) with what should be, and writes only the difference:
//   spec -> render -> ConfigMap <name>-logshipper (owned by the LogShipper, server-side apply)
//   referenced Secrets and keys exist?        -> Ready condition
//   pods of the namespace (the pod cache)     -> pod counts, SidecarsInjected condition, and a Warning
//                                                Event on each pod admitted without the sidecar
//   status (observedGeneration, configHash, conditions, counts) through the status subresource
// Level-based and idempotent: reconciling an unchanged world writes nothing.
// client-node's model types (V1Lease, V1ConfigMap, ...) are classes with only public data fields;
// its API takes plain object literals for them.
import { ApiException, type KubernetesObject, type ObjectCache, type V1ConfigMap, type V1ObjectReference, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { monotonicMs } from '../sidecar/clock.ts';
import { API_VERSION, KIND, type LogShipper, type LogShipperStatus, type ResolvedSpec } from './crd-types.ts';
import { policyRefusal, type AdminPolicy } from './admin-policy.ts';
import { render, type RenderResult } from './render.ts';
import {
  CONFIG_FILE_KEY, CONFIG_HASH_ANNOTATION, configMapName, LOGSHIPPER_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE,
} from './sidecar-layout.ts';
import { resolveSpec, SpecError } from './spec.ts';
import { findCondition, nextCondition, nextStatus, REASONS, sameStatus, setCondition, type Readiness } from './status.ts';
import { countPods } from './pod-counts.ts';
import type { OperatorMetrics } from './metrics.ts';
import {
  NOT_INJECTED_EVENT_REASON, NotInjectedNotices, notInjectedMessage, podReference, SIDECARS_INJECTED, sidecarsInjectedState, uninjectedPods,
} from './uninjected-pods.ts';

/** The API calls the reconciler makes (operator/controller.ts implements them with client-node). */
export interface ReconcilerApi {
  /** A ConfigMap straight from the API (used only when the cache has none), undefined when absent. */
  readConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  /** Server-side apply of the operator's fields of a ConfigMap. */
  applyConfigMap(configMap: V1ConfigMap): Promise<V1ConfigMap>;
  /** Replaces the status, on condition that the object still has `resourceVersion`. */
  replaceStatus(namespace: string, name: string, resourceVersion: string, status: LogShipperStatus): Promise<LogShipper>;
}

export interface EventSink {
  record(target: { namespace: string; name: string; uid: string; resourceVersion?: string }, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  /** An Event on another object (a pod). */
  recordOn(involvedObject: V1ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export interface ReconcilerDeps {
  shippers: ObjectCache<LogShipper>;
  configMaps: ObjectCache<V1ConfigMap>;
  secrets: ObjectCache<V1Secret>;
  api: ReconcilerApi;
  events: EventSink;
  log: Logger;
  now?: () => Date;
  /**
   * The pods of a namespace (the pod cache): the status pod counts (operator/pod-counts.ts) and the
   * pods admitted without the sidecar (operator/uninjected-pods.ts). Without it both are left as they are.
   */
  pods?: (namespace: string) => readonly V1Pod[];
  /** The per-LogShipper gauge of pods admitted without the sidecar. */
  metrics?: Pick<OperatorMetrics, 'uninjectedPods'>;
  /** The cluster admin's allow-lists, and the operator's own sidecar image (always allowed). Without it: anything. */
  policy?: { policy: AdminPolicy; defaultImage: string | undefined };
}

export interface ReconcileOutcome {
  /** What was written: 'configmap', 'status' (events are not counted here). */
  writes: string[];
  readiness?: Readiness;
}

/** How long a write's own result is preferred over a cache that has not seen it yet. */
const READ_YOUR_WRITES_MS = 30_000;

/**
 * The objects this process wrote, until its informer delivers them: a reconcile that runs before the
 * watch event must compare with what it wrote, not with the older cached object (or it would write again).
 */
export class RecentWrites<T extends KubernetesObject> {
  private readonly entries = new Map<string, { object: T; at: number }>();
  /** The last resourceVersions the informer delivered per key: the watch event may beat the write's response. */
  private readonly seen = new Map<string, string[]>();

  remember(object: T): void {
    const key = objectKey(object);
    const version = object.metadata?.resourceVersion;
    if (version !== undefined && this.seen.get(key)?.includes(version) === true) return;
    this.entries.set(key, { object, at: monotonicMs() });
  }

  /** An informer event: once the cache holds the version written, the cache is current again. */
  observe(object: T): void {
    const key = objectKey(object);
    const version = object.metadata?.resourceVersion ?? '';
    const seen = this.seen.get(key) ?? [];
    seen.push(version);
    if (seen.length > 16) seen.shift();
    this.seen.set(key, seen);
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.object.metadata?.resourceVersion === version) this.entries.delete(key);
  }

  forget(key: string): void {
    this.entries.delete(key);
    this.seen.delete(key);
  }

  /** The freshest known version: the write not yet seen by the cache, else the cached object. */
  get(key: string, cached: T | undefined): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return cached;
    if (monotonicMs() - entry.at > READ_YOUR_WRITES_MS) {
      this.entries.delete(key);
      return cached;
    }
    return entry.object;
  }
}

export function objectKey(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The Secret references of a spec, with the field that makes each. */
export function secretReferences(spec: ResolvedSpec): { secretName: string; key: string; field: string }[] {
  const refs: { secretName: string; key: string; field: string }[] = [];
  const { tls, sasl } = spec.kafka;
  if (tls?.ca !== undefined) refs.push({ ...tls.ca, field: 'spec.kafka.tls.ca' });
  if (tls?.clientCertificate !== undefined) refs.push({ ...tls.clientCertificate, field: 'spec.kafka.tls.clientCertificate' });
  if (sasl !== undefined) {
    refs.push({ secretName: sasl.secretName, key: sasl.usernameKey, field: 'spec.kafka.sasl (usernameKey)' });
    refs.push({ secretName: sasl.secretName, key: sasl.passwordKey, field: 'spec.kafka.sasl (passwordKey)' });
  }
  return refs;
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

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
  }

  /** Reconciles one LogShipper. Throws on API errors (the caller retries with backoff). */
  async reconcile(key: string): Promise<ReconcileOutcome> {
    const { namespace, name } = splitKey(key);
    const { log } = this.deps;
    const shipper = this.shipperWrites.get(key, this.deps.shippers.get(name, namespace));
    if (shipper === undefined || shipper.metadata?.deletionTimestamp !== undefined) {
      // Deleted: the garbage collector removes the ConfigMap through its owner reference.
      this.shipperWrites.forget(key);
      this.notices.forget(key);
      this.deps.metrics?.uninjectedPods.remove({ namespace, logshipper: name });
      return { writes: [] };
    }
    const writes: string[] = [];
    let spec: ResolvedSpec;
    let rendered: RenderResult;
    try {
      spec = resolveSpec(shipper.spec);
      rendered = render(spec, { namespace, name });
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      const readiness: Readiness = { ready: false, reason: REASONS.invalidSpec, message: error.message };
      await this.writeStatus(shipper, readiness, undefined, writes);
      return { writes, readiness };
    }
    // Refused: no ConfigMap either, or the pods already injected would reload the new brokers.
    const policy = this.deps.policy;
    const refusal = policy === undefined ? undefined : policyRefusal(shipper.spec.sidecar?.image, spec.kafka.brokers, policy.policy, policy.defaultImage);
    if (refusal !== undefined) {
      const readiness: Readiness = { ready: false, reason: refusal.reason, message: refusal.message };
      await this.writeStatus(shipper, readiness, undefined, writes);
      return { writes, readiness };
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
          const message = `cannot write ConfigMap ${cmName}: ${apiErrorMessage(error)}`;
          await this.writeStatus(shipper, { ready: false, reason: REASONS.apiError, message }, undefined, writes).catch(() => undefined);
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

    readiness ??= this.secretReadiness(namespace, spec) ?? {
      ready: true, reason: REASONS.reconciled, message: `agent configuration rendered into ConfigMap ${cmName} (key ${CONFIG_FILE_KEY})`,
    };
    const config = readiness.reason === REASONS.configMapConflict ? undefined : { hash: rendered.hash, configMapName: cmName };
    await this.writeStatus(shipper, readiness, config, writes);
    return { writes, readiness };
  }

  private secretReadiness(namespace: string, spec: ResolvedSpec): Readiness | undefined {
    for (const ref of secretReferences(spec)) {
      const secret = this.deps.secrets.get(ref.secretName, namespace);
      if (secret === undefined) {
        return { ready: false, reason: REASONS.secretNotFound, message: `Secret ${ref.secretName} (${ref.field}) not found in namespace ${namespace}: create it; the operator retries when it appears` };
      }
      if (secret.data?.[ref.key] === undefined) {
        const keys = Object.keys(secret.data ?? {}).sort();
        return {
          ready: false, reason: REASONS.secretKeyNotFound,
          message: `Secret ${ref.secretName} (${ref.field}) has no key ${ref.key}: it has ${keys.length === 0 ? 'no keys' : keys.join(', ')}`,
        };
      }
    }
    return undefined;
  }

  /** The pod counts and the SidecarsInjected condition into `status`; an Event on each pod newly found without the sidecar; the gauge. */
  private async podStatus(shipper: LogShipper, status: LogShipperStatus, pods: readonly V1Pod[], now: Date): Promise<void> {
    const namespace = shipper.metadata?.namespace ?? '';
    const name = shipper.metadata?.name ?? '';
    Object.assign(status, countPods(pods, name, status.configHash));
    const uninjected = uninjectedPods(pods, name);
    status.uninjectedPods = uninjected.length;
    const condition = nextCondition(findCondition(shipper.status, SIDECARS_INJECTED), SIDECARS_INJECTED, sidecarsInjectedState(uninjected, name), shipper.metadata?.generation, now);
    status.conditions = setCondition(status.conditions, condition);
    this.deps.metrics?.uninjectedPods.set({ namespace, logshipper: name }, uninjected.length);
    for (const pod of this.notices.unnotified(`${namespace}/${name}`, uninjected)) {
      this.deps.log.warn({ logshipper: `${namespace}/${name}`, pod: `${namespace}/${pod.metadata?.name ?? ''}`, uid: pod.metadata?.uid }, 'pod runs without the sidecar');
      await this.deps.events.recordOn(podReference(pod), 'Warning', NOT_INJECTED_EVENT_REASON, notInjectedMessage(pod, name));
    }
  }

  private target(shipper: LogShipper): { namespace: string; name: string; uid: string; resourceVersion?: string } {
    const meta = shipper.metadata ?? {};
    return { namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '', ...(meta.resourceVersion === undefined ? {} : { resourceVersion: meta.resourceVersion }) };
  }

  private async writeStatus(shipper: LogShipper, readiness: Readiness, config: { hash: string; configMapName: string } | undefined, writes: string[]): Promise<void> {
    const now = this.deps.now?.() ?? new Date();
    const status = nextStatus(shipper.status, readiness, shipper.metadata?.generation, config, now);
    const meta = shipper.metadata ?? {};
    const pods = this.deps.pods?.(meta.namespace ?? '');
    if (pods !== undefined) await this.podStatus(shipper, status, pods, now);
    if (sameStatus(status, shipper.status)) return;
    const updated = await this.deps.api.replaceStatus(meta.namespace ?? '', meta.name ?? '', meta.resourceVersion ?? '', status);
    this.shipperWrites.remember(updated);
    writes.push('status');
    const before = shipper.status?.conditions?.find((condition) => condition.type === 'Ready');
    const after = status.conditions?.find((condition) => condition.type === 'Ready');
    this.deps.log.info({
      logshipper: objectKey(shipper), ready: after?.status, reason: after?.reason, observedGeneration: status.observedGeneration,
      injectedPods: status.injectedPods, currentPods: status.currentPods, stalePods: status.stalePods, uninjectedPods: status.uninjectedPods,
    }, 'status updated');
    if (before?.status !== after?.status || before?.reason !== after?.reason) {
      await this.deps.events.record(this.target(shipper), readiness.ready ? 'Normal' : 'Warning', readiness.ready ? 'Ready' : readiness.reason, readiness.message);
    }
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
