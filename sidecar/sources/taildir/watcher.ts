import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../../log.ts';
import type { FileGroup } from './config.ts';
import { isInside } from './confinement.ts';
import { groupMatches } from './listing.ts';

export type WatchEvent = 'add' | 'change' | 'unlink' | 'dir';

/** A directory watched with fs.watch (inotify): `levels` more directory levels below it are watched too. */
class WatchedDir {
  /** -1: only an ancestor of base directories that do not exist yet (its own files are not reported). */
  levels: number;
  /** Missing base directories this is the nearest existing ancestor of. */
  readonly waitingFor = new Set<string>();
  readonly watcher: FSWatcher;

  /** Throws what fs.watch throws (ENOENT, EACCES, ENOSPC). */
  constructor(path: string, levels: number, changed: (path: string) => void, touched: (name: string | null) => void) {
    this.levels = levels;
    const prefix = path.endsWith('/') ? path : `${path}/`;
    this.watcher = watch(path, (event, name) => {
      // The hot path: a write to a file in the directory. No stat, no listing: the source looks
      // the path up among its files (others, such as its position file, are ignored there).
      if (event === 'change') {
        if (name !== null && this.levels >= 0) changed(prefix + name);
      } else {
        touched(name);
      }
    });
  }
}

/**
 * Watches the groups' base directories, and their subdirectories down to each pattern's depth,
 * with Node's fs.watch (inotify on Linux): one watch per directory reports every write to every
 * file in it by name, so a write costs the agent no listing and no stat here. Only a name
 * appearing or going away in a watched directory (a new file, a rotation, a new directory) makes
 * the watcher look: at the named entries (never a listing, except of a new directory), once per
 * burst of such events, after which it asks the source for one rescan.
 *
 * It watches what listFiles lists: real directories below the base, not directory symlinks
 * (no loops, nothing outside the volume), and the base directory itself even through a symlink,
 * unless its real path leaves `confineTo`. A matched file that is a symlink is watched on its own
 * (its writes show in its target's directory, not in the link's). A base directory that does not
 * exist yet is waited for by watching its nearest existing ancestor.
 *
 * Not trusted alone: on network and overlay volumes events go missing, and a directory that
 * cannot be watched (the inotify watch limit, ENOSPC; EACCES) is logged once and left to the
 * source's polling (pollInterval, rescanInterval); the watcher only makes the source faster.
 */
export class GroupWatcher {
  private readonly onEvent: (event: WatchEvent, path: string) => void;
  private readonly exclude: (path: string) => boolean;
  private readonly groups: readonly FileGroup[];
  private readonly log: Logger;
  /** Each base directory with the deepest level any group needs below it. */
  private readonly bases = new Map<string, number>();
  private readonly dirs = new Map<string, WatchedDir>();
  /** Matched files that are symlinks, watched through the link. */
  private readonly links = new Map<string, FSWatcher>();
  /** Names that appeared or went away, by directory (null: the event named none: look at the whole directory). */
  private readonly pending = new Map<string, Set<string> | null>();
  /** Directories that could not be watched, logged once each (`ENOSPC`: once for all). */
  private readonly unwatchable = new Set<string>();
  private readonly root: Promise<string | undefined>;
  private readonly started: Promise<void>;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(groups: readonly FileGroup[], exclude: (path: string) => boolean, onEvent: (event: WatchEvent, path: string) => void, confineTo: string | undefined, log: Logger) {
    this.groups = groups;
    this.exclude = exclude;
    this.onEvent = onEvent;
    this.log = log;
    for (const { pattern } of groups) this.bases.set(pattern.baseDir, Math.max(pattern.depth, this.bases.get(pattern.baseDir) ?? 0));
    this.root = confineTo === undefined ? Promise.resolve(undefined) : realpath(confineTo).catch(() => undefined);
    this.started = this.watchBases().then(() => undefined);
  }

  /** Resolves once the directories are watched and events are live. */
  ready(): Promise<void> {
    return this.started;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.started;
    await this.flushing;
    for (const dir of this.dirs.values()) dir.watcher.close();
    for (const link of this.links.values()) link.close();
    this.dirs.clear();
    this.links.clear();
    this.pending.clear();
  }

  /**
   * Watches every base directory not watched yet; a missing one is waited for in its nearest
   * existing ancestor. Ancestors no base waits for any more are let go. True if a base is newly watched.
   */
  private async watchBases(): Promise<boolean> {
    let any = false;
    for (const dir of this.dirs.values()) dir.waitingFor.clear();
    for (const [base, levels] of this.bases) {
      if ((this.dirs.get(base)?.levels ?? -1) >= levels) continue;
      await this.watchBase(base, levels);
      if ((this.dirs.get(base)?.levels ?? -1) >= levels) any = true;
    }
    for (const [path, dir] of this.dirs) {
      if (dir.levels >= 0 || dir.waitingFor.size > 0) continue;
      dir.watcher.close();
      this.dirs.delete(path);
    }
    return any;
  }

  private async watchBase(base: string, levels: number): Promise<void> {
    const real = await realpath(base).catch(() => undefined);
    if (real !== undefined && (await isDirectory(base))) {
      const root = await this.root;
      // Its files would be refused at open anyway; a `**` under it could span a whole filesystem.
      if (root !== undefined && !isInside(root, real)) return;
      await this.watchDir(base, levels);
      return;
    }
    let toward = base;
    let dir = dirname(base);
    while (dir !== toward && !(await isDirectory(dir))) {
      toward = dir;
      dir = dirname(dir);
    }
    const known = this.dirs.get(dir);
    const watched = known ?? this.add(dir, -1);
    if (watched === undefined) return; // polling finds it
    watched.waitingFor.add(base);
    // Created between the look above and the watch: no event will tell.
    if (known === undefined && (await isDirectory(toward))) this.touched(dir, basename(toward));
  }

  /** Watches a directory and the directories below it down to `levels`, listing each once. */
  private async watchDir(path: string, levels: number): Promise<void> {
    const known = this.dirs.get(path);
    if (known !== undefined && known.levels >= levels) return;
    if (known === undefined) {
      if (this.add(path, levels) === undefined) return;
    } else {
      known.levels = levels;
    }
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch {
      return; // gone again: its parent's event says so
    }
    for (const entry of entries) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        if (levels > 0) await this.watchDir(child, levels - 1);
      } else if (entry.isSymbolicLink()) {
        await this.watchLink(child);
      }
    }
  }

  /** Starts one fs.watch; undefined (logged once) when the directory cannot be watched. */
  private add(path: string, levels: number): WatchedDir | undefined {
    if (this.closed) return undefined;
    let watched: WatchedDir;
    try {
      watched = new WatchedDir(path, levels, (file) => { this.onEvent('change', file); }, (name) => { this.touched(path, name); });
    } catch (error) {
      this.failed(path, error);
      return undefined;
    }
    watched.watcher.on('error', (error) => {
      // inotify gave up on it (say, removed under the watch): polling covers it; a later burst may watch it again.
      this.failed(path, error);
      this.unwatch(path);
      this.report(path);
    });
    this.dirs.set(path, watched);
    return watched;
  }

  /** Watches a matched file that is a symlink (inside confineTo), so writes to its target are reported under its path. */
  private async watchLink(path: string): Promise<void> {
    if (this.closed || this.links.has(path) || this.exclude(path) || !this.groups.some((group) => groupMatches(group, path))) return;
    const real = await realpath(path).catch(() => undefined);
    const root = await this.root;
    if (real === undefined || (root !== undefined && !isInside(root, real)) || !(await isFile(path))) return;
    try {
      const watcher = watch(path, (event) => {
        if (event === 'change') this.onEvent('change', path);
        else {
          // The target went away or was renamed: the link is looked at again (it may name a new file).
          this.unlink(path);
          this.touched(dirname(path), basename(path));
        }
      });
      watcher.on('error', () => {
        this.unlink(path);
      });
      this.links.set(path, watcher);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.failed(path, error);
    }
  }

  private unlink(path: string): void {
    this.links.get(path)?.close();
    this.links.delete(path);
  }

  /** Stops watching a directory and everything watched below it; bases waiting on it look again. */
  private unwatch(path: string): void {
    const below = path.endsWith('/') ? path : `${path}/`;
    for (const [dir, watched] of this.dirs) {
      if (dir !== path && !dir.startsWith(below)) continue;
      watched.watcher.close();
      this.dirs.delete(dir);
    }
    for (const link of this.links.keys()) if (link.startsWith(below)) this.unlink(link);
  }

  /** A name appeared or went away in a watched directory: looked at once the burst is over. */
  private touched(dir: string, name: string | null): void {
    if (this.closed) return;
    const names = this.pending.get(dir);
    if (name === null) this.pending.set(dir, null);
    else if (names === undefined) this.pending.set(dir, new Set([name]));
    else if (names !== null) names.add(name);
    // setImmediate: the events inotify delivered together (a rotation's rename and create) are one burst.
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    while (this.pending.size > 0 && !this.closed) {
      const batch = [...this.pending];
      this.pending.clear();
      let rescan = false;
      for (const [dir, names] of batch) if (await this.look(dir, names)) rescan = true;
      if (await this.watchBases()) rescan = true;
      // Names coming and going in an ancestor only matter once they make a base directory.
      if (rescan) this.report(batch[0]?.[0] ?? '');
    }
    this.flushing = undefined;
  }

  /** Brings the watches at these names of `dir` (all of them when null) up to date. */
  private async look(dir: string, names: Set<string> | null): Promise<boolean> {
    const watched = this.dirs.get(dir);
    if (watched === undefined) return false; // no longer watched
    if (!(await isDirectory(dir))) {
      this.unwatch(dir); // deleted or renamed away (fs.watch names the directory itself): watchBases waits for a base again
      return watched.levels >= 0;
    }
    if (watched.levels < 0) return false; // an ancestor: watchBases looks for the bases it waits for
    const list = names ?? await readdir(dir).catch(() => [] as string[]);
    for (const name of list) {
      const path = join(dir, name);
      const isDir = this.dirs.has(path);
      const isLink = this.links.has(path);
      if (!isDir && !isLink && watched.levels === 0 && !this.groups.some((group) => groupMatches(group, path))) continue;
      const stats = await lstat(path).catch(() => undefined);
      if (isDir && stats?.isDirectory() !== true) this.unwatch(path);
      if (isLink && stats?.isSymbolicLink() !== true) this.unlink(path);
      if (stats?.isDirectory() === true && watched.levels > 0) await this.watchDir(path, watched.levels - 1);
      else if (stats?.isSymbolicLink() === true) await this.watchLink(path);
    }
    return true;
  }

  /** Some directory could not be watched: its files' changes are seen only by polling. */
  get blind(): boolean {
    return this.unwatchable.size > 0;
  }

  /** One rescan request for a burst; none once closed (close() may come while a burst is looked at). */
  private report(dir: string): void {
    if (!this.closed) this.onEvent('dir', dir);
  }

  private failed(path: string, error: unknown): void {
    const code = (error as NodeJS.ErrnoException).code ?? null;
    // The watch limit is the user's, not the directory's: once is enough for a whole tree.
    const key = code === 'ENOSPC' ? code : path;
    if (this.unwatchable.has(key)) return;
    this.unwatchable.add(key);
    this.log.warn({ dir: path, code, err: error }, code === 'ENOSPC'
      ? 'cannot watch directory: the inotify watch limit is reached (fs.inotify.max_user_watches); its files are found by polling'
      : 'cannot watch directory: its files are found by polling');
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((stats) => stats.isDirectory(), () => false);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((stats) => stats.isFile(), () => false);
}
