// Whether the agent delivers: the one predicate /readyz (sidecar/http.ts) and the delivery report
// to the operator (sidecar/health-report.ts) both use. A sink is failing once a delivery failed and
// none succeeded since; it counts as not delivering only after --ready-backoff-limit, so that a
// broker restart or a leader election (seconds of retries) is not reported as trouble.

/** What the predicate reads of a sink (sidecar/sinks/runner.ts's SinkRunner). */
export interface SinkState {
  readonly status: string;
  /** When the current run of failed deliveries began (monotonic ms); undefined while delivering. */
  readonly failingSince: number | undefined;
  readonly lastError: string | undefined;
}

export interface SinkHealth {
  status: string;
  failingForMs: number;
  lastError: string | null;
}

export interface Delivery {
  /** Every sink delivers, or has failed for less than the limit. */
  delivering: boolean;
  sinks: Record<string, SinkHealth>;
  /** The sinks failing for at least the limit, by name. */
  failing: string[];
}

/** The sinks' delivery state at `nowMs` (monotonic): a sink failing for `limitMs` or longer makes it not delivering. */
export function deliveryState(sinks: Iterable<readonly [string, SinkState]>, nowMs: number, limitMs: number): Delivery {
  const health: Record<string, SinkHealth> = {};
  const failing: string[] = [];
  for (const [name, sink] of sinks) {
    const failingForMs = sink.failingSince === undefined ? 0 : Math.round(nowMs - sink.failingSince);
    health[name] = { status: sink.status, failingForMs, lastError: sink.lastError ?? null };
    if (failingForMs >= limitMs) failing.push(name);
  }
  return { delivering: failing.length === 0, sinks: health, failing: failing.sort() };
}
