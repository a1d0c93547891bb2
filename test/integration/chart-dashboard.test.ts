// The chart's Grafana dashboard ConfigMap (metrics.grafanaDashboard), rendered by the real helm:
// absent by default; when enabled, labelled for Grafana's sidecar and carrying the dashboard
// file byte for byte, as valid JSON.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART, helmRun, only, template, valuesFile } from '../helpers/chart.ts';
import { DASHBOARD_PATH } from '../../build/dashboard.ts';

const NS = 'shop-system';
const ROOT = new URL('../../', import.meta.url).pathname;

describe('helm chart: metrics.grafanaDashboard', () => {
  it('off by default: no dashboard ConfigMap', async () => {
    const objects = await template('shop', NS);
    assert.deepEqual(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name), []);
  });

  it("enabled: a ConfigMap with the sidecar's label, in the release's namespace, holding the dashboard JSON", async () => {
    const map = only(await template('shop', NS, { metrics: { grafanaDashboard: { enabled: true } } }), 'ConfigMap');
    assert.equal(map.metadata.name, 'shop-logshipper-dashboard');
    assert.equal(map.metadata.namespace, NS);
    const labels = map.metadata.labels ?? {};
    assert.equal(labels['grafana_dashboard'], '1');
    assert.equal(labels['app.kubernetes.io/instance'], 'shop');
    assert.equal(map.metadata.annotations, undefined);
    const data = map['data'] as Record<string, string>;
    assert.deepEqual(Object.keys(data), ['logshipper.json']);
    const text = data['logshipper.json'] ?? '';
    assert.equal(`${text}\n`, readFileSync(join(ROOT, DASHBOARD_PATH), 'utf8'), 'the file, byte for byte');
    const dashboard = JSON.parse(text) as { uid: string; panels: unknown[] };
    assert.equal(dashboard.uid, 'logshipper');
    assert.ok(dashboard.panels.length > 10);
  });

  it("labels, annotations (a folder) and namespace as given; the default label removed with null (helm merges maps)", async () => {
    const map = only(await template('shop', NS, {
      metrics: { grafanaDashboard: { enabled: true, labels: { 'grafana.example/dashboard': 'logs', grafana_dashboard: null }, annotations: { grafana_folder: 'Logging' }, namespace: 'monitoring' } },
    }), 'ConfigMap');
    assert.equal(map.metadata.namespace, 'monitoring');
    const labels = map.metadata.labels ?? {};
    assert.equal(labels['grafana.example/dashboard'], 'logs');
    assert.equal(labels['grafana_dashboard'], undefined);
    assert.deepEqual(map.metadata.annotations, { grafana_folder: 'Logging' });
  });

  it('a wrong value fails naming it (values.schema.json)', async () => {
    for (const [values, message] of [
      [{ metrics: { grafanaDashboard: { enabeld: true } } }, /grafanaDashboard.*'enabeld' not allowed/],
      [{ metrics: { grafanaDashboard: { labels: { grafana_dashboard: 1 } } } }, /grafanaDashboard\/labels\/grafana_dashboard/],
    ] as const) {
      const result = await helmRun(['template', 'shop', CHART, '--namespace', NS, '-f', valuesFile(values)]);
      assert.notEqual(result.code, 0, `${JSON.stringify(values)} should fail`);
      assert.match(result.stderr, message, result.stderr);
    }
  });
});
