// The operator's Prometheus metrics, on a registry of its own (served at /metrics by operator/http.ts).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<'result'>;
  reconcileErrors: Counter;
  reconcileDuration: Histogram;
  queueDepth: Gauge;
  writes: Counter<'kind'>;
  leader: Gauge;
  informerRestarts: Counter<'informer'>;
  injections: Counter<'result' | 'reason'>;
  admissionDuration: Histogram;
  admissionErrors: Counter<'reason'>;
  webhookCertificateExpiry: Gauge;
  uninjectedPods: Gauge<'namespace' | 'logshipper'>;
  stalePods: Gauge<'namespace' | 'logshipper'>;
  undeliveringPods: Gauge<'namespace' | 'logshipper'>;
  sidecarReports: Counter<'result'>;
}

export function createMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'logshipper_operator_' });
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({
      name: 'logshipper_operator_reconcile_total', help: 'Reconciliations of LogShippers, by result (success, error).',
      labelNames: ['result'] as const, registers,
    }),
    reconcileErrors: new Counter({ name: 'logshipper_operator_reconcile_errors_total', help: 'Reconciliations that failed and were retried with backoff.', registers }),
    reconcileDuration: new Histogram({
      name: 'logshipper_operator_reconcile_duration_seconds', help: 'Time one reconciliation took.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    }),
    queueDepth: new Gauge({ name: 'logshipper_operator_queue_depth', help: 'LogShipper keys waiting in the work queue.', registers }),
    writes: new Counter({
      name: 'logshipper_operator_writes_total', help: 'Writes to the Kubernetes API, by kind (configmap, status, event).',
      labelNames: ['kind'] as const, registers,
    }),
    leader: new Gauge({ name: 'logshipper_operator_leader', help: '1 while this replica holds the leader Lease.', registers }),
    informerRestarts: new Counter({
      name: 'logshipper_operator_informer_restarts_total', help: 'Informers restarted after they stopped on an error.',
      labelNames: ['informer'] as const, registers,
    }),
    injections: new Counter({
      name: 'logshipper_operator_injections_total',
      help: 'Pod admissions by the injection webhook, by result (injected; skipped: not asked or already injected; failed: admitted without the sidecar; denied: strict mode) and reason.',
      labelNames: ['result', 'reason'] as const, registers,
    }),
    admissionDuration: new Histogram({
      name: 'logshipper_operator_admission_duration_seconds', help: 'Time the injection webhook took to answer an AdmissionReview.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers,
    }),
    admissionErrors: new Counter({
      name: 'logshipper_operator_admission_errors_total',
      help: 'Requests to the injection webhook it could not answer with an AdmissionReview response, by reason (too_large, invalid_json, not_admission_review): the apiserver then applies the failurePolicy.',
      labelNames: ['reason'] as const, registers,
    }),
    webhookCertificateExpiry: new Gauge({
      name: 'logshipper_operator_webhook_certificate_expiry_timestamp_seconds', help: 'When the webhook serving certificate in use expires (Unix time).', registers,
    }),
    uninjectedPods: new Gauge({
      name: 'logshipper_operator_uninjected_pods',
      help: 'Live pods that ask for the LogShipper (logshipper.io/inject) and run without the sidecar, so their logs are not shipped (admitted while the webhook was unavailable or failed). Set by the leader.',
      labelNames: ['namespace', 'logshipper'] as const, registers,
    }),
    stalePods: new Gauge({
      name: 'logshipper_operator_stale_pods',
      help: "Live injected pods running an older configuration hash than their LogShipper's (status.stalePods): a rollout would renew them. Set by the leader.",
      labelNames: ['namespace', 'logshipper'] as const, registers,
    }),
    undeliveringPods: new Gauge({
      name: 'logshipper_operator_undelivering_pods',
      help: 'Live injected pods of the LogShipper whose sidecar reports it cannot deliver (pod annotation logshipper.io/delivery). Set by the leader.',
      labelNames: ['namespace', 'logshipper'] as const, registers,
    }),
    sidecarReports: new Counter({
      name: 'logshipper_operator_sidecar_reports_total',
      help: 'Delivery reports of sidecars (POST /sidecar-reports), by result: recorded (the pod annotation changed), unchanged, refused (not from the pod it names, or malformed), error (the API call failed; the sidecar retries).',
      labelNames: ['result'] as const, registers,
    }),
  };
}
