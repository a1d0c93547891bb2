// Every query of the chart's Grafana dashboard, run by a real Prometheus against a real agent and
// a real operator, returns data of the shape its panel draws: at least one series, each with the
// labels its legend shows, and a value that is a number somewhere in the time range.
//
//   agent (the configuration the operator renders for LogShipper `web`) -> the env's Kafka;
//     scraped with the labels the chart's PodMonitor gives a sidecar (namespace, pod, container,
//     logshipper)
//   operator process (the webhook registered with the apiserver) with LogShipper `web` and pods:
//     web-1 injected then stale (the spec changed after), other skipped (asks for no LogShipper),
//     web-2 asking without the opt-in label (admitted without the sidecar); scraped as the chart's ServiceMonitor does (namespace, pod,
//     service; honorLabels, so its per-LogShipper series keep the LogShipper's namespace)
//   Prometheus (Debian's, test/helpers/prometheus.ts), scraping both every second.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { DASHBOARD_PATH, VARIABLE_QUERIES } from '../../build/dashboard.ts';
import { INJECT_ANNOTATION, INJECT_LABEL } from '../../operator/inject.ts';
import { AGENT_NAME, ENV } from '../../operator/sidecar-layout.ts';
import type { LogShipperSpec } from '../../operator/crd-types.ts';
import { eventually, kubeConfig, unique } from '../env/testing.ts';
import { freePorts } from '../env/ports.ts';
import { httpPort, watchProcess, type RunningAgent } from '../helpers/agent.ts';
import { dashboardTargets, legendLabels } from '../helpers/dashboard.ts';
import { brokers, createTopic, deleteTopics } from '../helpers/kafka.ts';
import { startPrometheus, type Labels, type PrometheusServer, type RangeSeries } from '../helpers/prometheus.ts';
import { renderedAgentConfig } from '../helpers/rendered-agent.ts';
import { createNamespace, deleteNamespace, installCrd, Shippers, startOperator, unscheduledPod, type OperatorProcess } from './operator/helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const SHIPPER = 'web';
const APP_POD = 'web-1';
const OPERATOR_POD = 'logshipper-operator-0';
/** Grafana's $__rate_interval for a 1 s scrape interval is 4 s; a little more absorbs late scrapes on a busy machine. */
const RATE_INTERVAL = '10s';

const dashboard = JSON.parse(readFileSync(join(ROOT, DASHBOARD_PATH), 'utf8')) as Record<string, unknown>;

/** An app pod that may opt in (the label) and ask for the LogShipper (the annotation). */
function appPod(name: string, { optIn, asks }: { optIn: boolean; asks: boolean }): V1Pod {
  return unscheduledPod(name, optIn ? { [INJECT_LABEL.key]: INJECT_LABEL.value } : {}, asks ? { [INJECT_ANNOTATION]: SHIPPER } : {});
}

/** The metric names an expression reads (logshipper_*), for a failure that says which one no target exports. */
function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(logshipper_[a-z0-9_]+)/g)].map((m) => m[1] ?? ''))];
}

describe('Grafana dashboard queries against a real Prometheus scraping a real agent and operator', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let admission: AdmissionregistrationV1Api;
  let operator: OperatorProcess | undefined;
  let agent: RunningAgent | undefined;
  let prometheus: PrometheusServer | undefined;
  let writer: NodeJS.Timeout | undefined;
  let started = 0;
  const ns = unique('lship-dash');
  const operatorNs = `${ns}-system`;
  const webhookConfig = `${ns}-inject`;
  const topic = unique('dash');
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-dashboard-'));
  const begun = Date.now();

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    admission = kc.makeApiClient(AdmissionregistrationV1Api);
    await installCrd(kc);
    await createNamespace(kc, ns);
    await createTopic(topic, 1);
    const [webhookPort = 0] = await freePorts(1);
    await admission.createMutatingWebhookConfiguration({
      body: {
        metadata: { name: webhookConfig },
        webhooks: [{
          name: 'inject.logshipper.io',
          clientConfig: { url: `https://127.0.0.1:${String(webhookPort)}/mutate` },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
          objectSelector: { matchLabels: { [INJECT_LABEL.key]: INJECT_LABEL.value } },
          failurePolicy: 'Ignore', sideEffects: 'NoneOnDryRun', admissionReviewVersions: ['v1'], timeoutSeconds: 5,
        }],
      },
    });
    operator = startOperator(ns, 'dash', [
      '--webhook-port', String(webhookPort), '--webhook-bind-address', '127.0.0.1', '--sidecar-image', 'registry.example/logshipper:test',
      '--webhook-cert-secret', 'logshipper-webhook-tls', '--webhook-cert-namespace', ns, '--webhook-config', webhookConfig,
      '--webhook-service', 'logshipper-webhook', '--webhook-extra-sans', '127.0.0.1',
    ]);
    await operator.waitForLog('caches synced', (l) => l['msg'] === 'caches synced; reconciling');

    // The agent runs what the operator renders for the LogShipper, as the sidecar of web-1 would.
    const spec: LogShipperSpec = { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: brokers().split(','), topic, lingerMs: 5 } };
    const shippers = new Shippers(kc, ns);
    await shippers.create(SHIPPER, spec);
    await shippers.waitReady(SHIPPER, 'True');
    mkdirSync(join(dir, 'volume'));
    const rendered = renderedAgentConfig(spec, { namespace: ns, name: SHIPPER }, dir);
    writeFileSync(join(dir, 'agent.properties'), rendered.text);
    const pod: Record<string, string> = { [ENV.podName]: APP_POD, [ENV.podNamespace]: ns };
    const env = Object.fromEntries(rendered.env.map((name) => [name, pod[name] ?? name.toLowerCase()]));
    const child = spawn(process.execPath, ['cli/main.ts', 'agent', '-f', join(dir, 'agent.properties'), '-n', AGENT_NAME, '--http-port', '0'], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent = watchProcess(child, 'agent', join(dir, 'agent.log'));
    const agentPort = await httpPort(agent);
    // Lines all along, so every rate window has deliveries in it.
    let line = 0;
    writer = setInterval(() => {
      appendFileSync(join(dir, 'volume', 'app.log'), Array.from({ length: 20 }, () => `line ${String(line++)}\n`).join(''));
    }, 250);

    prometheus = await startPrometheus({
      name: 'dashboard',
      scrapeConfigs: [
        { job_name: 'logshipper-sidecar', static_configs: [{ targets: [`127.0.0.1:${String(agentPort)}`], labels: { namespace: ns, pod: APP_POD, container: 'logshipper', logshipper: SHIPPER } }] },
        { job_name: 'logshipper-operator', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${String(await operator.port())}`], labels: { namespace: operatorNs, pod: OPERATOR_POD, service: 'logshipper' } }] },
      ],
    });
    started = Date.now() / 1000;
    await prometheus.waitForTarget({ job: 'logshipper-sidecar' });
    await prometheus.waitForTarget({ job: 'logshipper-operator' });

    // Admissions while Prometheus watches: web-1 injected, other skipped (opted in, asks for none),
    // web-2 never sent to the webhook (no opt-in label).
    await eventually('the webhook to inject', 30_000, async () => {
      const probe = await core.createNamespacedPod({ namespace: ns, body: appPod('probe', { optIn: true, asks: true }), dryRun: 'All' });
      return probe.spec?.initContainers?.some((c) => c.name === 'logshipper') === true ? true : undefined;
    });
    await core.createNamespacedPod({ namespace: ns, body: appPod(APP_POD, { optIn: true, asks: true }) });
    await core.createNamespacedPod({ namespace: ns, body: appPod('other', { optIn: true, asks: false }) });
    await core.createNamespacedPod({ namespace: ns, body: appPod('web-2', { optIn: false, asks: true }) });
    // A new configuration: web-1 keeps the old one (stale until a rollout).
    await shippers.replaceSpec(SHIPPER, { ...spec, kafka: { ...spec.kafka, lingerMs: 10 } });
    await shippers.waitReady(SHIPPER, 'True');
    await prometheus.waitForSeries(`logshipper_sink_events_drained_total{namespace="${ns}"} > 0`);
    await prometheus.waitForSeries(`logshipper_operator_uninjected_pods{namespace="${ns}"} > 0`);
  });

  after(async () => {
    clearInterval(writer);
    await prometheus?.stop();
    if (agent !== undefined && agent.process.exitCode === null) {
      agent.process.kill('SIGTERM');
      await agent.exited;
    }
    await operator?.stop();
    await admission.deleteMutatingWebhookConfiguration({ name: webhookConfig }).catch(() => undefined);
    await deleteNamespace(kc, ns);
    await deleteTopics([topic]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    console.log(`dashboard test: ${String(Math.round((Date.now() - begun) / 1000))}s`);
  });

  /** The query as Grafana sends it with this namespace and LogShipper selected. */
  const substituted = (expr: string): string => expr
    .replaceAll('$namespace', ns).replaceAll('$logshipper', SHIPPER)
    .replaceAll('$__rate_interval', RATE_INTERVAL)
    .replaceAll('$__range', `${String(Math.max(10, Math.round(Date.now() / 1000 - started)))}s`);

  /** Fails naming each metric of `expr` that no target exports (the code that sets it is missing). */
  const assertExported = async (server: PrometheusServer, panel: string, expr: string): Promise<void> => {
    for (const name of metricNames(expr)) {
      const present = await server.query(`count({__name__="${name}"})`);
      assert.ok(present.resultType === 'vector' && present.result.length > 0, `panel "${panel}": no target exports ${name} (not in the agent's or the operator's /metrics): the code that sets it is missing from this tree`);
    }
  };

  it('the variables list the namespace and the LogShipper (label_values)', async () => {
    assert.ok(prometheus);
    for (const [name, query] of Object.entries(VARIABLE_QUERIES)) {
      const parsed = /^label_values\((.+), (\w+)\)$/.exec(query);
      assert.ok(parsed?.[1] !== undefined && parsed[2] !== undefined, `${name}: ${query}`);
      const result = await prometheus.query(`group by (${parsed[2]}) (${substituted(parsed[1])})`);
      assert.equal(result.resultType, 'vector');
      const values = result.result.map((s) => s.metric[parsed[2] ?? '']);
      assert.ok(values.includes(name === 'namespace' ? ns : SHIPPER), `${name}: ${JSON.stringify(values)}`);
    }
  });

  for (const { panel, target } of dashboardTargets(dashboard)) {
    it(`panel "${panel}": ${target.legendFormat}`, async () => {
      const server = prometheus;
      assert.ok(server);
      await assertExported(server, panel, target.expr);
      const legend = legendLabels(target.legendFormat);
      const expr = substituted(target.expr);
      assert.doesNotMatch(expr, /\$/, `panel "${panel}": a Grafana variable this test does not substitute`);
      let series: { metric: Labels; values: string[] }[] = [];
      // Eventually: a rate needs two scrapes in its window after the state appeared.
      await eventually(`panel "${panel}" query ${expr} to return data`, 30_000, async () => {
        const now = Date.now() / 1000;
        if (target.instant === true) {
          const result = await server.query(expr, now);
          assert.equal(result.resultType, 'vector', expr);
          series = result.result.map((s) => ({ metric: s.metric, values: [s.value[1]] }));
        } else {
          const result: RangeSeries[] = await server.queryRange(expr, { start: started, end: now, step: 1 });
          series = result.map((s) => ({ metric: s.metric, values: s.values.map(([, v]) => v) }));
        }
        return series.length > 0 && series.some((s) => s.values.some((v) => Number.isFinite(Number(v)))) ? true : undefined;
      });
      // A legend label may be empty on some series (an injection has no reason), never on all.
      for (const label of legend) {
        assert.ok(series.some((s) => (s.metric[label] ?? '') !== ''), `panel "${panel}": legend label ${label} on no series: ${JSON.stringify(series.map((s) => s.metric))} (${expr})`);
      }
      for (const s of series) {
        if (legend.includes('logshipper')) assert.equal(s.metric['logshipper'], SHIPPER, `panel "${panel}": ${JSON.stringify(s.metric)}`);
        if (legend.includes('namespace') && legend.includes('logshipper')) assert.equal(s.metric['namespace'], ns, `panel "${panel}": ${JSON.stringify(s.metric)}`);
      }
    });
  }

  it('the states the test made show: lines shipped, one pod without the sidecar, one stale pod, an injection', async () => {
    assert.ok(prometheus);
    const value = async (expr: string): Promise<number> => {
      const result = await prometheus?.query(substituted(expr));
      return result?.resultType === 'vector' ? Number(result.result[0]?.value[1]) : Number.NaN;
    };
    const sidecarSelector = `{namespace="${ns}", logshipper="${SHIPPER}"}`;
    assert.ok(await value(`sum(logshipper_sink_events_drained_total${sidecarSelector})`) > 0);
    assert.equal(await value(`max(logshipper_operator_uninjected_pods${sidecarSelector})`), 1);
    await assertExported(prometheus, 'Stale pods', 'logshipper_operator_stale_pods');
    await eventually('one stale pod', 30_000, async () => ((await value(`max(logshipper_operator_stale_pods${sidecarSelector})`)) === 1 ? true : undefined));
    assert.ok(await value('sum(logshipper_operator_injections_total{result="injected"})') >= 1);
  });
});
