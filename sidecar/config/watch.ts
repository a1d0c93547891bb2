import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The poll beside the directory watch: a safety net only (a kubelet's `..data` swap, an edit, a
 * removal are all seen by the watch at once), so slow; an idle agent wakes for it twice a minute.
 */
export const SAFETY_POLL_MS = 30_000;
/** The poll when the directory cannot be watched (it does not exist yet, or its watch failed): the only way to see changes. */
export const UNWATCHED_POLL_MS = 2000;

/** What the watcher reports besides content changes: the file went away, or is there (again). */
export type PresenceListener = (present: boolean) => void;

/**
 * Calls `onChange` when the content of `file` changes, and `onPresence` when it disappears or
 * (re)appears: a ConfigMap volume mounted `optional` loses its file when the ConfigMap is deleted,
 * and gets it back when it is created again. Watches the file's directory, not the
 * file: a Kubernetes ConfigMap volume updates by swapping its `..data` symlink, so the file's
 * own inode never changes (and `subPath` mounts never update at all). A slow poll backs up
 * the watch on filesystems whose events are unreliable (SAFETY_POLL_MS), a faster one replaces
 * it where the directory cannot be watched (UNWATCHED_POLL_MS). Content is compared by hash, so
 * touching the file or unrelated changes in the directory do nothing. The Kafka sink watches its
 * credential files (Secret volumes, swapped alike) with it too.
 */
export class ConfigWatcher {
  private readonly file: string;
  private readonly onChange: () => void;
  private readonly onPresence: PresenceListener;
  private lastHash: string;
  private present: boolean;
  private watcher: FSWatcher | undefined;
  private readonly pollMs: number;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private closed = false;

  /** `pollMs`: the safety poll while the directory is watched (at most UNWATCHED_POLL_MS while it is not). */
  constructor(file: string, onChange: () => void, pollMs = SAFETY_POLL_MS, onPresence: PresenceListener = () => undefined) {
    this.file = file;
    this.onChange = onChange;
    this.onPresence = onPresence;
    this.lastHash = contentHash(file);
    this.present = this.lastHash !== '';
    this.pollMs = pollMs;
    try {
      this.watcher = watch(dirname(file), () => {
        this.schedule();
      });
      this.watcher.on('error', () => {
        // e.g. the directory was removed: poll at the faster rate from now on.
        this.watcher?.close();
        this.watcher = undefined;
        this.armPoll();
      });
    } catch {
      this.watcher = undefined;
    }
    this.armPoll();
  }

  /** Records `hash` as seen, e.g. after a reload triggered by SIGHUP. */
  seen(hash: string): void {
    this.lastHash = hash;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.poll);
    this.poll = undefined;
    clearTimeout(this.debounce);
    this.closed = true;
  }

  private armPoll(): void {
    if (this.closed) return;
    clearTimeout(this.poll);
    this.poll = setTimeout(() => {
      this.check();
      this.armPoll();
    }, this.watcher === undefined ? Math.min(this.pollMs, UNWATCHED_POLL_MS) : this.pollMs);
    this.poll.unref();
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    // The kubelet writes a new timestamped dir, then swaps ..data: wait for the dust to settle.
    this.debounce = setTimeout(() => {
      this.check();
    }, 200);
  }

  private check(): void {
    const hash = contentHash(this.file);
    // '' means unreadable (removed): the running config stays. The kubelet's swap of ..data is one
    // rename, so a ConfigMap's file is never missing mid-update.
    const present = hash !== '';
    if (present !== this.present) {
      this.present = present;
      this.onPresence(present);
    }
    if (!present || hash === this.lastHash) return;
    this.lastHash = hash;
    this.onChange();
  }
}

/** sha256 of the file's content ('' when it cannot be read, e.g. mid-swap). */
export function contentHash(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return '';
  }
}
