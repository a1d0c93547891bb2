// Measuring a contender's process: wall time, CPU seconds and peak RSS.
//  - measure(): a command that exits by itself when done (kcat, the agent with `cat`), under GNU time;
//  - measureTailer(): a tailer that never exits (Flume, rsyslog, the agent with TAILDIR): timed
//    until the topic holds every record, CPU and peak RSS read from /proc just before it is stopped.
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Contender, Tailer } from './contender.ts';
import { Watermarks } from './kafka.ts';

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

export interface TailerOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr go here (shown when the tailer fails). */
  log: string;
  brokers: string;
  topic: string;
  records: number;
  timeoutMs?: number;
}

let clockTicks: number | undefined;

/** CPU seconds (user + system, all threads) of a live process. */
export function cpuSecondsOf(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Peak resident set (VmHWM) of a live process, in MB. */
export function peakRssMbOf(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) / 1024;
}

/**
 * How often a tailer's topic is checked: the run's end is known this late at most. A one-second
 * run measured at 100 ms steps read ~5% slow on average; a ListOffsets request every 10 ms costs
 * the broker well under 1% of a core.
 */
const POLL_MS = 10;

/** Starts a tailer, waits (polling every POLL_MS) until `topic` holds `records` records, then stops it. */
export async function measureTailer(command: string, args: string[], options: TailerOptions): Promise<Measurement> {
  const watermarks = await Watermarks.connect(options.brokers);
  const logFd = openSync(options.log, 'a');
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', logFd, logFd], env: options.env ?? process.env, cwd: options.cwd });
  closeSync(logFd);
  let exited: number | null | undefined;
  const gone = new Promise<void>((resolve) => child.on('exit', (code) => {
    exited = code;
    resolve();
  }));
  const fail = (why: string): Error => new Error(`${command} ${args.join(' ')} ${why}; log ${options.log}:\n${tail(options.log)}`);
  try {
    const deadline = started + (options.timeoutMs ?? 10 * 60_000);
    for (;;) {
      if (exited !== undefined) throw fail(`exited ${String(exited)} before the topic held ${options.records} records`);
      const count = await watermarks.count(options.topic).catch(() => 0);
      if (count >= options.records) break;
      if (performance.now() > deadline) throw fail(`had delivered ${count} of ${options.records} records at the timeout`);
      await sleep(POLL_MS);
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const pid = child.pid ?? 0;
    return { wallSeconds, cpuSeconds: cpuSecondsOf(pid), peakRssMb: peakRssMbOf(pid) };
  } finally {
    await watermarks.close();
    if (exited === undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(killer);
    }
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** A tailer as a throughput contender: started on the complete file, timed until the topic holds every line. */
export function tailerContender(tailer: Tailer): Contender {
  return {
    name: tailer.name,
    describe: tailer.describe,
    prepare: () => tailer.prepare(),
    run(c) {
      const { command, args, cwd, env } = tailer.launch(c);
      return measureTailer(command, args, { env, cwd, log: join(c.work, `${tailer.name}.log`), brokers: c.brokers, topic: c.topic, records: c.lines });
    },
  };
}
