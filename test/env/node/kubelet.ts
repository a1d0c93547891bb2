// The node's kubelet, inside the node's namespaces (namespaces.ts), as system:node:<name>: the
// Node authorizer lets it read only what its own pods use.
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { httpGet } from '../probe.ts';
import { startDaemon, waitUntilReady, type Daemon } from '../process.ts';
import { kubeconfigYaml } from '../kube.ts';
import type { ClusterPki } from '../certs.ts';
import { NODE_NETWORK } from './network.ts';
import { inNode } from './namespaces.ts';
import { createNodeCgroups, NODE_CGROUP } from './cgroups.ts';

const KUBELET_HEALTHZ_PORT = 10248;

/** How often the kubelet syncs each pod; a changed ConfigMap reaches its volumes at the next sync. */
const KUBELET_SYNC_FREQUENCY_S = 10;

function kubeletConfig(pki: ClusterPki): Record<string, unknown> {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_NETWORK.nodeIp,
    readOnlyPort: 0,
    healthzBindAddress: NODE_NETWORK.nodeIp,
    healthzPort: KUBELET_HEALTHZ_PORT,
    // The apiserver (logs, exec) presents the admin certificate; nothing else reaches the node.
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: pki.caCert } },
    authorization: { mode: 'AlwaysAllow' },
    // No systemd on this machine; cgroup v1 (and v2 only as the unified hierarchy beside it).
    cgroupDriver: 'cgroupfs',
    // All pods' cgroups below one root of ours, in every hierarchy: `down` finds and removes them.
    cgroupRoot: `/${NODE_CGROUP}`,
    failSwapOn: false,
    // Its own OOM score stays as it is (the default -999 needs CAP_SYS_RESOURCE; see containerd.ts).
    oomScoreAdj: 0,
    // No cluster DNS: pods reach the apiserver and Kafka by IP; they get this machine's resolv.conf.
    resolvConf: '/etc/resolv.conf',
    clusterDomain: 'cluster.local',
    // Real clusters sync every minute; ConfigMap updates then take up to a minute and a half to
    // reach a pod. Shorter here keeps the reload tests quick without changing the mechanism.
    syncFrequency: `${String(KUBELET_SYNC_FREQUENCY_S)}s`,
    // Images are imported, never pulled: garbage-collecting one would lose it for good.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    // The test machine's disk and memory are shared with everything else the tests run.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    shutdownGracePeriod: '0s',
    containerLogMaxSize: '10Mi',
  };
}

export interface KubeletStart {
  holderPid: number;
  dir: string;
  server: string;
  pki: ClusterPki;
  kubelet: string;
  containerdAddress: string;
}

export async function startKubelet(start: KubeletStart): Promise<Daemon> {
  const { dir, pki } = start;
  fs.mkdirSync(dir, { recursive: true });
  createNodeCgroups();
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml(start.server, pki.caCert, { name: `system:node:${NODE_NETWORK.nodeName}`, cert: pki.nodeCert, key: pki.nodeKey }), { mode: 0o600 });
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, yaml.dump(kubeletConfig(pki)));
  const { command, args } = inNode(start.holderPid, start.kubelet, [
    `--config=${config}`,
    `--kubeconfig=${kubeconfig}`,
    `--root-dir=${path.join(dir, 'root')}`,
    `--cert-dir=${path.join(dir, 'pki')}`,
    `--container-runtime-endpoint=unix://${start.containerdAddress}`,
    `--hostname-override=${NODE_NETWORK.nodeName}`,
    `--node-ip=${NODE_NETWORK.nodeIp}`,
    '--v=1',
  ]);
  const healthz = `http://${NODE_NETWORK.nodeIp}:${String(KUBELET_HEALTHZ_PORT)}/healthz`;
  const daemon = await startDaemon({ name: 'kubelet', command, args, healthUrl: healthz });
  await waitUntilReady(daemon, 'healthy (/healthz)', 60_000, async () => (await httpGet(healthz)).status === 200);
  return daemon;
}
