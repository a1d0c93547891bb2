import type { TaildirTotals } from '../taildir.ts';
import type { ConfinedOpener } from './confinement.ts';
import type { TailedFile } from './tailed-file.ts';

/**
 * The files of a TAILDIR source replaced by a reload, for the source that replaces it.
 *
 * Its batches still in the channels hold receipts to these files' checkpoint trackers. Closing
 * the old source would write positions from what was acknowledged so far, and the new one
 * would read everything still in the channels again (a channel's capacity of duplicates on
 * every reload). Draining the channels first would avoid that, but a reload would then wait
 * for a slow sink to deliver a whole channel. So the new source takes each file over: its open
 * descriptor, identity and tracker, and continues reading where the old one last put a batch.
 * The old receipts advance the same trackers, and the position file written by the new source
 * counts them.
 */
export class TaildirHandover {
  private readonly files = new Map<string, TailedFile>();
  /** The old source's counts, continued by the new one (its counters do not fall back to 0). */
  readonly totals: Readonly<TaildirTotals>;
  /** The files the old source refused (outside confineTo): already logged and counted. */
  readonly refusals: ConfinedOpener['reported'] | undefined;

  constructor(files: Iterable<TailedFile>, totals: Readonly<TaildirTotals>, refusals?: ConfinedOpener['reported']) {
    for (const file of files) this.files.set(file.key, file);
    this.totals = totals;
    this.refusals = refusals;
  }

  /** The old source's state of the file with this identity (device:inode), once. */
  take(key: string): TailedFile | undefined {
    const file = this.files.get(key);
    this.files.delete(key);
    return file;
  }

  /** The files no listing of the new source claimed, once. */
  rest(): TailedFile[] {
    const rest = [...this.files.values()];
    this.files.clear();
    return rest;
  }
}
