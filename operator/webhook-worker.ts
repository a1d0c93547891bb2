// The webhook's worker thread (started by operator/webhook-thread.ts): runs the WebhookService with
// its own event loop, logs to stdout as the operator does, and reports metric updates to the
// operator's thread in batches (one message per turn of this event loop, not one per update).
import { parentPort, workerData } from 'node:worker_threads';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../sidecar/log.ts';
import type { HostMessage, MetricUpdate, WebhookWorkerData, WorkerMessage } from './webhook-thread.ts';
import { WebhookService, type WebhookMetrics } from './webhook-service.ts';

const port = parentPort;
if (port === null) throw new Error('operator/webhook-worker.ts runs as a worker thread (operator/webhook-thread.ts starts it)');
const data = workerData as WebhookWorkerData;
const send = (message: WorkerMessage): void => {
  port.postMessage(message);
};

let batch: MetricUpdate[] = [];
const update = (next: MetricUpdate): void => {
  if (batch.length === 0) {
    setImmediate(() => {
      send({ type: 'metrics', updates: batch });
      batch = [];
    });
  }
  batch.push(next);
};
const metrics: WebhookMetrics = {
  injections: {
    inc: (labels) => {
      update({ metric: 'injections', labels });
    },
  },
  admissionDuration: {
    startTimer: () => {
      const started = performance.now();
      return () => {
        update({ metric: 'admissionDuration', seconds: (performance.now() - started) / 1000 });
      };
    },
  },
  writes: {
    inc: (labels) => {
      update({ metric: 'writes', labels });
    },
  },
  informerRestarts: {
    inc: (labels) => {
      update({ metric: 'informerRestarts', labels });
    },
  },
  webhookCertificateExpiry: {
    set: (value) => {
      update({ metric: 'webhookCertificateExpiry', value });
    },
  },
};

const kubeConfig = new KubeConfig();
kubeConfig.loadFromString(data.kubeConfig);
const log = createLogger(data.logLevel).child({ identity: data.identity, component: 'webhook' });
const service = new WebhookService(data.options, {
  kubeConfig, namespace: data.namespace, identity: data.identity, metrics, log,
  onSynced: () => {
    send({ type: 'synced' });
  },
});

// The only message the operator's thread sends: stop.
port.once('message', (_message: HostMessage) => {
  void service.stop().then(() => {
    log.info('webhook stopped');
    if (batch.length > 0) send({ type: 'metrics', updates: batch });
    // Ends this thread only; idle keep-alive sockets to the apiserver would otherwise hold it.
    process.exit(0);
  });
});

service.start().then((listening) => {
  if (listening !== undefined) send({ type: 'listening', port: listening });
}, (error: unknown) => {
  send({ type: 'failed', message: (error as Error).message });
});
