// The injection webhook, on two threads. The operator's thread keeps what needs the Kubernetes client:
// the LogShipper cache (a copy of each change goes to the worker), the TLS certificate (the shared
// Secret or a cert-manager directory; sent to the worker, again on rotation), the LogShipper GET when
// the worker's copy lacks it (with a deadline), and the Events queue. The worker thread
// (operator/webhook-worker.ts) answers the admissions: no reconcile or watch parsing shares its event
// loop, and it waits for nothing here but that GET, for at most the same deadline.
import { Worker } from 'node:worker_threads';
import { AdmissionregistrationV1Api, ApiException, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ADMISSION_API_TIMEOUT_MS } from './admission-budget.ts';
import { withDeadline } from './api-timeout.ts';
import { DirectoryCertificates, SecretCertificates, servingExpiry, type CertificateSource, type CertPolicy, type ServingCertificate } from './certs.ts';
import { GROUP, PLURAL, VERSION, type LogShipper } from './crd-types.ts';
import { EventQueue } from './event-queue.ts';
import { EventRecorder } from './events.ts';
import { shipperPages } from './caches.ts';
import { informerFor, supervise, type SupervisedInformer } from './informer.ts';
import type { InjectOptions } from './inject.ts';
import type { OperatorMetrics } from './metrics.ts';
import { applyMetricUpdate, type FromWorker, type ToWorker, type WebhookWorkerData } from './webhook-messages.ts';

export interface WebhookOptions {
  host: string;
  port: number;
  /** Operator-managed CA and certificate in a shared Secret (caBundle patched), or a cert-manager directory. */
  certificates:
    | { kind: 'secret'; namespace: string; secretName: string; webhookConfigName: string; names: string[]; policy?: CertPolicy }
    | { kind: 'directory'; dir: string };
  checkIntervalMs: number;
  inject: InjectOptions;
  strict: boolean;
}

/** Failure Events about the same object and reason are recorded at most this often (a ReplicaSet creates many pods). */
const EVENT_REPEAT_MS = 60_000;
/** Events waiting at most while the Events API is slow; more are dropped. */
const EVENT_QUEUE_CAPACITY = 100;
/** How long a stop waits for queued Events. */
const EVENT_DRAIN_MS = 2000;
/** How long a stop waits for the worker to close its server before it is terminated. */
const WORKER_STOP_MS = 5000;

export interface WebhookServiceDeps {
  kubeConfig: KubeConfig;
  /** Watch one namespace, or every namespace when undefined. */
  namespace: string | undefined;
  identity: string;
  metrics: OperatorMetrics;
  log: Logger;
  /** The worker could not start the server, or died: the operator cannot serve admissions. */
  onFailure: (message: string) => void;
}

export class WebhookService {
  private readonly options: WebhookOptions;
  private readonly deps: WebhookServiceDeps;
  private readonly log: Logger;
  private worker: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private cache: SupervisedInformer<LogShipper> | undefined;
  private certificates: CertificateSource | undefined;
  private events: EventQueue | undefined;
  private listening = false;
  private stopping = false;

  constructor(options: WebhookOptions, deps: WebhookServiceDeps) {
    this.options = options;
    this.deps = deps;
    this.log = deps.log.child({ component: 'webhook' });
  }

  /** Starts the worker, the cache and the certificate source; resolves once the first certificate went to the worker. */
  async start(): Promise<void> {
    const { kubeConfig, namespace, metrics, identity } = this.deps;
    const webhook = this.options;
    const log = this.log;
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);

    const data: WebhookWorkerData = {
      host: webhook.host, port: webhook.port, inject: webhook.inject, strict: webhook.strict,
      apiTimeoutMs: ADMISSION_API_TIMEOUT_MS, identity, logLevel: this.deps.log.level,
    };
    const entry = new URL(import.meta.url.endsWith('.ts') ? './webhook-worker.ts' : './webhook-worker.js', import.meta.url);
    const worker = new Worker(entry, { workerData: data, name: 'webhook' });
    this.worker = worker;
    const send = (message: ToWorker): void => {
      worker.postMessage(message);
    };
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        if (!this.stopping) this.deps.onFailure(`the webhook's worker thread exited (code ${code})`);
        resolve();
      });
    });
    worker.on('error', (error: Error) => {
      this.deps.onFailure(`the webhook's worker thread failed: ${error.message}`);
    });

    const recorder = new EventRecorder(core, identity, log, () => {
      metrics.writes.inc({ kind: 'event' });
    });
    const events = new EventQueue({ recorder, log, capacity: EVENT_QUEUE_CAPACITY, repeatMs: EVENT_REPEAT_MS, timeoutMs: ADMISSION_API_TIMEOUT_MS });
    this.events = events;
    const find = async (id: number, shipperNamespace: string, name: string): Promise<void> => {
      try {
        const shipper = await withDeadline(`GET LogShipper ${shipperNamespace}/${name}`, ADMISSION_API_TIMEOUT_MS, async (options) =>
          await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: shipperNamespace, plural: PLURAL, name }, options) as LogShipper);
        send({ type: 'found', id, shipper, error: undefined });
      } catch (error) {
        const notFound = error instanceof ApiException && error.code === 404;
        send({ type: 'found', id, shipper: undefined, error: notFound ? undefined : (error as Error).message });
      }
    };
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'listening': this.listening = true; break;
        case 'failed': this.deps.onFailure(message.message); break;
        case 'find': void find(message.id, message.namespace, message.name); break;
        case 'event': events.enqueue(message.involvedObject, message.reason, message.message); break;
        case 'metrics': for (const update of message.updates) applyMetricUpdate(metrics, update); break;
      }
    });

    const ns = namespace === undefined ? '' : `/namespaces/${namespace}`;
    const informer = informerFor<LogShipper>(kubeConfig, `/apis/${GROUP}/${VERSION}${ns}/${PLURAL}`, shipperPages(kubeConfig, namespace));
    const key = (shipper: LogShipper): string => `${shipper.metadata?.namespace ?? ''}/${shipper.metadata?.name ?? ''}`;
    const copy = (shipper: LogShipper): void => {
      send({ type: 'shipper', key: key(shipper), shipper });
    };
    informer.on('add', copy);
    informer.on('update', copy);
    informer.on('delete', (shipper) => {
      send({ type: 'shipper', key: key(shipper), shipper: undefined });
    });
    this.cache = supervise(informer, {
      name: 'webhook-logshippers', log,
      onRestart: () => {
        metrics.informerRestarts.inc({ informer: 'webhook-logshippers' });
      },
    });

    const { certificates } = webhook;
    const source: CertificateSource = certificates.kind === 'secret'
      ? new SecretCertificates({
        core, admission: kubeConfig.makeApiClient(AdmissionregistrationV1Api), namespace: certificates.namespace, secretName: certificates.secretName,
        webhookConfigName: certificates.webhookConfigName, names: certificates.names, policy: certificates.policy,
        checkIntervalMs: webhook.checkIntervalMs, log,
        onWrite: (kind) => {
          metrics.writes.inc({ kind });
        },
      })
      : new DirectoryCertificates(certificates.dir, webhook.checkIntervalMs, log);
    this.certificates = source;
    const use = (certificate: ServingCertificate): void => {
      const notAfter = servingExpiry(certificate);
      if (notAfter !== undefined) metrics.webhookCertificateExpiry.set(notAfter.getTime() / 1000);
      send({ type: 'certificate', cert: certificate.cert, key: certificate.key });
    };
    const certificate = await source.start();
    if (this.stopping) return;
    use(certificate);
    source.onChange(use);
  }

  /** The worker listens and the LogShipper cache holds its first list. */
  isReady(): boolean {
    return this.listening && this.cache?.isSynced() === true;
  }

  /** Stops the worker (its server closed), the cache and the certificate checks; lets queued Events go out (briefly). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.certificates?.stop();
    if (this.worker !== undefined) {
      const message: ToWorker = { type: 'stop' };
      this.worker.postMessage(message);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise<void>((resolve) => {
        timer = setTimeout(resolve, WORKER_STOP_MS);
      })]);
      clearTimeout(timer);
      await this.worker.terminate();
    }
    await this.cache?.stop().catch(() => undefined);
    await this.events?.drain(EVENT_DRAIN_MS);
  }
}
