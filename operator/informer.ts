// Informers: a cache of one resource kept current by list + watch (client-node's makeInformer).
// The library re-lists by itself when the watch says 410 Gone (its resourceVersion is too old);
// on any other error it stops for good, so this wrapper restarts it with a capped backoff.
import { ListWatch, Observable, Watch, type ConfigurationOptions, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
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

/** Objects per list request: a list of the whole cluster is paged, so no one response holds every pod (client-go's page size). */
export const LIST_PAGE_SIZE = 500;

/** One page of a list: `continueToken` is the previous page's metadata.continue (undefined for the first). */
export type ListPage<T extends KubernetesObject> = (continueToken: string | undefined, limit: number) => Promise<KubernetesListObject<T>>;

/**
 * Every page of a list (limit/continue), each item through `map` as its page arrives: the pages
 * are one consistent snapshot (the apiserver's guarantee), of the resourceVersion the watch resumes from.
 */
export async function listAllPages<T extends KubernetesObject>(page: ListPage<T>, map: (item: T) => T = (item) => item): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let token: string | undefined;
  let last: KubernetesListObject<T>;
  do {
    last = await page(token, LIST_PAGE_SIZE);
    // An empty PartialObjectMetadataList comes with items: null.
    for (const item of (last.items as T[] | null) ?? []) items.push(map(item));
    token = last.metadata?._continue;
  } while (token !== undefined && token !== '');
  return { ...last, items };
}

/** An informer for `path` (a list URL such as /api/v1/namespaces/ns/configmaps), listing in pages through `page`. */
export function informerFor<T extends KubernetesObject>(kc: KubeConfig, path: string, page: ListPage<T>, labelSelector?: string): Cache<T> {
  return new ListWatch<T>(path, new Watch(kc), async () => listAllPages(page), false, labelSelector);
}

/** Accept headers for metadata only (no spec, no status): a list's, and a watch's (whose events carry single objects). */
const METADATA_ONLY = {
  list: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
  watch: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
} as const;

/**
 * Options for a generated client's list call asking for metadata only: the Accept header replaced
 * after the client set its own, and the answer (of that media type, unknown to the client's
 * deserializer) read as the JSON it is.
 */
export const METADATA_LIST: ConfigurationOptions = {
  middleware: [{
    pre: (context) => {
      context.setHeaderParam('Accept', METADATA_ONLY.list);
      return new Observable(Promise.resolve(context));
    },
    post: (context) => {
      context.headers['content-type'] = 'application/json';
      return new Observable(Promise.resolve(context));
    },
  }],
  middlewareMergeStrategy: 'append',
};

/** `kc` with its watches asking for metadata only (client-node's Watch has no middleware: its request's Accept header is set here). */
function metadataWatches(kc: KubeConfig): KubeConfig {
  const config = Object.create(kc) as KubeConfig;
  config.applySecurityAuthentication = async (context) => {
    await kc.applySecurityAuthentication(context);
    context.setHeaderParam('Accept', METADATA_ONLY.watch);
  };
  return config;
}

/**
 * An informer of metadata only (`page` lists with METADATA_LIST) whose cache holds
 * `summarize(object)`: the summary must keep metadata.name, namespace and resourceVersion (the
 * cache's keys and the watch's resume point). `fieldSelector` is sent on list and watch: an object
 * that stops matching it leaves the cache as a DELETED event.
 */
export function metadataInformerFor<T extends KubernetesObject>(
  kc: KubeConfig, path: string, page: ListPage<T>, summarize: (object: T) => T, fieldSelector?: string,
): Cache<T> {
  const watch = new SummarizingWatch(metadataWatches(kc), summarize);
  return new ListWatch<T>(path, watch, async () => listAllPages(page, summarize), false, undefined, fieldSelector);
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
