// A steady trickle into a tailed file costs a few requests a second, not one per write: TAILDIR
// reads a caught-up file every readInterval and the Kafka sink's batching window (linger.ms)
// gathers what comes in it. Every line arrives (multiset equality), and the sink's batch
// counters bound the requests. A drain (SIGTERM) does not wait for a window, however long.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopic, waitForRecords } from '../../helpers/kafka.ts';
import { getText, httpPort, metric, metricsOnceDelivered, startAgent, type RunningAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { multisetDiff } from '../../helpers/multiset.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';
import { DEFAULT_READ_INTERVAL_MS } from '../../../sidecar/sources/taildir/config.ts';

const REPETITIONS = 3;
/** One line every WRITE_EVERY_MS for WRITE_MS: 200 writes, each its own watcher event. */
const WRITE_EVERY_MS = 10;
const WRITE_MS = 2000;
/** The source's pollInterval here (set, not the default): a poll that finds growth reads too. */
const POLL_INTERVAL_MS = 1000;

interface Run {
  file: string;
  topic: string;
  agent: RunningAgent;
  port: number;
}

async function start(label: string, keys: { source?: string[]; sink?: string[] }, args: string[] = []): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-window-'));
  const file = join(dir, 'app.log');
  writeFileSync(file, '');
  const topic = uniqueName(label);
  await createTopic(topic);
  const conf = join(dir, 'agent.properties');
  writeFileSync(conf, kafkaPipeline({
    topic,
    source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${file}`, `positionFile = ${join(dir, 'positions.json')}`, 'batchSize = 500', `pollInterval = ${POLL_INTERVAL_MS}`, ...(keys.source ?? [])],
    channel: ['capacity = 10000', 'transactionCapacity = 500'],
    sink: ['flumeBatchSize = 500', ...(keys.sink ?? [])],
  }));
  const agent = startAgent(conf, 'a', args);
  const port = await httpPort(agent);
  await agent.waitForLog((line) => line['msg'] === 'tailing');
  return { file, topic, agent, port };
}

/** Appends one line per WRITE_EVERY_MS for WRITE_MS; the lines written. */
async function trickle(file: string, tag: string): Promise<string[]> {
  const lines: string[] = [];
  const began = performance.now();
  for (let i = 0; performance.now() - began < WRITE_MS; i++) {
    const line = `${tag} line ${i}`;
    appendFileSync(file, `${line}\n`);
    lines.push(line);
    await sleep(WRITE_EVERY_MS);
  }
  return lines;
}

function batches(metrics: string): number {
  return (metric(metrics, 'logshipper_sink_batches_total{sink="k",fill="complete"}') ?? 0)
    + (metric(metrics, 'logshipper_sink_batches_total{sink="k",fill="underflow"}') ?? 0);
}

describe('batching window: a trickle into Kafka', () => {
  it('with the default window and readInterval, a line every 10 ms arrives whole in a few requests a second, three times', { timeout: 120_000 }, async () => {
    const run = await start('trickle', {});
    try {
      // At most one read per readInterval or poll (pollInterval 1 s), each one window and one batch, plus the first and last.
      const bound = Math.ceil(WRITE_MS / DEFAULT_READ_INTERVAL_MS) + Math.ceil(WRITE_MS / POLL_INTERVAL_MS) + 2;
      const written: string[] = [];
      let clean = 0;
      let before = 0;
      for (let repetition = 0; repetition < REPETITIONS; repetition++) {
        const lines = await trickle(run.file, `r${repetition}`);
        written.push(...lines);
        const metrics = await metricsOnceDelivered(run.port, run.file, 30_000);
        const found = (await waitForRecords(run.topic, written.length)).map((record) => record.value);
        const { missing, extra } = multisetDiff(written, found);
        const sent = batches(metrics) - before;
        before += sent;
        console.log(`trickle repetition ${repetition}: ${lines.length} lines written, ${found.length} in the topic so far (missing ${missing}, extra ${extra}), ${sent} batches (bound ${bound})`);
        assert.deepEqual({ missing, extra }, { missing: 0, extra: 0 });
        assert.ok(sent <= bound, `${sent} batches for ${lines.length} lines written over ${WRITE_MS} ms (bound ${bound})`);
        clean++;
      }
      console.log(`trickle: ${clean} of ${REPETITIONS} repetitions clean`);
    } finally {
      run.agent.process.kill('SIGTERM');
      await run.agent.exited;
    }
  });

  it('a window far longer than the drain deadline: SIGTERM still delivers every line at once, three times', { timeout: 120_000 }, async () => {
    let clean = 0;
    for (let repetition = 0; repetition < REPETITIONS; repetition++) {
      const run = await start('drain', { source: ['readInterval = 20'], sink: ['kafka.producer.linger.ms = 60000'] }, ['--drain-timeout', '10000']);
      const lines = await trickle(run.file, `d${repetition}`);
      // Every line is in the channel, waiting for its window.
      for (let i = 0; i < 100; i++) {
        if ((metric(await getText(run.port, '/metrics'), 'logshipper_channel_put_successes_total{channel="c"}') ?? 0) >= lines.length) break;
        await sleep(50);
      }
      const began = performance.now();
      run.agent.process.kill('SIGTERM');
      const code = await run.agent.exited;
      const ms = Math.round(performance.now() - began);
      const found = (await waitForRecords(run.topic, lines.length, 10_000).catch(() => [])).map((record) => record.value);
      const { missing, extra } = multisetDiff(lines, found);
      console.log(`drain repetition ${repetition}: ${lines.length} lines, missing ${missing}, extra ${extra}, exit ${String(code)} ${ms} ms after SIGTERM`);
      assert.deepEqual({ missing, extra, code }, { missing: 0, extra: 0, code: 0 });
      assert.ok(ms < 10_000, `exited ${ms} ms after SIGTERM: waited for the window`);
      clean++;
    }
    console.log(`drain: ${clean} of ${REPETITIONS} repetitions clean`);
  });
});
