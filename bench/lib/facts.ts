// Machine facts for the reports.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export function machineFacts(): string {
  return `Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${kernel()}, Node ${process.version}`;
}

/** The 1, 5 and 15 minute load averages, as `uptime` shows them. */
export function load(): string {
  return loadavg().map((value) => value.toFixed(2)).join(' / ');
}

function kernel(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}
