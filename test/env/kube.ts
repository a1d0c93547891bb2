// A Kubernetes control plane without nodes, envtest-style: etcd + kube-apiserver (RBAC on,
// client-certificate admin, service-account tokens) + kube-controller-manager running only the
// controllers the tests rely on (garbage collection by owner references, namespace deletion).
// Pods are never scheduled or run: there is no scheduler and no kubelet.
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

/** What controllers kube-controller-manager runs: GC (ownerReferences) and namespace deletion
 *  (a deleted namespace's objects are removed, then the namespace itself). Add more here when
 *  the operator's tests need them (e.g. "deployment,replicaset"). */
const CONTROLLERS = 'garbagecollector,namespace';

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

/** A folder in the layout of controller-runtime's envtest (KUBEBUILDER_ASSETS). */
export interface KubeAssets {
  dir: string;
  apiserver: string;
  controllerManager: string;
  etcd: string;
  kubectl: string;
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The binaries to run: those of $KUBEBUILDER_ASSETS when set (building only a missing
 * kube-controller-manager), else our builds, gathered as symlinks in <cache>/kubebuilder-assets.
 */
export async function kubeAssets(): Promise<KubeAssets> {
  const given = override('KUBEBUILDER_ASSETS');
  if (given !== undefined) {
    for (const name of ['kube-apiserver', 'etcd']) {
      if (!executable(path.join(given, name))) {
        throw new TestEnvError('kubebuilder-assets', `KUBEBUILDER_ASSETS=${given} has no executable ${name}`);
      }
    }
    const ownKcm = path.join(given, 'kube-controller-manager');
    const controllerManager = executable(ownKcm) ? ownKcm : path.join(await buildKubernetes(['kube-apiserver', 'kube-controller-manager']), 'kube-controller-manager');
    const ownKubectl = path.join(given, 'kubectl');
    return {
      dir: given,
      apiserver: path.join(given, 'kube-apiserver'),
      controllerManager,
      etcd: path.join(given, 'etcd'),
      kubectl: executable(ownKubectl) ? ownKubectl : await kubectl(),
    };
  }
  // etcd first: it builds in about a minute, kubernetes in many.
  const etcd = await buildEtcd();
  const kube = await buildKubernetes(['kube-apiserver', 'kube-controller-manager']);
  const links: Record<string, string> = {
    'kube-apiserver': path.join(kube, 'kube-apiserver'),
    'kube-controller-manager': path.join(kube, 'kube-controller-manager'),
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
  return { dir, apiserver: at('kube-apiserver'), controllerManager: at('kube-controller-manager'), etcd: at('etcd'), kubectl: at('kubectl') };
}

function kubeconfigYaml(server: string, pki: ClusterPki): string {
  const b64 = (file: string): string => fs.readFileSync(file).toString('base64');
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'logshipper-testenv', cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [{ name: 'logshipper-testenv-admin', user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
    contexts: [{ name: 'logshipper-testenv', context: { cluster: 'logshipper-testenv', user: 'logshipper-testenv-admin' } }],
    'current-context': 'logshipper-testenv',
  });
}

/** Starts etcd, kube-apiserver and kube-controller-manager; returns the env entries for them. */
export async function startKube(assets: KubeAssets): Promise<Record<string, string>> {
  const dir = path.join(STATE_DIR, 'kube');
  const [etcdClientPort, etcdPeerPort, apiserverPort, kcmPort] = await freePorts(4);
  const pkiPromise = makeClusterPki(path.join(dir, 'pki'));

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

  const server = `https://127.0.0.1:${String(apiserverPort)}`;
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
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${path.join(dir, 'apiserver')}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // RBAC only (no AlwaysAllow), so the chart's Roles are really exercised.
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      // No kube-controller-manager token controller creates default ServiceAccounts; without
      // this, every Pod/Deployment create would be refused for lack of one.
      '--disable-admission-plugins=ServiceAccount',
      // The default reconciler would publish 127.0.0.1 as the `kubernetes` Service's endpoint,
      // which validation refuses (loopback) every 10s. Nothing in-cluster calls it: no pods run.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      // JSON lines, written before the response is sent (blocking mode), never rotated (size 0).
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${auditLog}`,
      '--audit-log-format=json',
      '--audit-log-mode=blocking',
      '--audit-log-maxsize=0',
    ],
  });
  fs.writeFileSync(KUBECONFIG_FILE, kubeconfigYaml(server, pki), { mode: 0o600 });
  const tls = { ca: fs.readFileSync(pki.caCert), cert: fs.readFileSync(pki.adminCert), key: fs.readFileSync(pki.adminKey) };
  await waitUntilReady(apiserver, 'ready (/readyz)', 120_000, async () => (await httpGet(`${server}/readyz`, tls)).status === 200);

  const kcmHealth = `https://127.0.0.1:${String(kcmPort)}/healthz`;
  const kcm = await startDaemon({
    name: 'kube-controller-manager',
    command: assets.controllerManager,
    args: [
      // No --authentication/authorization-kubeconfig: its own endpoints need no callers but our
      // /healthz probe, which is always allowed; with them it would look for a front-proxy CA
      // that this apiserver does not have and log errors all the time.
      `--kubeconfig=${KUBECONFIG_FILE}`,
      `--controllers=${CONTROLLERS}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${String(kcmPort)}`,
      `--cert-dir=${path.join(dir, 'controller-manager')}`,
      '--profiling=false',
    ],
    healthUrl: kcmHealth,
  });
  await waitUntilReady(kcm, 'healthy (/healthz)', 60_000, async () => (await httpGet(kcmHealth, { insecure: true })).status === 200);

  return { KUBECONFIG: KUBECONFIG_FILE, KUBE_AUDIT_LOG: auditLog };
}
