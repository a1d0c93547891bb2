// A line is emitted before its newline only when the newline is late, never because the source was
// busy: a burst larger than a read (READ_BYTES) ends each read mid-line, and the source's turn then
// spends its time putting the read lines into a channel that is full until the sink catches up.
// The incomplete line held at the read's end must wait for the next read, however long the turn
// took, and arrive whole; a line emitted in two pieces is one line lost and two records nobody
// wrote (in the e2e test, the piece before the cut began mid-pod-name: 1 line missing, 0 extra).
// partialLineTimeout is short here so that the turn outlasts it on any machine; in a pod the
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
const PARTIAL_LINE_TIMEOUT_MS = 50;

describe('TAILDIR: an incomplete line at the end of a read while the channel is full', () => {
  it(`a burst of ${String(LINES)} lines into a small channel, partialLineTimeout ${String(PARTIAL_LINE_TIMEOUT_MS)} ms: every line arrives whole, ${String(REPETITIONS)} times`, { timeout: 300_000 }, async () => {
    const results: { missing: number; extra: number; code: number | null }[] = [];
    for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
      const dir = mkdtempSync(join(tmpdir(), 'logshipper-partial-'));
      const logs = join(dir, 'logs');
      mkdirSync(logs);
      const file = join(logs, 'app.log');
      writeFileSync(file, '');
      const topic = uniqueName('taildir-partial');
      await createTopic(topic);
      const conf = join(dir, 'agent.properties');
      writeFileSync(conf, kafkaPipeline({
        topic,
        source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${file}`, `positionFile = ${join(dir, 'positions.json')}`, `partialLineTimeout = ${String(PARTIAL_LINE_TIMEOUT_MS)}`],
      }));
      const agent = startAgent(conf, 'a', ['--drain-timeout', '60000']);
      await agent.waitForLog((line) => line['msg'] === 'agent started');
      // Lines of varying length, so that the reads end at different places in a line.
      const lines = Array.from({ length: LINES }, (_, i) => `repetition ${String(repetition)} line ${String(i)} ${'x'.repeat(i % 17)}`);
      appendFileSync(file, lines.join('\n') + '\n');
      // The app is done; the source is in the middle of the burst when the stop comes.
      await sleep(1000);
      agent.process.kill('SIGTERM');
      const code = await agent.exited;
      const shipped = (await readTopic(topic)).map((record) => record.value);
      const { missing, extra } = multisetDiff(lines, shipped);
      const pieces = shipped.filter((value) => !/^repetition \d+ line \d+ x*$/.test(value));
      results.push({ missing, extra, code });
      console.log(`repetition ${String(repetition)}: ${String(shipped.length)} records of ${String(LINES)} lines, missing ${String(missing)}, extra ${String(extra)}, exit ${String(code)}; pieces of lines: ${String(pieces.length)} ${JSON.stringify(pieces.slice(0, 4))}`);
    }
    const clean = results.filter((r) => r.missing === 0 && r.extra === 0 && r.code === 0).length;
    console.log(`incomplete line at a read's end: ${String(clean)} of ${String(REPETITIONS)} repetitions clean`);
    assert.deepEqual(results.map((r) => ({ missing: r.missing, extra: r.extra, code: r.code })), results.map(() => ({ missing: 0, extra: 0, code: 0 })));
  });
});
