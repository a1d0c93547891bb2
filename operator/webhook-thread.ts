// The injection webhook in a worker thread of its own: its event loop answers admissions while the
// leader's event loop reconciles and parses watch events. This is the operator's side: it starts
// the worker (operator/webhook-worker.ts), applies the metrics the worker reports to the operator's
// registry (one /metrics), knows when it listens and is synced (/readyz), and stops it.
import { Worker } from 'node:worker_threads';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorMetrics } from './metrics.ts';
import type { WebhookOptions } from './webhook-service.ts';

/** What the worker is started with (structured-cloned). */
export interface WebhookWorkerData {
  options: WebhookOptions;
  /** The operator's KubeConfig, exported (KubeConfig.exportConfig()). */
  kubeConfig: string;
  namespace: string | undefined;
  identity: string;
  logLevel: string;
}

/** A metric update made in the worker, applied to the operator's registry. */
export type MetricUpdate =
  | { metric: 'injections'; labels: Record<'result' | 'reason', string> }
  | { metric: 'writes'; labels: Record<'kind', string> }
  | { metric: 'informerRestarts'; labels: Record<'informer', string> }
  | { metric: 'admissionDuration'; seconds: number }
  | { metric: 'webhookCertificateExpiry'; value: number };

export type WorkerMessage =
  | { type: 'listening'; port: number }
  | { type: 'synced' }
  | { type: 'failed'; message: string }
  | { type: 'metrics'; updates: MetricUpdate[] };

export type HostMessage = { type: 'stop' };

/** How long a stop waits for the worker to close its server, cache and Events queue before it is terminated. */
const STOP_TIMEOUT_MS = 5000;

export function applyMetricUpdate(metrics: OperatorMetrics, update: MetricUpdate): void {
  switch (update.metric) {
    case 'injections': metrics.injections.inc(update.labels); break;
    case 'writes': metrics.writes.inc(update.labels); break;
    case 'informerRestarts': metrics.informerRestarts.inc(update.labels); break;
    case 'admissionDuration': metrics.admissionDuration.observe(update.seconds); break;
    case 'webhookCertificateExpiry': metrics.webhookCertificateExpiry.set(update.value); break;
  }
}

export interface WebhookThreadOptions {
  options: WebhookOptions;
  kubeConfig: KubeConfig;
  namespace: string | undefined;
  identity: string;
  metrics: OperatorMetrics;
  log: Logger;
  /** The worker could not start the webhook, or died: the operator cannot serve admissions. */
  onFailure: (message: string) => void;
}

export class WebhookThread {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private listening = false;
  private synced = false;
  private stopping = false;

  constructor(options: WebhookThreadOptions) {
    const data: WebhookWorkerData = {
      options: options.options,
      kubeConfig: options.kubeConfig.exportConfig(),
      namespace: options.namespace,
      identity: options.identity,
      logLevel: options.log.level,
    };
    const entry = new URL(import.meta.url.endsWith('.ts') ? './webhook-worker.ts' : './webhook-worker.js', import.meta.url);
    this.worker = new Worker(entry, { workerData: data, name: 'webhook' });
    this.worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'listening': this.listening = true; break;
        case 'synced': this.synced = true; break;
        case 'failed': options.onFailure(message.message); break;
        case 'metrics': for (const update of message.updates) applyMetricUpdate(options.metrics, update); break;
      }
    });
    this.worker.on('error', (error: Error) => {
      options.onFailure(`the webhook's worker thread failed: ${error.message}`);
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        if (!this.stopping) options.onFailure(`the webhook's worker thread exited (code ${code})`);
        resolve();
      });
    });
  }

  /** Listening, with its LogShipper cache synced. */
  isReady(): boolean {
    return this.listening && this.synced;
  }

  /** Asks the worker to stop cleanly; terminates it if it takes longer than STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    this.stopping = true;
    const message: HostMessage = { type: 'stop' };
    this.worker.postMessage(message);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_TIMEOUT_MS);
    })]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
