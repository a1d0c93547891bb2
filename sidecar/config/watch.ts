import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

/** What the watcher reports besides content changes: the file went away, or is there (again). */
export type PresenceListener = (present: boolean) => void;

/**
 * Calls `onChange` when the content of `file` changes, and `onPresence` when it disappears or
 * (re)appears: a ConfigMap volume mounted `optional` loses its file when the ConfigMap is deleted,
 * and gets it back when it is created again. Watches the file's directory, not the
 * file: a Kubernetes ConfigMap volume updates by swapping its `..data` symlink, so the file's
 * own inode never changes (and `subPath` mounts never update at all). A slow poll backs up
 * the watch on filesystems whose events are unreliable. Content is compared by hash, so
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
  private readonly poll: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | undefined;

  constructor(file: string, onChange: () => void, pollMs = 2000, onPresence: PresenceListener = () => undefined) {
    this.file = file;
    this.onChange = onChange;
    this.onPresence = onPresence;
    this.lastHash = contentHash(file);
    this.present = this.lastHash !== '';
    try {
      this.watcher = watch(dirname(file), () => {
        this.schedule();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined;
    }
    this.poll = setInterval(() => {
      this.check();
    }, pollMs);
    this.poll.unref();
  }

  /** Records `hash` as seen, e.g. after a reload triggered by SIGHUP. */
  seen(hash: string): void {
    this.lastHash = hash;
  }

  close(): void {
    this.watcher?.close();
    clearInterval(this.poll);
    clearTimeout(this.debounce);
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
