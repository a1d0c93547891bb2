// The operator process: informers (LogShippers, the operator's ConfigMaps, pods: operator/caches.ts)
// feed a work queue of LogShipper keys (operator/event-keys.ts); workers run the reconciler
// (operator/workers.ts) through the API adapter (operator/kube-api.ts). With leader election only the Lease holder
// runs informers and workers; a standby waits, serving its probes and the sidecars' delivery reports
// (operator/sidecar-reports.ts), as every replica does. Losing the Lease ends the process
// (exit 1, the Deployment restarts it as a standby); SIGTERM stops it cleanly and releases the Lease.
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { leaderCaches } from './caches.ts';
import { EventRecorder } from './events.ts';
import { startHttpServer } from './http.ts';
import { routeEvents } from './event-keys.ts';
import { supervise, type Cache, type SupervisedInformer } from './informer.ts';
import { kubeReconcilerApi } from './kube-api.ts';
import type { AdminPolicy } from './admin-policy.ts';
import { LeaderElector } from './leader.ts';
import { createMetrics, type OperatorMetrics } from './metrics.ts';
import { WorkQueue, type BackoffOptions } from './queue.ts';
import { Reconciler } from './reconcile.ts';
import { work } from './workers.ts';
import { WebhookService, type WebhookOptions } from './webhook-service.ts';
import { MAX_REPORT_BYTES, SIDECAR_REPORTS_PATH } from './sidecar-health.ts';
import { kubePodAccess, readBody, SidecarReports } from './sidecar-reports.ts';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Watch one namespace, or every namespace when undefined. */
  namespace: string | undefined;
  leaderElection: { namespace: string; name: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } | undefined;
  identity?: string;
  http: { host: string; port: number };
  workers: number;
  backoff?: BackoffOptions;
  /** The injection webhook (every replica serves it); undefined: off. */
  webhook?: WebhookOptions | undefined;
  /** The cluster admin's allow-lists (the webhook's inject options carry the same). */
  policy: AdminPolicy;
  log: Logger;
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID().slice(0, 8)}`;
}

export class Operator {
  readonly identity: string;
  readonly metrics: OperatorMetrics;
  /** Resolves with the exit code: 0 after stop(), 1 when leadership was lost. */
  readonly done: Promise<number>;
  private readonly options: OperatorOptions;
  private readonly log: Logger;
  private readonly queue: WorkQueue;
  private finish: (code: number) => void = () => undefined;
  private informers: Pick<SupervisedInformer<KubernetesObject>, 'synced' | 'isSynced' | 'stop'>[] = [];
  private workers: Promise<void>[] = [];
  private elector: LeaderElector | undefined;
  private server: Server | undefined;
  private running = false;
  private healthy = true;
  private stopping: Promise<void> | undefined;
  private webhook: WebhookService | undefined;

  constructor(options: OperatorOptions) {
    this.options = options;
    this.identity = options.identity ?? defaultIdentity();
    this.log = options.log.child({ identity: this.identity });
    this.metrics = createMetrics();
    this.queue = new WorkQueue(options.backoff);
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** Starts the HTTP endpoints and then campaigns for the Lease (or runs at once without election). */
  async start(): Promise<number> {
    const { http, leaderElection, kubeConfig } = this.options;
    const reports = new SidecarReports({
      pods: kubePodAccess(kubeConfig), namespace: this.options.namespace, metrics: this.metrics, log: this.log.child({ component: 'sidecar-reports' }),
    });
    const started = await startHttpServer(http.host, http.port, {
      healthy: () => this.healthy,
      ready: () => this.healthy && (!this.running || this.informers.every((informer) => informer.isSynced()))
        && (this.webhook?.isReady() ?? true),
    }, this.metrics.registry, {
      [SIDECAR_REPORTS_PATH]: async (request) => reports.handle(await readBody(request, MAX_REPORT_BYTES), request.socket.remoteAddress),
    });
    this.server = started.server;
    this.log.info({ port: started.port, namespace: this.options.namespace ?? 'all' }, `operator listening (/healthz, /readyz, /metrics, POST ${SIDECAR_REPORTS_PATH})`);
    if (this.options.webhook !== undefined) {
      const webhook = this.options.webhook;
      const fail = (message: string): void => {
        if (this.stopping !== undefined) return;
        this.log.fatal({ err: message }, 'injection webhook cannot start');
        this.healthy = false;
        void this.shutdown(1);
      };
      this.webhook = new WebhookService(webhook, { kubeConfig, namespace: this.options.namespace, identity: this.identity, metrics: this.metrics, log: this.log, onFailure: fail });
      this.webhook.start().catch((error: unknown) => {
        fail((error as Error).message);
      });
    }
    if (leaderElection === undefined) {
      this.startControllers();
    } else {
      this.elector = new LeaderElector({
        client: kubeConfig.makeApiClient(CoordinationV1Api),
        ...leaderElection,
        identity: this.identity,
        log: this.log,
        onStartedLeading: () => {
          this.metrics.leader.set(1);
          this.startControllers();
        },
        onStoppedLeading: () => {
          this.metrics.leader.set(0);
          this.healthy = false;
          void this.shutdown(1);
        },
      });
      this.elector.start();
    }
    return started.port;
  }

  private startControllers(): void {
    if (this.running) return;
    this.running = true;
    const { kubeConfig, namespace } = this.options;
    const caches = leaderCaches(kubeConfig, namespace);
    for (const [name, cache] of Object.entries(caches)) this.informer(name, cache as Cache<KubernetesObject>);
    const events = new EventRecorder(kubeConfig.makeApiClient(CoreV1Api), this.identity, this.log, () => {
      this.metrics.writes.inc({ kind: 'event' });
    });
    const reconciler = new Reconciler({
      shippers: caches.shippers, configMaps: caches.configMaps, api: kubeReconcilerApi(kubeConfig, this.metrics), events, log: this.log, metrics: this.metrics,
      pods: (podNamespace) => caches.pods.list(podNamespace),
      policy: { policy: this.options.policy, defaultImage: this.options.webhook?.inject.defaultImage },
    });
    routeEvents(caches, reconciler, (key) => {
      this.queue.add(key);
      this.metrics.queueDepth.set(this.queue.length);
    });

    // Workers start once every cache holds its first list: before that, "absent" would be a guess.
    void Promise.all(this.informers.map(async (informer) => informer.synced)).then(() => {
      if (!this.running) return;
      this.log.info({ workers: this.options.workers }, 'caches synced; reconciling');
      for (let i = 0; i < this.options.workers; i++) this.workers.push(work(this.queue, reconciler, this.metrics, this.log));
    });
  }

  private informer<T extends KubernetesObject>(name: string, cache: Cache<T>): void {
    this.informers.push(supervise(cache, {
      name,
      log: this.log,
      onRestart: () => {
        this.metrics.informerRestarts.inc({ informer: name });
      },
    }));
  }

  /** Graceful stop: finish the reconciles in flight, stop watching, release the Lease, close HTTP. */
  async stop(): Promise<void> {
    await this.shutdown(0);
  }

  private async shutdown(code: number): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ code }, 'operator stopping');
      this.running = false;
      this.queue.shutDown();
      const webhookStopped = this.webhook?.stop();
      await Promise.race([Promise.all(this.workers), new Promise((resolve) => {
        setTimeout(resolve, 10_000).unref();
      })]);
      await webhookStopped;
      await Promise.all(this.informers.map((informer) => informer.stop().catch(() => undefined)));
      await this.elector?.release();
      this.metrics.leader.set(0);
      await new Promise<void>((resolve) => {
        if (this.server === undefined) {
          resolve();
          return;
        }
        this.server.close(() => {
          resolve();
        });
        this.server.closeAllConnections();
      });
      this.log.info({ code }, 'operator stopped');
      this.finish(code);
    })();
    await this.stopping;
  }
}
