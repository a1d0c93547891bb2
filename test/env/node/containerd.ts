// containerd (Debian's package, with its runc) as the node's container runtime: private root,
// state and socket under .testenv/node/containerd, CNI from Debian's containernetworking-plugins
// with a bridge config of ours, and a sandbox (pause) image that we build and import, since no
// registry can be reached.
import fs from 'node:fs';
import path from 'node:path';
import { aptInstall } from '../apt.ts';
import { run, startDaemon, TestEnvError, waitUntilReady, type Daemon } from '../process.ts';
import { logFile } from '../paths.ts';
import { findOnPath } from '../tools.ts';
import { NODE_NETWORK } from './network.ts';
import { inNode } from './namespaces.ts';

/** Debian's containernetworking-plugins install the plugins here (not /opt/cni/bin). */
const CNI_BIN_DIR = '/usr/lib/cni';
const PACKAGES = { containerd: 'containerd', runc: 'runc', [`${CNI_BIN_DIR}/bridge`]: 'containernetworking-plugins', iptables: 'iptables', ctr: 'containerd' } as const;

export interface Containerd {
  daemon: Daemon;
  /** The gRPC socket, for the kubelet (unix://...) and `ctr --address`. */
  address: string;
  version: string;
}

function present(tool: string): boolean {
  return tool.startsWith('/') ? fs.existsSync(tool) : findOnPath(tool) !== undefined;
}

/** Installs what is missing from Debian's packages (as root), else fails naming the packages. */
export async function ensureRuntimePackages(): Promise<void> {
  const missing = [...new Set(Object.entries(PACKAGES).filter(([tool]) => !present(tool)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new TestEnvError('node', `the node needs Debian packages ${missing.join(', ')}; install them (apt-get install ${missing.join(' ')}) or run as root`);
  const log = logFile('apt');
  await aptInstall('node', missing, log);
}

function cniConfig(ipamDir: string): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: 'logshipper-node',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        // No NAT: this machine routes the pod network back to the node (network.ts).
        ipMasq: false,
        // A pod reaching itself through a Service (kube-proxy DNATs back onto the bridge).
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: NODE_NETWORK.podCidr }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

function containerdConfig(dir: string, address: string, sandboxImage: string): string {
  return [
    'version = 2',
    `root = "${path.join(dir, 'root')}"`,
    `state = "${path.join(dir, 'state')}"`,
    '[grpc]',
    `  address = "${address}"`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = "${sandboxImage}"`,
    // Pod network namespaces are pinned under our state dir, not in this machine's /run/netns.
    '  netns_mounts_under_state_dir = true',
    // The kubelet asks for negative OOM scores (-998 for pause containers) and lowering one needs
    // CAP_SYS_RESOURCE, which sandboxed test machines may lack: clamp at containerd's own score.
    '  restrict_oom_score_adj = true',
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    `    bin_dir = "${CNI_BIN_DIR}"`,
    `    conf_dir = "${path.join(dir, 'cni')}"`,
    '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '    runtime_type = "io.containerd.runc.v2"',
    '',
  ].join('\n');
}

export async function startContainerd(holderPid: number, dir: string, sandboxImage: string): Promise<Containerd> {
  fs.mkdirSync(path.join(dir, 'cni'), { recursive: true });
  const address = path.join(dir, 'containerd.sock');
  const config = path.join(dir, 'config.toml');
  fs.writeFileSync(config, containerdConfig(dir, address, sandboxImage));
  fs.writeFileSync(path.join(dir, 'cni', '10-logshipper-node.conflist'), cniConfig(path.join(dir, 'cni-ipam')));
  const { command, args } = inNode(holderPid, 'containerd', ['--config', config]);
  const daemon = await startDaemon({ name: 'containerd', command, args });
  let version = '';
  await waitUntilReady(daemon, 'serving (ctr version)', 30_000, async () => {
    const out = await run('containerd', 'ctr', ['--address', address, 'version'], { timeoutMs: 5000 });
    version = /Server:[\s\S]*?Version:\s*(\S+)/.exec(out)?.[1] ?? '';
    return version !== '';
  });
  return { daemon, address, version };
}
