// The operator process: informers (LogShippers, the operator's ConfigMaps, Secrets) feed a work
// queue of LogShipper keys; workers run the reconciler. With leader election only the Lease holder
// runs informers and workers; a standby waits, serving its probes. Losing the Lease ends the process
// (exit 1, the Deployment restarts it as a standby); SIGTERM stops it cleanly and releases the Lease.
import {
  ApiException, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy,
  type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1ConfigMap, type V1Pod, type V1Secret,
} from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { GROUP, PLURAL, VERSION, type LogShipper, type LogShipperStatus } from './crd-types.ts';
import { EventRecorder } from './events.ts';
import { startHttpServer } from './http.ts';
import { informerFor, summarizingInformerFor, supervise, type SupervisedInformer } from './informer.ts';
import { INJECTED_LABEL, requestedLogShipper } from './inject.ts';
import { LeaderElector } from './leader.ts';
import { createMetrics, type OperatorMetrics } from './metrics.ts';
import { WorkQueue, type BackoffOptions } from './queue.ts';
import { objectKey, Reconciler, secretReferences, type ReconcilerApi } from './reconcile.ts';
import { podSummary } from './pod-summary.ts';
import { LOGSHIPPER_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './sidecar-layout.ts';
import { resolveSpec } from './spec.ts';
import { WebhookService, type WebhookOptions } from './webhook-service.ts';

export const FIELD_MANAGER = 'logshipper-operator';

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
    const started = await startHttpServer(http.host, http.port, {
      healthy: () => this.healthy,
      ready: () => this.healthy && (!this.running || this.informers.every((informer) => informer.isSynced()))
        && (this.webhook?.isReady() ?? true),
    }, this.metrics.registry);
    this.server = started.server;
    this.log.info({ port: started.port, namespace: this.options.namespace ?? 'all' }, 'operator listening (/healthz, /readyz, /metrics)');
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
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    const ns = namespace === undefined ? '' : `/namespaces/${namespace}`;
    const managed = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

    const shippers = this.informer<LogShipper>('logshippers', informerFor(kubeConfig, `/apis/${GROUP}/${VERSION}${ns}/${PLURAL}`, async () =>
      (namespace === undefined
        ? await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
        : await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })) as KubernetesListObject<LogShipper>));
    const configMaps = this.informer<V1ConfigMap>('configmaps', informerFor(kubeConfig, `/api/v1${ns}/configmaps`, async () =>
      namespace === undefined
        ? await core.listConfigMapForAllNamespaces({ labelSelector: managed })
        : await core.listNamespacedConfigMap({ namespace, labelSelector: managed }), managed));
    const secrets = this.informer<V1Secret>('secrets', informerFor(kubeConfig, `/api/v1${ns}/secrets`, async () =>
      namespace === undefined ? await core.listSecretForAllNamespaces() : await core.listNamespacedSecret({ namespace })));
    // Every pod (an uninjected pod has only its annotation to tell it by, which cannot be selected
    // on), summarized: for the status pod counts and the pods admitted without the sidecar.
    const pods = this.informer<V1Pod>('pods', summarizingInformerFor(kubeConfig, `/api/v1${ns}/pods`, async () =>
      namespace === undefined ? await core.listPodForAllNamespaces() : await core.listNamespacedPod({ namespace }), podSummary));

    const api: ReconcilerApi = {
      readConfigMap: async (namespace, name) => {
        try {
          return await core.readNamespacedConfigMap({ namespace, name });
        } catch (error) {
          if (error instanceof ApiException && error.code === 404) return undefined;
          throw error;
        }
      },
      applyConfigMap: async (configMap) => {
        this.metrics.writes.inc({ kind: 'configmap' });
        return objects.patch(configMap, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      },
      replaceStatus: async (namespace, name, resourceVersion, status: LogShipperStatus) => {
        this.metrics.writes.inc({ kind: 'status' });
        // JSON patch with a test: the status is replaced only if nobody changed the object since it was read.
        const updated: unknown = await custom.patchNamespacedCustomObjectStatus({
          group: GROUP, version: VERSION, namespace, plural: PLURAL, name,
          body: [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, { op: 'add', path: '/status', value: status }],
        });
        return updated as LogShipper;
      },
    };
    const events = new EventRecorder(core, this.identity, this.log, () => {
      this.metrics.writes.inc({ kind: 'event' });
    });
    const reconciler = new Reconciler({
      shippers, configMaps, secrets, api, events, log: this.log, metrics: this.metrics,
      pods: (podNamespace) => pods.list(podNamespace),
    });

    const enqueue = (key: string): void => {
      this.queue.add(key);
      this.metrics.queueDepth.set(this.queue.length);
    };
    const onShipper = (object: LogShipper): void => {
      reconciler.shipperWrites.observe(object);
      enqueue(objectKey(object));
    };
    shippers.on('add', onShipper);
    shippers.on('update', onShipper);
    shippers.on('delete', onShipper);
    const onConfigMap = (object: V1ConfigMap): void => {
      reconciler.configMapWrites.observe(object);
      const owner = object.metadata?.labels?.[LOGSHIPPER_LABEL];
      if (owner !== undefined) enqueue(`${object.metadata?.namespace ?? ''}/${owner}`);
    };
    configMaps.on('add', onConfigMap);
    configMaps.on('update', onConfigMap);
    configMaps.on('delete', onConfigMap);
    const onSecret = (secret: V1Secret): void => {
      const secretNamespace = secret.metadata?.namespace ?? '';
      for (const shipper of shippers.list(secretNamespace)) {
        try {
          if (secretReferences(resolveSpec(shipper.spec)).some((ref) => ref.secretName === secret.metadata?.name)) enqueue(objectKey(shipper));
        } catch {
          // An invalid spec refers to nothing; its own reconcile reports it.
        }
      }
    };
    secrets.on('add', onSecret);
    secrets.on('update', onSecret);
    secrets.on('delete', onSecret);
    // The LogShipper that injected the pod, and the one it asks for (the same, unless it was admitted without the sidecar).
    const onPod = (pod: V1Pod): void => {
      for (const owner of new Set([pod.metadata?.labels?.[INJECTED_LABEL], requestedLogShipper(pod)])) {
        if (owner !== undefined) enqueue(`${pod.metadata?.namespace ?? ''}/${owner}`);
      }
    };
    pods.on('add', onPod);
    pods.on('update', onPod);
    pods.on('delete', onPod);

    // Workers start once every cache holds its first list: before that, "absent" would be a guess.
    void Promise.all(this.informers.map(async (informer) => informer.synced)).then(() => {
      if (!this.running) return;
      this.log.info({ workers: this.options.workers }, 'caches synced; reconciling');
      for (let i = 0; i < this.options.workers; i++) this.workers.push(this.work(reconciler));
    });
  }

  private informer<T extends KubernetesObject>(name: string, cache: ReturnType<typeof informerFor<T>>): ReturnType<typeof informerFor<T>> {
    const supervised = supervise(cache, {
      name,
      log: this.log,
      onRestart: () => {
        this.metrics.informerRestarts.inc({ informer: name });
      },
    });
    this.informers.push(supervised);
    return cache;
  }

  private async work(reconciler: Reconciler): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      this.metrics.queueDepth.set(this.queue.length);
      if (key === undefined) return;
      const stopTimer = this.metrics.reconcileDuration.startTimer();
      try {
        const outcome = await reconciler.reconcile(key);
        this.queue.forget(key);
        this.metrics.reconciles.inc({ result: 'success' });
        this.log.debug({ logshipper: key, writes: outcome.writes, reason: outcome.readiness?.reason }, 'reconciled');
      } catch (error) {
        const delayMs = this.queue.addRateLimited(key);
        this.metrics.reconciles.inc({ result: 'error' });
        this.metrics.reconcileErrors.inc();
        this.log.warn({ logshipper: key, err: (error as Error).message, retryInMs: delayMs }, 'reconcile failed; retrying');
      } finally {
        stopTimer();
        this.queue.done(key);
      }
    }
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
