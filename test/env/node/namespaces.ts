// The node's daemons share a network namespace (network.ts), a mount namespace and a hostname,
// held open by one idle process. The mount namespace matters as much as the network: the kubelet
// mounts every pod's volumes (tmpfs for projected tokens, ConfigMaps) and containerd mounts every
// container's root filesystem, and containerd must see the kubelet's mounts to bind them into
// containers. Inside the namespace mounts propagate between the daemons (rshared), but never to
// this machine (the namespace starts private): when its last process ends, its mounts are gone.
import fs from 'node:fs';
import { startDaemon, type Daemon } from '../process.ts';
import { NETNS_PATH, NODE_NETWORK } from './network.ts';

export const HOLDER = 'node-namespaces';

export async function startNamespaceHolder(): Promise<Daemon> {
  return startDaemon({
    name: HOLDER,
    command: 'nsenter',
    args: [`--net=${NETNS_PATH}`, '--', 'unshare', '--mount', '--uts', '--propagation', 'private', '--',
      'sh', '-c', `mount --make-rshared / && hostname ${NODE_NETWORK.nodeName} && exec sleep infinity`],
  });
}

/** The holder is up once its mount namespace differs from ours and its hostname is set. */
export function holderReady(pid: number): boolean {
  try {
    return fs.readlinkSync(`/proc/${String(pid)}/ns/mnt`) !== fs.readlinkSync('/proc/self/ns/mnt') &&
      fs.readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').startsWith('sleep');
  } catch {
    return false;
  }
}

/** `command args` run inside the node's namespaces (nsenter execs it: the pid stays the daemon's). */
export function inNode(holderPid: number, command: string, args: readonly string[]): { command: string; args: string[] } {
  return { command: 'nsenter', args: [`--target=${String(holderPid)}`, '--mount', '--net', '--uts', '--', command, ...args] };
}
