// Runs the agent as a separate process, as users do, and watches its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, readdirSync, readlinkSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface RunningAgent {
  process: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves with the first log line `match` accepts (rejects after timeoutMs, or when the process exits, with the logs). */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** `env`: variables added to the test's own (the pod identity the injector would set, say). */
export function startAgent(confFile: string, name: string, extraArgs: string[] = [], env: Record<string, string> = {}): RunningAgent {
  const port = extraArgs.includes('--http-port') ? [] : ['--http-port', '0'];
  const child = spawn(process.execPath, ['cli/main.ts', 'agent', '--conf-file', confFile, '--name', name, ...port, ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  return watchProcess(child, 'agent');
}

/**
 * Collects a process's JSON log lines (pino) and its stderr. `logFile`, when given, keeps every
 * stdout line for a post-mortem of a failed run.
 */
export function watchProcess(child: ChildProcess, label: string, logFile?: string): RunningAgent {
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters: (() => void)[] = [];
  if (child.stdout === null || child.stderr === null) throw new Error(`${label}: the process needs piped stdout and stderr`);
  if (logFile !== undefined) writeFileSync(logFile, '');
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (logFile !== undefined) appendFileSync(logFile, `${line}\n`);
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      stderr.push(`(stdout) ${line}`);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const waitForLog = async (match: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = logs.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`${label}: log line not seen within ${timeoutMs} ms (exit code ${String(child.exitCode)}).\nlogs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr.join('\n')}`);
      }
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return { process: child, logs, stderr, exited, waitForLog };
}

/** Waits until a descendant process of `pid` has `file` open (e.g. the agent's `tail -F`), so no write can come before it. */
export async function waitForOpenFile(pid: number, file: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const descendant of descendants(pid)) {
      try {
        if (readdirSync(`/proc/${descendant}/fd`).some((fd) => safeReadlink(`/proc/${descendant}/fd/${fd}`) === file)) return;
      } catch {
        // the process went away meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no child of process ${pid} opened ${file} within ${timeoutMs} ms`);
}

function descendants(pid: number): number[] {
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift() ?? 0;
    let children: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${current}/task`)) {
        children = children.concat(readFileSync(`/proc/${current}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      continue;
    }
    result.push(...children);
    queue.push(...children);
  }
  return result;
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** The HTTP port the agent logged it listens on. */
export async function httpPort(agent: RunningAgent): Promise<number> {
  const line = await agent.waitForLog((l) => String(l['msg']).startsWith('http endpoints listening'));
  return Number(line['port']);
}

export async function getJson(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  const body: unknown = await response.json();
  return { status: response.status, body };
}

export async function getText(port: number, path: string): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).text();
}

/**
 * The agent's /metrics once the file's lag (bytes not yet acknowledged) of TAILDIR source `s` is 0,
 * or the last scrape when `timeoutMs` passes first (the caller asserts on it).
 */
export async function metricsOnceDelivered(port: number, file: string, timeoutMs: number): Promise<string> {
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    text = await getText(port, '/metrics');
    if (metric(text, `logshipper_file_lag_bytes{source="s",file="${file}"}`) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return text;
}

/** The value of a Prometheus sample, e.g. metric('logshipper_sink_events_drained_total{sink="k"}'). */
export function metric(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(sample + ' '));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}
