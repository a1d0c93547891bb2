// An idle agent does not poll: the agent as the image runs it (compiled, the Dockerfile's node
// flags, default settings), TAILDIR -> real Kafka, its one file delivered and then left alone.
// Over a 10 s idle window its main thread is woken (voluntary context switches, counted by the
// kernel in /proc/<pid>/task/<pid>/status: each is one return from epoll_wait) a handful of
// times: the stall watch's 1 s check and the slow safety polls. Lines written to the idle file
// afterwards, and to its rotated successor, still arrive at once (watcher events), every line once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentEntrypoint, imageNodeFlags } from '../../../bench/lib/agent.ts';
import { watchProcess } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { createTopic, readTopic, waitForRecords } from '../../helpers/kafka.ts';
import { multisetDiff } from '../../helpers/multiset.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

/** Main-thread wake-ups allowed over the window: 10 stall checks, one TAILDIR safety poll, slack for GC and the kernel. */
const MAX_WAKEUPS = 40;
const WINDOW_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Voluntary context switches of the process's main thread (its tid is its pid). */
function mainThreadWakeups(pid: number): number {
  const count = /\nvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))?.[1];
  assert.ok(count !== undefined, 'voluntary_ctxt_switches in /proc/<pid>/task/<pid>/status');
  return Number(count);
}

async function recordsWithin(topic: string, count: number, timeoutMs: number): Promise<{ values: string[]; ms: number }> {
  const started = Date.now();
  const records = await waitForRecords(topic, count, timeoutMs);
  return { values: records.map((r) => r.value), ms: Date.now() - started };
}

describe('idle agent', () => {
  it(`wakes at most ${MAX_WAKEUPS} times in ${WINDOW_MS / 1000} s while its file is idle, and still ships what comes after at once`, { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-idle-'));
    mkdirSync(join(dir, 'logs'));
    const log = join(dir, 'logs', 'app.log');
    const written = Array.from({ length: 20 }, (_, i) => `before idle ${i}`);
    writeFileSync(log, written.map((line) => `${line}\n`).join(''));
    const topic = uniqueName('idle');
    await createTopic(topic, 1);
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, kafkaPipeline({ topic, source: ['type = TAILDIR', `positionFile = ${dir}/positions.json`, 'filegroups = f', `filegroups.f = ${dir}/logs/app\\.log.*`] }));
    const child = spawn(process.execPath, [...imageNodeFlags(), agentEntrypoint(), 'agent', '-f', conf, '-n', 'a', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const agent = watchProcess(child, 'agent');
    const pid = child.pid ?? 0;
    try {
      await agent.waitForLog((line) => line['msg'] === 'agent started');
      const first = await recordsWithin(topic, written.length, 30_000);
      assert.deepEqual(multisetDiff(written, first.values), { missing: 0, extra: 0 });
      // Let the start settle: the position write after the acknowledgement (writePosInterval),
      // V8's memory reducer (full GCs ~10 s after allocation stops).
      await sleep(12_000);

      const before = mainThreadWakeups(pid);
      await sleep(WINDOW_MS);
      const wakeups = mainThreadWakeups(pid) - before;

      // Growth of the idle file and a rotation: seen through the watcher, well before the 10 s safety poll.
      const later = Array.from({ length: 10 }, (_, i) => `after idle ${i}`);
      appendFileSync(log, later.map((line) => `${line}\n`).join(''));
      written.push(...later);
      const grown = await recordsWithin(topic, written.length, 30_000);
      renameSync(log, `${log}.1`);
      const rotated = Array.from({ length: 10 }, (_, i) => `rotated ${i}`);
      writeFileSync(log, rotated.map((line) => `${line}\n`).join(''));
      written.push(...rotated);
      const afterRotation = await recordsWithin(topic, written.length, 30_000);
      await sleep(1000);
      const diff = multisetDiff(written, (await readTopic(topic)).map((r) => r.value));
      console.log(`idle ${WINDOW_MS / 1000} s: ${wakeups} main-thread wake-ups (${(wakeups * 1000 / WINDOW_MS).toFixed(1)}/s); ` +
        `then ${later.length} lines appended in ${grown.ms} ms, ${rotated.length} lines after a rotation in ${afterRotation.ms} ms; ${JSON.stringify(diff)}`);
      assert.ok(wakeups <= MAX_WAKEUPS, `${wakeups} main-thread wake-ups in ${WINDOW_MS} ms while idle (a polling loop)`);
      assert.deepEqual(diff, { missing: 0, extra: 0 }, 'every line once');
      assert.ok(grown.ms < 5000 && afterRotation.ms < 5000, `appended lines in ${grown.ms} ms, rotated in ${afterRotation.ms} ms: not event-driven`);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    }
  });
});
