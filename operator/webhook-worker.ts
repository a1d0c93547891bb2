// The webhook's worker thread (started by operator/webhook-service.ts): the HTTPS server answering
// admissions on an event loop of its own, so the leader's reconciles and watch parsing cannot delay
// an answer. It keeps a copy of the LogShipper cache (sent by the operator's thread), asks the
// operator's thread for a LogShipper its copy does not have Ready (waiting at most apiTimeoutMs), and
// hands Events and metric updates over without waiting. It loads no Kubernetes client: a worker
// that loads @kubernetes/client-node costs ~70 MB more RSS, one without it ~20 MB.
import { parentPort, workerData } from 'node:worker_threads';
import { noAnswerMessage } from './admission-budget.ts';
import type { LogShipper } from './crd-types.ts';
import { createLogger } from '../sidecar/log.ts';
import { startWebhookServer, type AdmissionMetrics, type WebhookServer } from './webhook.ts';
import type { FromWorker, MetricUpdate, ToWorker, WebhookWorkerData } from './webhook-messages.ts';

const port = parentPort;
if (port === null) throw new Error('operator/webhook-worker.ts runs as a worker thread (operator/webhook-service.ts starts it)');
const data = workerData as WebhookWorkerData;
const send = (message: FromWorker): void => {
  port.postMessage(message);
};
const log = createLogger(data.logLevel).child({ identity: data.identity, component: 'webhook' });

// Metric updates go over in one message per turn of this event loop, not one per update.
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
const metrics: AdmissionMetrics = {
  injections: {
    inc: (labels) => {
      update({ metric: 'injections', labels });
    },
  },
  admissionErrors: {
    inc: (labels) => {
      update({ metric: 'admissionErrors', reason: labels.reason });
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
};

const shippers = new Map<string, LogShipper>();
const pending = new Map<number, { resolve: (shipper: LogShipper | undefined) => void; reject: (error: Error) => void }>();
let nextId = 0;
const findShipper = async (namespace: string, name: string): Promise<LogShipper | undefined> => {
  const cached = shippers.get(`${namespace}/${name}`);
  if (cached?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true) return cached;
  // Not in the cache, or not ready there: the cache may lag behind a LogShipper just created or reconciled.
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(noAnswerMessage(`GET LogShipper ${namespace}/${name}`, data.apiTimeoutMs)));
    }, data.apiTimeoutMs);
    pending.set(id, {
      resolve: (shipper) => {
        clearTimeout(timer);
        resolve(shipper);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
    send({ type: 'find', id, namespace, name });
  });
};

let server: WebhookServer | undefined;
let starting: Promise<void> | undefined;
port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'shipper':
      if (message.shipper === undefined) shippers.delete(message.key);
      else shippers.set(message.key, message.shipper);
      break;
    case 'found': {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.error === undefined) waiting?.resolve(message.shipper);
      else waiting?.reject(new Error(message.error));
      break;
    }
    case 'certificate':
      if (server !== undefined) {
        server.setCertificate(message);
      } else {
        starting ??= startWebhookServer(data.host, data.port, message, {
          inject: data.inject, strict: data.strict, findShipper, metrics, log,
          recordEvent: (involvedObject, reason, text) => {
            send({ type: 'event', involvedObject, reason, message: text });
          },
        }).then((started) => {
          server = started;
          log.info({ port: started.port, path: '/mutate', strict: data.strict, mode: data.inject.defaultMode, apiTimeoutMs: data.apiTimeoutMs }, 'webhook listening');
          send({ type: 'listening', port: started.port });
        }, (error: unknown) => {
          send({ type: 'failed', message: (error as Error).message });
        });
      }
      break;
    case 'stop':
      void (async () => {
        await starting;
        await server?.close();
        log.info('webhook stopped');
        if (batch.length > 0) send({ type: 'metrics', updates: batch });
        // Ends this thread only.
        process.exit(0);
      })();
      break;
  }
});
