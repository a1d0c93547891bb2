// The node's cgroup: the kubelet's --cgroup-root, so that every pod's cgroups are below one
// directory of ours in each hierarchy (cgroup v1 controllers, and the v2 unified one beside them
// on hybrid machines), where `down` finds and removes them (cleanup.ts).
import fs from 'node:fs';
import path from 'node:path';

export const NODE_CGROUP = 'logshipper-node';
const CGROUP_ROOT = '/sys/fs/cgroup';

/** Every mounted hierarchy: /sys/fs/cgroup itself on a v2-only machine, else its subfolders. */
function hierarchies(): string[] {
  if (fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.procs'))) return [CGROUP_ROOT];
  let names: string[];
  try {
    names = fs.readdirSync(CGROUP_ROOT);
  } catch {
    return [];
  }
  return names.map((n) => path.join(CGROUP_ROOT, n)).filter((dir) => fs.existsSync(path.join(dir, 'cgroup.procs')));
}

/** The node's cgroup directory in each hierarchy where it exists. */
export function nodeCgroupDirs(): string[] {
  return hierarchies().map((h) => path.join(h, NODE_CGROUP)).filter((dir) => fs.existsSync(dir));
}

/** Makes the node's cgroup in every hierarchy (the kubelet refuses a root missing in any). */
export function createNodeCgroups(): void {
  for (const hierarchy of hierarchies()) {
    const dir = path.join(hierarchy, NODE_CGROUP);
    fs.mkdirSync(dir, { recursive: true });
    // A v1 cpuset starts empty, and a cgroup without CPUs or memory nodes takes no tasks.
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const own = path.join(dir, file);
      if (fs.existsSync(own) && fs.readFileSync(own, 'utf8').trim() === '') fs.writeFileSync(own, fs.readFileSync(path.join(hierarchy, file)));
    }
  }
}
