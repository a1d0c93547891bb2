// POST /sidecar-reports on the operator's HTTP port, served by every replica (not only the leader):
// a sidecar's delivery report (sidecar/health-report.ts) is read (size-limited), checked against
// the pod it names, read fresh from the API (operator/sidecar-health.ts verifyReport), and recorded
// as the pod's logshipper.io/delivery annotation when that changes. The thin I/O shell around the
// pure parts; the leader counts the annotations it then sees in its pod cache.
import { ApiException, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { OperatorMetrics } from './metrics.ts';
import { escapePointer } from './inject.ts';
import { apiErrorMessage } from './reconcile.ts';
import { DELIVERY_ANNOTATION, deliveryAnnotationValue, MAX_REPORT_BYTES, parseReport, verifyReport } from './sidecar-health.ts';

/** The API calls of a report. */
export interface PodAccess {
  /** The pod from the API (not a cache: a report must match the pod as it is), undefined when absent. */
  readPod(namespace: string, name: string): Promise<V1Pod | undefined>;
  /** Sets (a string) or removes (null) the annotation, on condition that the pod still has `resourceVersion`. */
  patchAnnotation(pod: V1Pod, value: string | null): Promise<void>;
}

export interface SidecarReportsDeps {
  pods: PodAccess;
  /** The namespace the operator watches, undefined: all. */
  namespace: string | undefined;
  metrics: Pick<OperatorMetrics, 'sidecarReports'>;
  log: Logger;
}

export interface Answer {
  status: number;
  body: string;
}

export function kubePodAccess(kubeConfig: KubeConfig): PodAccess {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async readPod(namespace, name) {
      try {
        return await core.readNamespacedPod({ namespace, name });
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      }
    },
    async patchAnnotation(pod, value) {
      const meta = pod.metadata ?? {};
      const path = `/metadata/annotations/${escapePointer(DELIVERY_ANNOTATION)}`;
      const change = value === null ? { op: 'remove', path }
        : meta.annotations === undefined ? { op: 'add', path: '/metadata/annotations', value: { [DELIVERY_ANNOTATION]: value } }
          : { op: 'add', path, value };
      await core.patchNamespacedPod({
        namespace: meta.namespace ?? '', name: meta.name ?? '',
        body: [{ op: 'test', path: '/metadata/resourceVersion', value: meta.resourceVersion }, change],
      });
    },
  };
}

/** The request body, or undefined once it exceeds `limit` bytes (the rest is not read). */
export async function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reports one peer may send per window: a sidecar reports only when its state changes, at most a few times a minute. */
export const REPORTS_PER_PEER = { count: 10, windowMs: 60_000 } as const;
/** Pod reads in flight at once; a report beyond is answered 503 (the sidecar retries). */
export const MAX_READS_IN_FLIGHT = 16;
/** Peers remembered at most (a cluster's pod IPs); beyond, an unknown peer waits for old windows to end. */
const MAX_PEERS = 65_536;

/**
 * Reports per peer address in fixed windows. Each report costs the API a pod read, so anything
 * that reaches the port could otherwise make the operator load the apiserver at its own rate.
 */
export class PeerBudget {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Whether `peer` may send one more report at `nowMs`. */
  take(peer: string, nowMs: number): boolean {
    let window = this.windows.get(peer);
    if (window === undefined || nowMs - window.start >= REPORTS_PER_PEER.windowMs) {
      if (window === undefined && this.windows.size >= MAX_PEERS) this.prune(nowMs);
      if (window === undefined && this.windows.size >= MAX_PEERS) return false;
      window = { start: nowMs, count: 0 };
      this.windows.set(peer, window);
    }
    window.count++;
    return window.count <= REPORTS_PER_PEER.count;
  }

  private prune(nowMs: number): void {
    for (const [peer, window] of this.windows) if (nowMs - window.start >= REPORTS_PER_PEER.windowMs) this.windows.delete(peer);
  }
}

export class SidecarReports {
  private readonly deps: SidecarReportsDeps;
  private readonly budget = new PeerBudget();
  private readsInFlight = 0;
  private refusedBefore = false;

  constructor(deps: SidecarReportsDeps) {
    this.deps = deps;
  }

  /** Answers one report from `peer` (the socket's remote address). */
  async handle(body: string | undefined, peer: string | undefined, nowMs = performance.now()): Promise<Answer> {
    if (!this.budget.take(peer ?? '', nowMs)) {
      return this.refuse({ status: 429, reason: `more than ${String(REPORTS_PER_PEER.count)} reports in ${String(REPORTS_PER_PEER.windowMs / 1000)} s from this address: retry later` }, peer);
    }
    if (body === undefined) return this.refuse({ status: 413, reason: `the body exceeds ${String(MAX_REPORT_BYTES)} bytes` }, peer);
    const report = parseReport(body);
    if (typeof report === 'string') return this.refuse({ status: 400, reason: report }, peer);
    const { pods, namespace, log } = this.deps;
    if (this.readsInFlight >= MAX_READS_IN_FLIGHT) {
      this.deps.metrics.sidecarReports.inc({ result: 'error' });
      return { status: 503, body: 'too many reports being checked: retry\n' };
    }
    let pod: V1Pod | undefined;
    this.readsInFlight++;
    try {
      pod = namespace !== undefined && report.namespace !== namespace ? undefined : await pods.readPod(report.namespace, report.pod);
    } catch (error) {
      this.deps.metrics.sidecarReports.inc({ result: 'error' });
      log.warn({ pod: `${report.namespace}/${report.pod}`, err: apiErrorMessage(error) }, 'sidecar report not checked: reading the pod failed (the sidecar retries)');
      return { status: 503, body: 'the pod could not be read: retry\n' };
    } finally {
      this.readsInFlight--;
    }
    const refusal = verifyReport(report, pod, peer, namespace);
    if (refusal !== undefined || pod === undefined) return this.refuse(refusal ?? { status: 404, reason: 'pod not found' }, peer);
    const value = deliveryAnnotationValue(report);
    const current = pod.metadata?.annotations?.[DELIVERY_ANNOTATION] ?? null;
    if (current === value) {
      this.deps.metrics.sidecarReports.inc({ result: 'unchanged' });
      return { status: 200, body: '{"recorded":false,"reason":"unchanged"}\n' };
    }
    try {
      await pods.patchAnnotation(pod, value);
    } catch (error) {
      // 422: the pod changed since it was read (the test op); the sidecar retries with a fresh read.
      const code = error instanceof ApiException ? error.code : 500;
      this.deps.metrics.sidecarReports.inc({ result: 'error' });
      log.warn({ pod: `${report.namespace}/${report.pod}`, err: apiErrorMessage(error) }, 'sidecar report not recorded: patching the pod failed (the sidecar retries)');
      return { status: code === 422 || code === 409 ? 409 : 503, body: 'the pod could not be patched: retry\n' };
    }
    this.deps.metrics.sidecarReports.inc({ result: 'recorded' });
    log.info({ pod: `${report.namespace}/${report.pod}`, delivering: report.delivering, since: report.since, reason: report.reason },
      report.delivering ? 'sidecar delivers again: delivery annotation removed' : 'sidecar cannot deliver: delivery annotation set');
    return { status: 200, body: '{"recorded":true}\n' };
  }

  private refuse(refusal: { status: number; reason: string }, peer: string | undefined): Answer {
    this.deps.metrics.sidecarReports.inc({ result: 'refused' });
    // Once at warn: anyone who reaches the port could otherwise fill the log.
    this.deps.log[this.refusedBefore ? 'debug' : 'warn']({ peer, status: refusal.status, reason: refusal.reason }, 'sidecar report refused');
    this.refusedBefore = true;
    return { status: refusal.status, body: `${refusal.reason}\n` };
  }
}
