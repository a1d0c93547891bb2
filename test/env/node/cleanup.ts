// What `down` does for the node after stopping its daemons, and what the next `up` does when a
// crashed run left one behind. Nothing here needs a daemon to answer:
//  1. every process in the node's network namespace (containerd's shims, whatever a daemon left)
//     and in the node's cgroup tree (the pods' containers, which have network namespaces of their
//     own) is SIGKILLed; with the last of them the node's mount namespace and all its mounts end;
//  2. the pods' cgroups are removed, deepest first, in every hierarchy;
//  3. the network namespace is deleted (network.ts), taking the veth pair, the bridge and the
//     iptables rules with it.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, TestEnvError, type DaemonRecord } from '../process.ts';
import { STATE_DIR } from '../paths.ts';
import { HOLDER } from './namespaces.ts';
import { NETNS_PATH, removeNodeNetwork } from './network.ts';
import { nodeCgroupDirs } from './cgroups.ts';

/** A cgroup directory and all below it, children before parents. */
function deepestFirst(dir: string): string[] {
  const below = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => deepestFirst(path.join(dir, e.name)));
  return [...below, dir];
}

function cgroupPids(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const root of dirs) {
    for (const dir of deepestFirst(root)) {
      try {
        for (const line of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line !== '') pids.add(Number(line));
      } catch {
        // removed meanwhile
      }
    }
  }
  return [...pids];
}

/** Processes whose network namespace is the node's (a `net:[inode]` link naming the netns file's inode). */
function netnsPids(): number[] {
  let inode: number;
  try {
    inode = fs.statSync(NETNS_PATH).ino;
  } catch {
    return [];
  }
  const wanted = `net:[${String(inode)}]`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/ns/net`) === wanted) pids.push(Number(entry));
    } catch {
      // gone, or a kernel thread
    }
  }
  return pids;
}

function kill(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * The node is one per machine (fixed addresses and names) but belongs to one checkout's
 * environment: another checkout's `up` or `down` must not tear down a node that still runs.
 */
const OWNER_FILE = '/run/logshipper-node.owner';

/** Records this checkout as the node's owner; fails, naming the owner, if another's node runs. */
export function claimNode(): void {
  const owner = nodeOwner();
  if (owner !== undefined && owner !== STATE_DIR && ownerRunning(owner)) {
    throw new TestEnvError('node', `the test node is running for the environment in ${owner}; only one node runs per machine: stop it there first (npm run testenv:down in ${path.dirname(owner)})`);
  }
  fs.writeFileSync(OWNER_FILE, STATE_DIR);
}

function nodeOwner(): string | undefined {
  try {
    return fs.readFileSync(OWNER_FILE, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function ownerRunning(stateDir: string): boolean {
  try {
    const record = JSON.parse(fs.readFileSync(path.join(stateDir, 'pids', `${HOLDER}.json`), 'utf8')) as DaemonRecord;
    return isRunning(record);
  } catch {
    return false;
  }
}

/** Removes everything the node left on this machine; safe to call when there is no node. */
export async function cleanUpNode(): Promise<void> {
  const owner = nodeOwner();
  // Another checkout's running node is not ours to remove (claimNode refuses to start beside it).
  if (owner !== undefined && owner !== STATE_DIR && ownerRunning(owner)) return;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pids = [...new Set([...netnsPids(), ...cgroupPids(nodeCgroupDirs())])];
    if (pids.length === 0) break;
    if (Date.now() > deadline) throw new TestEnvError('node', `processes of the node still run 30s after SIGKILL: ${pids.join(', ')}`);
    kill(pids);
    await sleep(100);
  }
  const left: string[] = [];
  for (const root of nodeCgroupDirs()) {
    for (const dir of deepestFirst(root)) {
      // An emptied cgroup can be busy for a moment while the kernel finishes its last task.
      for (let attempt = 0; ; attempt++) {
        try {
          fs.rmdirSync(dir);
          break;
        } catch (error) {
          if (attempt >= 50) {
            left.push(`${dir} (${error instanceof Error ? error.message : String(error)})`);
            break;
          }
          await sleep(100);
        }
      }
    }
  }
  if (left.length > 0) throw new TestEnvError('node', `could not remove the node's cgroups:\n  ${left.join('\n  ')}`);
  await removeNodeNetwork();
  fs.rmSync(OWNER_FILE, { force: true });
}
