// Model-based test of the TAILDIR source: random sequences of appends, partial lines, rename
// rotations (with late writes to the renamed file), copytruncates, deletes, idle pauses and
// source restarts (clean, or a crash that loses the channel's undelivered events) and reloads (a
// new source with changed settings takes the files over while batches are unacknowledged) are replayed
// on a real temp directory, against a channel that acknowledges batches late and out of order.
// The model: every complete line written is delivered (at least once), nothing else is (no
// fragments, no unknown lines), and duplicates appear only after a crash (never after a reload).
// What no tailer can promise is kept out of the model: a writer rotates only once the source has
// discovered the current file and noticed its copytruncate if there was one (a file that sits at
// the watched path for microseconds is never seen; an inode whose content changed unseen and then
// left the pattern cannot be told from a reused inode, and is not read after a crash), and deletes
// or copytruncates a file only once its lines are acknowledged (a crash after the content is gone
// cannot re-read it).
// Seeded and reproducible: TAILDIR_MODEL_SEED=<n> replays a run, TAILDIR_MODEL_RUNS=<n> runs more.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { Settings } from '../../../sidecar/config/settings.ts';
import { settleReceipts, type Event } from '../../../sidecar/event.ts';
import { configureTaildirSource, TaildirSource, type BatchProcessor, type TaildirConfig } from '../../../sidecar/sources/taildir.ts';

const SEED = Number(process.env['TAILDIR_MODEL_SEED'] ?? 20261124);
const RUNS = Number(process.env['TAILDIR_MODEL_RUNS'] ?? 30);
/** fast-check's `path` of a failure, to replay just that case (with TAILDIR_MODEL_LOG=info to see the source's log). */
const PATH = process.env['TAILDIR_MODEL_PATH'];

/** A channel + sink stand-in: acknowledges each batch after a small pseudo-random delay, so out of order. */
class AckingChannel implements BatchProcessor {
  delivered: string[] = [];
  private generation = 0;
  private inFlight = 0;
  private random: () => number;

  constructor(seed: number) {
    let state = seed >>> 0 || 1;
    this.random = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 2 ** 32;
    };
  }

  put(events: Event[]): Promise<void> {
    const generation = this.generation;
    this.inFlight++;
    setTimeout(() => {
      this.inFlight--;
      if (generation !== this.generation) return; // lost in the crash
      for (const event of events) this.delivered.push(event.body.toString('utf8'));
      settleReceipts(events);
    }, Math.floor(this.random() * 4));
    return Promise.resolve();
  }

  /** The process died: what was not yet acknowledged is gone. */
  crash(): void {
    this.generation++;
  }

  async idle(): Promise<void> {
    while (this.inFlight > 0) await sleep(2);
  }
}

type Op =
  | { t: 'append'; lines: number; partial: boolean; pad: number }
  | { t: 'rotate'; late: number }
  | { t: 'copytruncate' }
  | { t: 'delete' }
  | { t: 'restart'; crash: boolean }
  | { t: 'reload' }
  | { t: 'sleep'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('append' as const), lines: fc.integer({ min: 1, max: 30 }), partial: fc.boolean(), pad: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rotate' as const), late: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('copytruncate' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('restart' as const), crash: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('reload' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 80 }) }) },
);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `generation` (a reload) changes settings that shape the batches and the events: batch size, a header. */
function sourceConfig(dir: string, generation = 0): TaildirConfig {
  const text = [
    'filegroups = g',
    `filegroups.g = ${dir}/app\\\\.log`,
    `headers.g.generation = ${generation}`,
    `positionFile = ${dir}/state/positions.json`,
    `batchSize = ${7 - (generation % 3)}`,
    'pollInterval = 10',
    'rescanInterval = 100',
    'rotateWait = 60',
    'idleTimeout = 40',
    'writePosInterval = 15',
    'partialLineTimeout = 0',
  ].join('\n');
  return configureTaildirSource(new Settings('', parseProperties(text), 'model.properties'));
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(3);
  }
}

async function replay(ops: Op[], seed: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-taildir-model-'));
  const log = pino({ level: process.env['TAILDIR_MODEL_LOG'] ?? 'silent' }, pino.destination(2));
  let config = sourceConfig(dir);
  let generation = 0;
  const channel = new AckingChannel(seed);
  const path = join(dir, 'app.log');
  const written: string[] = [];
  /** Lines written to the file now at `path`. */
  let current: string[] = [];
  /** After a copytruncate: whether the source has noticed it. */
  let pendingTruncation = (): boolean => true;
  let partial: string | undefined;
  let next = 0;
  let rotated = 0;
  let crashed = false;
  writeFileSync(path, '');
  let source = new TaildirSource(config, channel, log);
  await source.start();

  const completePartial = (): void => {
    if (partial === undefined) return;
    appendFileSync(path, partial.slice(Math.floor(partial.length / 2)) + '\n');
    written.push(partial);
    current.push(partial);
    partial = undefined;
  };
  const line = (pad: number): string => `L${next++}-${'x'.repeat((next * 37 + pad) % (pad + 1))}`;
  /** The source tails the file now at `path`, and its position file records it. */
  const discovered = (): boolean => {
    const stats = statSync(path);
    // Tailed, and not behind a truncation it has not noticed yet.
    if (!source.stats.files.some((f) => f.key === `${stats.dev}:${stats.ino}` && f.state !== 'retired' && f.readOffset <= stats.size)) return false;
    // ... and the position file knows it as it is now (a restart after a crash relies on it).
    const entries = JSON.parse(readFileSync(config.positionFile, 'utf8').replace(/"inode":(\d+)/g, '"inode":"$1"')) as { inode: string; pos: number }[];
    return entries.some((e) => e.inode === String(stats.ino) && e.pos <= stats.size);
  };
  /** Every line of the file now at `path` is acknowledged. */
  const acknowledged = (): boolean => {
    const got = new Set(channel.delivered);
    return discovered() && current.every((l) => got.has(l));
  };

  try {
    for (const step of ops) {
      switch (step.t) {
        case 'append': {
          completePartial();
          const lines = Array.from({ length: step.lines }, () => line(step.pad));
          let text = lines.join('\n') + '\n';
          written.push(...lines);
          current.push(...lines);
          if (step.partial) {
            partial = line(step.pad);
            text += partial.slice(0, Math.floor(partial.length / 2));
          }
          appendFileSync(path, text);
          break;
        }
        case 'rotate': {
          completePartial();
          await waitFor('the source to discover the file before it is rotated', () => pendingTruncation() && discovered());
          pendingTruncation = () => true;
          const renamed = `${path}.${++rotated}`;
          renameSync(path, renamed);
          // A writer that has not reopened yet still writes to the renamed file.
          const late = Array.from({ length: step.late }, () => line(10));
          if (late.length > 0) appendFileSync(renamed, late.join('\n') + '\n');
          written.push(...late);
          writeFileSync(path, '');
          current = [];
          break;
        }
        case 'copytruncate': {
          completePartial();
          await waitFor('the lines to be acknowledged before a copytruncate', acknowledged);
          copyFileSync(path, `${path}.copy${++rotated}`);
          const truncations = source.stats.totals.truncations;
          const hadContent = statSync(path).size > 0;
          truncateSync(path, 0);
          current = [];
          // The next rotation waits until the source noticed (see the model's limits above).
          if (hadContent) pendingTruncation = () => source.stats.totals.truncations > truncations;
          break;
        }
        case 'delete': {
          completePartial();
          await waitFor('the lines to be acknowledged before a delete', acknowledged);
          unlinkSync(path);
          writeFileSync(path, '');
          current = [];
          break;
        }
        case 'restart': {
          await source.stop();
          if (step.crash) {
            crashed = true;
            channel.crash();
            await source.abandon();
          } else {
            await channel.idle();
            await source.close();
          }
          source = new TaildirSource(config, channel, log);
          await source.start();
          pendingTruncation = () => true; // a start compares every file with its position entry
          break;
        }
        case 'reload': {
          // As Agent.reload() does: no wait for the channel; the new source takes the files over.
          await source.stop();
          const handover = await source.handOver();
          config = sourceConfig(dir, ++generation);
          source = new TaildirSource(config, channel, log, handover);
          await source.start();
          break;
        }
        case 'sleep':
          await sleep(step.ms);
          break;
      }
    }
    completePartial();
    const expected = new Set(written);
    await waitFor(`all ${written.length} lines to be delivered`, () => new Set(channel.delivered).size >= expected.size && channel.delivered.every((l) => expected.has(l)), 8000).catch((error: unknown) => {
      const got = new Set(channel.delivered);
      const missing = written.filter((l) => !got.has(l));
      const unknown = channel.delivered.filter((l) => !expected.has(l));
      throw new Error(`${(error as Error).message}: missing ${missing.length} (${missing.slice(0, 5).join(', ')}), unknown ${unknown.length} (${unknown.slice(0, 5).join(', ')})`, { cause: error });
    });
    if (!crashed) {
      assert.equal(channel.delivered.length, written.length, 'without a crash every line is delivered exactly once');
    }
  } finally {
    await source.stop();
    await channel.idle();
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('TAILDIR source against a model', () => {
  it('delivers every complete line at least once, whole, with duplicates only after a crash', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (ops, seed) => {
        await replay(ops, seed);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, ...(PATH === undefined ? {} : { path: PATH }) },
    );
  });
});
