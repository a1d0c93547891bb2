// Reading the chart's Grafana dashboard (build/dashboard.ts generates it): its queries, with the
// legend labels each must deliver, for the unit test and the real-Prometheus test.
import type { Target } from '../../build/dashboard.ts';

export interface PanelTarget {
  /** The panel's title. */
  panel: string;
  target: Target;
}

interface PanelJson { type: string; title: string; targets?: Target[] }

/** Every query of every panel, in the dashboard's order. */
export function dashboardTargets(dashboard: Record<string, unknown>): PanelTarget[] {
  const panels = dashboard['panels'] as PanelJson[];
  return panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, target })));
}

/** The labels a legend format shows (`{{namespace}}/{{pod}}` -> namespace, pod). */
export function legendLabels(legendFormat: string): string[] {
  return [...legendFormat.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? '');
}
