// Informers: a cache of one resource kept current by list + watch (client-node's makeInformer).
// The library re-lists by itself when the watch says 410 Gone (its resourceVersion is too old);
// on any other error it stops for good, so this wrapper restarts it with a capped backoff.
import { ListWatch, makeInformer, Watch, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export type Cache<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface SupervisedInformer<T extends KubernetesObject> {
  cache: ObjectCache<T>;
  /** Resolves once the first list is in the cache. */
  synced: Promise<void>;
  isSynced(): boolean;
  /** How many times the informer was restarted after an error. */
  restarts(): number;
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  name: string;
  log: Logger;
  /** First restart delay, doubled per consecutive failure up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called at each restart (for a metric). */
  onRestart?: () => void;
}

/** Starts `informer` and keeps it running: restarts it whenever it stops on an error. */
export function supervise<T extends KubernetesObject>(informer: Cache<T>, options: SuperviseOptions): SupervisedInformer<T> {
  const { name, log } = options;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  let stopped = false;
  let synced = false;
  let failures = 0;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  let resolveSynced: () => void = () => undefined;
  const syncedPromise = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });

  // start() resolves also when the list failed (the error goes to the error callbacks).
  let failedSinceStart = false;
  const start = (): void => {
    failedSinceStart = false;
    informer.start().then(() => {
      if (!synced && !failedSinceStart) {
        synced = true;
        log.info({ informer: name }, 'informer synced');
        resolveSynced();
      }
    }, (error: unknown) => {
      restart(error);
    });
  };
  const restart = (error: unknown): void => {
    failedSinceStart = true;
    if (stopped || timer !== undefined) return;
    const delay = Math.min(baseDelayMs * 2 ** failures, maxDelayMs);
    failures++;
    log.warn({ informer: name, err: describe(error), delayMs: delay }, 'informer stopped on an error; restarting');
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      restarts++;
      options.onRestart?.();
      start();
    }, delay);
  };
  informer.on('error', restart);
  // A (re)connected watch means the informer works again.
  informer.on('connect', () => {
    if (synced) failures = 0;
  });
  start();

  return {
    cache: informer,
    synced: syncedPromise,
    isSynced: () => synced,
    restarts: () => restarts,
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await informer.stop();
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null) return JSON.stringify(error);
  return String(error);
}

/** An informer for `path` (a list URL such as /api/v1/namespaces/ns/secrets), listing through `list`. */
export function informerFor<T extends KubernetesObject>(
  kc: KubeConfig, path: string, list: () => Promise<KubernetesListObject<T>>, labelSelector?: string,
): Cache<T> {
  return makeInformer<T>(kc, path, list, labelSelector);
}

/**
 * An informer whose cache holds `summarize(object)` instead of each listed or watched object: for a
 * kind watched in bulk of which a few fields are read (pods). The summary must keep
 * metadata.name, namespace and resourceVersion (the cache's keys and the watch's resume point).
 */
export function summarizingInformerFor<T extends KubernetesObject>(
  kc: KubeConfig, path: string, list: () => Promise<KubernetesListObject<T>>, summarize: (object: T) => T,
): Cache<T> {
  const summarized = async (): Promise<KubernetesListObject<T>> => {
    const listed = await list();
    return { ...listed, items: listed.items.map(summarize) };
  };
  return new ListWatch<T>(path, new SummarizingWatch(kc, summarize), summarized, false);
}

/** A Watch that hands on the summary of each object event (ERROR and BOOKMARK events carry no object of the kind). */
class SummarizingWatch<T extends KubernetesObject> extends Watch {
  private readonly summarize: (object: T) => T;

  constructor(kc: KubeConfig, summarize: (object: T) => T) {
    super(kc);
    this.summarize = summarize;
  }

  override async watch(
    path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(path, queryParams, (phase, object: unknown, watchObj: unknown) => {
      const kindEvent = phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED';
      callback(phase, kindEvent ? this.summarize(object as T) : object, watchObj);
    }, done);
  }
}
