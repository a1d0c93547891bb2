// Latency benchmark: a writer appends stamped lines at a fixed rate to a file the agent tails; a
// kafkajs consumer in this process reads them back; latency = consume time - write time (one clock).
//   npm run bench:latency -- [--rate 10000] [--seconds 20] [--bytes 200] [--contenders logshipper-exec,logshipper-taildir]
// Each line: "<sequence> <write time in ms since the epoch, fractional> " padded with filler to --bytes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { agentCommand, agentEntrypoint, ROOT, writeAgentConfig } from './lib/agent.ts';
import { machineFacts, load } from './lib/facts.ts';
import { createTopic } from './lib/kafka.ts';
import { peakRssMbOf } from './lib/measure.ts';
import { chooseByName, kafkaBrokers } from './lib/setup.ts';
import { LOW_LATENCY } from './contenders/logshipper.ts';
import { DEFAULT_LINGER_MS } from '../sidecar/sinks/kafka-config.ts';
import { DEFAULT_READ_INTERVAL_MS, READ_INTERVAL_KEY } from '../sidecar/sources/taildir/config.ts';
import { now, parseStamped, writeAtRate } from './lib/stamped.ts';
import { percentile } from './lib/stats.ts';

interface Tailer {
  name: string;
  describe: string;
  source(file: string, work: string): string[];
  /** The sink's batching window; undefined: the agent's default (DEFAULT_LINGER_MS). */
  lingerMs?: number;
  /** The p99 this row must meet at 10,000 lines/s. */
  targetP99Ms: number;
}

/** Sizes for latency: the operator's defaults (batches of 500, channel 10,000). */
const BATCH = 500;
const CAPACITY = 10_000;

const taildir = (file: string, work: string, extra: string[] = []): string[] => [
  'type = TAILDIR', 'filegroups = f', `filegroups.f = ${file}`, `positionFile = ${join(work, 'taildir_position.json')}`, `batchSize = ${BATCH}`, ...extra,
];

const TAILERS: Tailer[] = [
  {
    name: 'logshipper-exec',
    describe: 'logshipper: exec `tail -F` -> memory channel -> Kafka sink, linger 0',
    source: (file) => ['type = exec', `command = tail -F -n +1 ${file}`, `batchSize = ${BATCH}`, 'batchTimeout = 20'],
    lingerMs: 0,
    targetP99Ms: 100,
  },
  {
    name: 'logshipper-taildir',
    describe: `logshipper: TAILDIR, the defaults (${READ_INTERVAL_KEY} ${DEFAULT_READ_INTERVAL_MS} ms, linger.ms ${DEFAULT_LINGER_MS})`,
    source: (file, work) => taildir(file, work),
    targetP99Ms: 1000,
  },
  {
    name: 'logshipper-taildir-low-latency',
    describe: `logshipper: TAILDIR, ${READ_INTERVAL_KEY} ${LOW_LATENCY.readIntervalMs} ms, linger.ms ${LOW_LATENCY.lingerMs}`,
    source: (file, work) => taildir(file, work, [`${READ_INTERVAL_KEY} = ${LOW_LATENCY.readIntervalMs}`]),
    lingerMs: LOW_LATENCY.lingerMs,
    targetP99Ms: 100,
  },
];

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '20' },
    bytes: { type: 'string', default: '200' },
    acks: { type: 'string', default: '1' },
    contenders: { type: 'string', default: TAILERS.map((t) => t.name).join(',') },
    out: { type: 'string' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const bytes = Number(values.bytes);
const total = rate * seconds;
const chosen = chooseByName(TAILERS, values.contenders);

const brokers = await kafkaBrokers();
interface Result {
  tailer: Tailer;
  received: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  peakRssMb: number;
}

async function measureLatency(tailer: Tailer): Promise<Result> {
  const work = mkdtempSync(join(tmpdir(), `logshipper-latency-${tailer.name}-`));
  const file = join(work, 'app.log');
  writeFileSync(file, '');
  const topic = `latency-${tailer.name}-${Date.now().toString(36)}`;
  await createTopic(brokers, topic);

  const latencies = new Float64Array(total);
  let received = 0;
  const consumer = new Kafka({ clientId: 'logshipper-bench-latency', brokers: brokers.split(','), logLevel: logLevel.NOTHING })
    .consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = now();
      for (const message of batch.messages) {
        const stamped = parseStamped(message.value);
        if (stamped !== undefined && stamped.sequence < total && received < total) latencies[received++] = at - stamped.stampMs;
      }
      return Promise.resolve();
    },
  });

  const config = writeAgentConfig(work, { brokers, topic, acks: values.acks, source: tailer.source(file, work), capacity: CAPACITY, batchSize: BATCH, ...(tailer.lingerMs === undefined ? {} : { lingerMs: tailer.lingerMs }) });
  const { command, args } = agentCommand(config);
  const agent = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let peakRssMb: number;
  try {
    await sleep(2000); // agent start-up, consumer group join
    await writeAtRate(file, rate, total, bytes);
    const deadline = Date.now() + 30_000;
    while (received < total && Date.now() < deadline) await sleep(100);
    peakRssMb = peakRssMbOf(agent.pid ?? 0);
  } finally {
    agent.kill('SIGTERM');
    await new Promise((resolve) => agent.on('exit', resolve));
    await consumer.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
  const sorted = latencies.slice(0, received).sort();
  return { tailer, received, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN, peakRssMb };
}

agentEntrypoint();
const loadBefore = load();
const results: Result[] = [];
for (const tailer of chosen) {
  const result = await measureLatency(tailer);
  console.log(`${tailer.name}: ${result.received}/${total} received, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(1)} ms`);
  results.push(result);
}
const report = [
  `# Latency: ${rate.toLocaleString('en-US')} lines/s for ${seconds} s (${total.toLocaleString('en-US')} lines x ${bytes} bytes), acks=${values.acks}`,
  '',
  `${new Date().toISOString()}. ${machineFacts()}. Kafka ${process.env['KAFKA_VERSION'] ?? 'unknown'} (single node on 127.0.0.1). Load average before: ${loadBefore}, after: ${load()}.`,
  '',
  `From the write of a line (stamped with the time of its write) to its arrival at a kafkajs consumer (fetch max wait 50 ms) in the writer's process. Agent settings: source/channel/sink batches of ${BATCH}, channel capacity ${CAPACITY} (the operator's defaults); the exec source flushes a partial batch after 20 ms. The defaults trade latency for CPU (fewer reads and produce requests); the low-latency row is what a latency-sensitive user sets.`,
  '',
  '| contender | received | p50 ms | p90 ms | p99 ms | max ms | peak RSS MB |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...results.map((r) => `| ${r.tailer.describe} | ${r.received.toLocaleString('en-US')} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.peakRssMb.toFixed(0)} |`),
  '',
  `Targets (set for 10,000 lines/s; this run: ${rate.toLocaleString('en-US')} lines/s): ${results.map((r) => `${r.tailer.name} p99 <= ${r.tailer.targetP99Ms} ms ${r.p99 <= r.tailer.targetP99Ms && r.received === total ? 'met' : 'NOT met'}`).join(', ')}.`,
  '',
].join('\n');
console.log('\n' + report);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
const out = values.out ?? join(ROOT, 'bench', 'results', `latency-${new Date().toISOString().slice(0, 10)}.md`);
writeFileSync(out, report);
console.log(`written to ${out}`);
