// Read your own writes: an informer's cache lags behind the writes this process makes.
import type { KubernetesObject } from '@kubernetes/client-node';
import { monotonicMs } from '../sidecar/clock.ts';
import { objectKey } from './object-keys.ts';

/** How long a write's own result is preferred over a cache that has not seen it yet. */
const READ_YOUR_WRITES_MS = 30_000;

/**
 * The objects this process wrote, until its informer delivers them: a reconcile that runs before the
 * watch event must compare with what it wrote, not with the older cached object (or it would write again).
 */
export class RecentWrites<T extends KubernetesObject> {
  private readonly entries = new Map<string, { object: T; at: number }>();
  /** The last resourceVersions the informer delivered per key: the watch event may beat the write's response. */
  private readonly seen = new Map<string, string[]>();

  remember(object: T): void {
    const key = objectKey(object);
    const version = object.metadata?.resourceVersion;
    if (version !== undefined && this.seen.get(key)?.includes(version) === true) return;
    this.entries.set(key, { object, at: monotonicMs() });
  }

  /** An informer event: once the cache holds the version written, the cache is current again. */
  observe(object: T): void {
    const key = objectKey(object);
    const version = object.metadata?.resourceVersion ?? '';
    const seen = this.seen.get(key) ?? [];
    seen.push(version);
    if (seen.length > 16) seen.shift();
    this.seen.set(key, seen);
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.object.metadata?.resourceVersion === version) this.entries.delete(key);
  }

  forget(key: string): void {
    this.entries.delete(key);
    this.seen.delete(key);
  }

  /** The freshest known version: the write not yet seen by the cache, else the cached object. */
  get(key: string, cached: T | undefined): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return cached;
    if (monotonicMs() - entry.at > READ_YOUR_WRITES_MS) {
      this.entries.delete(key);
      return cached;
    }
    return entry.object;
  }
}
