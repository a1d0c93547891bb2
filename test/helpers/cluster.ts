// The end-to-end tests' view of the test cluster's node: the project's image built from the
// Dockerfile and imported into the node's containerd, the chart installed with it, and the pods
// the kubelet really runs (their container statuses, their cgroups, kubectl exec into them).
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, type KubeConfig, type V1ContainerStatus, type V1Pod } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv, unique } from '../env/testing.ts';
import { buildProjectImage } from '../env/images/project-image.ts';
import { importImage } from '../env/images/import.ts';
import { CHART, helm, helmRun, kubectl, valuesFile } from './chart.ts';
import { createTopic } from './kafka.ts';
import { APP_LOG_FILE } from './app-workload.ts';
import { createNamespace, deleteNamespace, Shippers } from '../integration/operator/helpers.ts';

export interface Image {
  repository: string;
  tag: string;
  ref: string;
}

/** The project's image as the Dockerfile makes it, on the node (built once per source tree, imported once). */
export async function projectImageOnNode(): Promise<Image> {
  const archive = await buildProjectImage();
  await importImage(archive, testEnv('CONTAINERD_ADDRESS'));
  const colon = archive.ref.lastIndexOf(':');
  return { repository: archive.ref.slice(0, colon), tag: archive.ref.slice(colon + 1), ref: archive.ref };
}

/** The chart's values that run `image`, with `values` merged over them. */
export function imageValues(image: Image, values: Record<string, unknown> = {}): Record<string, unknown> {
  return { image: { repository: image.repository, tag: image.tag, pullPolicy: 'IfNotPresent' }, ...values };
}

export interface Release {
  name: string;
  namespace: string;
  /** The chart's object names: `<release>-logshipper`. */
  fullname: string;
}

/**
 * `helm install` of the chart (this tree's, or another version's folder) with the project's image,
 * waiting for the operator's pods (the Deployment's readiness probes) and for the webhook's first
 * injection; `values` are merged over ours.
 */
export async function installChart(kc: KubeConfig, release: string, namespace: string, image: Image, values: Record<string, unknown> = {}, chart = CHART): Promise<Release> {
  const file = valuesFile(imageValues(image, values));
  await helm(['install', release, chart, '--namespace', namespace, '--create-namespace', '-f', file, '--wait', '--timeout', '180s']);
  const installed = { name: release, namespace, fullname: `${release}-logshipper` };
  await operatorLeader(kc, installed);
  return installed;
}

/** The pods of the release's operator Deployment (terminating ones only if asked for). */
export async function operatorPods(kc: KubeConfig, release: Release, options: { terminating?: boolean } = {}): Promise<V1Pod[]> {
  const deployment = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: release.namespace, name: release.fullname });
  const selector = Object.entries(deployment.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: release.namespace, labelSelector: selector })).items;
  return options.terminating === true ? pods : pods.filter((p) => p.metadata?.deletionTimestamp === undefined);
}

/** The name of the operator pod holding the leader Lease (waits until a running, not terminating pod holds it). */
export async function operatorLeader(kc: KubeConfig, release: Release, timeoutMs = 60_000): Promise<string> {
  const leases = kc.makeApiClient(CoordinationV1Api);
  return eventually(`a leader among the operator pods of ${release.fullname}`, timeoutMs, async () => {
    const names = new Set((await operatorPods(kc, release)).filter((p) => p.status?.phase === 'Running').map((p) => p.metadata?.name));
    // The operator's identity in the Lease is <hostname>_<random>, and a pod's hostname is its name.
    const holders = (await leases.listNamespacedLease({ namespace: release.namespace })).items.map((l) => l.spec?.holderIdentity?.replace(/_[^_]*$/, ''));
    return holders.find((h) => h !== undefined && names.has(h));
  });
}

/**
 * Scales the operator Deployment and waits until exactly that many of its pods run Ready, and no
 * terminating one is left (a terminating pod still answers webhook calls until it exits).
 */
export async function scaleOperator(kc: KubeConfig, release: Release, replicas: number): Promise<void> {
  await kubectl(['scale', 'deployment', release.fullname, '-n', release.namespace, `--replicas=${String(replicas)}`]);
  await eventually(`${String(replicas)} operator pods`, 120_000, async () => {
    const pods = await operatorPods(kc, release, { terminating: true });
    const ready = pods.filter((p) => p.metadata?.deletionTimestamp === undefined && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return pods.length === replicas && ready.length === replicas ? true : undefined;
  });
}

/** The status of a container or init container (sidecar) of a pod. */
export function containerStatus(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.name === name);
}

/** Every container's restart count, by name (a sidecar that restarted shows here). */
export function restartCounts(pod: V1Pod): Record<string, number> {
  return Object.fromEntries([...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((s) => [s.name, s.restartCount]));
}

/** Waits until every container of the pod runs and is ready (started, for the sidecar). */
export async function podRunning(core: CoreV1Api, namespace: string, name: string, timeoutMs = 120_000): Promise<V1Pod> {
  return eventually(`pod ${namespace}/${name} running with all containers ready`, timeoutMs, async () => {
    const pod = await core.readNamespacedPod({ namespace, name });
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const running = pod.status?.phase === 'Running' && statuses.length > 0 && statuses.every((s) => s.state?.running !== undefined && s.ready);
    return running ? pod : undefined;
  });
}

/** Runs a shell script in a pod's container (kubectl exec); returns its stdout. */
export async function execIn(namespace: string, pod: string, container: string, script: string): Promise<string> {
  return kubectl(['exec', '-n', namespace, pod, '-c', container, '--', 'sh', '-c', script]);
}

/** Waits until a pod is gone; returns how long that took from `since` (ms). */
export async function podGone(core: CoreV1Api, namespace: string, name: string, since: number, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exists = await core.readNamespacedPod({ namespace, name }).then(() => true, () => false);
    if (!exists) return Date.now() - since;
    if (Date.now() > deadline) throw new Error(`pod ${namespace}/${name} still exists ${String(timeoutMs / 1000)}s after its deletion`);
    await sleep(100);
  }
}

/**
 * Where the end-to-end tests other than the walkthrough start: the chart installed with the
 * project's image, watching one app namespace, where LogShipper `app` is Ready and ships the test
 * app's log file to `topic`.
 */
export interface Shipping {
  kc: KubeConfig;
  core: CoreV1Api;
  release: Release;
  appNamespace: string;
  topic: string;
}

export async function setUpShipping(prefix: string): Promise<Shipping> {
  const kc = kubeConfig();
  const appNamespace = unique(`${prefix}-app`);
  const topic = unique(prefix);
  await createNamespace(kc, appNamespace);
  await createTopic(topic);
  const release = await installChart(kc, unique(prefix), unique(`${prefix}-sys`), await projectImageOnNode(), { operator: { watchNamespace: appNamespace } });
  const shippers = new Shippers(kc, appNamespace);
  // The operator's defaults throughout (sidecar resources included): nothing but what to ship.
  await shippers.create('app', { volume: 'logs', files: [{ path: APP_LOG_FILE }], kafka: { brokers: testEnv('KAFKA_POD_BROKERS').split(','), topic } });
  await shippers.waitReady('app', 'True', undefined, 60_000);
  return { kc, core: kc.makeApiClient(CoreV1Api), release, appNamespace, topic };
}

export async function tearDownShipping(shipping: Shipping | undefined): Promise<void> {
  if (shipping === undefined) return;
  const { kc, release, appNamespace } = shipping;
  await helmRun(['uninstall', release.name, '--namespace', release.namespace, '--wait']).catch(() => undefined);
  await deleteNamespace(kc, appNamespace);
  await deleteNamespace(kc, release.namespace);
}
