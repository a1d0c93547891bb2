// Stamped lines for latency: "<sequence> <write time in ms since the epoch, fractional> " padded
// with filler to a fixed size, appended to a file at a steady rate and parsed back from Kafka.
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Wall-clock milliseconds with sub-millisecond precision (the writer and the reader share it). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

const FILLER = 'abcdefghijklmnopqrstuvwxyz0123456789 ';

/** One line of exactly `bytes` bytes, newline included. */
export function stampedLine(sequence: number, stampMs: number, bytes: number): string {
  const head = `${sequence} ${stampMs.toFixed(3)} `;
  return (head + FILLER.repeat(Math.ceil(bytes / FILLER.length) + 1)).slice(0, bytes - 1) + '\n';
}

/**
 * The sequence and write time of a record's value; undefined when it is not a stamped line. The
 * value may be the line as a JSON string (the OpenTelemetry Collector's raw encoding of a string).
 */
export function parseStamped(value: Buffer | null): { sequence: number; stampMs: number } | undefined {
  if (value === null) return undefined;
  const quoted = value[0] === 0x22;
  const text = value.toString('latin1', quoted ? 1 : 0, 48);
  const first = text.indexOf(' ');
  const second = text.indexOf(' ', first + 1);
  if (first <= 0 || second <= first) return undefined;
  const sequence = Number(text.slice(0, first));
  const stampMs = Number(text.slice(first + 1, second));
  return Number.isInteger(sequence) && Number.isFinite(stampMs) ? { sequence, stampMs } : undefined;
}

/**
 * Appends `total` lines (Infinity: until `stop` aborts) at `rate` per second, in 1 ms ticks, each
 * stamped with the time of its write; `written` counts them as they go. Resolves with the count.
 */
export async function writeAtRate(file: string, rate: number, total: number, bytes: number, progress: { stop?: AbortSignal; written?: (count: number) => void } = {}): Promise<number> {
  const fd = openSync(file, 'a');
  let written = 0;
  try {
    const started = performance.now();
    while (written < total && progress.stop?.aborted !== true) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      if (due > written) {
        let chunk = '';
        const stamp = now();
        for (; written < due; written++) chunk += stampedLine(written, stamp, bytes);
        writeSync(fd, chunk);
        progress.written?.(written);
      }
      await sleep(1);
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
