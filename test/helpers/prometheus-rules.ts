// The chart's PrometheusRule as a plain Prometheus rule file (what `rule_files` and promtool read),
// and the job labels the chart's monitors give the series, so tests that run a Prometheus with
// static targets scrape under the names the alerts select.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { CHART, helm, only, parseObjects, valuesFile, type K8sObject } from './chart.ts';

/** One rule of a group, as Prometheus reads it. */
export interface PrometheusRuleSpec {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: PrometheusRuleSpec[];
}

export interface RenderedRules {
  /** The rule file (YAML, `groups:`). */
  file: string;
  groups: RuleGroup[];
  /** Alert names, in the file's order. */
  alerts: string[];
}

const RELEASE = 'logshipper';

/** Values merged over `values` so that the chart renders its monitoring objects whatever the cluster serves. */
function forced(values: Record<string, unknown>, objects: string[]): Record<string, unknown> {
  const metrics = { ...(values['metrics'] as Record<string, Record<string, unknown>> | undefined) };
  for (const object of objects) metrics[object] = { ...metrics[object], enabled: true, force: true };
  return { ...values, metrics };
}

async function render(values: Record<string, unknown>, release: string, objects: string[]): Promise<K8sObject[]> {
  const shown = objects.flatMap((object) => ['--show-only', `templates/${object.toLowerCase()}.yaml`]);
  return parseObjects(await helm(['template', release, CHART, '--namespace', 'default', '-f', valuesFile(forced(values, objects)), ...shown]));
}

/**
 * `helm template` of the chart's PrometheusRule with `values` (metrics.prometheusRule.alerts for
 * shorter `for`/thresholds; enabled and force are set here), written as a rule file in a temp dir.
 */
export async function renderPrometheusRules(values: Record<string, unknown> = {}, release = RELEASE): Promise<RenderedRules> {
  const rule = only(await render(values, release, ['prometheusRule']), 'PrometheusRule');
  const groups = (rule['spec'] as { groups: RuleGroup[] }).groups;
  const file = join(mkdtempSync(join(tmpdir(), 'logshipper-rules-')), 'logshipper.rules.yaml');
  writeFileSync(file, yaml.dump({ groups }, { lineWidth: -1 }));
  return { file, groups, alerts: groups.flatMap((g) => g.rules.flatMap((r) => (r.alert === undefined ? [] : [r.alert]))) };
}

interface Relabeling {
  targetLabel?: string;
  replacement?: string;
}

/** The `job` label a monitor's relabelings set. */
function jobOf(monitor: K8sObject, endpoints: string): string {
  const [endpoint] = (monitor['spec'] as Record<string, { relabelings?: Relabeling[] }[]>)[endpoints] ?? [];
  const job = endpoint?.relabelings?.find((r) => r.targetLabel === 'job')?.replacement;
  if (job === undefined) throw new Error(`${monitor.kind} ${monitor.metadata.name}: no relabeling sets the job label`);
  return job;
}

/** The job labels of the operator's series (ServiceMonitor) and the sidecars' (PodMonitor) for `release`. */
export async function monitorJobs(release = RELEASE): Promise<{ operator: string; sidecar: string }> {
  const objects = await render({}, release, ['serviceMonitor', 'podMonitor']);
  return { operator: jobOf(only(objects, 'ServiceMonitor'), 'endpoints'), sidecar: jobOf(only(objects, 'PodMonitor'), 'podMetricsEndpoints') };
}
