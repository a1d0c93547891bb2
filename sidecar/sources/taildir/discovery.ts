import { watch, type FSWatcher } from 'chokidar';
import { realpathSync, type BigIntStats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { FileGroup } from './config.ts';
import { isInside } from './confinement.ts';

/** A file a group matches, with its stats (followed through symbolic links). */
export interface Found {
  group: FileGroup;
  path: string;
  stats: BigIntStats;
}

/**
 * Lists the files the groups match, group by group in configuration order (a file matched by
 * two groups belongs to the first). Walks only the base directories, only as deep as each
 * pattern can match, and does not follow directory symlinks (no loops). `exclude` keeps out
 * the source's own files (the position file may sit in a watched directory).
 */
export async function listFiles(groups: readonly FileGroup[], exclude: (path: string) => boolean): Promise<Found[]> {
  const found: Found[] = [];
  for (const group of groups) {
    const { baseDir, depth } = group.pattern;
    const walk = async (dir: string, rel: string, levels: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return; // missing (not created yet), not a directory, or unreadable: nothing to tail there now
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) {
          if (levels > 0) await walk(path, relPath, levels - 1);
        } else if ((entry.isFile() || entry.isSymbolicLink()) && group.pattern.matches(relPath) && !exclude(path)) {
          const stats = await stat(path, { bigint: true }).catch(() => undefined);
          if (stats?.isFile() === true) found.push({ group, path, stats });
        }
      }
    };
    await walk(baseDir, '', depth);
  }
  return found;
}

export type WatchEvent = 'add' | 'change' | 'unlink' | 'dir';

/** Whether the group's pattern names this absolute path. */
export function groupMatches(group: FileGroup, path: string): boolean {
  const rel = relative(group.pattern.baseDir, path);
  return !rel.startsWith('..') && group.pattern.matches(rel.split(sep).join('/'));
}

/**
 * Watches the groups' base directories with chokidar, so new files, rotations and growth are
 * seen at once. Not trusted alone: on network and overlay volumes events go missing, so the
 * source also polls (see pollInterval, rescanInterval); the watcher only makes it faster.
 */
export class GroupWatcher {
  private readonly watcher: FSWatcher;

  /**
   * `confineTo`: directories (and symlinks) whose real path leaves it are not watched: chokidar
   * follows directory symlinks, and one to `/` under a `**` pattern would have it watch the whole
   * filesystem (the files there are refused at open anyway).
   */
  constructor(groups: readonly FileGroup[], exclude: (path: string) => boolean, onEvent: (event: WatchEvent, path: string) => void, confineTo?: string) {
    const depths = groups.map((group) => group.pattern.depth);
    const depth = Math.max(...depths);
    const matches = (path: string): boolean => groups.some((group) => groupMatches(group, path));
    const root = confineTo === undefined ? undefined : realpathOrUndefined(confineTo);
    const leavesRoot = (path: string): boolean => {
      if (root === undefined) return false;
      const real = realpathOrUndefined(path);
      return real !== undefined && !isInside(root, real);
    };
    this.watcher = watch([...new Set(groups.map((group) => group.pattern.baseDir))], {
      ignoreInitial: true,
      // Not atomic: a rename+create rotation must be seen as unlink then add, not as a change.
      atomic: false,
      ignorePermissionErrors: true,
      ...(Number.isFinite(depth) ? { depth } : {}),
      // Only files a group matches produce events; directories are watched to find them.
      ignored: (path, stats) => stats !== undefined && (stats.isFile() ? !matches(path) || exclude(path) : leavesRoot(path)),
    });
    this.watcher.on('add', (path) => { onEvent('add', path); });
    this.watcher.on('change', (path) => { onEvent('change', path); });
    this.watcher.on('unlink', (path) => { onEvent('unlink', path); });
    this.watcher.on('addDir', (path) => { onEvent('dir', path); });
    this.watcher.on('unlinkDir', (path) => { onEvent('dir', path); });
    // chokidar reports a rename+create of a watched file as a mere `change` of its path (and the
    // renamed file's `add` is filtered out above when it leaves the pattern), so a rotation would
    // only be seen at the next poll. The directory watcher's raw `rename` events (a name
    // appeared or went away) ask for a rescan instead.
    // chokidar also throttles and stats before it reports a `change`: a file written every
    // millisecond got ~20 a second, read 55 ms late. Its raw `change` events name the file at once
    // (the file's own watcher, or its directory's with the file's name); unknown paths are ignored.
    this.watcher.on('raw', (event, path, details) => {
      if (event === 'rename') {
        onEvent('dir', '');
      } else {
        const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
        if (typeof watched === 'string') onEvent('change', basename(watched) === path ? watched : join(watched, path));
      }
    });
    this.watcher.on('error', () => { onEvent('dir', ''); });
  }

  /** Resolves once the initial directory scan is done and events are live. */
  ready(): Promise<void> {
    return new Promise((resolve) => this.watcher.once('ready', resolve));
  }

  close(): Promise<void> {
    return this.watcher.close();
  }
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
