// A real Prometheus server for tests (the binary `up` provides as PROMETHEUS): started with a
// given configuration on a free loopback port with a data dir of its own, and a small typed
// client for the HTTP API the tests read (query, query_range, alerts, rules, targets).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { freePorts } from '../env/ports.ts';
import { requireEnv } from './env.ts';

/** One entry of Prometheus's `scrape_configs` (the fields tests use; others pass through). */
export interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
  scrape_interval?: string;
  metrics_path?: string;
  [field: string]: unknown;
}

export interface PrometheusOptions {
  /** Names the temp dir, for a person looking at a failed run. */
  name: string;
  scrapeConfigs: ScrapeConfig[];
  /** Rule files (absolute paths), loaded at start. */
  ruleFiles?: string[];
  /** Default 1s: tests wait for states, and a short interval makes them come sooner. */
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** When given (a node:test context), the server is stopped when that test or suite ends. */
  cleanup?: { after(fn: () => Promise<void>): void };
}

export type Labels = Record<string, string>;
export interface VectorSample { metric: Labels; value: [number, string] }
export interface RangeSeries { metric: Labels; values: [number, string][] }
export type InstantResult =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: RangeSeries[] }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

export interface Alert {
  labels: Labels;
  annotations: Labels;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface Rule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  /** Alerting rules only. */
  state?: 'inactive' | 'pending' | 'firing';
  labels?: Labels;
  annotations?: Labels;
  alerts?: Alert[];
}

export interface RuleGroup { name: string; file: string; rules: Rule[] }

export interface Target {
  labels: Labels;
  discoveredLabels: Labels;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

export interface PrometheusServer {
  /** http://127.0.0.1:<port> */
  url: string;
  process: ChildProcess;
  /** Instant query, at `time` (unix seconds) or now. */
  query(expr: string, time?: number): Promise<InstantResult>;
  /** Range query; start/end in unix seconds, step in seconds. */
  queryRange(expr: string, range: { start: number; end: number; step: number }): Promise<RangeSeries[]>;
  alerts(): Promise<Alert[]>;
  rules(): Promise<RuleGroup[]>;
  targets(): Promise<Target[]>;
  /** Resolves with the first active target whose labels include `labels` once it is up; throws with every target's state after timeoutMs. */
  waitForTarget(labels: Labels, timeoutMs?: number): Promise<Target>;
  /** Resolves with the samples of `expr` once it returns at least one (an instant vector); throws naming expr after timeoutMs. */
  waitForSeries(expr: string, timeoutMs?: number): Promise<VectorSample[]>;
  /** The server's output so far (its log). */
  log(): string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;

/** Prometheus's YAML configuration for `options`. */
function prometheusConfig(options: Pick<PrometheusOptions, 'scrapeConfigs' | 'ruleFiles' | 'scrapeInterval' | 'evaluationInterval'>): string {
  return yaml.dump({
    global: { scrape_interval: options.scrapeInterval ?? '1s', evaluation_interval: options.evaluationInterval ?? '1s' },
    ...(options.ruleFiles === undefined || options.ruleFiles.length === 0 ? {} : { rule_files: options.ruleFiles }),
    scrape_configs: options.scrapeConfigs,
  }, { noRefs: true, lineWidth: -1 });
}

/** Starts Prometheus and resolves once /-/ready answers 200. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = requireEnv('PROMETHEUS');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `logshipper-prometheus-${options.name}-`));
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, prometheusConfig(options));
  let lastError: Error | undefined;
  // The port is free when asked for; another process may take it before Prometheus binds.
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const [port] = await freePorts(1);
    if (port === undefined) throw new Error('freePorts returned no port');
    try {
      const server = await startOn(binary, dir, configFile, port);
      options.cleanup?.after(() => server.stop());
      return server;
    } catch (error) {
      lastError = error as Error;
      if (!lastError.message.includes('address already in use')) break;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error('Prometheus did not start');
}

async function startOn(binary: string, dir: string, configFile: string, port: number): Promise<PrometheusServer> {
  const url = `http://127.0.0.1:${String(port)}`;
  const child = spawn(binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${String(port)}`,
    '--log.format=json',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  // A test runner that dies mid-test must not leave the server behind.
  const killOnExit = (): void => { child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  const tail = (): string => output.trimEnd().split('\n').slice(-30).join('\n');

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      process.removeListener('exit', killOnExit);
      throw new Error(`Prometheus (${binary}) exited (${String(child.exitCode ?? child.signalCode)}) before it was ready:\n${tail()}`);
    }
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus on ${url} was not ready within ${String(READY_TIMEOUT_MS)} ms:\n${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const api = async <T>(endpoint: string, params: Record<string, string> = {}): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${endpoint}?${new URLSearchParams(params).toString()}`);
    const body = (await response.json()) as { status: string; data: T; errorType?: string; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${endpoint} ${JSON.stringify(params)}: ${body.errorType ?? ''} ${body.error ?? response.statusText}`);
    return body.data;
  };
  const query = (expr: string, time?: number): Promise<InstantResult> =>
    api<InstantResult>('query', { query: expr, ...(time === undefined ? {} : { time: String(time) }) });
  const queryRange = async (expr: string, range: { start: number; end: number; step: number }): Promise<RangeSeries[]> =>
    (await api<{ result: RangeSeries[] }>('query_range', { query: expr, start: String(range.start), end: String(range.end), step: String(range.step) })).result;
  const alerts = async (): Promise<Alert[]> => (await api<{ alerts: Alert[] }>('alerts')).alerts;
  const rules = async (): Promise<RuleGroup[]> => (await api<{ groups: RuleGroup[] }>('rules')).groups;
  const targets = async (): Promise<Target[]> => (await api<{ activeTargets: Target[] }>('targets', { state: 'active' })).activeTargets;
  const matches = (target: Target, labels: Labels): boolean => Object.entries(labels).every(([k, v]) => target.labels[k] === v);

  const waitForTarget = async (labels: Labels, timeoutMs = 60_000): Promise<Target> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const all = await targets();
      const up = all.find((t) => matches(t, labels) && t.health === 'up');
      if (up !== undefined) return up;
      if (Date.now() > until) {
        const states = all.map((t) => `${t.scrapeUrl} ${JSON.stringify(t.labels)} ${t.health} ${t.lastError}`).join('\n');
        throw new Error(`no target with labels ${JSON.stringify(labels)} was up within ${String(timeoutMs)} ms; targets:\n${states}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const waitForSeries = async (expr: string, timeoutMs = 60_000): Promise<VectorSample[]> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const result = await query(expr);
      if (result.resultType !== 'vector') throw new Error(`${expr} is not an instant vector (${result.resultType})`);
      if (result.result.length > 0) return result.result;
      if (Date.now() > until) throw new Error(`${expr} returned no series within ${String(timeoutMs)} ms`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  return { url, process: child, query, queryRange, alerts, rules, targets, waitForTarget, waitForSeries, log: () => output, stop };
}
