// The PromQL the monitoring benchmark plots: the Grafana dashboard's own panel queries
// ($namespace, $logshipper, $__rate_interval), instantiated for one run, so that the picture and
// the dashboard show the same series.
import { panelQuery } from '../../build/dashboard.ts';

/** The benchmark writer's own counter (not the agent's): lines appended to the tailed file. */
export const WRITER_LINES_METRIC = 'bench_writer_lines_total';

/** The dashboard's own panel queries (build/dashboard.ts), the writer's rate apart. */
export const SERIES = {
  written: `sum(rate(${WRITER_LINES_METRIC}[$__rate_interval]))`,
  read: panelQuery('Lines per second', 'read'),
  shipped: panelQuery('Lines per second', 'shipped'),
  lagBytes: panelQuery('File lag'),
  channelFill: panelQuery('Channel fill'),
  sinksBackingOff: panelQuery('Sinks in backoff'),
  deliveryP99: panelQuery('Kafka produce latency', 'p99'),
};

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
