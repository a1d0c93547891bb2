// A contender's process tree as /proc shows it: the process, its threads (counted in its own
// /proc/PID files) and its children (a wrapper script's JVM, a shell's command), each sampled.
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSecondsOf } from './measure.ts';

/** `pid` and all its descendants alive now (children from /proc/PID/task/TID/children). */
export function processTree(pid: number): number[] {
  const found: number[] = [];
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    found.push(next);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${next}/task`);
    } catch {
      continue; // gone since its parent listed it
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${next}/task/${task}/children`, 'utf8').trim();
        if (children !== '') pending.push(...children.split(' ').map(Number));
      } catch {
        // the thread ended while we read
      }
    }
  }
  return found;
}

/** The resident set (VmRSS) of one process in MB; 0 once it is gone. */
export function rssMbOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) / 1024;
  } catch {
    return 0;
  }
}

/** What a process tree holds and has used so far. */
export interface TreeSample {
  rssMb: number;
  cpuSeconds: number;
}

export function sampleTree(pid: number): TreeSample {
  let rssMb = 0;
  let cpuSeconds = 0;
  for (const member of processTree(pid)) {
    rssMb += rssMbOf(member);
    try {
      cpuSeconds += cpuSecondsOf(member);
    } catch {
      // exited between the listing and the read: its CPU is lost to the sample, as its RSS is
    }
  }
  return { rssMb, cpuSeconds };
}
