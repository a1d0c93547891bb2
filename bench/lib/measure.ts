// Runs a command under GNU time, for wall time, CPU seconds and peak RSS of the whole process.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measurement {
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

const TIME = '/usr/bin/time';

/** Runs `command` to completion; `stdin` names a file to feed it. */
export async function measure(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {}): Promise<Measurement> {
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure CPU and peak RSS: apt-get install time`);
  const out = join(mkdtempSync(join(tmpdir(), 'logshipper-bench-')), 'time.txt');
  const input = options.stdin === undefined ? 'ignore' : openSync(options.stdin, 'r');
  const child = spawn(TIME, ['-o', out, '-f', '%e %U %S %M', command, ...args], {
    stdio: [input, 'ignore', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (typeof input === 'number') closeSync(input);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${String(code)}:\n${stderr}`);
  const [wall = 0, user = 0, sys = 0, rssKb = 0] = readFileSync(out, 'utf8').trim().split(/\s+/).map(Number);
  return { wallSeconds: wall, cpuSeconds: user + sys, peakRssMb: rssKb / 1024 };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
