// The sidecar's delivery health, reported to the operator (--health-report-url), which records it
// on the pod (docs/design/sidecar-health.md). Not a readiness probe: a sidecar's readiness is part
// of the pod's, so a Kafka outage would take the application out of its Services. The reporter
// looks at the delivery predicate (sidecar/delivery.ts) every second, in-process, and POSTs only
// when the state changes (delivering or not, and which sinks fail): once its first state is known
// and on every change. A report that is not acknowledged (2xx) is retried with capped exponential
// backoff; a newer state replaces the one waiting (only the latest is kept), and the pipeline
// never waits for any of it.
import type { Delivery } from './delivery.ts';
import type { Logger } from './log.ts';

/** The env vars the injector sets from the downward API: who the sidecar speaks for. */
export const POD_IDENTITY_ENV = { namespace: 'POD_NAMESPACE', pod: 'POD_NAME', uid: 'POD_UID' } as const;

export interface PodIdentity {
  namespace: string;
  pod: string;
  uid: string;
}

/** The body of a report (JSON), as the operator's /sidecar-reports reads it (operator/sidecar-health.ts). */
export interface DeliveryReport extends PodIdentity {
  delivering: boolean;
  /** RFC 3339: since when the state holds (not delivering: since the first failing sink began failing). */
  since: string;
  /** Not delivering: the failing sinks and their last error, short; delivering: empty. */
  reason: string;
}

/** How long a report's text may be; the operator refuses longer bodies (operator/sidecar-health.ts). */
export const MAX_REASON_LENGTH = 512;
const MAX_ERROR_LENGTH = 200;

/** POSTs `body` to `url`, resolving with the HTTP status (rejecting when there is none). */
export type ReportSender = (url: string, body: string) => Promise<number>;

export interface HealthReporterOptions {
  url: string;
  identity: PodIdentity;
  /** The delivery state now (deliveryState() over the agent's sinks). */
  state: () => Delivery;
  log: Logger;
  /** How often the state is looked at (default 1000 ms). */
  checkIntervalMs?: number;
  /** Retry delays: base, doubled per failure, capped (default 1 s .. 60 s). */
  backoff?: { baseMs: number; maxMs: number };
  send?: ReportSender;
}

/** The pod identity from the env the injector sets; undefined when any is missing (not in an injected pod). */
export function podIdentityFromEnv(env: NodeJS.ProcessEnv): PodIdentity | undefined {
  const namespace = env[POD_IDENTITY_ENV.namespace];
  const pod = env[POD_IDENTITY_ENV.pod];
  const uid = env[POD_IDENTITY_ENV.uid];
  if (namespace === undefined || namespace === '' || pod === undefined || pod === '' || uid === undefined || uid === '') return undefined;
  return { namespace, pod, uid };
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 3)}...`;
}

/** The report of a state: `since` from the longest-failing failing sink, the reason from each failing sink's last error. */
export function deliveryReport(identity: PodIdentity, state: Delivery, now: Date): DeliveryReport {
  if (state.delivering) return { ...identity, delivering: true, since: now.toISOString(), reason: '' };
  const failingForMs = Math.max(...state.failing.map((name) => state.sinks[name]?.failingForMs ?? 0));
  const reason = state.failing.map((name) => `sink ${name}: ${clip(state.sinks[name]?.lastError ?? 'delivery failing', MAX_ERROR_LENGTH)}`).join('; ');
  return { ...identity, delivering: false, since: new Date(now.getTime() - failingForMs).toISOString(), reason: clip(reason, MAX_REASON_LENGTH) };
}

/** What makes a new state: delivering or not, and which sinks fail (not their changing error texts or durations). */
function stateKey(state: Delivery): string {
  return state.delivering ? 'delivering' : `failing:${state.failing.join(',')}`;
}

const REQUEST_TIMEOUT_MS = 5000;

export const fetchSender: ReportSender = async (url, body) => {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  await response.body?.cancel();
  return response.status;
};

export class HealthReporter {
  private readonly options: HealthReporterOptions;
  private readonly send: ReportSender;
  private readonly backoff: { baseMs: number; maxMs: number };
  private current: string | undefined;
  /** The latest report not acknowledged yet (only the latest is kept). */
  private pending: DeliveryReport | undefined;
  private sending = false;
  private retryMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: HealthReporterOptions) {
    this.options = options;
    this.send = options.send ?? fetchSender;
    this.backoff = options.backoff ?? { baseMs: 1000, maxMs: 60_000 };
  }

  /** Looks at the state now and then every check interval. The timers never keep the process alive. */
  start(): void {
    this.check();
    this.checkTimer = setInterval(() => {
      this.check();
    }, this.options.checkIntervalMs ?? 1000);
    this.checkTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.checkTimer);
    clearTimeout(this.retryTimer);
  }

  /** Whether a report waits for an acknowledgement. */
  get unacknowledged(): boolean {
    return this.pending !== undefined;
  }

  private check(): void {
    const state = this.options.state();
    const key = stateKey(state);
    if (key === this.current) return;
    this.current = key;
    this.pending = deliveryReport(this.options.identity, state, new Date());
    const { delivering, since, reason } = this.pending;
    this.options.log[delivering ? 'info' : 'warn']({ delivering, since, reason, url: this.options.url },
      delivering ? 'delivery state: delivering; reporting to the operator' : 'delivery state: NOT delivering; reporting to the operator');
    this.flush();
  }

  private flush(): void {
    const report = this.pending;
    if (this.stopped || this.sending || this.retryTimer !== undefined || report === undefined) return;
    this.sending = true;
    const settle = (status: number | undefined, error?: unknown): void => {
      this.sending = false;
      if (status !== undefined && status >= 200 && status < 300) {
        if (this.pending === report) this.pending = undefined;
        this.retryMs = 0;
        this.options.log.debug({ delivering: report.delivering, status }, 'delivery report acknowledged');
      } else {
        this.retryMs = Math.min(this.backoff.maxMs, this.retryMs === 0 ? this.backoff.baseMs : this.retryMs * 2);
        this.options.log.debug({ status, err: error instanceof Error ? error.message : undefined, retryInMs: this.retryMs }, 'delivery report not acknowledged: retrying');
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.flush();
        }, this.retryMs);
        this.retryTimer.unref();
        return;
      }
      this.flush();
    };
    this.send(this.options.url, JSON.stringify(report)).then((status) => {
      settle(status);
    }, (error: unknown) => {
      settle(undefined, error);
    });
  }
}
