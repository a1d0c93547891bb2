// Throughput benchmark: ships one file of N lines to a fresh topic with each contender, in turns,
// and reports medians and ratios against kcat (librdkafka's producer), measured in the same run.
//   npm run bench -- [--lines 1000000] [--bytes 200] [--runs 3] [--contenders kcat,logshipper-exec]
// Uses KAFKA_BROKERS when set, else starts the test environment (and stops it afterwards).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { logFile } from './lib/data.ts';
import { countRecords, createTopic } from './lib/kafka.ts';
import { measure, median, type Measurement } from './lib/measure.ts';

interface Context {
  brokers: string;
  topic: string;
  file: string;
  acks: string;
}

interface Contender {
  name: string;
  describe: string;
  run(context: Context): Promise<Measurement>;
}

const ROOT = new URL('../', import.meta.url).pathname;

function agentConfig(context: Context, source: string[]): string {
  return [
    'bench.sources = s', 'bench.channels = c', 'bench.sinks = k',
    ...source.map((line) => `bench.sources.s.${line}`), 'bench.sources.s.channels = c',
    'bench.channels.c.type = memory', 'bench.channels.c.capacity = 20000', 'bench.channels.c.transactionCapacity = 2000',
    'bench.sinks.k.type = kafka', 'bench.sinks.k.channel = c', `bench.sinks.k.kafka.bootstrap.servers = ${context.brokers}`,
    `bench.sinks.k.kafka.topic = ${context.topic}`, `bench.sinks.k.kafka.producer.acks = ${context.acks}`, 'bench.sinks.k.flumeBatchSize = 2000',
  ].join('\n');
}

async function runAgent(context: Context, source: string[]): Promise<Measurement> {
  const conf = join(mkdtempSync(join(tmpdir(), 'logshipper-bench-')), 'agent.properties');
  writeFileSync(conf, agentConfig(context, source));
  // The agent exits by itself once `cat` is done and every record is acknowledged.
  return measure(process.execPath, ['cli/main.ts', 'agent', '-f', conf, '-n', 'bench', '--log-level', 'warn'], { cwd: ROOT });
}

const CONTENDERS: Contender[] = [
  {
    name: 'kcat',
    describe: 'kcat -P (librdkafka), the raw producer limit',
    // From stdin: kcat sends each file argument as one message, but splits stdin on newlines.
    run: (c) => measure(process.env['KCAT'] ?? 'kcat', ['-P', '-b', c.brokers, '-t', c.topic, '-X', `acks=${c.acks}`], { stdin: c.file }),
  },
  {
    name: 'logshipper-exec',
    describe: 'logshipper: exec `cat` -> memory channel -> Kafka sink',
    run: (c) => runAgent(c, ['type = exec', `command = cat ${c.file}`, 'batchSize = 2000', 'batchTimeout = 100']),
  },
];

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    bytes: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    acks: { type: 'string', default: '1' },
    contenders: { type: 'string', default: CONTENDERS.map((c) => c.name).join(',') },
  },
});
const lines = Number(values.lines);
const bytes = Number(values.bytes);
const runs = Number(values.runs);
const chosen = values.contenders.split(',').map((name) => {
  const found = CONTENDERS.find((c) => c.name === name);
  if (found === undefined) throw new Error(`unknown contender ${name}: choose from ${CONTENDERS.map((c) => c.name).join(', ')}`);
  return found;
});

let stopEnv: (() => Promise<void>) | undefined;
if (process.env['KAFKA_BROKERS'] === undefined) {
  const { up } = await import('../test/env/up.ts');
  const { down } = await import('../test/env/down.ts');
  Object.assign(process.env, await up());
  stopEnv = down;
}
const brokers = process.env['KAFKA_BROKERS'] ?? '';

try {
  const file = await logFile(lines, bytes);
  const results = new Map<string, Measurement[]>(chosen.map((c) => [c.name, []]));
  // Contenders take turns in every round, so that drift on a noisy machine hits them alike.
  for (let round = 1; round <= runs; round++) {
    for (const contender of chosen) {
      const topic = `bench-${contender.name}-${Date.now().toString(36)}`;
      await createTopic(brokers, topic);
      const measurement = await contender.run({ brokers, topic, file, acks: values.acks });
      const count = await countRecords(brokers, topic);
      if (count !== lines) throw new Error(`${contender.name} delivered ${count} records of ${lines} to ${topic}`);
      results.get(contender.name)?.push(measurement);
      console.log(`round ${round}: ${contender.name} ${measurement.wallSeconds.toFixed(2)} s, cpu ${measurement.cpuSeconds.toFixed(2)} s, peak RSS ${measurement.peakRssMb.toFixed(0)} MB`);
    }
  }

  const megabytes = (lines * bytes) / 1e6;
  const gigabytes = (lines * bytes) / 1e9;
  const baseline = median(results.get('kcat')?.map((m) => m.wallSeconds) ?? []);
  const rows = chosen.map((contender) => {
    const list = results.get(contender.name) ?? [];
    const wall = median(list.map((m) => m.wallSeconds));
    const cpu = median(list.map((m) => m.cpuSeconds));
    const rss = median(list.map((m) => m.peakRssMb));
    const ratio = baseline > 0 ? (baseline / wall).toFixed(2) : 'n/a';
    return `| ${contender.describe} | ${Math.round(lines / wall).toLocaleString('en-US')} | ${(megabytes / wall).toFixed(1)} | ${(cpu / gigabytes).toFixed(1)} | ${rss.toFixed(0)} | ${ratio} |`;
  });
  const report = [
    `# Throughput: ${lines.toLocaleString('en-US')} lines x ${bytes} bytes, acks=${values.acks}, medians of ${runs} runs`,
    '',
    `Machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, Kafka ${process.env['KAFKA_VERSION'] ?? 'unknown'} (single node on 127.0.0.1), ${new Date().toISOString()}`,
    '',
    '| contender | lines/s | MB/s | CPU s/GB | peak RSS MB | throughput vs kcat |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
  console.log('\n' + report);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const out = join(ROOT, 'bench', 'results', `throughput-${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(out, report);
  console.log(`written to ${out}`);
} finally {
  await stopEnv?.();
}
