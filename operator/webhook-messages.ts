// What the operator's thread (operator/webhook-service.ts) and the webhook's worker thread
// (operator/webhook-worker.ts) tell each other. Structured-cloned: plain data only.
import type { V1ObjectReference } from '@kubernetes/client-node';
import type { LogShipper } from './crd-types.ts';
import type { InjectOptions } from './inject.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { AdmissionErrorReason } from './webhook.ts';

export interface WebhookWorkerData {
  host: string;
  port: number;
  inject: InjectOptions;
  strict: boolean;
  /** How long the worker waits for a LogShipper it asked the operator's thread for. */
  apiTimeoutMs: number;
  identity: string;
  logLevel: string;
}

/** A metric update made in the worker, applied to the operator's registry (one /metrics). */
export type MetricUpdate =
  | { metric: 'injections'; labels: Record<'result' | 'reason', string> }
  | { metric: 'admissionDuration'; seconds: number }
  | { metric: 'admissionErrors'; reason: AdmissionErrorReason };

/** To the worker. */
export type ToWorker =
  | { type: 'certificate'; cert: string; key: string }
  /** A LogShipper as cached (undefined: deleted), keyed namespace/name. */
  | { type: 'shipper'; key: string; shipper: LogShipper | undefined }
  /** The answer to `find` `id`: the LogShipper (undefined: not found) or the API error. */
  | { type: 'found'; id: number; shipper: LogShipper | undefined; error: string | undefined }
  | { type: 'stop' };

/** From the worker. */
export type FromWorker =
  | { type: 'listening'; port: number }
  | { type: 'failed'; message: string }
  /** The LogShipper was not Ready in the worker's copy of the cache: read it from the API. */
  | { type: 'find'; id: number; namespace: string; name: string }
  | { type: 'event'; involvedObject: V1ObjectReference; reason: string; message: string }
  | { type: 'metrics'; updates: MetricUpdate[] };

export function applyMetricUpdate(metrics: Pick<OperatorMetrics, 'injections' | 'admissionDuration' | 'admissionErrors'>, update: MetricUpdate): void {
  switch (update.metric) {
    case 'injections': metrics.injections.inc(update.labels); break;
    case 'admissionDuration': metrics.admissionDuration.observe(update.seconds); break;
    case 'admissionErrors': metrics.admissionErrors.inc({ reason: update.reason }); break;
  }
}
