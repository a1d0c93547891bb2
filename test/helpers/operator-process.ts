// An operator process as tests see it: its log lines, its HTTP port and metrics, a stop.
import type { ChildProcess } from 'node:child_process';
import { watchProcess } from './agent.ts';

export interface OperatorProcess {
  process: ChildProcess;
  identity: string;
  logs: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<number | null>;
  /** The port of /healthz, /readyz, /metrics (known once listening). */
  port(): Promise<number>;
  waitForLog(what: string, match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** A metric's value from /metrics (sum over label sets matching `labels`). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Wraps a started `logshipper operator` process; every stdout line also goes to `logFile`. */
export function operatorProcess(child: ChildProcess, identity: string, logFile: string): OperatorProcess {
  const watched = watchProcess(child, `operator ${identity}`, logFile);
  const waitForLog = (what: string, match: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> =>
    watched.waitForLog(match, timeoutMs).catch((error: unknown) => {
      throw new Error(`waiting for ${what}: ${(error as Error).message}`, { cause: error });
    });
  const port = async (): Promise<number> =>
    Number((await waitForLog('listening', (l) => typeof l['port'] === 'number' && String(l['msg']).startsWith('operator listening')))['port']);
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${String(await port())}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const parsed = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (parsed?.[1] !== name) continue;
      const lineLabels = parsed[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => lineLabels.includes(`${k}="${v}"`))) sum += Number(parsed[3]);
    }
    return sum;
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return watched.exited;
  };
  return { process: child, identity, logs: watched.logs, stderr: watched.stderr, exited: watched.exited, port, waitForLog, metric, stop };
}
