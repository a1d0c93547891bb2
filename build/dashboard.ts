// The Grafana dashboard the chart ships (charts/logshipper/dashboards/logshipper.json), as a pure
// function: panels are listed here row by row and laid out on Grafana's 24-column grid by
// layout(), so the JSON carries no hand-kept positions or ids. build/generate-dashboard.ts writes
// the file; test/unit/dashboard.test.ts checks the checked-in file equals it, and
// test/integration/dashboard-prometheus.test.ts runs every query against a real Prometheus.
//
// Series labels are the chart monitors' (README, "Monitoring"): sidecar series carry the pod's
// `namespace`, `pod` and `logshipper` (the LogShipper's name); the operator's series its own
// namespace and pod, except its per-LogShipper gauges, which carry the LogShipper's namespace.

export const DASHBOARD_PATH = 'charts/logshipper/dashboards/logshipper.json';
export const SOURCE = 'build/dashboard.ts';
export const COMMAND = 'npm run generate';

/** The selection of the two variables, on every sidecar series and per-LogShipper operator series. */
const SELECTED = 'namespace=~"$namespace", logshipper=~"$logshipper"';
const PER_LOGSHIPPER = 'namespace, logshipper';
const LEGEND = '{{namespace}}/{{logshipper}}';
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export interface Target {
  expr: string;
  legendFormat: string;
  /** Evaluated once over the dashboard's time range (stats, bar gauges), not as a series. */
  instant?: boolean;
}

interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'stat' | 'bargauge';
  unit: string;
  targets: Target[];
  /** Columns out of 24; default 12. */
  width?: number;
  max?: number;
  /** For stats: a value at or above this is red. */
  redFrom?: number;
}

interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

const rate = (metric: string, by = PER_LOGSHIPPER): string => `sum by (${by}) (rate(${metric}{${SELECTED}}[$__rate_interval]))`;

const ROWS: RowSpec[] = [
  {
    title: 'Overview',
    panels: [
      { title: 'Lines shipped', type: 'stat', unit: 'short', width: 4, description: 'Lines delivered to Kafka and acknowledged in the time range.', targets: [{ expr: `sum(increase(logshipper_sink_events_drained_total{${SELECTED}}[$__range]))`, legendFormat: 'lines', instant: true }] },
      { title: 'Bytes shipped', type: 'stat', unit: 'bytes', width: 4, description: 'Line bytes delivered to Kafka and acknowledged in the time range.', targets: [{ expr: `sum(increase(logshipper_sink_bytes_drained_total{${SELECTED}}[$__range]))`, legendFormat: 'bytes', instant: true }] },
      { title: 'Sinks backing off', type: 'stat', unit: 'short', width: 4, redFrom: 1, description: 'Sidecar sinks not delivering now: they back off after failed deliveries (Kafka unreachable, refused).', targets: [{ expr: `sum(1 - logshipper_sink_ready{${SELECTED}})`, legendFormat: 'sinks', instant: true }] },
      { title: 'Pods without sidecar', type: 'stat', unit: 'short', width: 4, redFrom: 1, description: 'Live pods that ask for a LogShipper and run without the sidecar: their logs are not shipped.', targets: [{ expr: `sum(max by (${PER_LOGSHIPPER}) (logshipper_operator_uninjected_pods{${SELECTED}}))`, legendFormat: 'pods', instant: true }] },
      { title: 'Stale pods', type: 'stat', unit: 'short', width: 4, redFrom: 1, description: "Injected pods on an older configuration than their LogShipper's: a rollout renews them.", targets: [{ expr: `sum(max by (${PER_LOGSHIPPER}) (logshipper_operator_stale_pods{${SELECTED}}))`, legendFormat: 'pods', instant: true }] },
      { title: 'Refused reloads', type: 'stat', unit: 'short', width: 4, redFrom: 1, description: 'Sidecars whose last configuration reload was refused (the previous configuration keeps running).', targets: [{ expr: `sum(1 - logshipper_config_last_reload_successful{${SELECTED}})`, legendFormat: 'sidecars', instant: true }] },
    ],
  },
  {
    title: 'Throughput',
    panels: [
      {
        title: 'Lines per second', type: 'timeseries', unit: 'short', description: 'Lines the sidecars read from files (into their channel) and lines delivered to Kafka, per LogShipper.',
        targets: [
          { expr: rate('logshipper_source_events_accepted_total'), legendFormat: `read ${LEGEND}` },
          { expr: rate('logshipper_sink_events_drained_total'), legendFormat: `shipped ${LEGEND}` },
        ],
      },
      {
        title: 'Bytes per second', type: 'timeseries', unit: 'Bps', description: 'Line bytes read from files and delivered to Kafka, per LogShipper.',
        targets: [
          { expr: rate('logshipper_source_bytes_accepted_total'), legendFormat: `read ${LEGEND}` },
          { expr: rate('logshipper_sink_bytes_drained_total'), legendFormat: `shipped ${LEGEND}` },
        ],
      },
    ],
  },
  {
    title: 'Backlog and back-pressure',
    panels: [
      { title: 'File lag', type: 'timeseries', unit: 'bytes', description: 'Bytes of a file not yet acknowledged by Kafka (its size minus the committed offset); the 10 largest.', targets: [{ expr: `topk(10, max by (${PER_LOGSHIPPER}, pod, file) (logshipper_file_lag_bytes{${SELECTED}}))`, legendFormat: '{{namespace}}/{{pod}} {{file}}' }] },
      { title: 'Channel fill', type: 'timeseries', unit: 'percentunit', max: 1, description: 'Held events / capacity of the fullest sidecar channel per LogShipper: at 1 the source pauses (back-pressure).', targets: [{ expr: `max by (${PER_LOGSHIPPER}) (logshipper_channel_fill_ratio{${SELECTED}})`, legendFormat: LEGEND }] },
      { title: 'Sinks in backoff', type: 'timeseries', unit: 'short', description: 'Sidecar sinks backing off after failed deliveries, per LogShipper.', targets: [{ expr: `sum by (${PER_LOGSHIPPER}) (1 - logshipper_sink_ready{${SELECTED}})`, legendFormat: LEGEND }] },
      {
        title: 'Failed deliveries and rollbacks', type: 'timeseries', unit: 'short', description: 'Deliveries that failed (per second) and batches rolled back to the channel for a retry.',
        targets: [
          { expr: rate('logshipper_sink_delivery_failures_total'), legendFormat: `failed ${LEGEND}` },
          { expr: rate('logshipper_sink_rollbacks_total'), legendFormat: `rolled back ${LEGEND}` },
        ],
      },
    ],
  },
  {
    title: 'Records not shipped as read',
    panels: [
      {
        title: 'Records cut, rerouted or altered', type: 'timeseries', unit: 'short', description: 'Per second: records too large for a batch (truncated, skipped or split: oversizePolicy), sent to fallbackTopic (invalid rendered topic), and lines not valid UTF-8 sent with U+FFFD.',
        targets: [
          { expr: rate('logshipper_sink_records_oversized_total'), legendFormat: `oversized ${LEGEND}` },
          { expr: rate('logshipper_sink_records_rerouted_total'), legendFormat: `rerouted ${LEGEND}` },
          { expr: rate('logshipper_sink_records_invalid_utf8_total'), legendFormat: `invalid UTF-8 ${LEGEND}` },
        ],
      },
      {
        title: 'Files refused, long lines', type: 'timeseries', unit: 'short', description: 'Per second: files not read (outside confineTo, or unverifiable), and lines longer than the maximum line length (split or truncated).',
        targets: [
          { expr: rate('logshipper_source_files_refused_total', `${PER_LOGSHIPPER}, reason`), legendFormat: `refused ({{reason}}) ${LEGEND}` },
          { expr: rate('logshipper_source_long_lines_total'), legendFormat: `long lines ${LEGEND}` },
        ],
      },
    ],
  },
  {
    title: 'Configuration',
    panels: [
      { title: 'Configuration reloads', type: 'timeseries', unit: 'short', description: 'Reloads of the sidecar configuration (the LogShipper changed) per second, by result.', targets: [{ expr: rate('logshipper_config_reloads_total', `${PER_LOGSHIPPER}, result`), legendFormat: `{{result}} ${LEGEND}` }] },
      { title: 'Last reload refused', type: 'timeseries', unit: 'short', description: 'Sidecars whose last reload was refused, per LogShipper (0: every sidecar runs its latest configuration).', targets: [{ expr: `sum by (${PER_LOGSHIPPER}) (1 - logshipper_config_last_reload_successful{${SELECTED}})`, legendFormat: LEGEND }] },
      { title: 'Last configuration loaded', type: 'stat', unit: 'dateTimeFromNow', width: 24, description: 'When the sidecars of each LogShipper last loaded a configuration successfully (the oldest sidecar).', targets: [{ expr: `min by (${PER_LOGSHIPPER}) (logshipper_config_loaded_timestamp_seconds{${SELECTED}}) * 1000`, legendFormat: LEGEND, instant: true }] },
    ],
  },
  {
    title: 'Delivery latency',
    panels: [
      {
        title: 'Kafka produce latency', type: 'timeseries', unit: 's', width: 24, description: 'Time from sending a batch to its acknowledgement, 50th and 99th percentile per LogShipper.',
        targets: [0.5, 0.99].map((q) => ({
          expr: `histogram_quantile(${String(q)}, sum by (${PER_LOGSHIPPER}, le) (rate(logshipper_sink_delivery_seconds_bucket{${SELECTED}}[$__rate_interval])))`,
          legendFormat: `p${String(q * 100)} ${LEGEND}`,
        })),
      },
    ],
  },
  {
    title: 'Operator and injection webhook',
    panels: [
      { title: 'Admissions by result', type: 'bargauge', unit: 'short', description: 'Pod admissions by the injection webhook in the time range: injected; skipped (not asked, already injected); failed (admitted without the sidecar); denied (strict mode); with the reason.', targets: [{ expr: 'sum by (result, reason) (increase(logshipper_operator_injections_total[$__range]))', legendFormat: '{{result}} {{reason}}', instant: true }] },
      {
        title: 'Pods without sidecar, stale, not delivering', type: 'timeseries', unit: 'short', description: 'Per LogShipper: live pods that asked for it and run without the sidecar (not shipped), injected pods on an older configuration, and pods whose sidecar reports it cannot deliver (set by the leader).',
        targets: [
          { expr: `max by (${PER_LOGSHIPPER}) (logshipper_operator_uninjected_pods{${SELECTED}})`, legendFormat: `without sidecar ${LEGEND}` },
          { expr: `max by (${PER_LOGSHIPPER}) (logshipper_operator_stale_pods{${SELECTED}})`, legendFormat: `stale ${LEGEND}` },
          { expr: `max by (${PER_LOGSHIPPER}) (logshipper_operator_undelivering_pods{${SELECTED}})`, legendFormat: `not delivering ${LEGEND}` },
        ],
      },
      {
        title: 'Reconciliations', type: 'timeseries', unit: 'short', description: 'Reconciliations of LogShippers per second by result, and failed ones retried with backoff.',
        targets: [
          { expr: 'sum by (result) (rate(logshipper_operator_reconcile_total[$__rate_interval]))', legendFormat: '{{result}}' },
          { expr: 'sum(rate(logshipper_operator_reconcile_errors_total[$__rate_interval]))', legendFormat: 'retried' },
        ],
      },
      {
        title: 'Webhook admission latency', type: 'timeseries', unit: 's', description: 'Time the injection webhook took to answer an AdmissionReview, 50th and 99th percentile over the replicas.',
        targets: [0.5, 0.99].map((q) => ({
          expr: `histogram_quantile(${String(q)}, sum by (le) (rate(logshipper_operator_admission_duration_seconds_bucket[$__rate_interval])))`,
          legendFormat: `p${String(q * 100)}`,
        })),
      },
      { title: 'Webhook certificate expires in', type: 'stat', unit: 's', width: 24, description: 'Time left on the webhook serving certificate each replica uses (renewed with a third of its lifetime left).', targets: [{ expr: 'min by (namespace, pod) (logshipper_operator_webhook_certificate_expiry_timestamp_seconds) - time()', legendFormat: '{{namespace}}/{{pod}}', instant: true }] },
    ],
  },
];

const PANEL_HEIGHT = { timeseries: 8, bargauge: 8, stat: 4 } as const;

function panel(spec: PanelSpec, gridPos: { x: number; y: number; w: number; h: number }): Record<string, unknown> {
  const thresholds = spec.redFrom === undefined
    ? { mode: 'absolute', steps: [{ color: 'green', value: null }] }
    : { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: spec.redFrom }] };
  const options = spec.type === 'timeseries'
    ? { legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } }
    : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, ...(spec.type === 'bargauge' ? { orientation: 'horizontal', displayMode: 'basic' } : { colorMode: 'value', graphMode: 'none' }) };
  return {
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults: { unit: spec.unit, min: 0, ...(spec.max === undefined ? {} : { max: spec.max }), thresholds }, overrides: [] },
    options,
    targets: spec.targets.map((target, index) => ({
      refId: String.fromCharCode(65 + index),
      expr: target.expr,
      legendFormat: target.legendFormat,
      ...(target.instant === true ? { instant: true, range: false } : { range: true }),
    })),
  };
}

/** Rows and their panels, left to right, wrapping at 24 columns. */
function layout(rows: RowSpec[]): Record<string, unknown>[] {
  const panels: Record<string, unknown>[] = [];
  let y = 0;
  for (const row of rows) {
    panels.push({ type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of row.panels) {
      const w = spec.width ?? 12;
      const h = PANEL_HEIGHT[spec.type];
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(panel(spec, { x, y, w, h }));
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return panels;
}

/** The query of panel `title` whose legend starts with `legendPrefix` (the benchmark plots the dashboard's own series). */
export function panelQuery(title: string, legendPrefix = ''): string {
  const panel = ROWS.flatMap((row) => row.panels).find((p) => p.title === title);
  const target = panel?.targets.find((t) => t.legendFormat.startsWith(legendPrefix));
  if (target === undefined) throw new Error(`dashboard: no panel "${title}" with a target whose legend starts with "${legendPrefix}"`);
  return target.expr;
}

/** The label_values queries of the two selection variables (the test runs them too). */
export const VARIABLE_QUERIES = {
  namespace: 'label_values(logshipper_sink_events_drained_total, namespace)',
  logshipper: 'label_values(logshipper_sink_events_drained_total{namespace=~"$namespace"}, logshipper)',
} as const;

function queryVariable(name: keyof typeof VARIABLE_QUERIES, label: string): Record<string, unknown> {
  return {
    name, label, type: 'query', datasource: DATASOURCE,
    definition: VARIABLE_QUERIES[name], query: { query: VARIABLE_QUERIES[name], refId: name },
    refresh: 2, sort: 1, multi: true, includeAll: true, allValue: '.*', current: {},
  };
}

export function dashboard(): Record<string, unknown> {
  return {
    title: 'logshipper',
    uid: 'logshipper',
    description: 'Log shipping from pods to Kafka: the sidecars of each LogShipper, and the operator with its injection webhook.',
    tags: ['logshipper', 'kafka', 'logging'],
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    timezone: 'browser',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        queryVariable('namespace', 'Namespace'),
        queryVariable('logshipper', 'LogShipper'),
      ],
    },
    annotations: { list: [] },
    panels: layout(ROWS),
  };
}

const LINE_WIDTH = 120;

/** JSON on one line, spaced as a person writes it: `{"x": 0, "w": [1, 2]}`. */
function oneLine(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLine).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`).join(', ')}}`;
  return JSON.stringify(value);
}

/** JSON indented by 2, with any object or array that fits in the line (after `prefix`, its key) kept on one line. */
export function compactJson(value: unknown, indent = '', prefix = 0): string {
  const flat = oneLine(value);
  if (typeof value !== 'object' || value === null || indent.length + prefix + flat.length <= LINE_WIDTH) return flat;
  const inner = `${indent}  `;
  const items = Array.isArray(value)
    ? value.map((item) => `${inner}${compactJson(item, inner)}`)
    : Object.entries(value).map(([key, item]) => {
      const head = `${JSON.stringify(key)}: `;
      return `${inner}${head}${compactJson(item, inner, head.length)}`;
    });
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${items.join(',\n')}\n${indent}${close}`;
}

/** The file's content: readable JSON, so a diff of the dashboard reads like one of the source. */
export function dashboardJson(): string {
  return `${compactJson(dashboard())}\n`;
}
