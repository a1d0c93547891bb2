// The benchmark's input: `lines` lines of exactly `bytes` bytes each (newline included), made once per size.
import { createWriteStream, existsSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function logFile(lines: number, bytes: number): Promise<string> {
  const file = join(tmpdir(), `logshipper-bench-${lines}x${bytes}.log`);
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
