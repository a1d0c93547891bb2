import type { BigIntStats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { FileGroup } from './config.ts';

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

/** Whether the group's pattern names this absolute path. */
export function groupMatches(group: FileGroup, path: string): boolean {
  const rel = relative(group.pattern.baseDir, path);
  return !rel.startsWith('..') && group.pattern.matches(rel.split(sep).join('/'));
}
