// inject(pod, logShipper, options) -> a JSON patch that adds the logshipper sidecar to a pod, or the
// reason it does not. Pure: no I/O, no clock; the webhook (operator/webhook.ts) is a thin shell that
// finds the LogShipper, calls this, and answers the AdmissionReview.
//
// What a patch adds (paths, names and env vars come from operator/sidecar-layout.ts, the contract
// with the renderer):
// - the sidecar container `logshipper`: a native sidecar (an init container with restartPolicy
//   Always, appended after the pod's own init containers) or, in `container` mode, a plain container
//   whose agent reads on at pod deletion until the app's files are quiet;
// - volumes: the ConfigMap `<name>-logshipper` (a directory, never subPath, so hot reload works), an
//   emptyDir for the position file, and one per TLS Secret (the key projected to the layout's file).
//   The ConfigMap and Secret volumes are optional: deleting the LogShipper, its ConfigMap or a Secret
//   must never leave a pod that cannot start (the kubelet would refuse to start the whole pod);
//   the agent waits for its configuration instead;
// - the label `logshipper.io/injected=<LogShipper>` (to count pods) and the annotations
//   `logshipper.io/config-hash` and `logshipper.io/injection` (what was injected).
// Idempotent: a pod that already has a container named `logshipper` is left alone (a re-invoked
// webhook, or a pod spec copied from an injected pod).
// Refused (a Skip with failure: Event, metric, denied in strict mode): a sidecar image or a broker
// the cluster admin does not allow (operator/admin-policy.ts: the webhook may read a LogShipper
// before the reconciler judged its new spec), and a spec.volume that is not an emptyDir, a PVC or a
// generic ephemeral volume (the sidecar would ship a Secret's, a ConfigMap's or the node's files).
import type { V1Container, V1EnvVar, V1Pod, V1Probe, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { DEFAULT_HTTP_PORT } from '../sidecar/http.ts';
import { policyRefusal, type AdminPolicy, type PolicyReason } from './admin-policy.ts';
import { GROUP, SIDECAR_HTTP_PORT_RANGE, type LogShipper, type ResolvedSpec, type ResourceRequirements } from './crd-types.ts';
import { render } from './render.ts';
import {
  AGENT_NAME, CONFIG_FILE_PATH, CONFIG_HASH_ANNOTATION, CONFIG_MOUNT_PATH, configMapName, ENV, labelEnvName, LOG_VOLUME_MOUNT_PATH,
  SASL_MOUNT_PATH, SIDECAR_CONTAINER_NAME, STATE_MOUNT_PATH, TLS_CA_FILE_PATH, TLS_CA_MOUNT_PATH, TLS_CLIENT_MOUNT_PATH, clientCertificateFiles, saslFiles,
} from './sidecar-layout.ts';
import { resolveSpec, SpecError } from './spec.ts';

/** Opt-in: the name of a LogShipper in the pod's namespace. */
export const INJECT_ANNOTATION = `${GROUP}/inject`;
/**
 * Opt-in, second half: the chart's MutatingWebhookConfiguration selects pods with this label
 * (objectSelector), so the apiserver sends only those to the webhook instead of every pod created
 * in the cluster. A pod with the annotation and without the label is never injected: the
 * reconciler reports it (operator/uninjected-pods.ts) and says to add the label.
 */
export const INJECT_LABEL = { key: INJECT_ANNOTATION, value: 'true' } as const;
/** Per-pod overrides (the only ones): */
export const ANNOTATIONS = {
  /** `native` (init container with restartPolicy Always, Kubernetes >= 1.29) or `container` (a plain container). */
  mode: `${GROUP}/sidecar-mode`,
  cpuRequest: `${GROUP}/sidecar-cpu-request`,
  cpuLimit: `${GROUP}/sidecar-cpu-limit`,
  memoryRequest: `${GROUP}/sidecar-memory-request`,
  memoryLimit: `${GROUP}/sidecar-memory-limit`,
  /** The agent's HTTP port (probes, metrics); wins over spec.sidecar.httpPort. */
  httpPort: `${GROUP}/sidecar-http-port`,
  /** `true`: deny the pod when the sidecar cannot be injected; `false`: admit it unchanged. Default: the operator's --inject-strict. */
  strict: `${GROUP}/inject-strict`,
} as const;
/** Set on injected pods: which LogShipper (the pod counter selects on it). */
export const INJECTED_LABEL = `${GROUP}/injected`;
/** Set on injected pods: JSON of InjectionRecord. */
export const INJECTION_ANNOTATION = `${GROUP}/injection`;

/** The name of the sidecar's HTTP container port, for PodMonitors and Services to select. */
export const HTTP_PORT_NAME = 'logshipper-http';
/** The pod volume types spec.volume may name: volumes that hold what the app writes, never a Secret, a ConfigMap or the node's files. */
export const ALLOWED_VOLUME_TYPES = ['emptyDir', 'persistentVolumeClaim', 'ephemeral'] as const;
/**
 * The agent's --drain-quiet-period in `container` mode, where the kubelet sends SIGTERM to the app
 * and the sidecar at once: the agent reads on until the app's files have not grown for this long,
 * so the lines the app writes while it shuts down are shipped. It lengthens every pod deletion by
 * about this much (the agent then exits, well within the 20 s drain timeout and 30 s grace period).
 * A native sidecar is stopped after the app has exited: it needs none.
 */
export const CONTAINER_MODE_DRAIN_QUIET_MS = 2000;
/**
 * Used when neither the LogShipper (spec.sidecar.resources) nor an annotation says otherwise.
 * Measured (README "Sizing the sidecar"): the container's working set on a real node
 * (test/e2e/sidecar-resources.test.ts) 23 MiB idle, 33 MiB at 1,000 lines/s; CPU at 1,000 lines/s
 * 2.8 % of a core there, 7-9 % in bench/results/footprint-*.md (a line per write). The requests cover 1,000 lines/s with a margin;
 * the limit is above what the memory bounds allow at full speed (about 110 MB RSS, 200 MiB on a
 * 300 MB line), so a burst is never an OOM kill.
 */
export const DEFAULT_RESOURCES: ResourceRequirements = { requests: { cpu: '100m', memory: '48Mi' }, limits: { memory: '256Mi' } };

/** Volumes the injector adds (prefixed, so they do not collide with the app's). */
export const VOLUMES = {
  config: 'logshipper-config',
  state: 'logshipper-state',
  kafkaCa: 'logshipper-kafka-ca',
  kafkaClient: 'logshipper-kafka-client',
  kafkaSasl: 'logshipper-kafka-sasl',
} as const;

export type SidecarMode = 'native' | 'container';

export interface InjectOptions {
  /** The sidecar image when the LogShipper has no spec.sidecar.image. */
  defaultImage: string;
  /** The mode when the pod has no sidecar-mode annotation. */
  defaultMode: SidecarMode;
  defaultResources?: ResourceRequirements;
  /** What the cluster admin allows LogShippers (images besides defaultImage, brokers). */
  policy: AdminPolicy;
  /** Where the sidecar reports its delivery state (operator/sidecar-health.ts); undefined: it does not. */
  healthReportUrl?: string | undefined;
}

/** RFC 6902 operations the injector emits. */
export type JsonPatchOp = { op: 'add' | 'replace' | 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

export interface InjectionRecord {
  logShipper: string;
  configHash: string;
  mode: SidecarMode;
  image: string;
  httpPort: number;
  /** The port asked for (annotation, spec.sidecar.httpPort or the default) when the pod already declares it: httpPort is the next free one. */
  httpPortMovedFrom?: number;
}

export type SkipReason =
  | 'NotRequested' | 'AlreadyInjected'
  | 'InvalidAnnotation' | 'LogShipperNotFound' | 'LogShipperNotReady' | 'InvalidSpec' | 'VolumeNotFound' | 'VolumeTypeNotAllowed' | 'NameConflict'
  | PolicyReason
  /** Set by the webhook when the LogShipper cannot be read (API error) or the injector threw. */
  | 'InternalError';

export interface Skip {
  reason: SkipReason;
  message: string;
  /** True when the pod asked for the sidecar and does not get it (Event, metric; denied in strict mode). */
  failure: boolean;
}

export type InjectResult = { patch: JsonPatchOp[]; injection: InjectionRecord; container: V1Container; volumes: V1Volume[] } | { skip: Skip };

/** The LogShipper a pod asks for, or undefined. */
export function requestedLogShipper(pod: V1Pod): string | undefined {
  const value = pod.metadata?.annotations?.[INJECT_ANNOTATION];
  return value === undefined ? undefined : value.trim();
}

/** Whether a failed injection denies the pod: its annotation, else the operator's default. */
export function isStrict(pod: V1Pod, defaultStrict: boolean): boolean {
  const value = pod.metadata?.annotations?.[ANNOTATIONS.strict];
  return value === undefined ? defaultStrict : value === 'true';
}

/** Whether the pod already carries the sidecar (as an init container or a container). */
export function hasSidecar(pod: V1Pod): boolean {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some((c) => c.name === SIDECAR_CONTAINER_NAME);
}

/** `/` and `~` in a JSON pointer token (RFC 6901). */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUANTITY = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity as a number (for comparing a request with its limit), or undefined if malformed. */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === 'number') return text;
  if (!QUANTITY.test(text)) return undefined;
  const match = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/.exec(text);
  if (match === null) return undefined;
  const [, number = '', suffix = ''] = match;
  if (/^[eE]/.test(suffix)) return Number(`${number}${suffix}`);
  const factor = SUFFIX[suffix];
  return factor === undefined ? undefined : Number(number) * factor;
}

class AnnotationError extends Error {}

interface Overrides {
  mode: SidecarMode | undefined;
  httpPort: number | undefined;
  requests: Record<string, string>;
  limits: Record<string, string>;
}

function readOverrides(pod: V1Pod): Overrides {
  const annotations = pod.metadata?.annotations ?? {};
  const overrides: Overrides = { mode: undefined, httpPort: undefined, requests: {}, limits: {} };
  const mode = annotations[ANNOTATIONS.mode];
  if (mode !== undefined) {
    if (mode !== 'native' && mode !== 'container') throw new AnnotationError(`${ANNOTATIONS.mode}: invalid value ${JSON.stringify(mode)}: native or container is allowed`);
    overrides.mode = mode;
  }
  const port = annotations[ANNOTATIONS.httpPort];
  if (port !== undefined) {
    const value = /^\d+$/.test(port) ? Number(port) : Number.NaN;
    const { min, max } = SIDECAR_HTTP_PORT_RANGE;
    if (!(value >= min && value <= max)) throw new AnnotationError(`${ANNOTATIONS.httpPort}: invalid value ${JSON.stringify(port)}: a port ${String(min)}..${String(max)} is allowed`);
    overrides.httpPort = value;
  }
  const strict = annotations[ANNOTATIONS.strict];
  if (strict !== undefined && strict !== 'true' && strict !== 'false') {
    throw new AnnotationError(`${ANNOTATIONS.strict}: invalid value ${JSON.stringify(strict)}: true or false is allowed`);
  }
  const quantities: [string, 'requests' | 'limits', 'cpu' | 'memory'][] = [
    [ANNOTATIONS.cpuRequest, 'requests', 'cpu'], [ANNOTATIONS.cpuLimit, 'limits', 'cpu'],
    [ANNOTATIONS.memoryRequest, 'requests', 'memory'], [ANNOTATIONS.memoryLimit, 'limits', 'memory'],
  ];
  for (const [key, kind, resource] of quantities) {
    const value = annotations[key];
    if (value === undefined) continue;
    if (parseQuantity(value) === undefined) throw new AnnotationError(`${key}: invalid value ${JSON.stringify(value)}: a quantity such as 100m, 0.5, 128Mi is allowed`);
    overrides[kind][resource] = value;
  }
  return overrides;
}

function resources(base: ResourceRequirements, overrides: Overrides): V1ResourceRequirements {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const [key, value] of Object.entries(base.requests ?? {})) requests[key] = String(value);
  for (const [key, value] of Object.entries(base.limits ?? {})) limits[key] = String(value);
  Object.assign(requests, overrides.requests);
  Object.assign(limits, overrides.limits);
  // The apiserver refuses a pod whose request exceeds its limit: say so here instead.
  for (const [key, request] of Object.entries(requests)) {
    const limit = limits[key];
    if (limit === undefined) continue;
    const r = parseQuantity(request);
    const l = parseQuantity(limit);
    if (r !== undefined && l !== undefined && r > l) throw new AnnotationError(`sidecar ${key} request ${request} exceeds its limit ${limit}`);
  }
  const out: V1ResourceRequirements = {};
  if (Object.keys(requests).length > 0) out.requests = requests;
  if (Object.keys(limits).length > 0) out.limits = limits;
  return out;
}

/** The pod's application container whose logs are shipped: the first that mounts the volume, else the first. */
export function appContainerName(pod: V1Pod, volume: string): string {
  const containers = pod.spec?.containers ?? [];
  const mounting = containers.find((c) => c.volumeMounts?.some((m) => m.name === volume) === true);
  return (mounting ?? containers[0])?.name ?? '';
}

function fieldEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** The sidecar's environment: every variable the rendered configuration may refer to. */
export function sidecarEnv(spec: ResolvedSpec, containerName: string): V1EnvVar[] {
  const env: V1EnvVar[] = [
    fieldEnv(ENV.podName, 'metadata.name'),
    fieldEnv(ENV.podNamespace, 'metadata.namespace'),
    fieldEnv(ENV.nodeName, 'spec.nodeName'),
    fieldEnv(ENV.podUID, 'metadata.uid'),
    { name: ENV.container, value: containerName },
  ];
  for (const label of [...spec.enrichment.labels].sort()) {
    // A label key is a DNS subdomain prefix plus a name: neither holds a quote or bracket.
    env.push(fieldEnv(labelEnvName(label), `metadata.labels['${label}']`));
  }
  return env;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function probe(path: string, port: number, timing: { periodSeconds: number; failureThreshold: number }): V1Probe {
  return { httpGet: { path, port }, ...timing, timeoutSeconds: 2, successThreshold: 1 };
}

function skip(reason: SkipReason, message: string): { skip: Skip } {
  return { skip: { reason, message, failure: reason !== 'NotRequested' && reason !== 'AlreadyInjected' } };
}

function addToMap(current: Record<string, string> | undefined, path: string, entries: Record<string, string>): JsonPatchOp[] {
  if (current === undefined) return [{ op: 'add', path, value: entries }];
  // `add` on an existing member replaces it (RFC 6902 4.1).
  return Object.entries(entries).map(([key, value]) => ({ op: 'add', path: `${path}/${escapePointer(key)}`, value }));
}

function appendToArray(current: unknown[] | undefined, path: string, items: unknown[]): JsonPatchOp[] {
  if (current === undefined) return [{ op: 'add', path, value: items }];
  return items.map((value) => ({ op: 'add', path: `${path}/-`, value }));
}

/** The volume's type: its source field (`emptyDir`, `secret`, `hostPath`, ...). */
export function volumeTypeOf(volume: V1Volume): string {
  return Object.keys(volume).find((key) => key !== 'name' && (volume as unknown as Record<string, unknown>)[key] !== undefined) ?? 'none';
}

/** `wanted`, or the next port no container or init container of the pod declares; undefined when none is left. */
export function freePort(pod: V1Pod, wanted: number): number | undefined {
  const declared = new Set([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].flatMap((c) => (c.ports ?? []).map((p) => p.containerPort)));
  for (let port = wanted; port <= 65_535; port++) if (!declared.has(port)) return port;
  return undefined;
}

export function inject(pod: V1Pod, shipper: LogShipper | undefined, options: InjectOptions): InjectResult {
  const wanted = requestedLogShipper(pod);
  if (wanted === undefined) return skip('NotRequested', `no ${INJECT_ANNOTATION} annotation`);
  if (hasSidecar(pod)) return skip('AlreadyInjected', `the pod already has a container named ${SIDECAR_CONTAINER_NAME}`);
  if (!DNS_SUBDOMAIN.test(wanted) || wanted.length > 253) {
    return skip('InvalidAnnotation', `${INJECT_ANNOTATION}: invalid value ${JSON.stringify(wanted)}: the name of a LogShipper in the pod's namespace is allowed`);
  }
  let overrides: Overrides;
  try {
    overrides = readOverrides(pod);
  } catch (error) {
    if (!(error instanceof AnnotationError)) throw error;
    return skip('InvalidAnnotation', error.message);
  }
  const namespace = pod.metadata?.namespace ?? shipper?.metadata?.namespace ?? '';
  if (shipper === undefined) return skip('LogShipperNotFound', `LogShipper ${wanted} not found in namespace ${namespace} (${INJECT_ANNOTATION})`);
  if (shipper.metadata?.deletionTimestamp !== undefined) return skip('LogShipperNotReady', `LogShipper ${wanted} is being deleted`);
  let spec: ResolvedSpec;
  let needed: string[];
  try {
    spec = resolveSpec(shipper.spec);
    needed = render(spec, { namespace: shipper.metadata?.namespace ?? namespace, name: wanted }).env;
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return skip('InvalidSpec', `LogShipper ${wanted}: ${error.message}`);
  }
  // Before the Ready check: the status may be older than the spec (not reconciled yet).
  const refusal = policyRefusal(shipper.spec.sidecar?.image, spec.kafka.brokers, options.policy, options.defaultImage);
  if (refusal !== undefined) return skip(refusal.reason, `LogShipper ${wanted}: ${refusal.message}`);
  const ready = shipper.status?.conditions?.find((c) => c.type === 'Ready');
  const configHash = shipper.status?.configHash;
  if (ready?.status !== 'True' || configHash === undefined) {
    const why = ready === undefined ? 'not reconciled yet' : `Ready=${ready.status} ${ready.reason}: ${ready.message}`;
    return skip('LogShipperNotReady', `LogShipper ${wanted} is not ready (${why})`);
  }
  const podVolumes = pod.spec?.volumes ?? [];
  const logVolume = podVolumes.find((v) => v.name === spec.volume);
  if (logVolume === undefined) {
    const names = podVolumes.map((v) => v.name);
    return skip('VolumeNotFound', `the pod has no volume ${JSON.stringify(spec.volume)} (spec.volume of LogShipper ${wanted}); its volumes: ${names.length === 0 ? 'none' : names.join(', ')}`);
  }
  const volumeType = volumeTypeOf(logVolume);
  if (!ALLOWED_VOLUME_TYPES.some((type) => type === volumeType)) {
    return skip('VolumeTypeNotAllowed', `the pod's volume ${JSON.stringify(spec.volume)} (spec.volume of LogShipper ${wanted}) is of type ${volumeType}: `
      + `only ${ALLOWED_VOLUME_TYPES.join(', ')} volumes may be shipped from (the sidecar must never read a Secret's, a ConfigMap's or the node's files)`);
  }

  let requirements: V1ResourceRequirements;
  try {
    requirements = resources(shipper.spec.sidecar?.resources ?? options.defaultResources ?? DEFAULT_RESOURCES, overrides);
  } catch (error) {
    if (!(error instanceof AnnotationError)) throw error;
    return skip('InvalidAnnotation', error.message);
  }
  const mode = overrides.mode ?? options.defaultMode;
  const wantedPort = overrides.httpPort ?? shipper.spec.sidecar?.httpPort ?? DEFAULT_HTTP_PORT;
  const port = freePort(pod, wantedPort);
  if (port === undefined) return skip('NameConflict', `the pod declares every port from ${String(wantedPort)} up: the sidecar's HTTP port needs one (${ANNOTATIONS.httpPort})`);
  const image = shipper.spec.sidecar?.image ?? options.defaultImage;

  const volumes: V1Volume[] = [
    { name: VOLUMES.config, configMap: { name: configMapName(wanted), optional: true } },
    { name: VOLUMES.state, emptyDir: { sizeLimit: '16Mi' } },
  ];
  const mounts: V1VolumeMount[] = [
    { name: spec.volume, mountPath: LOG_VOLUME_MOUNT_PATH, readOnly: true },
    { name: VOLUMES.config, mountPath: CONFIG_MOUNT_PATH, readOnly: true },
    { name: VOLUMES.state, mountPath: STATE_MOUNT_PATH },
  ];
  const tls = spec.kafka.tls;
  if (tls?.ca !== undefined) {
    volumes.push({ name: VOLUMES.kafkaCa, secret: { secretName: tls.ca.secretName, items: [{ key: tls.ca.key, path: basename(TLS_CA_FILE_PATH) }], optional: true } });
    mounts.push({ name: VOLUMES.kafkaCa, mountPath: TLS_CA_MOUNT_PATH, readOnly: true });
  }
  if (tls?.clientCertificate !== undefined) {
    const ref = tls.clientCertificate;
    const items = clientCertificateFiles(ref).map((file) => ({ key: file.key, path: basename(file.path) }));
    volumes.push({ name: VOLUMES.kafkaClient, secret: { secretName: ref.secretName, items, optional: true } });
    mounts.push({ name: VOLUMES.kafkaClient, mountPath: TLS_CLIENT_MOUNT_PATH, readOnly: true });
  }
  const { sasl } = spec.kafka;
  if (sasl !== undefined) {
    // optional: a deleted Secret (or key) must not keep the pod from starting; the agent reports the missing file and retries.
    const items = saslFiles(sasl).map((file) => ({ key: file.key, path: basename(file.path) }));
    volumes.push({ name: VOLUMES.kafkaSasl, secret: { secretName: sasl.secretName, items, optional: true } });
    mounts.push({ name: VOLUMES.kafkaSasl, mountPath: SASL_MOUNT_PATH, readOnly: true });
  }
  const taken = volumes.filter((v) => podVolumes.some((existing) => existing.name === v.name)).map((v) => v.name);
  if (taken.length > 0) return skip('NameConflict', `the pod already has volumes named ${taken.join(', ')}, which the sidecar needs`);

  const env = sidecarEnv(spec, appContainerName(pod, spec.volume));
  const missing = needed.filter((name) => !env.some((e) => e.name === name));
  // The renderer and the injector share sidecar-layout.ts; a gap here is a bug, not a user error.
  if (missing.length > 0) throw new Error(`injector bug: the rendered configuration refers to ${missing.join(', ')}, which the sidecar would not have`);

  const container: V1Container = {
    name: SIDECAR_CONTAINER_NAME,
    image,
    args: [
      'agent', '--conf-file', CONFIG_FILE_PATH, '--name', AGENT_NAME, '--http-port', String(port),
      ...(mode === 'container' ? ['--drain-quiet-period', String(CONTAINER_MODE_DRAIN_QUIET_MS)] : []),
      ...(options.healthReportUrl === undefined ? [] : ['--health-report-url', options.healthReportUrl]),
    ],
    env,
    ports: [{ name: HTTP_PORT_NAME, containerPort: port, protocol: 'TCP' }],
    resources: requirements,
    volumeMounts: mounts,
    // Startup: the agent answers (for a native sidecar the app starts after this succeeds). Not
    // /readyz: with its ConfigMap deleted (the volume is optional) the agent idles, /readyz 503 until
    // the file appears, and the app must start all the same. A present file is loaded before the
    // agent listens, so the app still starts after the configuration is loaded.
    startupProbe: probe('/healthz', port, { periodSeconds: 1, failureThreshold: 60 }),
    // Liveness: restart a stalled process. No readiness probe: a native sidecar's readiness is part of
    // the pod's, and a Kafka outage must not take the application out of its Service.
    livenessProbe: probe('/healthz', port, { periodSeconds: 10, failureThreshold: 3 }),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    ...(mode === 'native' ? { restartPolicy: 'Always' } : {}),
  };
  const injection: InjectionRecord = { logShipper: wanted, configHash, mode, image, httpPort: port, ...(port === wantedPort ? {} : { httpPortMovedFrom: wantedPort }) };

  const patch: JsonPatchOp[] = [];
  const metadata = pod.metadata ?? {};
  if (pod.metadata === undefined) patch.push({ op: 'add', path: '/metadata', value: {} });
  patch.push(...addToMap(metadata.labels, '/metadata/labels', { [INJECTED_LABEL]: wanted }));
  patch.push(...addToMap(metadata.annotations, '/metadata/annotations', {
    [CONFIG_HASH_ANNOTATION]: configHash,
    [INJECTION_ANNOTATION]: JSON.stringify(injection),
  }));
  patch.push(...appendToArray(pod.spec?.volumes, '/spec/volumes', volumes));
  if (mode === 'native') patch.push(...appendToArray(pod.spec?.initContainers, '/spec/initContainers', [container]));
  else patch.push(...appendToArray(pod.spec?.containers, '/spec/containers', [container]));
  return { patch, injection, container, volumes };
}
