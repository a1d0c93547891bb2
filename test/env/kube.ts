// The test cluster's control plane: etcd + kube-apiserver (RBAC and the Node authorizer,
// client-certificate admin, service-account tokens) + kube-controller-manager running the
// controllers the tests rely on + kube-scheduler, on this machine at the node link's address
// (node/network.ts), so that pods on the node reach the apiserver through the `kubernetes` Service.
// The node itself (containerd, kubelet, kube-proxy) is node/node.ts.
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { makeClusterPki, type ClusterPki } from './certs.ts';
import { buildEtcd, buildKubernetes } from './kube-build.ts';
import { httpGet } from './probe.ts';
import { freePorts } from './ports.ts';
import { startDaemon, TestEnvError, waitUntilReady } from './process.ts';
import { KUBECONFIG_FILE, logFile, STATE_DIR } from './paths.ts';
import { cachePath } from './cache.ts';
import { override } from './envfile.ts';
import { kubectl } from './tools.ts';
import { NODE_NETWORK } from './node/network.ts';

/** What controllers kube-controller-manager runs: GC (ownerReferences), namespace deletion,
 *  each namespace's `default` ServiceAccount and `kube-root-ca.crt` ConfigMap (every pod's
 *  projected token volume needs both), workloads (Deployments, Jobs, CronJobs), the endpoints
 *  the apiserver routes webhook calls by, and the node's taints. */
const CONTROLLERS = [
  'garbage-collector', 'namespace', 'serviceaccount', 'root-ca-certificate-publisher', 'deployment', 'replicaset',
  'job', 'cronjob', 'ttl-after-finished', 'endpoints', 'endpointslice', 'disruption', 'pod-garbage-collector',
  // Lifts the not-ready taint a new node registers with, once its kubelet reports Ready.
  'node-lifecycle',
].map((c) => `${c}-controller`).join(',');

/**
 * The apiserver's audit policy: every request of a ServiceAccount (the chart's operator runs as one
 * in the tests that check its RBAC) at level Metadata (who, verb, resource, name, response code; no
 * bodies), nothing else, so the log stays small however many tests run. RequestReceived is left out:
 * each request is logged once when answered (watches also when their response starts).
 */
const AUDIT_POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    { level: 'Metadata', userGroups: ['system:serviceaccounts'] },
    { level: 'None' },
  ],
};

/** A folder in the layout of controller-runtime's envtest (KUBEBUILDER_ASSETS), and the node's binaries. */
export interface KubeAssets {
  dir: string;
  apiserver: string;
  controllerManager: string;
  scheduler: string;
  etcd: string;
  kubectl: string;
  kubelet: string;
  kubeProxy: string;
}

/** Everything the cluster runs from k8s.io/kubernetes, built in one `go build` (shared packages compile once). */
const KUBERNETES_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy'];

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The binaries to run: those of $KUBEBUILDER_ASSETS when set (our builds for what it lacks: the
 * controller manager, scheduler and node binaries are not in envtest's assets), else our builds,
 * gathered as symlinks in <cache>/kubebuilder-assets.
 */
export async function kubeAssets(): Promise<KubeAssets> {
  const given = override('KUBEBUILDER_ASSETS');
  if (given !== undefined) {
    for (const name of ['kube-apiserver', 'etcd']) {
      if (!executable(path.join(given, name))) {
        throw new TestEnvError('kubebuilder-assets', `KUBEBUILDER_ASSETS=${given} has no executable ${name}`);
      }
    }
    const built = await buildKubernetes(KUBERNETES_COMMANDS);
    const givenOrBuilt = (name: string): string => (executable(path.join(given, name)) ? path.join(given, name) : path.join(built, name));
    const ownKubectl = path.join(given, 'kubectl');
    return {
      dir: given,
      apiserver: path.join(given, 'kube-apiserver'),
      controllerManager: givenOrBuilt('kube-controller-manager'),
      scheduler: givenOrBuilt('kube-scheduler'),
      etcd: path.join(given, 'etcd'),
      kubectl: executable(ownKubectl) ? ownKubectl : await kubectl(),
      kubelet: path.join(built, 'kubelet'),
      kubeProxy: path.join(built, 'kube-proxy'),
    };
  }
  // etcd first: it builds in about a minute, kubernetes in many.
  const etcd = await buildEtcd();
  const kube = await buildKubernetes(KUBERNETES_COMMANDS);
  const links: Record<string, string> = {
    ...Object.fromEntries(KUBERNETES_COMMANDS.map((c) => [c, path.join(kube, c)])),
    etcd,
    kubectl: await kubectl(),
  };
  const dir = cachePath('kubebuilder-assets');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, target] of Object.entries(links)) {
    // Replace atomically: another checkout's environment may be reading this folder.
    const tmp = path.join(dir, `.${name}.${String(process.pid)}`);
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(target, tmp);
    fs.renameSync(tmp, path.join(dir, name));
  }
  const at = (name: string): string => path.join(dir, name);
  return {
    dir,
    apiserver: at('kube-apiserver'),
    controllerManager: at('kube-controller-manager'),
    scheduler: at('kube-scheduler'),
    etcd: at('etcd'),
    kubectl: at('kubectl'),
    kubelet: at('kubelet'),
    kubeProxy: at('kube-proxy'),
  };
}

/** A kubeconfig for one client certificate of the cluster's CA. */
export function kubeconfigYaml(server: string, caCert: string, user: { name: string; cert: string; key: string }): string {
  const b64 = (file: string): string => fs.readFileSync(file).toString('base64');
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'logshipper-testenv', cluster: { server, 'certificate-authority-data': b64(caCert) } }],
    users: [{ name: user.name, user: { 'client-certificate-data': b64(user.cert), 'client-key-data': b64(user.key) } }],
    contexts: [{ name: 'logshipper-testenv', context: { cluster: 'logshipper-testenv', user: user.name } }],
    'current-context': 'logshipper-testenv',
  });
}

export interface ControlPlane {
  env: Record<string, string>;
  /** The apiserver's URL, as the node reaches it. */
  server: string;
  pki: ClusterPki;
}

/** kube-controller-manager or kube-scheduler: the admin kubeconfig, no leader election, /healthz on 127.0.0.1. */
async function startController(name: string, command: string, port: number, dir: string, args: string[]): Promise<void> {
  const health = `https://127.0.0.1:${String(port)}/healthz`;
  const daemon = await startDaemon({
    name,
    command,
    args: [
      `--kubeconfig=${KUBECONFIG_FILE}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${String(port)}`,
      `--cert-dir=${path.join(dir, name)}`,
      '--profiling=false',
      ...args,
    ],
    healthUrl: health,
  });
  await waitUntilReady(daemon, 'healthy (/healthz)', 60_000, async () => (await httpGet(health, { insecure: true })).status === 200);
}

/** Starts etcd, kube-apiserver, kube-controller-manager and kube-scheduler. */
export async function startKube(assets: KubeAssets): Promise<ControlPlane> {
  const dir = path.join(STATE_DIR, 'kube');
  const [etcdClientPort = 0, etcdPeerPort = 0, apiserverPort = 0, kcmPort = 0, schedulerPort = 0] = await freePorts(5);
  const { hostIp, nodeName, serviceCidr, kubernetesServiceIp } = NODE_NETWORK;
  const pkiPromise = makeClusterPki(path.join(dir, 'pki'), { ips: [hostIp, kubernetesServiceIp], nodeName });

  const etcdUrl = `http://127.0.0.1:${String(etcdClientPort)}`;
  const peerUrl = `http://127.0.0.1:${String(etcdPeerPort)}`;
  const etcd = await startDaemon({
    name: 'etcd',
    command: assets.etcd,
    args: [
      '--name=logshipper-testenv',
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=logshipper-testenv=${peerUrl}`,
      // Test data is thrown away: durability only costs time.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
  });
  const pki = await pkiPromise;
  await waitUntilReady(etcd, 'healthy (/health)', 30_000, async () => {
    const res = await httpGet(`${etcdUrl}/health`);
    return res.status === 200 && (JSON.parse(res.body) as { health?: string }).health === 'true';
  });

  // The node's link address: this machine's tests and the node's pods reach it alike.
  const server = `https://${hostIp}:${String(apiserverPort)}`;
  const auditPolicy = path.join(dir, 'audit-policy.yaml');
  // Beside the daemons' logs: kept after `down` for a post-mortem, emptied by the next `up`.
  const auditLog = logFile('kube-apiserver-audit');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(auditPolicy, yaml.dump(AUDIT_POLICY));
  const apiserver = await startDaemon({
    name: 'kube-apiserver',
    command: assets.apiserver,
    args: [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${String(apiserverPort)}`,
      `--bind-address=${hostIp}`,
      // The `kubernetes` Service's endpoint, which kube-proxy on the node forwards its ClusterIP to.
      `--advertise-address=${hostIp}`,
      `--cert-dir=${path.join(dir, 'apiserver')}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-cluster-ip-range=${serviceCidr}`,
      '--allow-privileged=true',
      // The Node authorizer for the kubelet (only its own pods' Secrets and ConfigMaps), RBAC for
      // everyone else (no AlwaysAllow), so the chart's Roles are really exercised.
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      // Webhook and aggregated API calls go to a Service's endpoints (pod IPs, routed to the node),
      // not its ClusterIP, which only kube-proxy's rules inside the node's network know.
      '--enable-aggregator-routing=true',
      `--kubelet-client-certificate=${pki.adminCert}`,
      `--kubelet-client-key=${pki.adminKey}`,
      '--kubelet-preferred-address-types=InternalIP',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--profiling=false',
      // JSON lines, written before the response is sent (blocking mode), never rotated (size 0).
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${auditLog}`,
      '--audit-log-format=json',
      '--audit-log-mode=blocking',
      '--audit-log-maxsize=0',
    ],
  });
  fs.writeFileSync(KUBECONFIG_FILE, kubeconfigYaml(server, pki.caCert, { name: 'logshipper-testenv-admin', cert: pki.adminCert, key: pki.adminKey }), { mode: 0o600 });
  const tls = { ca: fs.readFileSync(pki.caCert), cert: fs.readFileSync(pki.adminCert), key: fs.readFileSync(pki.adminKey) };
  await waitUntilReady(apiserver, 'ready (/readyz)', 120_000, async () => (await httpGet(`${server}/readyz`, tls)).status === 200);

  // No --authentication/authorization-kubeconfig: their own endpoints need no callers but our
  // /healthz probe, which is always allowed; with them they would look for a front-proxy CA that
  // this apiserver does not have and log errors all the time.
  await Promise.all([
    startController('kube-controller-manager', assets.controllerManager, kcmPort, dir, [
      `--controllers=${CONTROLLERS}`,
      // kube-root-ca.crt, published into every namespace for pods' projected token volumes.
      `--root-ca-file=${pki.caCert}`,
    ]),
    startController('kube-scheduler', assets.scheduler, schedulerPort, dir, []),
  ]);

  return { env: { KUBECONFIG: KUBECONFIG_FILE, KUBE_AUDIT_LOG: auditLog }, server, pki };
}
