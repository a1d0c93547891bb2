// Operator scale benchmark against the test environment's real kube-apiserver: the operator as the
// image runs it (compiled JS, the Dockerfile's node flags, 2 workers, webhook by URL), N LogShippers
// in M namespaces, pods created through the webhook (stored only: a scheduler that does not exist
// keeps them Pending), a rollout, unrelated Secrets, a restart.
//   npm run bench:operator -- [--quick] [--runs 1] [--out FILE]
// Admission latency: the apiserver's own histogram for the webhook (bucket deltas), and wall time per
// pod create against the same create in a namespace the webhook does not select, interleaved.
// Everything lives in namespaces named lsb-op-*, deleted at the end (also after a failure).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { AdmissionregistrationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { agentEntrypoint, imageNodeFlags, ROOT } from './lib/agent.ts';
import { load, machineFacts } from './lib/facts.ts';
import { median, peakRssMbOf } from './lib/measure.ts';
import { freePorts } from '../test/env/ports.ts';
import { installCrd, logShipper, releaseFinalizers } from '../test/integration/operator/helpers.ts';
import { GROUP, PLURAL, VERSION, type LogShipper } from '../operator/crd-types.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // Everything in one namespace the operator watches alone: on a shared test env, other tests'
    // pods and Secrets (of every namespace) would otherwise be in its caches too.
    'one-namespace': { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
    label: { type: 'string', default: '' },
    out: { type: 'string' },
  },
});
const SIZE = values.quick
  ? { namespaces: 10, shippers: 100, pods: 1000, rollout: 200, secrets: 200 }
  : { namespaces: 100, shippers: 1000, pods: 10_000, rollout: 2000, secrets: 2000 };
const SECRET_BYTES = 100_000;
const CONCURRENCY = 10;
/** One create in this many also goes to the control namespace (no webhook), interleaved. */
const CONTROL_EVERY = 4;
const WEBHOOK_NAME = 'inject.logshipper.io';
const SCHEDULER = 'logshipper-bench-unscheduled';
const PREFIX = 'lsb-op';
const CONTROL_NS = `${PREFIX}-ctl`;
const BENCH_LABEL = { 'logshipper.io/bench': 'operator' };
const WEBHOOK_CONFIG = `${PREFIX}-inject`;

if (process.env['KUBECONFIG'] === undefined) {
  const { up } = await import('../test/env/up.ts');
  Object.assign(process.env, await up());
}
const kc = new KubeConfig();
kc.loadFromDefault();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const admission = kc.makeApiClient(AdmissionregistrationV1Api);
const kubectl = process.env['KUBECTL'] ?? 'kubectl';

const ONE_NAMESPACE = values['one-namespace'];
const namespaces = Array.from({ length: ONE_NAMESPACE ? 1 : SIZE.namespaces }, (_, i) => `${PREFIX}-${String(i).padStart(2, '0')}`);
const shipperNames = Array.from({ length: SIZE.shippers / namespaces.length }, (_, i) => `ls-${String(i).padStart(3, '0')}`);
/** Where the unrelated Secrets go: a namespace the operator watches. */
const SECRETS_NS = ONE_NAMESPACE ? (namespaces[0] ?? '') : CONTROL_NS;

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T, index);
    }
  }));
}

async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(200 * 2 ** attempt);
    }
  }
}

function rawMetrics(): string {
  return execFileSync(kubectl, ['get', '--raw', '/metrics'], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
}

/** The apiserver's admission histogram for our webhook: cumulative bucket counts by upper bound. */
function admissionBuckets(text: string): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_admission_webhook_admission_duration_seconds_bucket{') || !line.includes(`name="${WEBHOOK_NAME}"`)) continue;
    if (!line.includes('operation="CREATE"') || !line.includes('type="admit"')) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1] ?? '';
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return buckets;
}

/** The upper bucket bound holding the q-quantile of the observations between two scrapes. */
function bucketQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  for (const bound of bounds) {
    if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= q * total) return bound * 1000;
  }
  return Number.NaN;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function rssMbOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) / 1024;
}

interface RunningOperator {
  child: ChildProcess;
  metricsPort: number;
  metric: (name: string, labels?: Record<string, string>) => Promise<number>;
  ready: () => Promise<boolean>;
  stop: () => Promise<void>;
}

function startOperator(metricsPort: number, webhookPort: number, log: string): RunningOperator {
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [
    ...imageNodeFlags(), agentEntrypoint(), 'operator', '--namespace', ONE_NAMESPACE ? (namespaces[0] ?? '') : 'all', '--lease-namespace', CONTROL_NS, '--workers', '2',
    '--metrics-port', String(metricsPort), '--bind-address', '127.0.0.1', '--log-level', 'warn',
    '--webhook-port', String(webhookPort), '--webhook-bind-address', '127.0.0.1', '--sidecar-image', 'registry.example/logshipper:bench',
    '--webhook-cert-secret', 'logshipper-webhook-tls', '--webhook-cert-namespace', CONTROL_NS, '--webhook-config', WEBHOOK_CONFIG,
    '--webhook-extra-sans', '127.0.0.1',
  ], { stdio: ['ignore', fd, fd], env: { ...process.env } });
  closeSync(fd);
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const parsed = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (parsed?.[1] !== name) continue;
      if (Object.entries(labels).every(([k, v]) => (parsed[2] ?? '').includes(`${k}="${v}"`))) sum += Number(parsed[3]);
    }
    return sum;
  };
  return {
    child, metricsPort, metric,
    ready: async () => {
      try {
        return (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200;
      } catch {
        return false;
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Samples the operator's RSS every 100 ms; `mark()` returns the peak since the last mark. */
class RssSampler {
  private readonly pid: number;
  private readonly timer: NodeJS.Timeout;
  private peak = 0;

  constructor(pid: number) {
    this.pid = pid;
    this.timer = setInterval(() => {
      try {
        this.peak = Math.max(this.peak, rssMbOf(this.pid));
      } catch {
        // The process exited.
      }
    }, 100);
  }

  now(): number {
    return rssMbOf(this.pid);
  }

  mark(): number {
    const peak = Math.max(this.peak, this.now());
    this.peak = 0;
    return peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>, everyMs = 500): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function listShippers(): Promise<LogShipper[]> {
  const list = await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }) as { items: LogShipper[] };
  return list.items.filter((s) => s.metadata?.namespace?.startsWith(`${PREFIX}-`) === true);
}

const isReady = (s: LogShipper): boolean => s.status?.observedGeneration === s.metadata?.generation
  && s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

function benchPod(name: string, shipper: string | undefined): V1Pod {
  return {
    metadata: { name, labels: { 'app.kubernetes.io/name': 'bench', 'logshipper.io/inject': 'true' }, ...(shipper === undefined ? {} : { annotations: { 'logshipper.io/inject': shipper } }) },
    spec: {
      schedulerName: SCHEDULER,
      containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'logs', mountPath: '/var/log/app' }] }],
      volumes: [{ name: 'logs', emptyDir: {} }],
    },
  };
}

/** Per LogShipper (namespace/name): its pods as stored, with the sidecar and without (admitted while the webhook timed out). */
type PodCounts = Map<string, { injected: number; uninjected: number }>;

function count(counts: PodCounts, key: string, stored: V1Pod, sign: 1 | -1): void {
  const entry = counts.get(key) ?? { injected: 0, uninjected: 0 };
  if (stored.spec?.initContainers?.some((c) => c.name === 'logshipper') === true) entry.injected += sign;
  else entry.uninjected += sign;
  counts.set(key, entry);
}

/** Waits until every LogShipper's status counts its pods as stored; returns when. */
async function converged(counts: PodCounts, timeoutMs: number): Promise<number> {
  await until('the status of every LogShipper to count its pods', timeoutMs, async () => {
    const all = await listShippers();
    return all.length === SIZE.shippers && all.every((s) => {
      const want = counts.get(`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`) ?? { injected: 0, uninjected: 0 };
      return (s.status?.injectedPods ?? 0) === want.injected && (s.status?.currentPods ?? 0) === want.injected && (s.status?.uninjectedPods ?? 0) === want.uninjected;
    });
  }, 250);
  return performance.now();
}

interface Result {
  idleRssMb: number;
  shippersReadySeconds: number;
  rssAfterShippersMb: number;
  peakShippersMb: number;
  webhookP50Ms: number;
  webhookP99Ms: number;
  controlP50Ms: number;
  controlP99Ms: number;
  apiserverP50Ms: number;
  apiserverP99Ms: number;
  rssAfterPodsMb: number;
  peakPodsMb: number;
  convergedSeconds: number;
  rolloutSeconds: number;
  rolloutWritesPerSecond: number;
  rolloutConvergedSeconds: number;
  rssAfterRolloutMb: number;
  peakRolloutMb: number;
  secretsRssMb: number;
  restartPeakMb: number;
  restartReadySeconds: number;
  statusWrites: number;
  /** Pods admitted without the sidecar (the apiserver gave up on the webhook: failurePolicy Ignore). */
  uninjected: number;
}

async function cleanUp(): Promise<void> {
  await admission.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG }).catch(() => undefined);
  const all = await core.listNamespace();
  const ours = all.items.map((n) => n.metadata?.name ?? '').filter((n) => n.startsWith(`${PREFIX}-`));
  for (const name of ours) await core.deleteNamespace({ name }).catch(() => undefined);
  // The operator is stopped by now: nothing removes its finalizer from the LogShippers being deleted.
  for (const name of ours) await releaseFinalizers(kc, name);
  await until('the bench namespaces to be gone', 300_000, async () => {
    const left = (await core.listNamespace()).items.filter((n) => n.metadata?.name?.startsWith(`${PREFIX}-`) === true);
    return left.length === 0;
  }, 2000).catch((error: unknown) => {
    console.error(`bench: ${(error as Error).message}`);
  });
}

async function runOnce(run: number): Promise<Result> {
  const work = join(tmpdir(), `logshipper-bench-operator-${process.pid}-${run}`);
  mkdirSync(work, { recursive: true });
  const log = join(work, 'operator.log');
  await cleanUp();
  for (const name of [CONTROL_NS, `${CONTROL_NS}-pods`, ...namespaces]) {
    await core.createNamespace({ body: { metadata: { name, labels: name === CONTROL_NS || name === `${CONTROL_NS}-pods` ? {} : BENCH_LABEL } } });
  }
  await until('default ServiceAccounts', 60_000, async () => {
    for (const namespace of [`${CONTROL_NS}-pods`, ...namespaces]) {
      try {
        await core.readNamespacedServiceAccount({ namespace, name: 'default' });
      } catch {
        return false;
      }
    }
    return true;
  });
  const [metricsPort = 0, webhookPort = 0] = await freePorts(2);
  await admission.createMutatingWebhookConfiguration({
    body: {
      metadata: { name: WEBHOOK_CONFIG },
      webhooks: [{
        name: WEBHOOK_NAME, clientConfig: { url: `https://127.0.0.1:${webhookPort}/mutate` },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
        namespaceSelector: { matchLabels: BENCH_LABEL }, failurePolicy: 'Ignore', sideEffects: 'NoneOnDryRun',
        admissionReviewVersions: ['v1'], timeoutSeconds: 5, reinvocationPolicy: 'IfNeeded', matchPolicy: 'Equivalent',
      }],
    },
  });

  let operator = startOperator(metricsPort, webhookPort, log);
  let rss = new RssSampler(operator.child.pid ?? 0);
  try {
    await until('the operator to be ready', 300_000, operator.ready);
    await sleep(3000);
    const idleRssMb = rss.now();
    rss.mark();

    const shippersStart = performance.now();
    const pairs = namespaces.flatMap((namespace) => shipperNames.map((name) => ({ namespace, name })));
    await pool(pairs, CONCURRENCY, async ({ namespace, name }) => {
      await retrying(async (): Promise<unknown> => custom.createNamespacedCustomObject({
        group: GROUP, version: VERSION, namespace, plural: PLURAL,
        body: logShipper(namespace, name, { volume: 'logs', files: [{ path: 'app/*.log' }], kafka: { brokers: ['kafka:9092'], topic: `${namespace}-${name}` } }),
      }));
    });
    await until('every LogShipper Ready', 600_000, async () => (await listShippers()).filter(isReady).length === SIZE.shippers, 250);
    const shippersReadySeconds = (performance.now() - shippersStart) / 1000;
    const rssAfterShippersMb = rss.now();
    const peakShippersMb = rss.mark();
    console.log(`run ${run}: ${SIZE.shippers} LogShippers Ready in ${shippersReadySeconds.toFixed(1)} s; RSS ${rssAfterShippersMb.toFixed(0)} MB`);

    // Pods: each lane creates its share; every CONTROL_EVERY-th create also goes to the unselected namespace.
    const perShipper = SIZE.pods / SIZE.shippers;
    const specs = pairs.flatMap(({ namespace, name }) => Array.from({ length: perShipper }, (_, i) => ({ namespace, name, pod: `${name}-p${i}` })));
    // Interleave namespaces and LogShippers, as many Deployments scaling at once would.
    specs.sort((a, b) => a.pod.localeCompare(b.pod) || a.namespace.localeCompare(b.namespace));
    const webhookTimes: number[] = [];
    const controlTimes: number[] = [];
    const metricsBefore = admissionBuckets(rawMetrics());
    const statusBefore = await operator.metric('logshipper_operator_writes_total', { kind: 'status' });
    const counts: PodCounts = new Map();
    await pool(specs, CONCURRENCY, async ({ namespace, name, pod }, index) => {
      let started = performance.now();
      count(counts, `${namespace}/${name}`, await retrying(async () => core.createNamespacedPod({ namespace, body: benchPod(pod, name) })), 1);
      webhookTimes.push(performance.now() - started);
      if (index % CONTROL_EVERY === 0) {
        started = performance.now();
        await retrying(async () => core.createNamespacedPod({ namespace: `${CONTROL_NS}-pods`, body: benchPod(`c-${index}`, undefined) }));
        controlTimes.push(performance.now() - started);
      }
    });
    const lastCreate = performance.now();
    const metricsAfter = admissionBuckets(rawMetrics());
    const uninjected = [...counts.values()].reduce((sum, c) => sum + c.uninjected, 0);
    const convergedAt = await converged(counts, 600_000);
    const statusWrites = await operator.metric('logshipper_operator_writes_total', { kind: 'status' }) - statusBefore;
    const rssAfterPodsMb = rss.now();
    const peakPodsMb = rss.mark();
    webhookTimes.sort((a, b) => a - b);
    controlTimes.sort((a, b) => a - b);
    console.log(`run ${run}: ${specs.length} pods (${uninjected} without the sidecar); converged ${((convergedAt - lastCreate) / 1000).toFixed(1)} s after the last; RSS ${rssAfterPodsMb.toFixed(0)} MB`);

    // Rollout: ROLLOUT pods replaced (deleted, and new ones created through the webhook).
    const replaced = specs.slice(0, SIZE.rollout);
    const writesBefore = await operator.metric('logshipper_operator_writes_total');
    const rolloutStart = performance.now();
    await pool(replaced, CONCURRENCY, async ({ namespace, name, pod }) => {
      count(counts, `${namespace}/${name}`, await retrying(async () => core.deleteNamespacedPod({ namespace, name: pod, gracePeriodSeconds: 0 })), -1);
      count(counts, `${namespace}/${name}`, await retrying(async () => core.createNamespacedPod({ namespace, body: benchPod(`${pod}-r`, name) })), 1);
    });
    const rolloutEnd = performance.now();
    const rolloutConvergedAt = await converged(counts, 600_000);
    const rolloutWrites = await operator.metric('logshipper_operator_writes_total') - writesBefore;
    const rolloutSeconds = (rolloutEnd - rolloutStart) / 1000;
    const rssAfterRolloutMb = rss.now();
    const peakRolloutMb = rss.mark();
    console.log(`run ${run}: rollout of ${SIZE.rollout} in ${rolloutSeconds.toFixed(1)} s, ${rolloutWrites} operator writes`);

    // Unrelated Secrets (Helm release history): in the control namespace.
    const blob = Buffer.alloc(SECRET_BYTES, 'x').toString('base64').slice(0, SECRET_BYTES);
    await pool(Array.from({ length: SIZE.secrets }, (_, i) => i), CONCURRENCY, async (i) => {
      await retrying(async () => core.createNamespacedSecret({ namespace: SECRETS_NS, body: { metadata: { name: `sh.helm.release.v1.bench.v${i}` }, type: 'helm.sh/release.v1', data: { release: blob } } }));
    });
    await sleep(5000);
    const secretsRssMb = rss.now();
    rss.mark();
    console.log(`run ${run}: ${SIZE.secrets} Secrets of ${SECRET_BYTES / 1000} kB; RSS ${secretsRssMb.toFixed(0)} MB`);

    // Restart at that size: the peak of a new leader's start-up (its first lists).
    await operator.stop();
    rss.stop();
    operator = startOperator(metricsPort, webhookPort, log);
    rss = new RssSampler(operator.child.pid ?? 0);
    const restartStart = performance.now();
    await until('the restarted operator to be ready', 300_000, operator.ready, 100);
    const restartReadySeconds = (performance.now() - restartStart) / 1000;
    await sleep(10_000);
    const restartPeakMb = Math.max(rss.mark(), peakRssMbOf(operator.child.pid ?? 0));
    console.log(`run ${run}: restart ready in ${restartReadySeconds.toFixed(1)} s, peak ${restartPeakMb.toFixed(0)} MB`);

    return {
      idleRssMb, shippersReadySeconds, rssAfterShippersMb, peakShippersMb,
      webhookP50Ms: percentile(webhookTimes, 50), webhookP99Ms: percentile(webhookTimes, 99),
      controlP50Ms: percentile(controlTimes, 50), controlP99Ms: percentile(controlTimes, 99),
      apiserverP50Ms: bucketQuantile(metricsBefore, metricsAfter, 0.5), apiserverP99Ms: bucketQuantile(metricsBefore, metricsAfter, 0.99),
      rssAfterPodsMb, peakPodsMb, convergedSeconds: (convergedAt - lastCreate) / 1000,
      rolloutSeconds, rolloutWritesPerSecond: rolloutWrites / rolloutSeconds, rolloutConvergedSeconds: (rolloutConvergedAt - rolloutEnd) / 1000,
      rssAfterRolloutMb, peakRolloutMb, secretsRssMb, restartPeakMb, restartReadySeconds, statusWrites, uninjected,
    };
  } catch (error) {
    console.error(`bench: run ${run} failed: ${(error as Error).message}\noperator log: ${log}`);
    throw error;
  } finally {
    rss.stop();
    await operator.stop();
    await cleanUp();
  }
}

agentEntrypoint();
const loadBefore = load();
await installCrd(kc);
const runs: Result[] = [];
let failed = 0;
for (let run = 1; run <= Number(values.runs); run++) {
  try {
    runs.push(await runOnce(run));
  } catch {
    // Said by runOnce; the report has the runs that completed.
    failed++;
  }
}
if (runs.length === 0) process.exit(1);
const med = (pick: (r: Result) => number): number => median(runs.map(pick));
const ms = (value: number): string => value.toFixed(1);
const mb = (value: number): string => value.toFixed(0);
const s = (value: number): string => value.toFixed(1);
/** The operator's memory limit as the chart installs it (values.yaml, operator.resources). */
const LIMIT = (yaml.load(readFileSync(join(ROOT, 'charts', 'logshipper', 'values.yaml'), 'utf8')) as { operator: { resources: { limits: { memory: string } } } }).operator.resources.limits.memory;
const LIMIT_MB = Number(/^(\d+)Mi$/.exec(LIMIT)?.[1] ?? Number.NaN) * 1.048576;
const target = (met: boolean): string => (met ? 'met' : 'NOT met');
const addedP99 = med((r) => r.webhookP99Ms - r.controlP99Ms);
const rows: [string, string, string][] = [
  ['idle RSS (MB)', mb(med((r) => r.idleRssMb)), ''],
  [`time to all ${SIZE.shippers} LogShippers Ready (s)`, s(med((r) => r.shippersReadySeconds)), `<= 20 s: ${target(med((r) => r.shippersReadySeconds) <= 20)}`],
  [`RSS after ${SIZE.shippers} LogShippers (MB), peak`, `${mb(med((r) => r.rssAfterShippersMb))} (peak ${mb(med((r) => r.peakShippersMb))})`, ''],
  ['pod create through the webhook p50 / p99 (ms)', `${ms(med((r) => r.webhookP50Ms))} / ${ms(med((r) => r.webhookP99Ms))}`, ''],
  ['same create, no webhook p50 / p99 (ms)', `${ms(med((r) => r.controlP50Ms))} / ${ms(med((r) => r.controlP99Ms))}`, ''],
  ['added by the webhook p50 / p99 (ms)', `+${ms(med((r) => r.webhookP50Ms - r.controlP50Ms))} / +${ms(addedP99)}`, `p99 <= 20 ms added: ${target(addedP99 <= 20)}`],
  ['pods admitted without the sidecar (webhook timed out)', mb(med((r) => r.uninjected)), `none: ${target(med((r) => r.uninjected) === 0)}`],
  ['apiserver admission_duration for the webhook p50 / p99 (ms, bucket bound)', `<= ${ms(med((r) => r.apiserverP50Ms))} / <= ${ms(med((r) => r.apiserverP99Ms))}`, ''],
  [`RSS after ${SIZE.pods.toLocaleString('en-US')} pods (MB), peak`, `${mb(med((r) => r.rssAfterPodsMb))} (peak ${mb(med((r) => r.peakPodsMb))})`, `<= 150 MB: ${target(med((r) => r.peakPodsMb) <= 150)}`],
  ['status converged after the last pod (s); status writes', `${s(med((r) => r.convergedSeconds))}; ${mb(med((r) => r.statusWrites))}`, `<= 10 s: ${target(med((r) => r.convergedSeconds) <= 10)}`],
  [`rollout of ${SIZE.rollout.toLocaleString('en-US')} pods (s); operator API writes/s`, `${s(med((r) => r.rolloutSeconds))}; ${s(med((r) => r.rolloutWritesPerSecond))}`, ''],
  ['status converged after the rollout (s)', s(med((r) => r.rolloutConvergedSeconds)), `<= 10 s: ${target(med((r) => r.rolloutConvergedSeconds) <= 10)}`],
  ['RSS after the rollout (MB), peak', `${mb(med((r) => r.rssAfterRolloutMb))} (peak ${mb(med((r) => r.peakRolloutMb))})`, `peak < chart limit ${LIMIT}: ${target(med((r) => Math.max(r.peakShippersMb, r.peakPodsMb, r.peakRolloutMb)) < LIMIT_MB)}`],
  [`RSS with ${SIZE.secrets.toLocaleString('en-US')} unrelated Secrets of 100 kB (MB)`, mb(med((r) => r.secretsRssMb)), `unaffected (<= 150 MB): ${target(med((r) => r.secretsRssMb) <= 150)}`],
  ['restart at that size: peak RSS (MB); ready after (s)', `${mb(med((r) => r.restartPeakMb))}; ${s(med((r) => r.restartReadySeconds))}`, `< chart limit ${LIMIT} (${mb(LIMIT_MB)} MB): ${target(med((r) => r.restartPeakMb) < LIMIT_MB)}`],
];
const report = [
  `# Operator at scale${values.quick ? ' (--quick)' : ''}${values.label === '' ? '' : `: ${values.label}`}: ${SIZE.shippers.toLocaleString('en-US')} LogShippers in ${namespaces.length} namespace(s), ${SIZE.pods.toLocaleString('en-US')} pods through the webhook, a ${SIZE.rollout.toLocaleString('en-US')}-pod rollout, ${SIZE.secrets.toLocaleString('en-US')} unrelated Secrets`,
  '',
  `${new Date().toISOString()}. ${machineFacts()}. kube-apiserver ${process.env['KUBERNETES_VERSION'] ?? 'unknown'} (the test environment's, shared). Load average before: ${loadBefore}, after: ${load()}. Medians of ${runs.length} run(s)${failed === 0 ? '' : ` (${failed} more failed)`}.`,
  '',
  `The operator as the image runs it: compiled JS, node ${imageNodeFlags().join(' ')}, --workers 2, --namespace ${ONE_NAMESPACE ? `${namespaces[0] ?? ''} (every object of the bench in that one namespace)` : 'all (other tests\' objects in the shared env included)'}, webhook by URL (failurePolicy Ignore, timeoutSeconds 5, namespaceSelector on the bench namespaces). Pods are created ${CONCURRENCY} at a time; one create in ${CONTROL_EVERY} is followed by the same create in a namespace the webhook does not select (the control). RSS sampled every 100 ms from /proc.`,
  '',
  '| measure | value | target |',
  '| --- | ---: | --- |',
  ...rows.map(([name, value, goal]) => `| ${name} | ${value} | ${goal} |`),
  '',
].join('\n');
console.log(`\n${report}`);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
const out = values.out ?? join(ROOT, 'bench', 'results', `operator${values.quick ? '-quick' : ''}-${new Date().toISOString().slice(0, 10)}.md`);
writeFileSync(out, report);
console.log(`written to ${out}`);
