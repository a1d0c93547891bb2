// The benchmark's input: `lines` lines of exactly `bytes` bytes each (newline included), made once per size.
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The file sits alone in its own directory, as logs do on a pod's log volume: the tailers watch
 * the directory, and in a busy shared one (/tmp, thousands of entries, names coming and going)
 * every new name makes TAILDIR list it again (with its former watcher, every write did: 20% of
 * its CPU in one profile).
 */
export async function logFile(lines: number, bytes: number): Promise<string> {
  const dir = join(tmpdir(), `logshipper-bench-${lines}x${bytes}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'app.log');
  if (existsSync(file)) return file;
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789 '.repeat(Math.ceil(bytes / 37) + 1);
  for (let i = 0; i < lines; i++) {
    const head = `2026-11-24T10:00:00.000Z INFO [worker-${i % 8}] line ${i} `;
    const line = (head + filler).slice(0, bytes - 1) + '\n';
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(partial, file);
  return file;
}
