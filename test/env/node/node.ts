// The test cluster's one node: containerd, kubelet and kube-proxy in namespaces of their own
// (network.ts, namespaces.ts), registered with the control plane (kube.ts), with the images it
// needs imported, since no registry can be reached. `down` stops the daemons and then removes
// everything the node made (cleanup.ts).
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { run, waitUntilReady } from '../process.ts';
import { KUBECONFIG_FILE, STATE_DIR } from '../paths.ts';
import type { ControlPlane, KubeAssets } from '../kube.ts';
import { NODE_NETWORK } from './network.ts';
import { holderReady, startNamespaceHolder } from './namespaces.ts';
import { startContainerd } from './containerd.ts';
import { startKubelet } from './kubelet.ts';
import { startKubeProxy } from './kube-proxy.ts';
import { buildPauseImage } from '../images/pause-image.ts';
import { buildBusyboxImage } from '../images/busybox-image.ts';
import { importImage } from '../images/import.ts';
import type { ImageArchive } from '../images/oci.ts';

export interface NodeImages {
  /** containerd's sandbox image (the pause container of every pod). */
  sandbox: ImageArchive;
  /** More images to import before the node takes pods (the test app's). */
  others: readonly ImageArchive[];
}

/** The node's own images, built from Debian packages (no registry is reached). */
export async function nodeImages(): Promise<NodeImages> {
  return { sandbox: await buildPauseImage(), others: [await buildBusyboxImage()] };
}

async function nodeReady(core: CoreV1Api): Promise<boolean> {
  const node = await core.readNode({ name: NODE_NETWORK.nodeName });
  const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  // Pods are scheduled only once the node lifecycle controller has lifted the not-ready taint.
  return ready && (node.spec?.taints ?? []).every((t) => t.effect !== 'NoSchedule');
}

export async function startNode(plane: ControlPlane, assets: KubeAssets, images: NodeImages): Promise<Record<string, string>> {
  const dir = path.join(STATE_DIR, 'node');
  const holder = await startNamespaceHolder();
  await waitUntilReady(holder, 'holding its namespaces', 10_000, () => Promise.resolve(holderReady(holder.record.pid)));
  const holderPid = holder.record.pid;
  const containerd = await startContainerd(holderPid, path.join(dir, 'containerd'), images.sandbox.ref);
  for (const archive of [images.sandbox, ...images.others]) await importImage(archive, containerd.address);
  const kubelet = await startKubelet({ holderPid, dir: path.join(dir, 'kubelet'), server: plane.server, pki: plane.pki, kubelet: assets.kubelet, containerdAddress: containerd.address });
  await startKubeProxy(holderPid, path.join(dir, 'kube-proxy'), plane.server, plane.pki, assets.kubeProxy);
  const kc = new KubeConfig();
  kc.loadFromFile(KUBECONFIG_FILE);
  const core = kc.makeApiClient(CoreV1Api);
  await waitUntilReady(kubelet, `registered as Node ${NODE_NETWORK.nodeName}, Ready and untainted`, 120_000, () => nodeReady(core));
  const runc = await run('node', 'runc', ['--version']);
  return {
    NODE_NAME: NODE_NETWORK.nodeName,
    CONTAINERD_ADDRESS: containerd.address,
    CONTAINERD_VERSION: containerd.version,
    RUNC_VERSION: /runc version (\S+)/.exec(runc)?.[1] ?? 'unknown',
  };
}
