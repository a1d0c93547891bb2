// Codec benchmark: the agent (its bundle, the image's node flags, the operator's sizes) ships one
// file of varied application log lines to a fresh topic once per compression codec, the codecs
// taking turns in every round; reports medians of lines/s, CPU s/GB, peak RSS and the bytes the
// topic's log holds on the broker (the record batches as the agent sent them: the topic keeps
// the producer's compression), with ratios against `none`.
//   npm run bench:codecs -- [--lines 300000] [--runs 3] [--acks 1] [--codecs none,gzip,snappy,lz4,zstd] [--out FILE]
// Uses KAFKA_BROKERS when set, else starts (or reuses) the test environment and leaves it running.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, imageNodeFlags } from './lib/agent.ts';
import { variedLogFile } from './lib/data.ts';
import { machineFacts, load } from './lib/facts.ts';
import { countRecords, createTopic, deleteTopic } from './lib/kafka.ts';
import { median, type Measurement } from './lib/measure.ts';
import { kafkaBrokers } from './lib/setup.ts';
import { OPERATOR_DEFAULTS, prepareAgent, runExec } from './contenders/logshipper.ts';
import { topicLogBytes } from '../test/helpers/kafka.ts';
import { COMPRESSIONS, LEVELS } from '../sidecar/sinks/compression.ts';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '3' },
    acks: { type: 'string', default: '1' },
    codecs: { type: 'string', default: COMPRESSIONS.join(',') },
    out: { type: 'string' },
  },
});
const lines = Number(values.lines);
const runs = Number(values.runs);
const codecs = values.codecs.split(',').map((name) => {
  const found = COMPRESSIONS.find((codec) => codec === name);
  if (found === undefined) throw new Error(`unknown codec ${name}: choose from ${COMPRESSIONS.join(', ')}`);
  return found;
});

interface Run extends Measurement {
  logBytes: number;
}

const brokers = await kafkaBrokers();
const version = await prepareAgent();
const file = await variedLogFile(lines);
const fileBytes = statSync(file).size;
const loadBefore = load();
const results = new Map<string, Run[]>(codecs.map((codec) => [codec, []]));
for (let round = 1; round <= runs; round++) {
  // Interleaved: drift on a shared machine hits every codec alike.
  for (const codec of codecs) {
    const topic = `bench-codec-${codec}-${Date.now().toString(36)}`;
    await createTopic(brokers, topic);
    const work = mkdtempSync(join(tmpdir(), `logshipper-bench-codec-${codec}-`));
    const measurement = await runExec({ brokers, topic, file, lines, bytes: fileBytes / lines, acks: values.acks, work },
      { ...OPERATOR_DEFAULTS, sink: [`kafka.producer.compression.type = ${codec}`] }, imageNodeFlags());
    const count = await countRecords(brokers, topic);
    if (count !== lines) throw new Error(`${codec}: ${String(count)} records of ${String(lines)} in ${topic} (scratch folder ${work} kept)`);
    const logBytes = await topicLogBytes(topic, 1, brokers);
    rmSync(work, { recursive: true, force: true });
    await deleteTopic(brokers, topic);
    results.get(codec)?.push({ ...measurement, logBytes });
    console.log(`round ${String(round)}: ${codec} ${measurement.wallSeconds.toFixed(2)} s, cpu ${measurement.cpuSeconds.toFixed(2)} s, peak RSS ${measurement.peakRssMb.toFixed(0)} MB, log ${(logBytes / 1e6).toFixed(1)} MB`);
  }
}
const loadAfter = load();

const gigabytes = fileBytes / 1e9;
const medians = new Map(codecs.map((codec) => {
  const list = results.get(codec) ?? [];
  return [codec, {
    wall: median(list.map((m) => m.wallSeconds)), cpu: median(list.map((m) => m.cpuSeconds)),
    rss: median(list.map((m) => m.peakRssMb)), logBytes: median(list.map((m) => m.logBytes)),
  }] as const;
}));
const none = medians.get('none');
const versusNone = (value: number, base: number | undefined): string => (base === undefined || base === 0 ? 'n/a' : (value / base).toFixed(2));
const levelOf = (codec: string): string => (codec in LEVELS ? ` (level ${String(LEVELS[codec as keyof typeof LEVELS].default)}, Kafka's default)` : '');
const rows = codecs.map((codec) => {
  const m = medians.get(codec) ?? { wall: 0, cpu: 0, rss: 0, logBytes: 0 };
  const rate = lines / m.wall;
  const each = (results.get(codec) ?? []).map((r) => `${(lines / r.wallSeconds / 1000).toFixed(0)}k`).join(' ');
  return `| ${codec}${levelOf(codec)} | ${Math.round(rate).toLocaleString('en-US')} | ${(m.cpu / gigabytes).toFixed(1)} | ${m.rss.toFixed(0)} | ${(m.logBytes / 1e6).toFixed(1)} | ${(fileBytes / m.logBytes).toFixed(2)} | `
    + `${none === undefined ? 'n/a' : versusNone(rate, lines / none.wall)} | ${versusNone(m.cpu, none?.cpu)} | ${versusNone(m.logBytes, none?.logBytes)} | ${each} |`;
});

const report = [
  `# Compression codecs: ${lines.toLocaleString('en-US')} varied log lines (${(fileBytes / 1e6).toFixed(1)} MB, ${(fileBytes / lines).toFixed(0)} bytes a line), acks=${values.acks}, medians of ${String(runs)} runs`,
  '',
  `${new Date().toISOString()}. ${machineFacts()}. Kafka ${process.env['KAFKA_VERSION'] ?? 'unknown'} (single node on 127.0.0.1, same machine). The agent: ${version}, its bundle with the image's node flags (${imageNodeFlags().join(' ')}).`,
  `Load average (1/5/15 min) before: ${loadBefore}, after: ${loadAfter} (above ~1, other work shared the machine and the rates are noisier; the bytes are not).`,
  '',
  `The agent as a LogShipper runs it: exec \`cat\` -> memory channel (${String(OPERATOR_DEFAULTS.capacity)}) -> Kafka sink, batches of ${String(OPERATOR_DEFAULTS.batchSize)}, linger ${String(OPERATOR_DEFAULTS.lingerMs)} ms; only \`kafka.producer.compression.type\` differs. Codecs take turns in every round.`,
  'Wall time: process start to exit (the agent exits once `cat` ended and every record is acknowledged). CPU s/GB: user+system CPU seconds of the agent per GB of lines (file bytes).',
  "Log MB: the topic's log on the broker (DescribeLogDirs) once every record is in: the record batches as the agent sent them (the topic keeps the producer's compression), i.e. the Produce requests' payload less their few framing bytes. Ratio: file bytes / log bytes.",
  '',
  '| codec | lines/s | CPU s/GB | peak RSS MB | log MB | ratio | lines/s vs none | CPU vs none | bytes vs none | each run (lines/s) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows,
  '',
].join('\n');
console.log('\n' + report);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
const out = values.out ?? join(ROOT, 'bench', 'results', `codecs-${new Date().toISOString().slice(0, 10)}.md`);
writeFileSync(out, report);
console.log(`written to ${out}`);
