// The chart's alerts against a real Prometheus: one agent (the configuration the operator renders)
// and one operator process (its webhook registered with the real apiserver), scraped with the labels
// the chart's PodMonitor and ServiceMonitor give their series, the PrometheusRule rendered with short
// `for` durations and thresholds. Healthy, no alert is pending or firing; then each bad state is
// made for real and its alert must fire, naming the pod or LogShipper.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { eventually, kubeConfig, unique } from '../env/testing.ts';
import { freePorts } from '../env/ports.ts';
import { brokers, createTopic, deleteTopics, waitForRecords } from '../helpers/kafka.ts';
import { httpPort, startAgent, type RunningAgent } from '../helpers/agent.ts';
import { renderedAgentConfig } from '../helpers/rendered-agent.ts';
import { startPrometheus, type Alert, type PrometheusServer } from '../helpers/prometheus.ts';
import { monitorJobs, renderPrometheusRules, type RenderedRules } from '../helpers/prometheus-rules.ts';
import { AGENT_NAME } from '../../operator/sidecar-layout.ts';
import { INJECT_ANNOTATION, INJECT_LABEL, INJECTED_LABEL } from '../../operator/inject.ts';
import { WEBHOOK_PATH } from '../../operator/webhook.ts';
import type { LogShipperSpec } from '../../operator/crd-types.ts';
import { createNamespace, deleteNamespace, installCrd, localWebhookArgs, localWebhookConfiguration, Shippers, startOperator, type OperatorProcess } from './operator/helpers.ts';

const SHIPPER = 'app';
/** The pod the agent stands for (the static target's labels; the pod object exists, injected). */
const POD = 'web-1';
const OPERATOR_POD = 'logshipper-operator-0';
/** Short enough that each alert fires within seconds of its state (scrapes and evaluations every second). */
const SHORT = {
  sinkBackoff: { for: '2s' },
  fileLag: { bytes: 1000, window: '15s', for: '2s' },
  // 5 % of 2,000 events: filled within a second of the sink stopping, while the source still reads (so the lag grows too).
  channelFull: { ratio: 0.05, for: '2s' },
  recordsOversized: { window: '1m' },
  filesRefused: { window: '1m' },
  configReload: { window: '1m', for: '0s' },
  admissionErrors: { window: '1m' },
  podsWithoutSidecar: { for: '2s' },
  stalePods: { for: '2s' },
  certificateExpiry: { days: 14 },
  targetDown: { for: '2s' },
};
const rulesFor = (alerts: Record<string, unknown>): Promise<RenderedRules> => renderPrometheusRules({ metrics: { prometheusRule: { alerts } } });

function appPod(name: string, asks: string, optIn = true): V1Pod {
  return {
    metadata: { name, labels: optIn ? { [INJECT_LABEL.key]: INJECT_LABEL.value } : {}, annotations: { [INJECT_ANNOTATION]: asks } },
    spec: { containers: [{ name: 'web', image: 'busybox:1.36' }], volumes: [{ name: 'logs', emptyDir: {} }] },
  };
}

/** POSTs `body` to the webhook as the apiserver would (TLS; its certificate is not checked here). */
async function postToWebhook(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: WEBHOOK_PATH, method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('alerts against a real Prometheus, a real agent and a real operator', () => {
  const ns = unique('lship-mon');
  const webhookConfig = `${ns}-inject`;
  const topic = unique('mon');
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-mon-'));
  const conf = join(dir, 'agent.properties');
  const logFile = join(dir, 'volume', 'app.log');
  let kc: KubeConfig;
  let core: CoreV1Api;
  let admission: AdmissionregistrationV1Api;
  let shippers: Shippers;
  let operator: OperatorProcess | undefined;
  let agent: RunningAgent | undefined;
  let prometheus: PrometheusServer | undefined;
  let webhookPort = 0;

  const shipperSpec = (lingerMs: number): LogShipperSpec => ({ volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['kafka:9092'], topic, lingerMs } });
  /** The agent's configuration as the operator renders it, to `broker`: a 1 KiB record limit, short Kafka timeouts. */
  const agentConfig = (broker: string): string => renderedAgentConfig({
    volume: 'logs', files: [{ path: '*.log' }], channel: { capacity: 2000 },
    kafka: { brokers: [broker], topic, lingerMs: 5, batchSize: 20 },
    extraProperties: [{ name: 'sink.kafka.producer.max.request.size', value: '1024' }, { name: 'sink.kafka.producer.request.timeout.ms', value: '2000' }],
  }, { namespace: ns, name: SHIPPER }, dir).text;
  /** Replaces the configuration file at once (the agent reloads it on change) and waits for the reload's outcome. */
  const reconfigure = async (text: string, outcome: 'configuration reloaded' | 'new configuration refused; the running one stays'): Promise<void> => {
    assert.ok(agent);
    const seen = agent.logs.filter((l) => l['msg'] === outcome).length;
    writeFileSync(`${conf}.new`, text);
    renameSync(`${conf}.new`, conf);
    await eventually(outcome, 30_000, () => Promise.resolve(agent?.logs.filter((l) => l['msg'] === outcome).length === seen + 1 ? true : undefined));
  };

  const active = async (): Promise<Alert[]> => (await prometheus?.alerts()) ?? [];
  const firing = async (alertname: string, labels: Record<string, string>, timeoutMs = 90_000): Promise<Alert> =>
    eventually(`alert ${alertname} ${JSON.stringify(labels)} firing`, timeoutMs, async () =>
      (await active()).find((a) => a.state === 'firing' && a.labels['alertname'] === alertname && Object.entries(labels).every(([k, v]) => a.labels[k] === v)));

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    admission = kc.makeApiClient(AdmissionregistrationV1Api);
    await installCrd(kc);
    await createNamespace(kc, ns);
    shippers = new Shippers(kc, ns);
    await createTopic(topic);
    [webhookPort = 0] = await freePorts(1);
    await admission.createMutatingWebhookConfiguration({ body: localWebhookConfiguration(webhookConfig, webhookPort, ns) });
    operator = startOperator(ns, 'mon', [...localWebhookArgs(webhookPort, ns, webhookConfig), '--webhook-cert-check-interval', '1s']);
    await operator.waitForLog('caches synced', (l) => l['msg'] === 'caches synced; reconciling');
    await operator.waitForLog('webhook listening', (l) => l['msg'] === 'webhook listening');
  });

  after(async () => {
    agent?.process.kill('SIGKILL');
    await operator?.stop();
    await prometheus?.stop();
    await admission.deleteMutatingWebhookConfiguration({ name: webhookConfig }).catch(() => undefined);
    await deleteNamespace(kc, ns);
    await deleteTopics([topic]);
  });

  it('healthy: no alert; then each bad state fires its alert (sidecar: oversize, refused file, refused reload, dead broker; operator: unanswerable request, failed injection, pod without the sidecar, stale pod, certificate; both down)', { timeout: 600_000 }, async () => {
    assert.ok(operator);
    const started = Date.now();
    // The LogShipper, Ready; its pod injected with the current configuration.
    await shippers.create(SHIPPER, shipperSpec(5));
    await shippers.waitReady(SHIPPER, 'True');
    await eventually('the webhook to inject', 30_000, async () => {
      const probe = await core.createNamespacedPod({ namespace: ns, body: appPod('probe', SHIPPER), dryRun: 'All' });
      return probe.metadata?.labels?.[INJECTED_LABEL] === SHIPPER ? true : undefined;
    });
    const injected = await core.createNamespacedPod({ namespace: ns, body: appPod(POD, SHIPPER) });
    assert.equal(injected.metadata?.labels?.[INJECTED_LABEL], SHIPPER);
    await eventually('injectedPods 1, currentPods 1', 30_000, async () => {
      const status = (await shippers.get(SHIPPER)).status;
      return status?.injectedPods === 1 && status.currentPods === 1 ? true : undefined;
    });

    // The agent of that pod, delivering.
    mkdirSync(join(dir, 'volume'));
    writeFileSync(logFile, '');
    writeFileSync(conf, agentConfig(brokers().split(',')[0] ?? ''));
    agent = startAgent(conf, AGENT_NAME);
    const agentPort = await httpPort(agent);
    const healthyLines = Array.from({ length: 20 }, (_, i) => `healthy ${String(i)}`);
    appendFileSync(logFile, healthyLines.join('\n') + '\n');
    await waitForRecords(topic, healthyLines.length);

    // Prometheus scraping both as the chart's monitors label them.
    const jobs = await monitorJobs();
    const rules = await rulesFor(SHORT);
    const sidecarLabels = { namespace: ns, pod: POD, container: AGENT_NAME, logshipper: SHIPPER };
    const operatorLabels = { namespace: ns, pod: OPERATOR_POD, service: 'logshipper-webhook' };
    prometheus = await startPrometheus({
      name: 'mon', ruleFiles: [rules.file],
      scrapeConfigs: [
        { job_name: jobs.sidecar, static_configs: [{ targets: [`127.0.0.1:${String(agentPort)}`], labels: sidecarLabels }] },
        // honor_labels as the ServiceMonitor sets it: the per-LogShipper series keep their namespace.
        { job_name: jobs.operator, honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${String(await operator.port())}`], labels: operatorLabels }] },
      ],
    });
    await prometheus.waitForTarget({ job: jobs.sidecar });
    await prometheus.waitForTarget({ job: jobs.operator });

    // Healthy: 15 s of scrapes (far beyond every `for`) and every rule evaluating without error, none pending or firing.
    await eventually('15 s of samples of both targets', 60_000, async () => {
      const result = await prometheus?.query(`min(count_over_time(up[15s])) >= 14 and count(up == 1) == 2`);
      return result?.resultType === 'vector' && result.result.length === 1 ? true : undefined;
    });
    const groups = await prometheus.rules();
    const evaluated = groups.flatMap((g) => g.rules);
    assert.deepEqual(evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`), []);
    assert.deepEqual(evaluated.map((r) => r.name).sort(), [...rules.alerts].sort());
    assert.deepEqual((await active()).map((a) => `${a.labels['alertname'] ?? ''} ${a.state}`), [], 'no alert on the healthy agent and operator');
    const healthyAt = Date.now();

    // Operator side. A request that is no AdmissionReview: answered 400, counted.
    assert.equal(await postToWebhook(webhookPort, '{"not": "a review'), 400);
    // A pod asking for a LogShipper that does not exist: admitted without the sidecar (failurePolicy Ignore).
    await core.createNamespacedPod({ namespace: ns, body: appPod('ghost', 'missing') });
    // A pod asking for the LogShipper without the opt-in label: never sent to the webhook, runs without the sidecar.
    await core.createNamespacedPod({ namespace: ns, body: appPod('unlabelled', SHIPPER, false) });
    // A change of the LogShipper: web-1 now runs the older configuration.
    await shippers.replaceSpec(SHIPPER, shipperSpec(10));

    // Sidecar side. A line over the 1 KiB record limit (truncated), and a symlink out of the volume (refused).
    appendFileSync(logFile, `${randomBytes(1500).toString('hex')}\n`);
    symlinkSync('/etc/hostname', join(dir, 'volume', 'escape.log'));
    const sidecar = { job: jobs.sidecar, ...sidecarLabels };
    const operatorTarget = { job: jobs.operator, ...operatorLabels };
    const fired: Alert[] = [];
    fired.push(await firing('LogshipperRecordsOversized', { ...sidecar, sink: 'kafka' }));
    fired.push(await firing('LogshipperFilesRefused', { ...sidecar, source: 'files', reason: 'outside' }));
    fired.push(await firing('LogshipperWebhookAdmissionErrors', { ...operatorTarget, reason: 'invalid_json' }));
    fired.push(await firing('LogshipperInjectionFailures', { ...operatorTarget, result: 'failed', reason: 'LogShipperNotFound' }));
    fired.push(await firing('LogshipperPodsWithoutSidecar', { namespace: ns, logshipper: SHIPPER }));
    fired.push(await firing('LogshipperStalePods', { namespace: ns, logshipper: SHIPPER }));

    // A configuration file the agent refuses; then a valid one naming a broker nobody listens on, while lines keep coming.
    await reconfigure(`${agentConfig(brokers().split(',')[0] ?? '')}\nlogshipper.sinks.kafka.flumeBatchSize = many\n`, 'new configuration refused; the running one stays');
    fired.push(await firing('LogshipperConfigReloadFailing', sidecar));
    const [deadPort = 0] = await freePorts(1);
    await reconfigure(agentConfig(`127.0.0.1:${String(deadPort)}`), 'configuration reloaded');
    let written = 0;
    const writer = setInterval(() => {
      appendFileSync(logFile, Array.from({ length: 20 }, () => `while down ${String(written++)}`).join('\n') + '\n');
    }, 200);
    try {
      fired.push(await firing('LogshipperSinkBackoff', { ...sidecar, sink: 'kafka' }));
      fired.push(await firing('LogshipperChannelFull', { ...sidecar, channel: 'memory' }));
      fired.push(await firing('LogshipperFileLagGrowing', { ...sidecar, source: 'files', file: logFile }));
    } finally {
      clearInterval(writer);
    }

    // The operator's real certificate (a year) crosses a 400-day threshold: the rule file rewritten, Prometheus reloaded (SIGHUP).
    copyFileSync((await rulesFor({ ...SHORT, certificateExpiry: { days: 400 } })).file, rules.file);
    prometheus.process.kill('SIGHUP');
    fired.push(await firing('LogshipperWebhookCertificateExpiry', operatorTarget));

    // Both processes gone: their targets down.
    agent.process.kill('SIGKILL');
    fired.push(await firing('LogshipperSidecarDown', sidecar));
    await operator.stop('SIGKILL');
    fired.push(await firing('LogshipperOperatorDown', operatorTarget));

    // Every alert fired, with texts that name the pod or the LogShipper and a runbook.
    assert.deepEqual([...new Set(fired.map((a) => a.labels['alertname']))].sort(), [...rules.alerts].sort());
    for (const alert of fired) {
      const name = alert.labels['alertname'] ?? '';
      const names = [`${ns}/${POD}`, `${ns}/${OPERATOR_POD}`, `namespace ${ns} ask for LogShipper ${SHIPPER}`, `LogShipper ${ns}/${SHIPPER}`];
      assert.ok(names.some((text) => alert.annotations['description']?.includes(text) === true), `${name}: ${alert.annotations['description'] ?? ''}`);
      assert.match(alert.annotations['runbook_url'] ?? '', new RegExp(`#${name.toLowerCase()}$`));
    }
    console.log(`healthy phase ${String(Math.round((healthyAt - started) / 1000))} s, all ${String(fired.length)} alerts fired ${String(Math.round((Date.now() - healthyAt) / 1000))} s later`);
  });
});
