// The Helm chart as the chart and end-to-end tests use it: helm and kubectl against the test
// environment, the chart's operator Deployment turned into a local process authenticated as the
// chart's ServiceAccount (for the chart test, which reads the operator's own logs and metrics and
// checks its RBAC against the audit log; the end-to-end tests run the real pods), and the
// apiserver's audit log.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { testEnv } from '../env/testing.ts';
import { operatorProcess, type OperatorProcess } from './operator-process.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const CHART = join(ROOT, 'charts', 'logshipper');

/** A Kubernetes object as parsed from YAML or JSON. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], input?: string): Promise<RunResult> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: testEnv('KUBECONFIG') } });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  child.stdin.end(input ?? '');
  const [code] = (await once(child, 'close')) as [number | null];
  return { code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

function check(what: string, result: RunResult): string {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${String(result.code)}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** helm, as the admin of the test cluster; resolves with the result whatever the exit code. */
export async function helmRun(args: string[]): Promise<RunResult> {
  return run(testEnv('HELM'), [...args, '--kubeconfig', testEnv('KUBECONFIG')]);
}

export async function helm(args: string[]): Promise<string> {
  return check(`helm ${args.join(' ')}`, await helmRun(args));
}

export async function kubectl(args: string[], input?: string): Promise<string> {
  return check(`kubectl ${args.join(' ')}`, await run(testEnv('KUBECTL'), args, input));
}

/** Values as a file (-f): nested objects and strings that look like numbers survive as they are. */
export function valuesFile(values: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'logshipper-values-')), 'values.yaml');
  writeFileSync(file, yaml.dump(values));
  return file;
}

export function parseObjects(text: string): K8sObject[] {
  return yaml.loadAll(text).filter((doc): doc is K8sObject => typeof doc === 'object' && doc !== null && 'kind' in doc);
}

/** `helm template` of the chart: the objects it renders. */
export async function template(release: string, namespace: string, values: Record<string, unknown> = {}): Promise<K8sObject[]> {
  return parseObjects(await helm(['template', release, CHART, '--namespace', namespace, '-f', valuesFile(values)]));
}

/** The one object of `kind` (and `name`), or an error listing what there is. */
export function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${String(found.length)} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  const [object] = found;
  if (object === undefined) throw new Error('unreachable');
  return object;
}

export function kinds(objects: K8sObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** A kubeconfig file authenticating as a ServiceAccount with a token from the TokenRequest API (`kubectl create token`). */
export async function serviceAccountKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
  const token = (await kubectl(['create', 'token', serviceAccount, '-n', namespace, '--duration', '2h'])).trim();
  const admin = yaml.load(readFileSync(testEnv('KUBECONFIG'), 'utf8')) as { clusters: { name: string; cluster: Record<string, string> }[] };
  const cluster = admin.clusters[0];
  if (cluster === undefined) throw new Error('the test kubeconfig has no cluster');
  const file = join(mkdtempSync(join(tmpdir(), 'logshipper-sa-')), 'kubeconfig');
  writeFileSync(file, yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [cluster],
    users: [{ name: serviceAccount, user: { token } }],
    contexts: [{ name: serviceAccount, context: { cluster: cluster.name, user: serviceAccount, namespace } }],
    'current-context': serviceAccount,
  }), { mode: 0o600 });
  return file;
}

export interface LocalOperatorOptions {
  /** The namespace the Deployment's pods would run in (downward API metadata.namespace). */
  namespace: string;
  /** The webhook's local port (it must be known before start, to register the url). */
  webhookPort?: number;
  /** More arguments (e.g. a faster certificate check interval); later ones win over the Deployment's. */
  extraArgs?: string[];
}

/**
 * The command of the chart's operator container, to run here: the Deployment's args unchanged,
 * except what cannot work outside a pod: any free metrics port, the given webhook port, both bound
 * to 127.0.0.1, and the webhook certificate naming 127.0.0.1 (the apiserver calls it by `url`).
 * The env is the container's, with its downward-API fields resolved as the kubelet would.
 */
export function localOperatorCommand(deployment: V1Deployment, options: LocalOperatorOptions): { args: string[]; env: Record<string, string> } {
  const container = deployment.spec?.template.spec?.containers.find((c) => c.name === 'operator');
  if (container === undefined) throw new Error('the Deployment has no container "operator"');
  if (container.command !== undefined) throw new Error('the operator container overrides the image entrypoint: not expected');
  const args = (container.args ?? []).map((arg) => {
    if (arg.startsWith('--metrics-port=')) return '--metrics-port=0';
    if (arg.startsWith('--webhook-port=')) {
      if (options.webhookPort === undefined) throw new Error('the Deployment runs the webhook: a local webhook port is needed');
      return `--webhook-port=${String(options.webhookPort)}`;
    }
    return arg;
  });
  args.push('--bind-address=127.0.0.1');
  if (options.webhookPort !== undefined) args.push('--webhook-bind-address=127.0.0.1', '--webhook-extra-sans=127.0.0.1');
  args.push(...(options.extraArgs ?? []));
  return { args, env: containerEnv(container, { 'metadata.namespace': options.namespace }) };
}

/** A container's env with fieldRefs resolved from `fields`; anything else unresolvable fails. */
function containerEnv(container: V1Container, fields: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) {
      env[entry.name] = entry.value;
    } else if (entry.valueFrom?.fieldRef !== undefined) {
      const value = fields[entry.valueFrom.fieldRef.fieldPath];
      if (value === undefined) throw new Error(`env ${entry.name}: no value for fieldRef ${entry.valueFrom.fieldRef.fieldPath}`);
      env[entry.name] = value;
    } else {
      throw new Error(`env ${entry.name}: cannot resolve ${JSON.stringify(entry.valueFrom)}`);
    }
  }
  return env;
}

/**
 * Starts `logshipper operator <args>` with `env` and the given kubeconfig (nothing else of ours:
 * in particular not the admin KUBECONFIG).
 */
export function spawnOperator(label: string, args: string[], env: Record<string, string>, kubeconfig: string): OperatorProcess {
  const [command, ...rest] = args;
  if (command !== 'operator') throw new Error(`the operator's first argument is "operator", not ${String(command)}`);
  const child = spawn(process.execPath, ['cli/main.ts', 'operator', ...rest], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env, KUBECONFIG: kubeconfig },
  });
  return operatorProcess(child, label, join(tmpdir(), `logshipper-chart-operator-${label}.log`));
}

/** One apiserver audit event (level Metadata), the fields the tests read. */
export interface AuditEvent {
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

/** The audit log from now on: events written after construction only. */
export class AuditLog {
  readonly file: string;
  private readonly start: number;

  constructor() {
    this.file = testEnv('KUBE_AUDIT_LOG');
    this.start = statSync(this.file).size;
  }

  /** Every event since construction by `username`. */
  events(username: string): AuditEvent[] {
    const fd = openSync(this.file, 'r');
    try {
      const size = statSync(this.file).size;
      const buffer = Buffer.alloc(size - this.start);
      readSync(fd, buffer, 0, buffer.length, this.start);
      // Complete lines only: the apiserver may be half-way through writing the last one (a watch closing).
      const text = buffer.toString('utf8');
      return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as AuditEvent)
        .filter((event) => event.user.username === username);
    } finally {
      closeSync(fd);
    }
  }
}

/** An RBAC rule as the chart renders it, with where it applies (undefined: cluster-wide). */
export interface ScopedRule {
  source: string;
  namespace: string | undefined;
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The rules of every ClusterRole and Role among `objects`. */
export function rbacRules(objects: K8sObject[]): ScopedRule[] {
  const rules: ScopedRule[] = [];
  for (const object of objects) {
    if (object.kind !== 'ClusterRole' && object.kind !== 'Role') continue;
    const list = (object['rules'] ?? []) as Omit<ScopedRule, 'source' | 'namespace'>[];
    for (const rule of list) {
      rules.push({ ...rule, source: `${object.kind}/${object.metadata.name}`, namespace: object.kind === 'Role' ? object.metadata.namespace : undefined });
    }
  }
  return rules;
}

/** The resource an audit event is about, as RBAC names it (`logshippers/status`). */
export function auditResource(event: AuditEvent): string | undefined {
  const ref = event.objectRef;
  if (ref?.resource === undefined) return undefined;
  return ref.subresource === undefined ? ref.resource : `${ref.resource}/${ref.subresource}`;
}

/** Whether `rule` grants `verb` for the request of `event`. */
export function ruleGrants(rule: ScopedRule, event: AuditEvent, verb: string): boolean {
  const ref = event.objectRef;
  if (ref === undefined) return false;
  return rule.verbs.includes(verb)
    && rule.apiGroups.includes(ref.apiGroup ?? '')
    && rule.resources.includes(auditResource(event) ?? '')
    && (rule.namespace === undefined || rule.namespace === ref.namespace)
    && (rule.resourceNames === undefined || (ref.name !== undefined && rule.resourceNames.includes(ref.name)));
}
