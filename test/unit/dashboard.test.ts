// The chart's Grafana dashboard is generated from build/dashboard.ts: the checked-in JSON must be
// exactly what the source generates now, and each query must be able to fill its legend.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { COMMAND, DASHBOARD_PATH, SOURCE, dashboard, dashboardJson } from '../../build/dashboard.ts';
import { dashboardTargets, legendLabels } from '../helpers/dashboard.ts';

const ROOT = new URL('../../', import.meta.url);

describe(`the Grafana dashboard generated from ${SOURCE}`, () => {
  it(`${DASHBOARD_PATH} is up to date`, () => {
    assert.ok(readFileSync(new URL(DASHBOARD_PATH, ROOT), 'utf8') === dashboardJson(), `${DASHBOARD_PATH} differs from what ${SOURCE} generates: run \`${COMMAND}\` (and edit ${SOURCE}, not the JSON)`);
  });

  it('is valid JSON that reads back as the dashboard', () => {
    assert.deepEqual(JSON.parse(dashboardJson()), dashboard());
  });

  it('every panel has a unique title, a description and queries; panels tile the grid without overlap', () => {
    const panels = (dashboard()['panels'] as { type: string; title: string; description?: string; targets?: unknown[]; gridPos: { x: number; y: number; w: number; h: number } }[]);
    const shown = panels.filter((p) => p.type !== 'row');
    assert.equal(new Set(shown.map((p) => p.title)).size, shown.length);
    for (const p of shown) {
      assert.ok((p.description ?? '') !== '', `${p.title}: a description`);
      assert.ok((p.targets ?? []).length > 0, `${p.title}: queries`);
    }
    const cells = new Set<string>();
    for (const p of panels) {
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits in 24 columns`);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it("each legend names only labels its query keeps (its outermost `by (...)`), and each sidecar query selects $namespace and $logshipper", () => {
    for (const { panel, target } of dashboardTargets(dashboard())) {
      const kept = /^(?:topk\(\d+, )?(?:histogram_quantile\([\d.]+, )?(?:sum|max|min) by \(([^)]*)\)/.exec(target.expr)?.[1]?.split(', ') ?? [];
      for (const label of legendLabels(target.legendFormat)) assert.ok(kept.includes(label), `${panel}: legend label ${label} is not kept by ${target.expr}`);
      if (!target.expr.includes('logshipper_operator_') || target.expr.includes('logshipper=')) {
        assert.match(target.expr, /namespace=~"\$namespace", logshipper=~"\$logshipper"/, `${panel}: ${target.expr}`);
      }
    }
  });
});
