// `npm run testenv:down`: stops every daemon the environment started (in dependency order,
// SIGTERM first so Kafka and etcd shut down cleanly), removes what the node left on this machine
// (its pods' processes and cgroups, its namespaces: node/cleanup.ts) and the environment's state:
// data dirs, certificates, kubeconfig, env file. The logs stay in .testenv/logs for a
// post-mortem (the next `up` overwrites them), and so does the lock file, which is ours while
// we run. External clusters are never touched.
import fs from 'node:fs';
import path from 'node:path';
import { note, readDaemonRecords, stopDaemon, type DaemonRecord } from './process.ts';
import { LOCK_FILE, LOG_DIR, STATE_DIR } from './paths.ts';
import { withLock } from './lock.ts';
import { cleanUpNode } from './node/cleanup.ts';

/** Later entries depend on earlier ones being up, so they stop first. */
const START_ORDER = ['kafka', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'node-namespaces', 'containerd', 'kubelet', 'kube-proxy'];

async function stopInReverse(records: DaemonRecord[]): Promise<string[]> {
  const notes: string[] = [];
  for (const r of [...records].reverse()) {
    const n = await stopDaemon(r, 30_000);
    if (n !== undefined) notes.push(n);
  }
  return notes;
}

export async function down(): Promise<void> {
  await withLock(stopAndClean);
}

async function stopAndClean(): Promise<void> {
  const records = readDaemonRecords();
  const rank = (r: DaemonRecord): number => {
    const i = START_ORDER.indexOf(r.name);
    return i === -1 ? START_ORDER.length : i;
  };
  const kube = records.filter((r) => r.name !== 'kafka').sort((a, b) => rank(a) - rank(b));
  const kafka = records.filter((r) => r.name === 'kafka');
  // Kafka and the Kubernetes chain are independent: stop them side by side.
  const notes = (await Promise.all([stopInReverse(kube), stopInReverse(kafka)])).flat();
  for (const n of notes) note(n);
  // Also after a crash that lost the daemon records: the node is found by its names.
  await cleanUpNode();
  let entries: string[];
  try {
    entries = fs.readdirSync(STATE_DIR);
  } catch {
    return; // nothing was ever started here
  }
  for (const entry of entries) {
    const p = path.join(STATE_DIR, entry);
    if (p !== LOG_DIR && p !== LOCK_FILE) fs.rmSync(p, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  try {
    await down();
    note('down');
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
