import { mkdirSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * One file's checkpoint, in Flume's TAILDIR position file format (`inode`, `pos`, `file`),
 * plus what logshipper adds: the device and the fingerprint of the file's first bytes.
 * Flume files (without them) are read too, matching by inode alone.
 */
export interface PositionEntry {
  /** Decimal text, exact for 64-bit inode numbers. */
  inode: string;
  pos: number;
  file: string;
  dev?: string | undefined;
  fp?: string | undefined;
  fplen?: number | undefined;
}

/** Reads a position file; a missing file is an empty one. Throws on a file that is not a position file. */
export async function readPositionFile(path: string): Promise<PositionEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (text.trim() === '') return [];
  // Inode and device numbers as text before JSON.parse, which would round those above 2^53.
  const parsed: unknown = JSON.parse(text.replace(/"(inode|dev)"\s*:\s*(\d+)/g, '"$1":"$2"'));
  if (!Array.isArray(parsed)) throw new Error('not a JSON array of {inode, pos, file}');
  return parsed.map((item: unknown, index): PositionEntry => {
    const entry = item as Record<string, unknown>;
    const { inode, pos, file, dev, fp, fplen } = entry;
    if (typeof inode !== 'string' || typeof pos !== 'number' || !Number.isSafeInteger(pos) || pos < 0 || typeof file !== 'string') {
      throw new Error(`entry ${index} is not {inode, pos, file}: ${JSON.stringify(item)}`);
    }
    return {
      inode, pos, file,
      dev: typeof dev === 'string' ? dev : undefined,
      fp: typeof fp === 'string' ? fp : undefined,
      fplen: typeof fplen === 'number' ? fplen : undefined,
    };
  });
}

/** The position file's text: one JSON array, Flume's three keys first. */
export function formatPositions(entries: readonly PositionEntry[]): string {
  const items = entries.map((e) => {
    let item = `{"inode":${e.inode},"pos":${e.pos},"file":${JSON.stringify(e.file)}`;
    if (e.dev !== undefined) item += `,"dev":${e.dev}`;
    if (e.fp !== undefined) item += `,"fp":${JSON.stringify(e.fp)},"fplen":${e.fplen ?? 0}`;
    return item + '}';
  });
  return `[${items.join(',')}]`;
}

/**
 * Replaces the position file atomically: a reader (or a restart after a crash at any moment)
 * sees the old content or the new, never a torn file. Write a temp file in the same directory,
 * fsync it, rename it over the old one, fsync the directory so the rename itself is durable.
 */
export async function writePositionFile(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
