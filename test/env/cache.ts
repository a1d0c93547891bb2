// Cached downloads and builds. Each cached thing is one folder named after its version, filled
// in a temporary sibling folder and renamed into place only when complete: an interrupted
// download or build never leaves a folder that the next run would mistake for a finished one.
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir } from './paths.ts';
import { note } from './process.ts';

export function cachePath(...parts: string[]): string {
  return path.join(cacheDir(), ...parts);
}

/**
 * Returns `<cache>/<name>`, first filling it with `fill(tmpDir)` unless it already exists.
 * `fill` must throw (a TestEnvError) when it fails; the partial folder is then removed.
 */
export async function cachedDir(name: string, fill: (dir: string) => Promise<void>): Promise<string> {
  const final = cachePath(name);
  if (fs.existsSync(final)) return final;
  note(`not cached yet, making ${final} (once per machine; builds take minutes)`);
  const started = Date.now();
  const tmp = `${final}.tmp-${String(process.pid)}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
    try {
      fs.renameSync(tmp, final);
    } catch (error) {
      // Another `up` (another checkout sharing LOGSHIPPER_CACHE_DIR) finished the same
      // thing first: theirs is as good as ours.
      if (!fs.existsSync(final)) throw error;
    }
    note(`made ${name} in ${String(Math.round((Date.now() - started) / 1000))}s`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return final;
}

/**
 * Marks `<cache>/<name>` as used now and removes all but the `keep` most recently used of its
 * siblings whose names start with `prefix` (the versions of one thing that changes often).
 */
export function keepRecent(name: string, prefix: string, keep: number): void {
  const used = cachePath(name);
  const now = new Date();
  fs.utimesSync(used, now, now);
  const dir = path.dirname(used);
  const versions = fs.readdirSync(dir).filter((entry) => entry.startsWith(prefix) && !entry.includes('.tmp-'));
  const byUse = versions.map((entry) => ({ entry, used: fs.statSync(path.join(dir, entry)).mtimeMs })).sort((a, b) => b.used - a.used);
  for (const { entry } of byUse.slice(keep)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
}
