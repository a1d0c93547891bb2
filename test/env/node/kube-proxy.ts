// kube-proxy in iptables mode inside the node's network namespace, as system:kube-proxy: the
// rules that take pods' connections to a Service's ClusterIP (the operator's to the `kubernetes`
// Service, above all) to its endpoints.
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { httpGet } from '../probe.ts';
import { startDaemon, waitUntilReady, type Daemon } from '../process.ts';
import { kubeconfigYaml } from '../kube.ts';
import type { ClusterPki } from '../certs.ts';
import { NODE_NETWORK } from './network.ts';
import { inNode } from './namespaces.ts';

const KUBE_PROXY_HEALTHZ_PORT = 10256;

export async function startKubeProxy(holderPid: number, dir: string, server: string, pki: ClusterPki, kubeProxy: string): Promise<Daemon> {
  fs.mkdirSync(dir, { recursive: true });
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml(server, pki.caCert, { name: 'system:kube-proxy', cert: pki.proxyCert, key: pki.proxyKey }), { mode: 0o600 });
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, yaml.dump({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    mode: 'iptables',
    clusterCIDR: NODE_NETWORK.podCidr,
    hostnameOverride: NODE_NETWORK.nodeName,
    healthzBindAddress: `${NODE_NETWORK.nodeIp}:${String(KUBE_PROXY_HEALTHZ_PORT)}`,
    metricsBindAddress: '127.0.0.1:10249',
    // nf_conntrack_max is global (only settable outside a network namespace): leave it as it is.
    conntrack: { maxPerCore: 0, min: 0 },
  }));
  const { command, args } = inNode(holderPid, kubeProxy, [`--config=${config}`, '--v=1']);
  const healthz = `http://${NODE_NETWORK.nodeIp}:${String(KUBE_PROXY_HEALTHZ_PORT)}/healthz`;
  const daemon = await startDaemon({ name: 'kube-proxy', command, args, healthUrl: healthz });
  await waitUntilReady(daemon, 'healthy (/healthz)', 60_000, async () => (await httpGet(healthz)).status === 200);
  return daemon;
}
