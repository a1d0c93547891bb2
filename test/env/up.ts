// `npm run testenv:up`: starts (or reuses) the real test environment and writes .testenv/env.
//
// Components, each replaceable from outside:
//   Kafka            KAFKA_BROKERS set -> that cluster is used, ours is not started
//   Kubernetes       KUBECONFIG set -> that cluster is used; else etcd + kube-apiserver +
//                    kube-controller-manager + kube-scheduler from KUBEBUILDER_ASSETS or from our
//                    own builds, and one node (containerd, kubelet, kube-proxy: node/node.ts)
//   helm, kcat       HELM / KCAT set -> those binaries
//   prometheus       PROMETHEUS and PROMTOOL set -> those binaries (else Debian's, unpacked: prometheus.ts)
// Builds and downloads are cached (test/env/cache.ts), so only the first `up` on a machine is slow.
import fs from 'node:fs';
import { KubeConfig, Health } from '@kubernetes/client-node';
import { OVERRIDES, override, readEnvFile, writeEnvFile } from './envfile.ts';
import { startKafka } from './kafka.ts';
import { kafkaHealthy } from './kafka-node.ts';
import { kubeAssets, startKube, type KubeAssets } from './kube.ts';
import { nodeImages, startNode, type NodeImages } from './node/node.ts';
import { createNodeNetwork, NODE_NETWORK } from './node/network.ts';
import { ensureRuntimePackages } from './node/containerd.ts';
import { claimNode } from './node/cleanup.ts';
import { httpGet } from './probe.ts';
import { ensureLogDir, isRunning, note, readDaemonRecords, run, TestEnvError } from './process.ts';
import { LOG_DIR, STATE_DIR } from './paths.ts';
import { helm, kcat, kubectl, versionOf } from './tools.ts';
import { prometheusBinaries, reportedVersion } from './prometheus.ts';
import { ETCD_VERSION, KUBERNETES_VERSION } from './versions.ts';
import { down } from './down.ts';
import { withLock } from './lock.ts';

const REQUIRED = ['KAFKA_BROKERS', 'KUBECONFIG', 'HELM', 'KCAT', 'KUBECTL', 'PROMETHEUS', 'PROMTOOL'] as const;
/**
 * Bumped whenever `up` starts something new (e.g. Kafka's SASL and SSL listeners): an environment
 * started by an older `up` is replaced instead of reused, so tests never meet a stale one.
 */
const FORMAT = '4';

async function kubeReady(kubeconfig: string): Promise<boolean> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return new Health(kc).readyz({ signal: AbortSignal.timeout(5000) });
}

/** The environment recorded in .testenv is running and answering. */
export async function isUp(): Promise<boolean> {
  const env = readEnvFile();
  if (env === undefined || env['LOGSHIPPER_TESTENV_FORMAT'] !== FORMAT || REQUIRED.some((k) => env[k] === undefined)) return false;
  const daemons = readDaemonRecords();
  if (!daemons.every(isRunning)) return false;
  try {
    for (const tool of [env['HELM'], env['KCAT'], env['KUBECTL'], env['PROMETHEUS'], env['PROMTOOL']]) fs.accessSync(tool ?? '', fs.constants.X_OK);
    const checks = [
      kafkaHealthy(env['KAFKA_BROKERS'] ?? ''),
      kubeReady(env['KUBECONFIG'] ?? ''),
      ...daemons.flatMap((d) => (d.healthUrl === undefined ? [] : [httpGet(d.healthUrl, { insecure: true }).then((r) => r.status === 200)])),
    ];
    return (await Promise.all(checks)).every(Boolean);
  } catch {
    return false;
  }
}

async function useExternalKafka(brokers: string): Promise<Record<string, string>> {
  const healthy = await kafkaHealthy(brokers).catch((error: unknown) => {
    throw new TestEnvError('kafka', `KAFKA_BROKERS=${brokers} is set but does not answer: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!healthy) throw new TestEnvError('kafka', `KAFKA_BROKERS=${brokers} is set but the cluster lists no broker`);
  return { KAFKA_BROKERS: brokers };
}

async function useExternalKube(kubeconfig: string, kubectlPath: string): Promise<Record<string, string>> {
  const ready = await kubeReady(kubeconfig).catch(() => false);
  if (!ready) throw new TestEnvError('kubernetes', `KUBECONFIG=${kubeconfig} is set but its cluster is not ready (/readyz)`);
  const version = JSON.parse(await run('kubernetes', kubectlPath, ['--kubeconfig', kubeconfig, 'get', '--raw', '/version'])) as { gitVersion: string };
  return { KUBECONFIG: kubeconfig, KUBERNETES_VERSION: version.gitVersion };
}

async function startOwnKube(assets: KubeAssets, images: Promise<NodeImages>): Promise<Record<string, string>> {
  const plane = await startKube(assets);
  const env = { ...plane.env, ...(await startNode(plane, assets, await images)) };
  // With our own builds the versions are known; with given assets, ask the binaries.
  const own = override('KUBEBUILDER_ASSETS') === undefined;
  const kubeVersion = own ? KUBERNETES_VERSION : (await versionOf('kube-apiserver', assets.apiserver, ['--version'])).replace(/^Kubernetes /, '');
  const etcdVersion = own ? ETCD_VERSION : 'v' + ((await versionOf('etcd', assets.etcd, ['--version'])).split(' ').pop() ?? '');
  return { ...env, KUBEBUILDER_ASSETS: assets.dir, KUBERNETES_VERSION: kubeVersion, ETCD_VERSION: etcdVersion };
}

/** Starts the environment, or returns the running one's env when it is healthy. */
export async function up(): Promise<Record<string, string>> {
  return withLock(upLocked);
}

async function upLocked(): Promise<Record<string, string>> {
  if (await isUp()) {
    const env = readEnvFile();
    // Reused only if it honours the caller's overrides (e.g. KAFKA_BROKERS set since it started).
    if (env !== undefined && OVERRIDES.every((k) => override(k) === undefined || override(k) === env[k])) return env;
  }
  // Whatever is left of an earlier environment (crashed daemon, interrupted up) goes first.
  await down();
  // Fresh logs: what is in .testenv/logs after this is about this environment only.
  fs.rmSync(LOG_DIR, { recursive: true, force: true });
  ensureLogDir();

  const externalKafka = override('KAFKA_BROKERS');
  const externalKube = override('KUBECONFIG');
  const kubectlPath = await kubectl();
  // The Go builds share 2 cores: etcd, then kubernetes (inside kubeAssets), then helm. Kafka's
  // download and start, and the kcat install, overlap with them.
  // Our own cluster has a node, whose network must exist before anything binds to its address.
  if (externalKube === undefined) {
    claimNode();
    await createNodeNetwork();
  }
  const assets = externalKube === undefined ? kubeAssets() : undefined;
  const images = externalKube === undefined ? ensureRuntimePackages().then(nodeImages) : undefined;
  const tasks: Promise<Record<string, string>>[] = [
    externalKafka === undefined ? startKafka(externalKube === undefined ? { podsAddress: NODE_NETWORK.hostIp } : {}) : useExternalKafka(externalKafka),
    assets === undefined || images === undefined ? useExternalKube(externalKube ?? '', kubectlPath) : assets.then((a) => startOwnKube(a, images)),
    (async () => {
      await assets?.catch(() => undefined);
      const helmPath = await helm();
      return { HELM: helmPath, HELM_VERSION: (await versionOf('helm', helmPath, ['version', '--template', '{{.Version}}'])).trim() };
    })(),
    (async () => {
      const kcatPath = await kcat();
      const banner = await run('kcat', kcatPath, ['-V']);
      return { KCAT: kcatPath, KCAT_VERSION: /Version (\S+)/.exec(banner)?.[1] ?? 'unknown' };
    })(),
    (async () => {
      const { prometheus, promtool } = await prometheusBinaries();
      return {
        PROMETHEUS: prometheus,
        PROMETHEUS_VERSION: reportedVersion(await versionOf('prometheus', prometheus, ['--version'])),
        PROMTOOL: promtool,
        PROMTOOL_VERSION: reportedVersion(await versionOf('promtool', promtool, ['--version'])),
      };
    })(),
  ];
  const results = await Promise.allSettled(tasks);
  const failures = results.flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason] : []));
  if (failures.length > 0) {
    // Stop whatever did start; logs stay in .testenv/logs for a look.
    await down();
    const messages = failures.map((e) => (e instanceof Error ? e.message : String(e)));
    throw new TestEnvError('up', `the test environment did not start (${String(failures.length)} failure(s)):\n\n${messages.join('\n\n')}`);
  }
  const env: Record<string, string> = {
    LOGSHIPPER_TESTENV: STATE_DIR,
    LOGSHIPPER_TESTENV_FORMAT: FORMAT,
    LOGSHIPPER_TESTENV_EXTERNAL: OVERRIDES.filter((k) => override(k) !== undefined).join(','),
    KUBECTL: kubectlPath,
  };
  for (const r of results) if (r.status === 'fulfilled') Object.assign(env, r.value);
  writeEnvFile(env);
  return env;
}

if (import.meta.main) {
  const started = Date.now();
  try {
    const wasUp = await isUp();
    const env = await up();
    for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
    note(`${wasUp ? 'already up, reused' : 'up'} in ${((Date.now() - started) / 1000).toFixed(1)}s; env in ${STATE_DIR}/env`);
    process.exit(0); // kafkajs/undici sockets must not keep us waiting
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

