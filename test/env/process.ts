// Running things for the test environment: one-shot commands (builds, openssl, kafka's storage
// tool) and long-lived daemons (kafka, etcd, kube-apiserver, kube-controller-manager).
//
// Daemons are spawned detached, in their own process group, with stdout+stderr going to a log
// file, and are recorded in .testenv/pids/<name>.json so that a later process (`testenv:down`,
// the next `testenv:up`) can find, check and stop them. A record holds the process start time
// from /proc too, so a recycled pid is never mistaken for our daemon (and never killed).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOG_DIR, PID_DIR, logFile } from './paths.ts';

const TAIL_LINES = 30;

/** Progress for a person watching `testenv:up` (stderr: stdout carries the env lines). */
export function note(message: string): void {
  console.error(`[testenv] ${message}`);
}

/** A failure of one component of the test environment, with what a person needs to fix it. */
export class TestEnvError extends Error {
  readonly component: string;
  readonly command: string | undefined;
  readonly log: string | undefined;

  constructor(component: string, problem: string, details: { command?: string; log?: string; output?: string } = {}) {
    const lines = [`[testenv] ${component}: ${problem}`];
    if (details.command !== undefined) lines.push(`  command: ${details.command}`);
    if (details.log !== undefined) lines.push(`  log: ${details.log}`);
    const tail = details.output ?? (details.log !== undefined ? tailOfFile(details.log) : undefined);
    if (tail !== undefined && tail.trim() !== '') {
      lines.push(`  --- last ${TAIL_LINES} lines ---`, ...lastLines(tail).map((l) => `  | ${l}`));
    }
    super(lines.join('\n'));
    this.name = 'TestEnvError';
    this.component = component;
    this.command = details.command;
    this.log = details.log;
  }
}

function lastLines(text: string, n = TAIL_LINES): string[] {
  return text.replace(/\s+$/, '').split('\n').slice(-n);
}

export function tailOfFile(file: string): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return lastLines(text).join('\n');
  } catch {
    return undefined;
  }
}

/** A shell-pasteable rendering of a command line, for error messages. */
export function showCommand(command: string, args: readonly string[], env?: Record<string, string>): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  const prefix = env === undefined ? [] : Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
  return [...prefix, command, ...args].map((s, i) => (i < prefix.length ? s : quote(s))).join(' ');
}

export interface RunOptions {
  cwd?: string;
  /** Added to (not replacing) the inherited environment. */
  env?: Record<string, string>;
  /** Also append all output here (long builds: the file can be watched while they run). */
  log?: string;
  timeoutMs?: number;
}

/**
 * Runs a command to completion and returns its stdout. Throws a TestEnvError naming the component,
 * the command and the tail of its output if it cannot start, fails or times out.
 */
export async function run(component: string, command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const shown = showCommand(command, args, options.env);
  const logFd = options.log === undefined ? undefined : openLog(options.log, 'a');
  if (logFd !== undefined) fs.writeSync(logFd, `\n$ ${shown}\n`);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let combined = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    combined += chunk;
    if (logFd !== undefined) fs.writeSync(logFd, chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    combined += chunk;
    if (logFd !== undefined) fs.writeSync(logFd, chunk);
  });
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  try {
    const result = await exitOf(child);
    if (result.error !== undefined) {
      throw new TestEnvError(component, `could not start ${command}: ${result.error.message}`, { command: shown });
    }
    if (result.code !== 0) {
      const how = result.signal !== null ? `was killed by ${result.signal}${options.timeoutMs !== undefined ? ` (time limit ${String(options.timeoutMs / 1000)}s)` : ''}` : `exited with ${String(result.code)}`;
      throw new TestEnvError(component, `command ${how}`, { command: shown, log: options.log, output: combined });
    }
    return stdout;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (logFd !== undefined) fs.closeSync(logFd);
  }
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('error', (error) => {
      resolve({ code: null, signal: null, error });
    });
    child.once('close', (code, signal) => {
      resolve({ code, signal });
    });
  });
}

function openLog(file: string, flags: 'a' | 'w'): number {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return fs.openSync(file, flags);
}

// ---------------------------------------------------------------------------------------------
// Daemons

/** What .testenv/pids/<name>.json holds. */
export interface DaemonRecord {
  name: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: tells our process from a later one that got the same pid. */
  startTime: string;
  command: string;
  log: string;
  /** Optional extra health endpoint, checked by isUp (e.g. kube-controller-manager's /healthz). */
  healthUrl?: string;
}

export interface Daemon {
  record: DaemonRecord;
  /** Set when the process exits while this Node process is watching it. */
  exited: Exit | undefined;
}

export interface DaemonSpec {
  name: string;
  command: string;
  args: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  healthUrl?: string;
  /** Append to the log instead of starting it afresh (a node restarted during a test keeps its earlier life's log). */
  appendLog?: boolean;
}

export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  const log = logFile(spec.name);
  const shown = showCommand(spec.command, spec.args, spec.env);
  const fd = openLog(log, spec.appendLog === true ? 'a' : 'w');
  fs.writeSync(fd, `$ ${shown}\n`);
  // detached: its own process group (so `down` can stop it with anything it forked) that
  // outlives `testenv:up`; unref: `testenv:up` may exit while it runs.
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  fs.closeSync(fd);
  const daemon: Daemon = { record: { name: spec.name, pid: 0, startTime: '', command: shown, log }, exited: undefined };
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => {
      reject(new TestEnvError(spec.name, `could not start: ${error.message}`, { command: shown, log }));
    });
  });
  child.once('exit', (code, signal) => {
    daemon.exited = { code, signal };
  });
  await spawned;
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new TestEnvError(spec.name, 'started without a pid', { command: shown, log });
  daemon.record = { ...daemon.record, pid, startTime: procStartTime(pid) ?? '' };
  if (spec.healthUrl !== undefined) daemon.record.healthUrl = spec.healthUrl;
  fs.mkdirSync(PID_DIR, { recursive: true });
  fs.writeFileSync(path.join(PID_DIR, `${spec.name}.json`), JSON.stringify(daemon.record, null, 2) + '\n');
  return daemon;
}

/**
 * Polls `probe` until it returns true. Fails at once, with the daemon's log tail, if the daemon
 * exits meanwhile, and after `timeoutMs` if it never becomes ready.
 */
export async function waitUntilReady(daemon: Daemon, what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    if (daemon.exited !== undefined) {
      const how = daemon.exited.signal !== null ? `killed by ${daemon.exited.signal}` : `exit code ${String(daemon.exited.code)}`;
      throw new TestEnvError(daemon.record.name, `exited (${how}) before ${what}`, { command: daemon.record.command, log: daemon.record.log });
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      const last = lastError === '' ? '' : ` (last probe error: ${lastError})`;
      throw new TestEnvError(daemon.record.name, `not ${what} within ${String(timeoutMs / 1000)}s${last}`, { command: daemon.record.command, log: daemon.record.log });
    }
    await sleep(250);
  }
}

export function procStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); field 22 is fields[19].
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // a zombie is gone for our purposes
    return fields[19];
  } catch {
    return undefined;
  }
}

export function isRunning(record: DaemonRecord): boolean {
  return record.pid > 0 && procStartTime(record.pid) === record.startTime;
}

export function readDaemonRecords(): DaemonRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(PID_DIR).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const records: DaemonRecord[] = [];
  for (const n of names) {
    try {
      records.push(JSON.parse(fs.readFileSync(path.join(PID_DIR, n), 'utf8')) as DaemonRecord);
    } catch {
      // A half-written record (crash during up): nothing we could safely signal.
    }
  }
  return records;
}

/**
 * Stops a recorded daemon: SIGTERM to its process group, then SIGKILL after `graceMs`.
 * Returns a note when it had to be killed, so `down` can say so.
 */
export async function stopDaemon(record: DaemonRecord, graceMs: number): Promise<string | undefined> {
  let note: string | undefined;
  if (isRunning(record)) {
    signalGroup(record.pid, 'SIGTERM');
    if (!(await waitForExit(record, graceMs))) {
      note = `${record.name} (pid ${String(record.pid)}) did not stop within ${String(graceMs / 1000)}s of SIGTERM; killed`;
      signalGroup(record.pid, 'SIGKILL');
      await waitForExit(record, Infinity);
    }
  }
  fs.rmSync(path.join(PID_DIR, `${record.name}.json`), { force: true });
  return note;
}

/** Sends `signal` to a recorded daemon's process group, if it is still the process we started. */
export function signalDaemon(record: DaemonRecord, signal: NodeJS.Signals): void {
  if (isRunning(record)) signalGroup(record.pid, signal);
}

/** Waits until a recorded daemon is gone; false if it still runs after `timeoutMs`. */
export async function waitForExit(record: DaemonRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(record)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function ensureLogDir(): void {
  fs.mkdirSync(LOG_DIR, { recursive: true });
}
