// The PromQL the monitoring benchmark plots, in one place: written as the Grafana dashboard writes
// its panels ($namespace, $logshipper, $__rate_interval), and instantiated for one run, so that
// the picture and the dashboard show the same series.

/** The benchmark writer's own counter (not the agent's): lines appended to the tailed file. */
export const WRITER_LINES_METRIC = 'bench_writer_lines_total';

/** As the dashboard's panels write them (charts/logshipper/dashboards), the writer's rate apart. */
export const SERIES = {
  written: `sum(rate(${WRITER_LINES_METRIC}[$__rate_interval]))`,
  read: 'sum by (namespace, logshipper) (rate(logshipper_source_events_accepted_total{namespace=~"$namespace", logshipper=~"$logshipper"}[$__rate_interval]))',
  shipped: 'sum by (namespace, logshipper) (rate(logshipper_sink_events_drained_total{namespace=~"$namespace", logshipper=~"$logshipper"}[$__rate_interval]))',
  lagBytes: 'topk(10, max by (namespace, logshipper, pod, file) (logshipper_file_lag_bytes{namespace=~"$namespace", logshipper=~"$logshipper"}))',
  channelFill: 'max by (namespace, logshipper) (logshipper_channel_fill_ratio{namespace=~"$namespace", logshipper=~"$logshipper"})',
  sinksBackingOff: 'sum by (namespace, logshipper) (1 - logshipper_sink_ready{namespace=~"$namespace", logshipper=~"$logshipper"})',
  deliveryP99: 'histogram_quantile(0.99, sum by (namespace, logshipper, le) (rate(logshipper_sink_delivery_seconds_bucket{namespace=~"$namespace", logshipper=~"$logshipper"}[$__rate_interval])))',
} as const;

export type SeriesName = keyof typeof SERIES;

export interface Variables {
  namespace: string;
  logshipper: string;
  /** A range selector's window, e.g. `4s`: Grafana's $__rate_interval is 4 scrape intervals at least. */
  rateInterval: string;
}

/** `expr` with the dashboard's variables replaced by this run's values. */
export function instantiate(expr: string, variables: Variables): string {
  return expr
    .replaceAll('$__rate_interval', variables.rateInterval)
    .replaceAll('$namespace', variables.namespace)
    .replaceAll('$logshipper', variables.logshipper);
}
