import { createRequire } from 'node:module';
import { Gauge, type Registry } from 'prom-client';
import type { LoopStallWatch } from './loop-stall.ts';

const require = createRequire(import.meta.url);

/** The agent's metric prefix, before prom-client's process and Node.js metric names. */
const PREFIX = 'logshipper_';

type Collector = (registry: Registry, config: { prefix: string }) => void;

/**
 * prom-client's default collectors (lib/defaultMetrics.js), but its event loop lag: that one
 * keeps a monitorEventLoopDelay histogram at 10 ms resolution, which wakes the process 100 times a
 * second even while it has nothing to do. What a sidecar's users graph stays, under the same
 * names: CPU, start time, RSS/virtual memory/heap, file descriptors, handles, requests, resources,
 * heap spaces, version, GC durations (these read the process at scrape time, or observe GCs).
 * The event loop lag comes from the agent's own coarse watch instead: loopLagMetrics().
 */
const COLLECTORS = [
  'processCpuTotal', 'processStartTime', 'osMemoryHeap', 'processOpenFileDescriptors', 'processMaxFileDescriptors',
  'processResources', 'processHandles', 'processRequests', 'heapSizeAndUsed', 'heapSpacesSizeAndUsed', 'version', 'gc',
] as const;

export function processMetrics(registry: Registry): void {
  for (const name of COLLECTORS) (require(`prom-client/lib/metrics/${name}.js`) as Collector)(registry, { prefix: PREFIX });
}

/**
 * The event loop lag, without a high-rate timer: `nodejs_eventloop_lag_seconds` as prom-client
 * measures it (how long a setImmediate scheduled at the scrape waits), and
 * `nodejs_eventloop_lag_max_seconds` from the stall watch (the longest block over the last 10-20 s,
 * to within its 1 s check). prom-client's min/mean/stddev/p50/p90/p99 of a 10 ms histogram are gone.
 */
export function loopLagMetrics(registry: Registry, watch: LoopStallWatch): void {
  new Gauge({
    name: `${PREFIX}nodejs_eventloop_lag_seconds`, help: 'Lag of event loop in seconds.', registers: [registry],
    async collect() {
      const start = process.hrtime.bigint();
      await new Promise((resolve) => setImmediate(resolve));
      this.set(Number(process.hrtime.bigint() - start) / 1e9);
    },
  });
  new Gauge({
    name: `${PREFIX}nodejs_eventloop_lag_max_seconds`, help: 'The longest event loop block over the last 10-20 seconds (1 s resolution).', registers: [registry],
    collect() {
      this.set(watch.maxDelayMs() / 1000);
    },
  });
}
