// Sidecar injection against the real kube-apiserver: the operator's webhook is registered at
// https://127.0.0.1:PORT/mutate by a MutatingWebhookConfiguration with `url` (one per test namespace,
// selected by namespaceSelector, so other tests' pods are never sent to it), and the apiserver trusts
// it through the caBundle the operator patches in from the CA it made.
//   operator A (leader; namespace N):    injection, no-annotation, re-invocation, failures + Events,
//                                        a Deployment's pods, status pod counts, a pod admitted while
//                                        the webhook is unreachable (found, one Event, counted)
//   operator B (standby on A's Lease; namespace S, --inject-strict): reuses A's CA Secret, denies,
//                                        and once stopped, pod creation still succeeds (Ignore)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import {
  AdmissionregistrationV1Api, ApiException, AppsV1Api, CoreV1Api, type KubeConfig, type V1Container, type V1Deployment, type V1MutatingWebhook, type V1Pod,
} from '@kubernetes/client-node';
import { eventually, kubeConfig, unique } from '../../env/testing.ts';
import { freePorts } from '../../env/ports.ts';
import type { LogShipper, LogShipperSpec } from '../../../operator/crd-types.ts';
import { planCertificates } from '../../../operator/certs.ts';
import { inject, INJECT_LABEL, INJECTED_LABEL, INJECTION_ANNOTATION } from '../../../operator/inject.ts';
import { DEFAULT_HTTP_PORT } from '../../../sidecar/http.ts';
import { CONFIG_FILE_PATH, CONFIG_HASH_ANNOTATION, labelEnvName, LOG_VOLUME_MOUNT_PATH, SASL_PASSWORD_FILE_PATH, TLS_CA_FILE_PATH } from '../../../operator/sidecar-layout.ts';
import { createNamespace, deleteNamespace, installCrd, Shippers, startOperator, type OperatorProcess } from './helpers.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const IMAGE = 'registry.example/logshipper:test';
const SECRET = 'logshipper-webhook-tls';
/** The cluster admin's allow-lists the operators run with (examples/logshipper.yaml's brokers are under *.kafka.svc). */
const ALLOWED_IMAGES = ['registry.example/team/*'];
const ALLOWED_BROKERS = ['kafka:9092', '*.kafka.svc:9092'];

/** A client-node model object as plain JSON (its classes do not deep-equal object literals). */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** Every field of `expected` is in `actual` with the same value (the apiserver adds defaults of its own). */
function assertSubset(actual: unknown, expected: unknown, path = '$'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: an array expected, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((item, index) => {
      assertSubset(actual[index], item, `${path}[${index}]`);
    });
  } else if (typeof expected === 'object' && expected !== null) {
    assert.ok(typeof actual === 'object' && actual !== null, `${path}: an object expected, got ${JSON.stringify(actual)}`);
    for (const [key, value] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

function webhook(name: string, port: number, namespace: string, extra: Partial<V1MutatingWebhook> = {}): V1MutatingWebhook {
  return {
    name,
    clientConfig: { url: `https://127.0.0.1:${port}/mutate` },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
    // As the chart registers it: only pods with the opt-in label are sent to the webhook.
    objectSelector: { matchLabels: { [INJECT_LABEL.key]: INJECT_LABEL.value } },
    failurePolicy: 'Ignore',
    sideEffects: 'NoneOnDryRun',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: 5,
    reinvocationPolicy: 'IfNeeded',
    matchPolicy: 'Equivalent',
    ...extra,
  };
}

/** An app pod; one that asks for a LogShipper (the annotation) has the opt-in label too, unless `optIn` is false. */
function appPod(name: string, annotations: Record<string, string> | undefined, labels: Record<string, string> = {}, optIn = true): V1Pod {
  const asks = annotations?.['logshipper.io/inject'] !== undefined && optIn;
  return {
    metadata: {
      name, labels: { 'app.kubernetes.io/name': 'shop-web', ...(asks ? { [INJECT_LABEL.key]: INJECT_LABEL.value } : {}), ...labels },
      ...(annotations === undefined ? {} : { annotations }),
    },
    spec: {
      containers: [{ name: 'web', image: 'busybox:1.36', volumeMounts: [{ name: 'logs', mountPath: '/var/log/shop' }] }],
      volumes: [{ name: 'logs', emptyDir: {} }],
    },
  };
}

function withoutTokenVolume(pod: V1Pod): V1Pod {
  const token = (name: string): boolean => name.startsWith('kube-api-access-');
  const strip = (c: V1Container): V1Container => ({ ...c, volumeMounts: c.volumeMounts?.filter((m) => !token(m.name)) });
  if (pod.spec === undefined) return pod;
  return {
    ...pod,
    spec: {
      ...pod.spec,
      containers: pod.spec.containers.map(strip),
      ...(pod.spec.initContainers === undefined ? {} : { initContainers: pod.spec.initContainers.map(strip) }),
      volumes: pod.spec.volumes?.filter((v) => !token(v.name)),
    },
  };
}

/** An HTTPS webhook in this process that adds an annotation to every pod it sees: a later mutation that makes the apiserver re-invoke ours. */
async function startToucher(): Promise<{ server: Server; port: number; caBundle: string }> {
  const { bundle } = await planCertificates(undefined, ['127.0.0.1'], new Date());
  const server = createServer({ cert: bundle.cert, key: bundle.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString()) as { request: { uid: string; object: V1Pod } };
      const hasAnnotations = review.request.object.metadata?.annotations !== undefined;
      const patch = hasAnnotations
        ? [{ op: 'add', path: '/metadata/annotations/test.logshipper.io~1touched', value: 'true' }]
        : [{ op: 'add', path: '/metadata/annotations', value: { 'test.logshipper.io/touched': 'true' } }];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
        response: { uid: review.request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') },
      }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, caBundle: Buffer.from(bundle.caCert).toString('base64') };
}

describe('sidecar injection webhook against the real kube-apiserver', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let admission: AdmissionregistrationV1Api;
  let apps: AppsV1Api;
  let shippers: Shippers;
  let operatorA: OperatorProcess | undefined;
  let operatorB: OperatorProcess | undefined;
  let toucher: Server | undefined;
  const ns = unique('lship-inj');
  const strictNs = unique('lship-injs');
  const configA = `${ns}-inject`;
  const configB = `${strictNs}-inject`;
  const configToucher = `zz-${ns}-toucher`;
  const configs = [configA, configB, configToucher];
  let portA = 0;
  let portB = 0;

  // The pod as stored, without what the apiserver's ServiceAccount admission adds to every pod and
  // container (the kube-api-access-* token volume): the tests compare what our webhook did.
  const stored = async (name: string, namespace = ns): Promise<V1Pod> => withoutTokenVolume(await core.readNamespacedPod({ name, namespace }));
  const webhookArgs = (port: number, config: string): string[] => [
    '--webhook-port', String(port), '--webhook-bind-address', '127.0.0.1', '--sidecar-image', IMAGE,
    '--webhook-cert-secret', SECRET, '--webhook-cert-namespace', ns, '--webhook-config', config,
    '--webhook-service', 'logshipper-webhook', '--webhook-extra-sans', '127.0.0.1', '--webhook-cert-check-interval', '1s',
    '--allowed-sidecar-images', ALLOWED_IMAGES.join(','), '--allowed-brokers', ALLOWED_BROKERS.join(','),
  ];
  const caBundle = async (name: string): Promise<string | undefined> => (await admission.readMutatingWebhookConfiguration({ name })).webhooks?.[0]?.clientConfig.caBundle;
  /** Pods are admitted with the sidecar: the webhook is registered, trusted and has the LogShipper. */
  const waitInjecting = async (namespace: string, shipper: string): Promise<void> => {
    await eventually(`the webhook to inject in ${namespace}`, 30_000, async () => {
      const probe = await core.createNamespacedPod({ namespace, body: appPod('probe', { 'logshipper.io/inject': shipper }), dryRun: 'All' });
      return probe.spec?.initContainers?.some((c) => c.name === 'logshipper') === true ? true : undefined;
    });
  };

  /** A minimal LogShipper `name` (files *.log on volume logs, topic `name`), Ready and injecting. */
  const injectingShipper = async (name: string): Promise<void> => {
    await shippers.create(name, { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['kafka:9092'], topic: name } });
    await shippers.waitReady(name, 'True');
    await waitInjecting(ns, name);
  };

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    admission = kc.makeApiClient(AdmissionregistrationV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await installCrd(kc);
    await createNamespace(kc, ns);
    await createNamespace(kc, strictNs);
    shippers = new Shippers(kc, ns);
    [portA = 0, portB = 0] = await freePorts(2);
    const touch = await startToucher();
    toucher = touch.server;
    // Registered before the operators start, without caBundle: each operator patches its own in.
    await admission.createMutatingWebhookConfiguration({ body: { metadata: { name: configA }, webhooks: [webhook('inject.logshipper.io', portA, ns)] } });
    await admission.createMutatingWebhookConfiguration({ body: { metadata: { name: configB }, webhooks: [webhook('inject.logshipper.io', portB, strictNs)] } });
    // The toucher only sees pods labelled reinvoke=yes; its configuration sorts after ours, so it mutates after our webhook ran.
    await admission.createMutatingWebhookConfiguration({
      body: {
        metadata: { name: configToucher },
        webhooks: [webhook('touch.test.logshipper.io', touch.port, ns, {
          clientConfig: { url: `https://127.0.0.1:${touch.port}/mutate`, caBundle: touch.caBundle }, reinvocationPolicy: 'Never', sideEffects: 'None',
          objectSelector: { matchLabels: { reinvoke: 'yes' } },
        })],
      },
    });
    operatorA = startOperator(ns, 'inj-a', webhookArgs(portA, configA));
    await operatorA.waitForLog('webhook listening', (l) => l['msg'] === 'webhook listening');
    await operatorA.waitForLog('caches synced', (l) => l['msg'] === 'caches synced; reconciling');
  });

  after(async () => {
    await operatorA?.stop();
    await operatorB?.stop();
    toucher?.close();
    for (const name of configs) await admission.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
    await deleteNamespace(kc, ns);
    await deleteNamespace(kc, strictNs);
  });

  it('an annotated pod is stored with the sidecar exactly as inject() specifies (native sidecar, mounts, env, TLS/SASL Secrets, probes, securityContext)', async () => {
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'kafka-ca' }, stringData: { 'ca.crt': 'PEM' } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'kafka-user' }, stringData: { username: 'u', password: 'p' } } });
    const spec: LogShipperSpec = {
      volume: 'logs', files: [{ path: 'app/*.log' }],
      kafka: { brokers: ['kafka:9092'], topic: 'app', tls: { ca: { secretName: 'kafka-ca' } }, sasl: { mechanism: 'SCRAM-SHA-512', secretName: 'kafka-user' } },
      enrichment: { fields: ['PodName', 'Container'], labels: ['app.kubernetes.io/name'] },
      sidecar: { resources: { requests: { cpu: '20m', memory: '48Mi' }, limits: { memory: '200Mi' } } },
    };
    await shippers.create('app', spec);
    const shipper = await shippers.waitReady('app', 'True');
    await waitInjecting(ns, 'app');

    const sent = appPod('web-1', { 'logshipper.io/inject': 'app', 'logshipper.io/sidecar-cpu-limit': '500m' });
    await core.createNamespacedPod({ namespace: ns, body: sent });
    const pod = await stored('web-1');
    const expected = inject({ ...sent, metadata: { ...sent.metadata, namespace: ns } }, shipper, { defaultImage: IMAGE, defaultMode: 'native', policy: { sidecarImages: ALLOWED_IMAGES, brokers: ALLOWED_BROKERS } });
    assert.ok('patch' in expected);
    const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.name === 'logshipper');
    assert.equal(sidecars.length, 1);
    assertSubset(sidecars[0], expected.container);
    assert.equal(pod.spec?.containers.length, 1, 'the app container only');
    assertSubset(pod.spec.volumes?.slice(1), expected.volumes);

    // The facts, spelled out.
    const c = sidecars[0];
    assert.ok(c);
    assert.equal(c.restartPolicy, 'Always');
    assert.equal(c.image, IMAGE);
    assert.deepEqual(c.args, ['agent', '--conf-file', CONFIG_FILE_PATH, '--name', 'logshipper', '--http-port', String(DEFAULT_HTTP_PORT)]);
    assert.deepEqual(plain(c.ports), [{ name: 'logshipper-http', containerPort: DEFAULT_HTTP_PORT, protocol: 'TCP' }]);
    // Optional: deleting the LogShipper, its ConfigMap or a Secret never leaves a pod that cannot start.
    assert.deepEqual(pod.spec.volumes?.filter((v) => v.configMap !== undefined || v.secret !== undefined).map((v) => [v.name, v.configMap?.optional ?? v.secret?.optional]),
      [['logshipper-config', true], ['logshipper-kafka-ca', true], ['logshipper-kafka-sasl', true]]);
    assert.deepEqual(plain(c.volumeMounts?.find((m) => m.name === 'logs')), { name: 'logs', mountPath: LOG_VOLUME_MOUNT_PATH, readOnly: true });
    assert.equal(c.volumeMounts?.find((m) => m.mountPath === TLS_CA_FILE_PATH.replace(/\/ca\.crt$/, ''))?.readOnly, true);
    assert.ok(c.volumeMounts.every((m) => m.subPath === undefined));
    assert.equal(pod.spec.volumes.find((v) => v.name === 'logshipper-config')?.configMap?.name, 'app-logshipper');
    const env = new Map(c.env?.map((e) => [e.name, e]));
    assert.equal(env.get('POD_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
    assert.equal(env.get('CONTAINER_NAME')?.value, 'web');
    assert.equal(env.get(labelEnvName('app.kubernetes.io/name'))?.valueFrom?.fieldRef?.fieldPath, "metadata.labels['app.kubernetes.io/name']");
    assert.deepEqual(c.env?.filter((e) => e.valueFrom?.secretKeyRef !== undefined), [], 'the SASL Secret is a volume, not env vars');
    assert.deepEqual(plain(pod.spec.volumes.find((v) => v.name === 'logshipper-kafka-sasl')?.secret), {
      secretName: 'kafka-user', items: [{ key: 'username', path: 'username' }, { key: 'password', path: 'password' }], optional: true, defaultMode: 420,
    });
    assert.equal(c.volumeMounts.find((m) => m.name === 'logshipper-kafka-sasl')?.mountPath, SASL_PASSWORD_FILE_PATH.replace(/\/password$/, ''));
    assert.deepEqual(plain(c.resources), { requests: { cpu: '20m', memory: '48Mi' }, limits: { cpu: '500m', memory: '200Mi' } });
    assert.equal(c.securityContext?.runAsUser, 65534);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.readinessProbe, undefined, 'no readiness probe: a native sidecar\'s readiness would gate the pod on Kafka');
    assert.equal(c.startupProbe?.httpGet?.path, '/healthz');
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(pod.metadata?.labels?.[INJECTED_LABEL], 'app');
    assert.equal(pod.metadata.annotations?.[CONFIG_HASH_ANNOTATION], shipper.status?.configHash);
    assert.deepEqual(JSON.parse(pod.metadata.annotations?.[INJECTION_ANNOTATION] ?? '{}'), { logShipper: 'app', configHash: shipper.status?.configHash, mode: 'native', image: IMAGE, httpPort: DEFAULT_HTTP_PORT });
  });

  it('a pod without the annotation is stored unchanged', async () => {
    const sent = appPod('plain', undefined);
    await core.createNamespacedPod({ namespace: ns, body: sent });
    const pod = await stored('plain');
    assert.equal(pod.spec?.initContainers, undefined);
    assert.deepEqual(pod.spec?.containers.map((c) => c.name), ['web']);
    assert.deepEqual(pod.spec.volumes?.map((v) => v.name), ['logs']);
    assert.deepEqual(plain(pod.metadata?.labels), sent.metadata?.labels);
    assert.equal(pod.metadata?.annotations, undefined);
  });

  it('re-invocation (a later webhook mutates the pod): our webhook runs again and adds no second sidecar', async () => {
    assert.ok(operatorA);
    await core.createNamespacedPod({ namespace: ns, body: appPod('again', { 'logshipper.io/inject': 'app' }, { reinvoke: 'yes' }) });
    const pod = await stored('again');
    assert.equal(pod.metadata?.annotations?.['test.logshipper.io/touched'], 'true', 'the later webhook ran');
    assert.equal([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].filter((c) => c.name === 'logshipper').length, 1);
    assert.equal(pod.spec?.volumes?.filter((v) => v.name === 'logshipper-config').length, 1);
    // The apiserver called our webhook twice for this pod: injected, then left alone.
    const calls = await eventually('the re-invocation in the operator log', 10_000, () => {
      const lines = operatorA?.logs.filter((l) => l['pod'] === `${ns}/again`).map((l) => l['reason'] ?? l['msg']) ?? [];
      return Promise.resolve(lines.length >= 2 ? lines : undefined);
    });
    assert.deepEqual(calls, ['sidecar injected', 'AlreadyInjected']);
  });

  it('an unknown LogShipper: the pod is admitted unchanged, a Warning Event is recorded on it, the failure is counted; per-pod strict denies', async () => {
    assert.ok(operatorA);
    await core.createNamespacedPod({ namespace: ns, body: appPod('lost', { 'logshipper.io/inject': 'nope' }) });
    const pod = await stored('lost');
    assert.equal(pod.spec?.initContainers, undefined);
    assert.equal(pod.metadata?.labels?.[INJECTED_LABEL], undefined);
    const event = await eventually('the SidecarInjectionFailed Event', 10_000, async () =>
      (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=lost' })).items.find((e) => e.reason === 'SidecarInjectionFailed'));
    assert.equal(event.type, 'Warning');
    assert.match(event.message ?? '', /LogShipper nope not found in namespace/);
    assert.equal(await operatorA.metric('logshipper_operator_injections_total', { result: 'failed', reason: 'LogShipperNotFound' }), 1);

    // The pod's own annotation makes it strict.
    await assert.rejects(core.createNamespacedPod({ namespace: ns, body: appPod('lost-strict', { 'logshipper.io/inject': 'nope', 'logshipper.io/inject-strict': 'true' }) }), (error: unknown) => {
      assert.ok(error instanceof ApiException);
      assert.equal(error.code, 403);
      assert.match(String(error.body), /logshipper: sidecar not injected: LogShipper nope not found in namespace/);
      return true;
    });
  });

  it('a Deployment\'s pods (created by the real Deployment and ReplicaSet controllers) are injected; the Event of a failure goes to their ReplicaSet', async () => {
    const example = yaml.load(readFileSync(`${ROOT}examples/logshipper.yaml`, 'utf8')) as LogShipper;
    await shippers.create('app-logs', example.spec);
    await shippers.waitReady('app-logs', 'True');
    await waitInjecting(ns, 'app-logs');
    const deployment = yaml.load(readFileSync(`${ROOT}examples/deployment-injected.yaml`, 'utf8')) as V1Deployment;
    deployment.metadata = { ...deployment.metadata, namespace: ns };
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment });
    const replicas = deployment.spec?.replicas ?? 1;
    const selector = Object.entries(deployment.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await eventually(`the ${String(replicas)} pods of the Deployment`, 30_000, async () => {
      // pod-template-hash: only the ReplicaSet's pods (the other tests' pods share the app label).
      const list = (await core.listNamespacedPod({ namespace: ns, labelSelector: `${selector},pod-template-hash` })).items;
      return list.length === replicas ? list : undefined;
    });
    for (const pod of pods) {
      const sidecar = pod.spec?.initContainers?.find((c) => c.name === 'logshipper');
      assert.ok(sidecar, `pod ${pod.metadata?.name ?? ''} has the sidecar`);
      assert.equal(sidecar.resources?.limits?.['memory'], '384Mi', 'the template\'s annotation override');
      assert.equal(sidecar.env?.find((e) => e.name === 'CONTAINER_NAME')?.value, 'web');
      assert.equal(pod.metadata?.labels?.[INJECTED_LABEL], 'app-logs');
      assert.equal(pod.metadata.ownerReferences?.[0]?.kind, 'ReplicaSet');
    }

    // A template whose volume the LogShipper does not find: its pods are admitted without the
    // sidecar, and the Event is on the ReplicaSet (the pod has no name yet at admission).
    const broken: V1Deployment = yaml.load(readFileSync(`${ROOT}examples/deployment-injected.yaml`, 'utf8')) as V1Deployment;
    const template = broken.spec?.template;
    assert.ok(template?.spec && broken.spec);
    broken.metadata = { ...broken.metadata, name: 'broken-web', namespace: ns };
    broken.spec.replicas = 1;
    broken.spec.selector = { matchLabels: { app: 'broken-web' } };
    template.metadata = { ...template.metadata, labels: { app: 'broken-web', [INJECT_LABEL.key]: INJECT_LABEL.value }, annotations: { ...template.metadata?.annotations, 'logshipper.io/inject': 'app' } };
    template.spec.volumes = [{ name: 'data', emptyDir: {} }];
    template.spec.containers = template.spec.containers.map((c) => ({ ...c, volumeMounts: [{ name: 'data', mountPath: '/data' }] }));
    await apps.createNamespacedDeployment({ namespace: ns, body: broken });
    const [admitted] = await eventually('the pod of the broken Deployment', 30_000, async () => {
      const list = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=broken-web' })).items;
      return list.length === 1 ? list : undefined;
    });
    assert.equal(admitted?.spec?.initContainers, undefined);
    const owner = admitted?.metadata?.ownerReferences?.[0];
    assert.equal(owner?.kind, 'ReplicaSet');
    const event = await eventually('the Event on the ReplicaSet', 10_000, async () =>
      (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.kind=ReplicaSet,involvedObject.name=${owner.name}` })).items.find((e) => e.reason === 'SidecarInjectionFailed'));
    assert.equal(event.involvedObject.uid, owner.uid);
    assert.match(event.message ?? '', /the pod has no volume "logs" \(spec\.volume of LogShipper app\); its volumes: data/);
  });

  it('LogShipper status counts injected/current/stale pods; a spec change makes the injected pods stale; a new pod is current', async () => {
    const counts = async (want: [number, number, number]): Promise<void> => {
      await eventually(`app-logs pod counts ${want.join('/')}`, 20_000, async () => {
        const status = (await shippers.get('app-logs')).status;
        return status?.injectedPods === want[0] && status.currentPods === want[1] && status.stalePods === want[2] ? true : undefined;
      });
    };
    await counts([2, 2, 0]);
    const before = (await shippers.get('app-logs')).status?.configHash;
    const example = yaml.load(readFileSync(`${ROOT}examples/logshipper.yaml`, 'utf8')) as LogShipper;
    await shippers.replaceSpec('app-logs', { ...example.spec, kafka: { ...example.spec.kafka, topic: 'app-logs-v2' } });
    await eventually('a new configHash', 20_000, async () => {
      const hash = (await shippers.get('app-logs')).status?.configHash;
      return hash !== undefined && hash !== before ? hash : undefined;
    });
    await counts([2, 0, 2]);
    await core.createNamespacedPod({ namespace: ns, body: appPod('fresh', { 'logshipper.io/inject': 'app-logs' }) });
    await counts([3, 1, 2]);
    // The 'app' LogShipper counts its own two pods.
    const app = (await shippers.get('app')).status;
    assert.equal(app?.injectedPods, 2);
  });

  it('webhook unreachable (failurePolicy Ignore): the leader finds the pod admitted without the sidecar: one Warning Event on it, status.uninjectedPods and the gauge 1, SidecarsInjected False; injected pods never counted; deleted: 0', async () => {
    assert.ok(operatorA);
    const operator = operatorA;
    await injectingShipper('svc');
    await core.createNamespacedPod({ namespace: ns, body: appPod('svc-ok-1', { 'logshipper.io/inject': 'svc' }) });
    assert.equal((await stored('svc-ok-1')).metadata?.labels?.[INJECTED_LABEL], 'svc');

    // The webhook unreachable, as with the operator scaled to 0: its URL points at a closed port.
    const [closed = 0] = await freePorts(1);
    const url = async (port: number): Promise<void> => {
      await admission.patchMutatingWebhookConfiguration({ name: configA, body: [{ op: 'replace', path: '/webhooks/0/clientConfig/url', value: `https://127.0.0.1:${String(port)}/mutate` }] });
    };
    await url(closed);
    try {
      await eventually('the apiserver to admit pods without calling the webhook', 15_000, async () => {
        const probe = await core.createNamespacedPod({ namespace: ns, body: appPod('probe', { 'logshipper.io/inject': 'svc' }), dryRun: 'All' });
        return probe.spec?.initContainers === undefined ? true : undefined;
      });
      const missed = await core.createNamespacedPod({ namespace: ns, body: appPod('svc-missed', { 'logshipper.io/inject': 'svc' }) });
      assert.equal(missed.spec?.initContainers, undefined, 'admitted without the sidecar');
    } finally {
      await url(portA);
    }
    await waitInjecting(ns, 'svc');

    const uninjected = async (want: number, condition: string): Promise<void> => {
      await eventually(`svc uninjectedPods ${String(want)}, SidecarsInjected ${condition}`, 20_000, async () => {
        const status = (await shippers.get('svc')).status;
        const c = status?.conditions?.find((x) => x.type === 'SidecarsInjected');
        return status?.uninjectedPods === want && c?.status === condition ? true : undefined;
      });
    };
    await uninjected(1, 'False');
    const status = (await shippers.get('svc')).status;
    assert.match(status?.conditions?.find((c) => c.type === 'SidecarsInjected')?.message ?? '', /^1 pod asks for LogShipper svc .* NOT shipped: svc-missed\./);
    assert.equal(status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'Ready unaffected: the webhook injects only for a Ready LogShipper');
    assert.equal(await operator.metric('logshipper_operator_uninjected_pods', { namespace: ns, logshipper: 'svc' }), 1);
    const podEvents = async (name: string): Promise<{ count: number; message: string; uid: string }[]> =>
      (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}` })).items
        .filter((e) => e.reason === 'SidecarNotInjected')
        .map((e) => ({ count: e.count ?? 1, message: e.message ?? '', uid: e.involvedObject.uid ?? '' }));
    const [event] = await eventually('the SidecarNotInjected Event', 10_000, async () => {
      const events = await podEvents('svc-missed');
      return events.length > 0 ? events : undefined;
    });
    assert.equal(event?.uid, (await stored('svc-missed')).metadata?.uid);
    assert.match(event?.message ?? '', new RegExp(`^pod ${ns}/svc-missed asks for LogShipper svc \\(logshipper\\.io/inject\\) but was admitted without the logshipper sidecar \\(the injection webhook was unavailable or failed\\): its logs are NOT shipped\\. To get the sidecar, delete it and create it again`));

    // More reconciles of svc: the pod changes, an injected pod comes. Still one Event, one count.
    await core.patchNamespacedPod({ namespace: ns, name: 'svc-missed', body: [{ op: 'add', path: '/metadata/labels/touched', value: 'yes' }] });
    await core.createNamespacedPod({ namespace: ns, body: appPod('svc-ok-2', { 'logshipper.io/inject': 'svc' }) });
    await eventually('svc injectedPods 2', 20_000, async () => ((await shippers.get('svc')).status?.injectedPods === 2 ? true : undefined));
    assert.equal((await shippers.get('svc')).status?.uninjectedPods, 1, 'injected pods are never counted');
    const events = await podEvents('svc-missed');
    assert.deepEqual(events.map((e) => e.count), [1], 'exactly one Event for the pod');
    assert.equal(operator.logs.filter((l) => l['msg'] === 'pod runs without the sidecar' && l['pod'] === `${ns}/svc-missed`).length, 1);
    for (const name of ['svc-ok-1', 'svc-ok-2']) assert.deepEqual(await podEvents(name), [], `no Event for the injected pod ${name}`);

    await core.deleteNamespacedPod({ namespace: ns, name: 'svc-missed', gracePeriodSeconds: 0 });
    await uninjected(0, 'True');
    assert.equal(await operator.metric('logshipper_operator_uninjected_pods', { namespace: ns, logshipper: 'svc' }), 0);
  });

  it('the image allow-list: a LogShipper naming another image is Ready=False ImageNotAllowed (no ConfigMap, pods not injected); an allowed one is Ready', async () => {
    assert.ok(operatorA);
    const spec: LogShipperSpec = { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['kafka:9092'], topic: 'img' }, sidecar: { image: 'evil.example/miner:1' } };
    await shippers.create('img', spec);
    const refused = await shippers.waitReady('img', 'False', 'ImageNotAllowed');
    assert.equal(refused.status?.conditions?.find((c) => c.type === 'Ready')?.message,
      `spec.sidecar.image: image "evil.example/miner:1" is not allowed by the cluster admin: remove the field (the operator's default image) or name an allowed image, or ask the cluster admin to allow it `
      + `(operator flag --allowed-sidecar-images, chart value sidecar.allowedImages); until then pods are not injected; allowed: ${IMAGE} (the operator's default), registry.example/team/*`);
    await assert.rejects(core.readNamespacedConfigMap({ namespace: ns, name: 'img-logshipper' }), (error: unknown) => error instanceof ApiException && error.code === 404);
    await core.createNamespacedPod({ namespace: ns, body: appPod('img-refused', { 'logshipper.io/inject': 'img' }) });
    assert.equal((await stored('img-refused')).spec?.initContainers, undefined);
    assert.equal(await operatorA.metric('logshipper_operator_injections_total', { result: 'failed', reason: 'ImageNotAllowed' }), 1);

    await shippers.replaceSpec('img', { ...spec, sidecar: { image: 'registry.example/team/agent:2' } });
    await shippers.waitReady('img', 'True');
    await waitInjecting(ns, 'img');
    await core.createNamespacedPod({ namespace: ns, body: appPod('img-allowed', { 'logshipper.io/inject': 'img' }) });
    assert.equal((await stored('img-allowed')).spec?.initContainers?.find((c) => c.name === 'logshipper')?.image, 'registry.example/team/agent:2');
  });

  it('volume types, the HTTP port and the opt-in label: a Secret volume is refused (Event, metric); a declared port is moved past; a pod without the label never reaches the webhook and is reported with the fix', async () => {
    assert.ok(operatorA);
    const operator = operatorA;
    await injectingShipper('guard');

    const secretVolume = appPod('guard-secret', { 'logshipper.io/inject': 'guard' });
    assert.ok(secretVolume.spec);
    secretVolume.spec.volumes = [{ name: 'logs', secret: { secretName: 'kafka-user' } }];
    await core.createNamespacedPod({ namespace: ns, body: secretVolume });
    assert.equal((await stored('guard-secret')).spec?.initContainers, undefined, 'admitted without the sidecar');
    const event = await eventually('the SidecarInjectionFailed Event', 10_000, async () =>
      (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=guard-secret' })).items.find((e) => e.reason === 'SidecarInjectionFailed'));
    assert.match(event.message ?? '', /the pod's volume "logs" \(spec\.volume of LogShipper guard\) is of type secret: only emptyDir, persistentVolumeClaim, ephemeral volumes/);
    assert.equal(await operator.metric('logshipper_operator_injections_total', { result: 'failed', reason: 'VolumeTypeNotAllowed' }), 1);
    const strict = appPod('guard-host-strict', { 'logshipper.io/inject': 'guard', 'logshipper.io/inject-strict': 'true' });
    assert.ok(strict.spec);
    strict.spec.volumes = [{ name: 'logs', hostPath: { path: '/var/log' } }];
    await assert.rejects(core.createNamespacedPod({ namespace: ns, body: strict }),
      (error: unknown) => error instanceof ApiException && error.code === 403 && /is of type hostPath/.test(String(error.body)));

    const busy = appPod('guard-port', { 'logshipper.io/inject': 'guard' });
    assert.ok(busy.spec?.containers[0]);
    busy.spec.containers[0].ports = [{ containerPort: DEFAULT_HTTP_PORT }];
    await core.createNamespacedPod({ namespace: ns, body: busy });
    const moved = await stored('guard-port');
    const sidecar = moved.spec?.initContainers?.find((c) => c.name === 'logshipper');
    assert.deepEqual(plain(sidecar?.ports), [{ name: 'logshipper-http', containerPort: DEFAULT_HTTP_PORT + 1, protocol: 'TCP' }]);
    assert.equal(sidecar?.startupProbe?.httpGet?.port, DEFAULT_HTTP_PORT + 1);
    const record = JSON.parse(moved.metadata?.annotations?.[INJECTION_ANNOTATION] ?? '{}') as Record<string, unknown>;
    assert.deepEqual([record['httpPort'], record['httpPortMovedFrom']], [DEFAULT_HTTP_PORT + 1, DEFAULT_HTTP_PORT]);

    await core.createNamespacedPod({ namespace: ns, body: appPod('guard-unlabelled', { 'logshipper.io/inject': 'guard' }, {}, false) });
    assert.equal((await stored('guard-unlabelled')).spec?.initContainers, undefined);
    const unlabelledEvent = await eventually('the SidecarNotInjected Event on the unlabelled pod', 20_000, async () =>
      (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=guard-unlabelled' })).items.find((e) => e.reason === 'SidecarNotInjected'));
    assert.match(unlabelledEvent.message ?? '', /lacks the label logshipper\.io\/inject: "true", so the injection webhook never saw it .* To get the sidecar, add the label logshipper\.io\/inject: "true" next to the annotation/);
    assert.equal(operator.logs.some((l) => l['pod'] === `${ns}/guard-unlabelled` && l['msg'] !== 'pod runs without the sidecar'), false, 'the apiserver never sent it to the webhook');
    const condition = await eventually('guard: 2 uninjected pods, 1 without the label', 20_000, async () => {
      const status = (await shippers.get('guard')).status;
      const c = status?.conditions?.find((x) => x.type === 'SidecarsInjected');
      return status?.uninjectedPods === 2 && c?.status === 'False' ? c : undefined;
    });
    assert.match(condition.message, /NOT shipped: guard-secret, guard-unlabelled\. .* 1 of them lacks the label logshipper\.io\/inject: "true" \(never sent to the webhook\)/);
  });

  it('the broker allow-list: a LogShipper moved to another broker is Ready=False BrokerNotAllowed, its ConfigMap keeps the allowed brokers, and new pods are not injected', async () => {
    assert.ok(operatorA);
    const before = await core.readNamespacedConfigMap({ namespace: ns, name: 'guard-logshipper' });
    await shippers.replaceSpec('guard', { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['kafka:9092', 'evil.example:9092'], topic: 'guard' } });
    const refused = await shippers.waitReady('guard', 'False', 'BrokerNotAllowed');
    assert.equal(refused.status?.conditions?.find((c) => c.type === 'Ready')?.message,
      'spec.kafka.brokers[1]: broker "evil.example:9092" is not allowed by the cluster admin: name an allowed broker, or ask the cluster admin to allow it '
      + '(operator flag --allowed-brokers, chart value kafka.allowedBrokers); until then the ConfigMap keeps its brokers and pods are not injected; allowed: kafka:9092, *.kafka.svc:9092');
    const after = await core.readNamespacedConfigMap({ namespace: ns, name: 'guard-logshipper' });
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, 'the ConfigMap the injected pods read is not rewritten');
    assert.doesNotMatch(Object.values(after.data ?? {}).join('\n'), /evil/);
    await core.createNamespacedPod({ namespace: ns, body: appPod('guard-evil', { 'logshipper.io/inject': 'guard' }) });
    assert.equal((await stored('guard-evil')).spec?.initContainers, undefined);
    assert.equal(await operatorA.metric('logshipper_operator_injections_total', { result: 'failed', reason: 'BrokerNotAllowed' }), 1);
  });

  it('the certificate Secret changes (serving certificate gone): the operator reissues it from the same CA, reloads, and keeps injecting', async () => {
    assert.ok(operatorA);
    const before = await core.readNamespacedSecret({ namespace: ns, name: SECRET });
    const text = (secret: typeof before, key: string): string => Buffer.from(secret.data?.[key] ?? '', 'base64').toString();
    await core.replaceNamespacedSecret({
      namespace: ns, name: SECRET,
      body: { ...before, data: { ...before.data, 'tls.crt': '', 'tls.key': '' } },
    });
    const after = await eventually('a new serving certificate in the Secret', 15_000, async () => {
      const secret = await core.readNamespacedSecret({ namespace: ns, name: SECRET });
      return text(secret, 'tls.crt') === '' ? undefined : secret;
    });
    assert.notEqual(text(after, 'tls.crt'), text(before, 'tls.crt'));
    assert.equal(text(after, 'ca.crt'), text(before, 'ca.crt'), 'the CA stays');
    await operatorA.waitForLog('the reload', (l) => l['msg'] === 'webhook certificate changed; reloaded', 10_000);
    await core.createNamespacedPod({ namespace: ns, body: appPod('after-reload', { 'logshipper.io/inject': 'app' }) });
    assert.ok((await stored('after-reload')).spec?.initContainers?.some((c) => c.name === 'logshipper'), 'still injecting (the apiserver trusts the same CA)');
  });

  it('a second operator process (a standby on the same Lease) reuses the CA Secret: same caBundle, Secret not rewritten; --inject-strict denies with the reason', async () => {
    const secretBefore = await core.readNamespacedSecret({ namespace: ns, name: SECRET });
    operatorB = startOperator(strictNs, 'inj-b', [...webhookArgs(portB, configB), '--inject-strict', '--lease-namespace', ns]);
    await operatorB.waitForLog('webhook listening', (l) => l['msg'] === 'webhook listening');
    await eventually('the caBundle of the second configuration', 15_000, async () => ((await caBundle(configB)) === undefined ? undefined : true));
    assert.equal(await caBundle(configB), await caBundle(configA));
    assert.equal(Buffer.from(await caBundle(configA) ?? '', 'base64').toString(), Buffer.from(secretBefore.data?.['ca.crt'] ?? '', 'base64').toString());
    assert.equal((await core.readNamespacedSecret({ namespace: ns, name: SECRET })).metadata?.resourceVersion, secretBefore.metadata?.resourceVersion);
    assert.equal(operatorB.logs.some((l) => l['msg'] === 'leader election: became the leader'), false, 'B is a standby, and serves the webhook anyway');

    const denied = async (): Promise<ApiException<unknown>> => {
      try {
        await core.createNamespacedPod({ namespace: strictNs, body: appPod('strict', { 'logshipper.io/inject': 'nope' }) });
      } catch (error) {
        if (error instanceof ApiException) return error;
        throw error;
      }
      throw new Error('admitted');
    };
    // Until the apiserver trusts B (caBundle just patched), Ignore admits: retry until B answers.
    const error = await eventually('a denial by the strict webhook', 20_000, async () => {
      try {
        return await denied();
      } catch {
        await core.deleteNamespacedPod({ namespace: strictNs, name: 'strict' }).catch(() => undefined);
        return undefined;
      }
    });
    assert.equal(error.code, 403);
    assert.match(String(error.body), new RegExp(`logshipper: sidecar not injected: LogShipper nope not found in namespace ${strictNs}`));
    // Pods that do not ask are never touched, strict or not.
    const plain = await core.createNamespacedPod({ namespace: strictNs, body: appPod('plain', undefined) });
    assert.equal(plain.spec?.initContainers, undefined);
  });

  it('webhook process stopped: pod creation still succeeds (failurePolicy Ignore), without the sidecar', async () => {
    assert.ok(operatorB);
    assert.equal(await operatorB.stop(), 0);
    const started = Date.now();
    const pod = await core.createNamespacedPod({ namespace: strictNs, body: appPod('while-down', { 'logshipper.io/inject': 'nope' }) });
    assert.equal(pod.spec?.initContainers, undefined);
    assert.ok(Date.now() - started < 5000, 'no wait for a timeout: the connection is refused');
  });
});
