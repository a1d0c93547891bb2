// The chart's Prometheus Operator objects: off by default, off without the monitoring.coreos.com/v1
// CRDs unless forced, what each scrapes and selects; and the PrometheusRule's alerts through the
// real promtool: `check rules`, and `test rules` per alert (fires on the bad series, quiet on the
// good one) with the chart's default thresholds.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { CHART, ROOT, helm, only, parseObjects, valuesFile, type K8sObject } from '../helpers/chart.ts';
import { requireEnv } from '../helpers/env.ts';
import { monitorJobs, renderPrometheusRules, type PrometheusRuleSpec, type RenderedRules } from '../helpers/prometheus-rules.ts';
import { HTTP_PORT_NAME, INJECTED_LABEL } from '../../operator/inject.ts';

const run = promisify(execFile);
const MONITORING_API = 'monitoring.coreos.com/v1';
const MONITOR_KINDS = ['PodMonitor', 'PrometheusRule', 'ServiceMonitor'];
const ALL_ON = { metrics: { serviceMonitor: { enabled: true }, podMonitor: { enabled: true }, prometheusRule: { enabled: true } } };

async function render(values: Record<string, unknown>, extra: string[] = []): Promise<K8sObject[]> {
  return parseObjects(await helm(['template', 'logshipper', CHART, '--namespace', 'logshipper-system', '-f', valuesFile(values), ...extra]));
}

const monitoringKinds = (objects: K8sObject[]): string[] => objects.filter((o) => o.apiVersion === MONITORING_API).map((o) => o.kind).sort();

describe('chart monitoring objects', () => {
  it('off by default, even with the Prometheus Operator CRDs served', async () => {
    assert.deepEqual(monitoringKinds(await render({}, ['--api-versions', MONITORING_API])), []);
  });

  it('enabled without the CRDs: not rendered; with the CRDs (--api-versions) or force: rendered, each alone by its value', async () => {
    assert.deepEqual(monitoringKinds(await render(ALL_ON)), []);
    assert.deepEqual(monitoringKinds(await render(ALL_ON, ['--api-versions', MONITORING_API])), MONITOR_KINDS);
    for (const [value, kind] of [['serviceMonitor', 'ServiceMonitor'], ['podMonitor', 'PodMonitor'], ['prometheusRule', 'PrometheusRule']] as const) {
      assert.deepEqual(monitoringKinds(await render({ metrics: { [value]: { enabled: true } } }, ['--api-versions', MONITORING_API])), [kind], value);
      assert.deepEqual(monitoringKinds(await render({ metrics: { [value]: { enabled: true, force: true } } })), [kind], `${value} forced`);
      assert.deepEqual(monitoringKinds(await render({ metrics: { [value]: { enabled: false, force: true } } })), [], `${value} forced but not enabled`);
    }
  });

  it("ServiceMonitor: the operator Service's port metrics, selected by the chart's labels in the release namespace; interval, timeout, extra labels", async () => {
    const objects = await render({ metrics: { serviceMonitor: { enabled: true, force: true, interval: '15s', scrapeTimeout: '5s', labels: { release: 'kube-prom' } } } });
    const monitor = only(objects, 'ServiceMonitor');
    const service = only(objects, 'Service');
    const spec = monitor['spec'] as { namespaceSelector: unknown; selector: { matchLabels: Record<string, string> }; endpoints: Record<string, unknown>[] };
    assert.equal(monitor.metadata.namespace, 'logshipper-system');
    assert.equal(monitor.metadata.labels?.['release'], 'kube-prom');
    assert.deepEqual(spec.namespaceSelector, { matchNames: ['logshipper-system'] });
    for (const [key, value] of Object.entries(spec.selector.matchLabels)) assert.equal(service.metadata.labels?.[key], value, `the Service carries ${key}`);
    const ports = ((service['spec'] as { ports: { name: string }[] }).ports).map((p) => p.name);
    assert.ok(ports.includes('metrics'), `the Service has a port metrics (${ports.join(', ')})`);
    assert.deepEqual(spec.endpoints, [{
      port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '5s', honorLabels: true,
      relabelings: [{ targetLabel: 'job', replacement: 'logshipper-operator' }],
    }]);
  });

  it('PodMonitor: pods with the injected label in any namespace (one watched namespace: that one), the sidecar port, the label logshipper from the pod label', async () => {
    const objects = await render({ metrics: { podMonitor: { enabled: true, force: true, labels: { team: 'obs' } } } });
    const monitor = only(objects, 'PodMonitor');
    const spec = monitor['spec'] as { namespaceSelector: unknown; selector: unknown; podMetricsEndpoints: Record<string, unknown>[] };
    assert.equal(monitor.metadata.labels?.['team'], 'obs');
    assert.deepEqual(spec.namespaceSelector, { any: true });
    assert.deepEqual(spec.selector, { matchExpressions: [{ key: INJECTED_LABEL, operator: 'Exists' }] });
    // Prometheus's pod label meta name: every character not valid in a label name becomes _.
    const metaLabel = `__meta_kubernetes_pod_label_${INJECTED_LABEL.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    assert.deepEqual(spec.podMetricsEndpoints, [{
      port: HTTP_PORT_NAME, path: '/metrics', interval: '30s', scrapeTimeout: '10s',
      relabelings: [{ sourceLabels: [metaLabel], targetLabel: 'logshipper' }, { targetLabel: 'job', replacement: 'logshipper-sidecar' }],
    }]);
    const scoped = only(await render({ operator: { watchNamespace: 'shop' }, metrics: { podMonitor: { enabled: true, force: true } } }), 'PodMonitor');
    assert.deepEqual((scoped['spec'] as { namespaceSelector: unknown }).namespaceSelector, { matchNames: ['shop'] });
  });

  it('PrometheusRule: every alert has a severity, a summary, a description naming the pod or LogShipper, a runbook_url to its README anchor; thresholds and durations from values', async () => {
    const rendered = await renderPrometheusRules({ metrics: { prometheusRule: { runbookBaseUrl: 'https://docs.example/logshipper', labels: { role: 'alerts' }, alerts: { sinkBackoff: { for: '7m' }, channelFull: { ratio: 0.8, for: '2m' }, certificateExpiry: { days: 3 } } } } });
    const rule = only(await render({ metrics: { prometheusRule: { enabled: true, force: true, labels: { role: 'alerts' } } } }), 'PrometheusRule');
    assert.equal(rule.metadata.labels?.['role'], 'alerts');
    const anchors = new Set([...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/^#### (Logshipper\w+)$/gm)].map((m) => (m[1] ?? '').toLowerCase()));
    const rules = rendered.groups.flatMap((g) => g.rules);
    assert.ok(rules.length >= 12, `${String(rules.length)} alerts`);
    for (const r of rules) {
      const name = r.alert ?? '';
      assert.match(name, /^Logshipper[A-Z]\w+$/);
      assert.ok(['info', 'warning', 'critical'].includes(r.labels?.['severity'] ?? ''), `${name} severity`);
      assert.ok((r.annotations?.['summary'] ?? '') !== '', `${name} summary`);
      assert.match(r.annotations?.['description'] ?? '', /\{\{ \$labels\.(pod|logshipper) \}\}/, `${name} description names the pod or LogShipper`);
      assert.equal(r.annotations?.['runbook_url'], `https://docs.example/logshipper#${name.toLowerCase()}`);
      assert.ok(anchors.has(name.toLowerCase()), `README has a runbook heading "#### ${name}"`);
    }
    const byName = (name: string): PrometheusRuleSpec | undefined => rules.find((r) => r.alert === name);
    assert.equal(byName('LogshipperSinkBackoff')?.for, '7m');
    assert.equal(byName('LogshipperChannelFull')?.expr, 'logshipper_channel_fill_ratio >= 0.8');
    assert.match(byName('LogshipperWebhookCertificateExpiry')?.expr ?? '', / < 3 \* 86400$/);
  });

  it('a wrong monitoring value fails with a message naming it (values.schema.json)', async () => {
    const result = await helm(['template', 'logshipper', CHART, '-f', valuesFile({ metrics: { prometheusRule: { alerts: { sinkBackoff: { for: 'five minutes' } } } } })]).then(() => '', (error: unknown) => (error as Error).message);
    assert.match(result, /\/metrics\/prometheusRule\/alerts\/sinkBackoff\/for': 'five minutes' does not match/);
  });
});

/** One alert's promtool unit test: series at 1m steps, the alert expected at evalTime (labels and annotations as Prometheus renders them), and series it must stay quiet on. */
interface AlertCase {
  alert: string;
  bad: Record<string, string>;
  evalTime: string;
  /** The firing alert's labels besides alertname. */
  labels: Record<string, string>;
  /** What `{{ $value ... }}` in the annotations renders to (keyed by the template action). */
  value?: Record<string, string>;
  good: Record<string, string>[];
}

const SIDECAR = { namespace: 'shop', pod: 'web-1', container: 'logshipper', logshipper: 'app', instance: '10.0.0.5:8081' };
const OPERATOR = { namespace: 'logshipper-system', pod: 'logshipper-7f9-abc', service: 'logshipper-webhook', instance: '10.0.0.9:8080' };

function series(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}

function cases(jobs: { operator: string; sidecar: string }): AlertCase[] {
  const sidecar = { ...SIDECAR, job: jobs.sidecar };
  const operator = { ...OPERATOR, job: jobs.operator };
  const sink = { ...sidecar, sink: 'kafka' };
  const file = { ...sidecar, source: 'files', file: '/var/log/app/app.log' };
  const channel = { ...sidecar, channel: 'mem' };
  const refused = { ...sidecar, source: 'files', reason: 'outside' };
  const oversized = series('logshipper_sink_records_oversized_total', sink);
  const reloadFailures = series('logshipper_config_reloads_total', { ...sidecar, result: 'failure' });
  const lastReload = series('logshipper_config_last_reload_successful', sidecar);
  const injections = (result: string, reason: string): string => series('logshipper_operator_injections_total', { ...operator, result, reason });
  const perShipper = { ...operator, namespace: 'shop', logshipper: 'app' };
  return [
    {
      alert: 'LogshipperSinkBackoff', bad: { [series('logshipper_sink_ready', sink)]: '1 0x10' }, evalTime: '10m',
      labels: { ...sink, severity: 'warning' },
      good: [{ [series('logshipper_sink_ready', sink)]: '1x10' }, { [series('logshipper_sink_ready', sink)]: '1 0 0 0 1 0 0 0 1 1 1' }],
    },
    {
      alert: 'LogshipperFileLagGrowing', bad: { [series('logshipper_file_lag_bytes', file)]: '20000000+1000000x30' }, evalTime: '30m',
      labels: { ...file, severity: 'warning' }, value: { '{{ $value | humanize1024 }}': '47.68Mi' },
      // A large lag that does not grow (a burst being worked off), and an idle file.
      good: [{ [series('logshipper_file_lag_bytes', file)]: '50000000-100000x30' }, { [series('logshipper_file_lag_bytes', file)]: '0x30' }],
    },
    {
      alert: 'LogshipperChannelFull', bad: { [series('logshipper_channel_fill_ratio', channel)]: '0.95x10' }, evalTime: '10m',
      labels: { ...channel, severity: 'warning' }, value: { '{{ $value | humanizePercentage }}': '95%' },
      good: [{ [series('logshipper_channel_fill_ratio', channel)]: '0.5x10' }, { [series('logshipper_channel_fill_ratio', channel)]: '0.95 0.95 0 0 0 0 0 0 0 0 0' }],
    },
    {
      alert: 'LogshipperRecordsOversized', bad: { [oversized]: '0 0 0 1 1 1' }, evalTime: '5m',
      labels: { ...sink, severity: 'warning' },
      good: [{ [oversized]: '0x30' }],
    },
    {
      // The labelled counter is born at 1 (its first refusal): increase() alone would not see it.
      alert: 'LogshipperFilesRefused', bad: { [series('logshipper_source_files_refused_total', refused)]: '_ _ 1 1' }, evalTime: '3m',
      labels: { ...refused, severity: 'warning' },
      good: [{ [series('logshipper_source_files_refused_total', refused)]: '0x30' }],
    },
    {
      alert: 'LogshipperConfigReloadFailing', bad: { [lastReload]: '1 1 0 0', [reloadFailures]: '0 0 1 1' }, evalTime: '3m',
      labels: { ...sidecar, severity: 'warning' },
      good: [{ [lastReload]: '1x30', [reloadFailures]: '0x30' }],
    },
    {
      alert: 'LogshipperSidecarDown', bad: { [series('up', sidecar)]: '1 0x10' }, evalTime: '10m',
      labels: { ...sidecar, severity: 'warning' },
      good: [{ [series('up', sidecar)]: '1x10' }, { [series('up', { ...operator })]: '0x10' }],
    },
    {
      alert: 'LogshipperWebhookAdmissionErrors', bad: { [series('logshipper_operator_admission_errors_total', { ...operator, reason: 'invalid_json' })]: '_ _ 1 1' }, evalTime: '3m',
      labels: { ...operator, reason: 'invalid_json', severity: 'warning' },
      good: [{ [injections('injected', '')]: '0+5x20', [injections('skipped', 'NotRequested')]: '0+20x20' }],
    },
    {
      alert: 'LogshipperInjectionFailures', bad: { [injections('failed', 'LogShipperNotReady')]: '_ _ 1 2' }, evalTime: '3m',
      labels: { ...operator, result: 'failed', reason: 'LogShipperNotReady', severity: 'warning' },
      good: [{ [injections('injected', '')]: '0+5x20', [injections('skipped', 'AlreadyInjected')]: '0+1x20' }],
    },
    {
      alert: 'LogshipperPodsWithoutSidecar', bad: { [series('logshipper_operator_uninjected_pods', perShipper)]: '2x10' }, evalTime: '10m',
      labels: { namespace: 'shop', logshipper: 'app', severity: 'critical' }, value: { '{{ $value }}': '2' },
      good: [{ [series('logshipper_operator_uninjected_pods', perShipper)]: '0x10' }, { [series('logshipper_operator_uninjected_pods', perShipper)]: '1 1 0x10' }],
    },
    {
      alert: 'LogshipperStalePods', bad: { [series('logshipper_operator_stale_pods', perShipper)]: '3x70' }, evalTime: '70m',
      labels: { namespace: 'shop', logshipper: 'app', severity: 'info' }, value: { '{{ $value }}': '3' },
      // Stale during a rollout that renews them.
      good: [{ [series('logshipper_operator_stale_pods', perShipper)]: '3x20 0x50' }],
    },
    {
      // promtool's clock starts at 0: a certificate expiring at 10 days, evaluated at 1m.
      alert: 'LogshipperWebhookCertificateExpiry', bad: { [series('logshipper_operator_webhook_certificate_expiry_timestamp_seconds', operator)]: '864000x5' }, evalTime: '1m',
      labels: { ...operator, severity: 'warning' }, value: { '{{ $value | humanizeDuration }}': '9d 23h 59m 0s' },
      // 100 days left; and the gauge's 0 of an operator without the webhook.
      good: [{ [series('logshipper_operator_webhook_certificate_expiry_timestamp_seconds', operator)]: '8640000x5' }, { [series('logshipper_operator_webhook_certificate_expiry_timestamp_seconds', operator)]: '0x5' }],
    },
    {
      alert: 'LogshipperOperatorDown', bad: { [series('up', operator)]: '1 0x10' }, evalTime: '10m',
      labels: { ...operator, severity: 'critical' },
      good: [{ [series('up', operator)]: '1x10' }, { [series('up', sidecar)]: '0x10' }],
    },
  ];
}

/** An annotation as Prometheus renders it for `labels`: `{{ $labels.x }}` and the case's `{{ $value ... }}` actions. */
function expand(template: string, labels: Record<string, string>, value: Record<string, string>, alert: string): string {
  return template.replace(/\{\{[^}]*\}\}/g, (action) => {
    const label = /^\{\{ \$labels\.(\w+) \}\}$/.exec(action)?.[1];
    if (label !== undefined) return labels[label] ?? '';
    const rendered = value[action];
    if (rendered === undefined) throw new Error(`${alert}: no expected rendering for ${action}`);
    return rendered;
  });
}

function promtoolTest(rules: RenderedRules, c: AlertCase): string {
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === c.alert);
  if (rule === undefined) throw new Error(`no alert ${c.alert} in the rendered rules`);
  const annotations = Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, expand(v, c.labels, c.value ?? {}, c.alert)]));
  const { severity, ...labels } = c.labels;
  const test = (input: Record<string, string>, expected: unknown[]): unknown => ({
    interval: '1m',
    input_series: Object.entries(input).map(([name, values]) => ({ series: name, values })),
    alert_rule_test: [{ eval_time: c.evalTime, alertname: c.alert, exp_alerts: expected }],
  });
  return yaml.dump({
    rule_files: [rules.file],
    evaluation_interval: '1m',
    tests: [
      test(c.bad, [{ exp_labels: { ...labels, severity }, exp_annotations: annotations }]),
      ...c.good.map((good) => test(good, [])),
    ],
  }, { lineWidth: -1 });
}

describe('PrometheusRule alerts through promtool', () => {
  let rules: RenderedRules;
  let jobs: { operator: string; sidecar: string };
  before(async () => {
    rules = await renderPrometheusRules();
    jobs = await monitorJobs();
  });

  it('promtool check rules: the rendered rule file is valid', async () => {
    const { stdout } = await run(requireEnv('PROMTOOL'), ['check', 'rules', rules.file]);
    assert.match(stdout, new RegExp(`SUCCESS: ${String(rules.alerts.length)} rules found`));
  });

  it('every alert has a promtool unit test', () => {
    assert.deepEqual(cases(jobs).map((c) => c.alert).sort(), [...rules.alerts].sort());
  });

  it('promtool test rules, per alert: fires (labels, annotations) on the bad series, stays quiet on the good ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-promtool-'));
    const failures: string[] = [];
    for (const c of cases(jobs)) {
      const file = join(dir, `${c.alert}.test.yaml`);
      writeFileSync(file, promtoolTest(rules, c));
      const result = await run(requireEnv('PROMTOOL'), ['test', 'rules', file]).then(() => undefined, (error: unknown) => {
        const e = error as { stdout?: string; stderr?: string };
        return `${c.alert} (${file}):\n${e.stdout ?? ''}${e.stderr ?? ''}`;
      });
      if (result !== undefined) failures.push(result);
    }
    assert.deepEqual(failures, []);
  });
});
