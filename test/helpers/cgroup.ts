// A container's cgroup on the test cluster's node, read as the kubelet reads it: the kubelet puts
// every pod below /logshipper-node (test/env/node/cgroups.ts), each container in a cgroup named by
// its id, in every hierarchy (cgroup v1 controllers; or one unified v2 tree).
import fs from 'node:fs';
import path from 'node:path';
import { NODE_CGROUP } from '../env/node/cgroups.ts';

const ROOT = '/sys/fs/cgroup';

function find(dir: string, name: string): string | undefined {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const child = path.join(dir, entry.name);
    if (entry.name === name) return child;
    const below = find(child, name);
    if (below !== undefined) return below;
  }
  return undefined;
}

function unified(): boolean {
  return fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
}

/** The cgroup directory of a container (`containerd://<id>` from its status) for a v1 controller (or the v2 tree). */
export function containerCgroup(containerId: string, controller: 'memory' | 'cpuacct'): string {
  const id = containerId.replace(/^\w+:\/\//, '');
  const base = unified() ? path.join(ROOT, NODE_CGROUP) : path.join(ROOT, controller, NODE_CGROUP);
  const dir = find(base, id);
  if (dir === undefined) throw new Error(`no cgroup ${id} below ${base}`);
  return dir;
}

function statField(file: string, field: string): number {
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${field} `));
  return Number(line?.split(' ')[1] ?? 0);
}

/** Memory in use minus inactive file pages: the kubelet's working set (what its eviction and `kubectl top` count). */
export function workingSetBytes(dir: string): number {
  if (unified()) return Number(fs.readFileSync(path.join(dir, 'memory.current'), 'utf8')) - statField(path.join(dir, 'memory.stat'), 'inactive_file');
  return Number(fs.readFileSync(path.join(dir, 'memory.usage_in_bytes'), 'utf8')) - statField(path.join(dir, 'memory.stat'), 'total_inactive_file');
}

/** CPU time used by the cgroup so far, in seconds. */
export function cpuSeconds(dir: string): number {
  if (unified()) return statField(path.join(dir, 'cpu.stat'), 'usage_usec') / 1e6;
  return Number(fs.readFileSync(path.join(dir, 'cpuacct.usage'), 'utf8')) / 1e9;
}
