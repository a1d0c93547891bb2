// The injection webhook as a service: its TLS (the shared Secret or a cert-manager directory), a
// LogShipper cache of its own, the HTTPS server, and its Events queue. Runs in the webhook's worker
// thread (operator/webhook-worker.ts), where no reconcile shares its event loop.
import { AdmissionregistrationV1Api, ApiException, CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ADMISSION_API_TIMEOUT_MS, withDeadline } from './api-timeout.ts';
import { DirectoryCertificates, SecretCertificates, servingExpiry, type CertificateSource, type CertPolicy } from './certs.ts';
import { GROUP, PLURAL, VERSION, type LogShipper } from './crd-types.ts';
import { EventQueue } from './event-queue.ts';
import { EventRecorder } from './events.ts';
import { informerFor, supervise, type SupervisedInformer } from './informer.ts';
import type { InjectOptions } from './inject.ts';
import { startWebhookServer, type AdmissionMetrics, type WebhookServer } from './webhook.ts';

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
  /** Deadline of each API call made while answering (the LogShipper GET when the cache lags); default ADMISSION_API_TIMEOUT_MS. */
  apiTimeoutMs?: number;
}

/** Failure Events about the same object and reason are recorded at most this often (a ReplicaSet creates many pods). */
const EVENT_REPEAT_MS = 60_000;
/** Events waiting at most while the Events API is slow; more are dropped. */
const EVENT_QUEUE_CAPACITY = 100;
/** How long a stop waits for queued Events. */
const EVENT_DRAIN_MS = 2000;

/** The metrics the webhook service updates. */
export interface WebhookMetrics extends AdmissionMetrics {
  writes: { inc: (labels: Record<'kind', string>) => void };
  informerRestarts: { inc: (labels: Record<'informer', string>) => void };
  webhookCertificateExpiry: { set: (value: number) => void };
}

export interface WebhookServiceDeps {
  kubeConfig: KubeConfig;
  /** Watch one namespace, or every namespace when undefined. */
  namespace: string | undefined;
  identity: string;
  metrics: WebhookMetrics;
  log: Logger;
  onSynced: () => void;
}

export class WebhookService {
  private readonly options: WebhookOptions;
  private readonly deps: WebhookServiceDeps;
  private cache: SupervisedInformer<LogShipper> | undefined;
  private certificates: CertificateSource | undefined;
  private events: EventQueue | undefined;
  private server: WebhookServer | undefined;
  private stopped = false;

  constructor(options: WebhookOptions, deps: WebhookServiceDeps) {
    this.options = options;
    this.deps = deps;
  }

  /** Resolves with the port once the server listens (undefined if stop() came first). */
  async start(): Promise<number | undefined> {
    const { kubeConfig, namespace, metrics, identity } = this.deps;
    const webhook = this.options;
    const log = this.deps.log;
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const ns = namespace === undefined ? '' : `/namespaces/${namespace}`;
    const informer = informerFor<LogShipper>(kubeConfig, `/apis/${GROUP}/${VERSION}${ns}/${PLURAL}`, async () =>
      (namespace === undefined
        ? await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
        : await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })) as KubernetesListObject<LogShipper>);
    const cache = supervise(informer, {
      name: 'webhook-logshippers', log,
      onRestart: () => {
        metrics.informerRestarts.inc({ informer: 'webhook-logshippers' });
      },
    });
    this.cache = cache;
    void cache.synced.then(this.deps.onSynced);

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
    const certificate = await source.start();
    const expiry = (cert: { cert: string }): void => {
      const notAfter = servingExpiry(cert);
      if (notAfter !== undefined) metrics.webhookCertificateExpiry.set(notAfter.getTime() / 1000);
    };
    expiry(certificate);

    const timeoutMs = webhook.apiTimeoutMs ?? ADMISSION_API_TIMEOUT_MS;
    const recorder = new EventRecorder(core, identity, log, () => {
      metrics.writes.inc({ kind: 'event' });
    });
    const events = new EventQueue({ recorder, log, capacity: EVENT_QUEUE_CAPACITY, repeatMs: EVENT_REPEAT_MS, timeoutMs });
    this.events = events;
    const findShipper = async (shipperNamespace: string, name: string): Promise<LogShipper | undefined> => {
      const cached = informer.get(name, shipperNamespace);
      if (cached?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true) return cached;
      // Not in the cache, or not ready there: the cache may lag behind a LogShipper just created or reconciled.
      try {
        return await withDeadline(`GET LogShipper ${shipperNamespace}/${name}`, timeoutMs, async (options) =>
          await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: shipperNamespace, plural: PLURAL, name }, options) as LogShipper);
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      }
    };
    const server = await startWebhookServer(webhook.host, webhook.port, certificate, {
      inject: webhook.inject,
      strict: webhook.strict,
      findShipper,
      recordEvent: (involvedObject, reason, message) => {
        events.enqueue(involvedObject, reason, message);
      },
      metrics,
      log,
    });
    if (this.stopped) {
      await server.close();
      return undefined;
    }
    this.server = server;
    source.onChange((next) => {
      server.setCertificate(next);
      expiry(next);
    });
    log.info({ port: server.port, path: '/mutate', strict: webhook.strict, mode: webhook.inject.defaultMode, certificates: certificates.kind, apiTimeoutMs: timeoutMs }, 'webhook listening');
    return server.port;
  }

  isSynced(): boolean {
    return this.cache?.isSynced() === true;
  }

  /** Closes the server, stops the cache and the certificate checks, lets queued Events go out (briefly). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.certificates?.stop();
    await this.server?.close();
    await this.cache?.stop().catch(() => undefined);
    await this.events?.drain(EVENT_DRAIN_MS);
  }
}
