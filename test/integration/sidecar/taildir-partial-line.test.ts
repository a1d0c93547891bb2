// A line is emitted before its newline only when the newline is late, never because the source was
// busy: a burst larger than a read (READ_BYTES) ends each read mid-line, and the source's turn then
// spends its time putting the read lines into a channel that is full until the sink catches up.
// The incomplete line held at the read's end must wait for the next read, however long the turn
// took, and arrive whole; a line emitted in two pieces is one line lost and two records nobody
// wrote (in the e2e test, the piece before the cut began mid-pod-name: 1 line missing, 0 extra).
// A multiline event held at a read's end is the same case (multiline.flushTimeout).
// The timeouts are short here so that the turn outlasts it on any machine; in a pod the
// default (5 s) is outlasted by a turn on a loaded node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopic, readTopic } from '../../helpers/kafka.ts';
import { startAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { multisetDiff } from '../../helpers/multiset.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

const REPETITIONS = 3;
/** About 1.7 MB: seven reads, each but the last ending mid-line. */
const LINES = 40_000;
/** partialLineTimeout, multiline.flushTimeout. */
const TIMEOUT_MS = 50;

/** One app burst into a fresh file and topic while the agent runs, then SIGTERM: what Kafka holds. */
async function burst(label: string, sourceKeys: string[], text: string): Promise<{ shipped: string[]; code: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-partial-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const file = join(logs, 'app.log');
  writeFileSync(file, '');
  const topic = uniqueName(label);
  await createTopic(topic);
  const conf = join(dir, 'agent.properties');
  writeFileSync(conf, kafkaPipeline({
    topic,
    source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${file}`, `positionFile = ${join(dir, 'positions.json')}`, ...sourceKeys],
  }));
  const agent = startAgent(conf, 'a', ['--drain-timeout', '60000']);
  await agent.waitForLog((line) => line['msg'] === 'agent started');
  appendFileSync(file, text);
  // The app is done; the source is in the middle of the burst when the stop comes.
  await sleep(1000);
  agent.process.kill('SIGTERM');
  const code = await agent.exited;
  return { shipped: (await readTopic(topic)).map((record) => record.value), code };
}

interface Outcome {
  missing: number;
  extra: number;
  code: number | null;
}

function report(what: string, results: Outcome[]): void {
  const clean = results.filter((r) => r.missing === 0 && r.extra === 0 && r.code === 0).length;
  console.log(`${what}: ${String(clean)} of ${String(REPETITIONS)} repetitions clean`);
  assert.deepEqual(results, results.map(() => ({ missing: 0, extra: 0, code: 0 })));
}

describe('TAILDIR: what is held at the end of a read while the channel is full', () => {
  it(`a burst of ${String(LINES)} lines into a small channel, partialLineTimeout ${String(TIMEOUT_MS)} ms: every line arrives whole, ${String(REPETITIONS)} times`, { timeout: 300_000 }, async () => {
    const results: Outcome[] = [];
    for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
      // Lines of varying length, so that the reads end at different places in a line.
      const lines = Array.from({ length: LINES }, (_, i) => `repetition ${String(repetition)} line ${String(i)} ${'x'.repeat(i % 17)}`);
      const { shipped, code } = await burst('taildir-partial', [`partialLineTimeout = ${String(TIMEOUT_MS)}`], lines.join('\n') + '\n');
      const { missing, extra } = multisetDiff(lines, shipped);
      const pieces = shipped.filter((value) => !/^repetition \d+ line \d+ x*$/.test(value));
      results.push({ missing, extra, code });
      console.log(`repetition ${String(repetition)}: ${String(shipped.length)} records of ${String(LINES)} lines, missing ${String(missing)}, extra ${String(extra)}, exit ${String(code)}; pieces of lines: ${String(pieces.length)} ${JSON.stringify(pieces.slice(0, 4))}`);
    }
    report('incomplete line at a read\'s end', results);
  });

  it(`a burst of ${String(LINES / 4)} three-line events, multiline.flushTimeout ${String(TIMEOUT_MS)} ms: every event arrives whole, ${String(REPETITIONS)} times`, { timeout: 300_000 }, async () => {
    const results: Outcome[] = [];
    for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
      const events = Array.from({ length: LINES / 4 }, (_, i) => `E repetition ${String(repetition)} event ${String(i)}\n\tat first ${'x'.repeat(i % 13)}\n\tat second`);
      const keys = ['multiline.startPattern = ^E ', `multiline.flushTimeout = ${String(TIMEOUT_MS)}`];
      const { shipped, code } = await burst('taildir-multiline', keys, events.join('\n') + '\n');
      const { missing, extra } = multisetDiff(events, shipped);
      results.push({ missing, extra, code });
      console.log(`multiline repetition ${String(repetition)}: ${String(shipped.length)} records of ${String(events.length)} events, missing ${String(missing)}, extra ${String(extra)}, exit ${String(code)}`);
    }
    report('multiline event at a read\'s end', results);
  });
});
