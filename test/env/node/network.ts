// The test cluster's node lives in a network namespace of its own, joined to this machine by one
// veth pair, as a second machine on a point-to-point link would be:
//
//   this machine (host netns)                      node netns `logshipper-node`
//   kube-apiserver, etcd, Kafka, scheduler          containerd, kubelet, kube-proxy
//   lsnode0 10.213.0.1/30  <------ veth ------>  eth0 10.213.0.2/30
//   route 10.244.0.0/24 via 10.213.0.2              cni0 bridge 10.244.0.1/24 -- pods 10.244.0.x
//
// Pods reach the apiserver (through kube-proxy's rules for the `kubernetes` Service) and Kafka at
// 10.213.0.1; the apiserver reaches webhook pods at their pod IPs. Everything the node makes in
// the network (the bridge, pod veths, kube-proxy's iptables rules) is inside its namespace, so
// deleting the namespace removes it all and this machine's own network is never touched.
// The addresses are fixed: one test node per machine.
import fs from 'node:fs';
import { run } from '../process.ts';
import { logFile } from '../paths.ts';

export const NODE_NETWORK = {
  /** The network namespace, also the Node's name and hostname. */
  namespace: 'logshipper-node',
  nodeName: 'logshipper-node',
  hostLink: 'lsnode0',
  hostIp: '10.213.0.1',
  nodeIp: '10.213.0.2',
  linkPrefix: 30,
  podCidr: '10.244.0.0/24',
  serviceCidr: '10.0.0.0/24',
  /** The `kubernetes` Service's ClusterIP: the first address of serviceCidr. */
  kubernetesServiceIp: '10.0.0.1',
} as const;

const COMPONENT = 'node-network';
export const NETNS_PATH = `/run/netns/${NODE_NETWORK.namespace}`;

async function ip(args: string[]): Promise<string> {
  return run(COMPONENT, 'ip', args, { log: logFile(COMPONENT) });
}

function nodeNetworkExists(): boolean {
  return fs.existsSync(NETNS_PATH);
}

/** Creates the namespace and the link; fails naming the command when the machine refuses. */
export async function createNodeNetwork(): Promise<void> {
  const { namespace: ns, hostLink, hostIp, nodeIp, linkPrefix, podCidr } = NODE_NETWORK;
  await ip(['netns', 'add', ns]);
  await ip(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await ip(['addr', 'add', `${hostIp}/${String(linkPrefix)}`, 'dev', hostLink]);
  await ip(['link', 'set', hostLink, 'up']);
  await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', ns, 'addr', 'add', `${nodeIp}/${String(linkPrefix)}`, 'dev', 'eth0']);
  await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', ns, 'route', 'add', 'default', 'via', hostIp]);
  await ip(['route', 'add', podCidr, 'via', nodeIp]);
  // The node routes between its pods and the link; bridged pod traffic passes kube-proxy's
  // iptables rules (a pod reaching a Service whose endpoint is a pod on the same bridge).
  await ip(['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1']);
}

/** Deletes the namespace, and with it the veth pair, the route and whatever the node made inside. */
export async function removeNodeNetwork(): Promise<void> {
  if (!nodeNetworkExists()) return;
  await ip(['netns', 'delete', NODE_NETWORK.namespace]);
}
