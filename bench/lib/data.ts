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

/**
 * `lines` application log lines as services write them (~190 bytes on average): timestamps,
 * levels, threads, loggers, methods, paths with ids, statuses, sizes, durations, user and trace
 * ids from a seeded generator, so that codecs compress them as they would real logs (the lines
 * of logFile repeat one filler and compress unrealistically well). Made once per count.
 */
export async function variedLogFile(lines: number): Promise<string> {
  const dir = join(tmpdir(), `logshipper-bench-varied-${lines}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'app.log');
  if (existsSync(file)) return file;
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  let seed = 0x2f6b1d3;
  // xorshift32: the same file on every machine.
  const next = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const hex = (digits: number): string => Array.from({ length: digits }, () => next(16).toString(16)).join('');
  const levels = ['INFO', 'INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
  const loggers = ['c.e.shop.OrderController', 'c.e.shop.CartService', 'c.e.auth.TokenFilter', 'o.h.engine.jdbc.spi.SqlExceptionHelper', 'c.e.search.QueryHandler'];
  const routes = ['GET /api/v1/orders/', 'POST /api/v1/cart/', 'GET /api/v1/items/', 'PUT /api/v1/users/', 'GET /healthz?probe='];
  const messages = ['request served', 'cache miss, loaded from database', 'retrying after timeout', 'token expired for session', 'slow query'];
  let ms = Date.parse('2026-12-02T04:00:00.000Z');
  for (let i = 0; i < lines; i++) {
    ms += next(40);
    const line = `${new Date(ms).toISOString()} ${levels[next(levels.length)] ?? ''} [http-nio-8080-exec-${String(next(200))}] ${loggers[next(loggers.length)] ?? ''} - `
      + `${routes[next(routes.length)] ?? ''}${String(next(1_000_000))} status=${String([200, 200, 200, 201, 204, 304, 404, 500][next(8)] ?? 200)} bytes=${String(next(50_000))} `
      + `duration_ms=${String(next(900))} user=u-${hex(6)} trace=${hex(32)} ${messages[next(messages.length)] ?? ''}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(partial, file);
  return file;
}
