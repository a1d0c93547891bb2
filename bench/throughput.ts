// Throughput benchmark: ships one file of N lines to a fresh topic with each contender, in turns,
// and reports medians and ratios against kcat (librdkafka's producer) and Apache Flume, measured
// in the same run.
//   npm run bench -- [--lines 1000000] [--bytes 200] [--runs 3] [--acks 1] [--contenders kcat,flume,...]
// Opt-in contenders (platformatic-*: the agent on @platformatic/kafka) run only when named in --contenders.
// Uses KAFKA_BROKERS when set, else starts (or reuses) the test environment and leaves it running:
// it is shared, stop it yourself with `npm run testenv:down` when nobody else needs it.
// LOGSHIPPER_BENCH_NODE_FLAGS adds V8/Node flags to the agent's command line (e.g. to try GC settings).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/agent.ts';
import type { Contender } from './lib/contender.ts';
import { logFile } from './lib/data.ts';
import { machineFacts, load } from './lib/facts.ts';
import { countRecords, createTopic, deleteTopic } from './lib/kafka.ts';
import { median, type Measurement } from './lib/measure.ts';
import { kcat } from './contenders/kcat.ts';
import { flume } from './contenders/flume.ts';
import { rsyslog } from './contenders/rsyslog.ts';
import {
  logshipperExec, logshipperExecDefaults, logshipperExecDefaultsSemi2, logshipperExecDefaultsSmall, logshipperTaildir, logshipperTaildirAcksAll,
  logshipperTaildirHeaders, logshipperTaildirImage,
} from './contenders/logshipper.ts';
import { otelcol } from './contenders/otelcol.ts';
import { platformaticExecDefaultsSmall, platformaticTaildir, platformaticTaildirAcksAll } from './contenders/platformatic.ts';
import { chooseByName, kafkaBrokers } from './lib/setup.ts';

const CONTENDERS: Contender[] = [
  kcat, flume, rsyslog, otelcol, logshipperTaildir, logshipperTaildirAcksAll, logshipperTaildirHeaders, logshipperTaildirImage, logshipperExec,
  logshipperExecDefaults, logshipperExecDefaultsSemi2, logshipperExecDefaultsSmall,
];
/** Run only when named in --contenders: the kafkajs rows' twins on @platformatic/kafka (a client measured, not shipped). */
const OPT_IN: Contender[] = [platformaticTaildir, platformaticTaildirAcksAll, platformaticExecDefaultsSmall];

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    bytes: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    acks: { type: 'string', default: '1' },
    contenders: { type: 'string', default: CONTENDERS.map((c) => c.name).join(',') },
    out: { type: 'string' },
  },
});
const lines = Number(values.lines);
const bytes = Number(values.bytes);
const runs = Number(values.runs);
const chosen = chooseByName([...CONTENDERS, ...OPT_IN], values.contenders);

const brokers = await kafkaBrokers();

{
  const versions = new Map<string, string>();
  for (const contender of chosen) versions.set(contender.name, await contender.prepare());
  const file = await logFile(lines, bytes);
  const loadBefore = load();
  const results = new Map<string, Measurement[]>(chosen.map((c) => [c.name, []]));
  // Contenders take turns in every round, so that drift on a noisy machine hits them alike.
  for (let round = 1; round <= runs; round++) {
    for (const contender of chosen) {
      const topic = `bench-${contender.name}-${Date.now().toString(36)}`;
      await createTopic(brokers, topic);
      const work = mkdtempSync(join(tmpdir(), `logshipper-bench-${contender.name}-`));
      const measurement = await contender.run({ brokers, topic, file, lines, bytes, acks: values.acks, work });
      const count = await countRecords(brokers, topic);
      if (count !== lines) throw new Error(`${contender.name} delivered ${count} records of ${lines} to ${topic} (scratch folder ${work} kept)`);
      rmSync(work, { recursive: true, force: true });
      await deleteTopic(brokers, topic);
      results.get(contender.name)?.push(measurement);
      console.log(`round ${round}: ${contender.name} ${measurement.wallSeconds.toFixed(2)} s, cpu ${measurement.cpuSeconds.toFixed(2)} s, peak RSS ${measurement.peakRssMb.toFixed(0)} MB`);
    }
  }
  const loadAfter = load();

  const megabytes = (lines * bytes) / 1e6;
  const gigabytes = (lines * bytes) / 1e9;
  const medians = new Map(chosen.map((c) => {
    const list = results.get(c.name) ?? [];
    return [c.name, { wall: median(list.map((m) => m.wallSeconds)), cpu: median(list.map((m) => m.cpuSeconds)), rss: median(list.map((m) => m.peakRssMb)) }];
  }));
  const rate = (name: string): number | undefined => {
    const m = medians.get(name);
    return m === undefined || m.wall <= 0 ? undefined : lines / m.wall;
  };
  const ratio = (name: string, base: string): string => {
    const a = rate(name);
    const b = rate(base);
    return a === undefined || b === undefined ? 'n/a' : (a / b).toFixed(2);
  };
  const rows = chosen.map((contender) => {
    const m = medians.get(contender.name) ?? { wall: 0, cpu: 0, rss: 0 };
    const all = (results.get(contender.name) ?? []).map((r) => `${(lines / r.wallSeconds / 1000).toFixed(0)}k`).join(' ');
    return `| ${contender.describe} | ${Math.round(rate(contender.name) ?? 0).toLocaleString('en-US')} | ${(megabytes / m.wall).toFixed(1)} | ${(m.cpu / gigabytes).toFixed(1)} | ${m.rss.toFixed(0)} | ${ratio(contender.name, 'kcat')} | ${ratio(contender.name, 'flume')} | ${all} |`;
  });

  // The issue's targets, for the TAILDIR row (exec when TAILDIR was not run).
  const ours = rate('logshipper-taildir') !== undefined ? 'logshipper-taildir' : 'logshipper-exec';
  const check = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met');
  const r = (name: string): number | undefined => rate(name);
  const versus = (factor: number, base: string): boolean | undefined => {
    const a = r(ours);
    const b = r(base);
    return a === undefined || b === undefined ? undefined : a >= factor * b;
  };
  // The default config is what a LogShipper deploys: the operator's defaults, run with the image's V8 flags (Dockerfile).
  const imageRss = medians.get('logshipper-exec-defaults-small')?.rss;
  const others = ['logshipper-exec-defaults', 'logshipper-exec-defaults-semi2']
    .filter((name) => medians.has(name)).map((name) => `${name} ${(medians.get(name)?.rss ?? 0).toFixed(0)} MB at ${Math.round(rate(name) ?? 0).toLocaleString('en-US')} lines/s`);
  const targets = [
    `- throughput >= 2x Flume (${ours}): ${ratio(ours, 'flume')}x, ${check(versus(2, 'flume'))}`,
    `- throughput >= rsyslog: ${ratio(ours, 'rsyslog')}x, ${check(versus(1, 'rsyslog'))}`,
    `- throughput >= 50% of kcat: ${ratio(ours, 'kcat')}x, ${check(versus(0.5, 'kcat'))}`,
    `- peak RSS <= 120 MB on the default config (operator defaults with the image's node flags): ${imageRss === undefined ? 'not measured' : `${imageRss.toFixed(0)} MB at ${Math.round(rate('logshipper-exec-defaults-small') ?? 0).toLocaleString('en-US')} lines/s, ${check(imageRss <= 120)}`}${others.length === 0 ? '' : ` (other node flags: ${others.join(', ')})`}`,
    '- p99 latency <= 100 ms at 10,000 lines/s: see `npm run bench:latency` (bench/results/latency-*.md)',
  ];
  // What a LogShipper deploys (the operator's sizes, the image's flags) at full speed.
  const imageRow = medians.get(logshipperTaildirImage.name);
  const imageVsKcat = rate(logshipperTaildirImage.name) !== undefined && rate('kcat') !== undefined ? (rate(logshipperTaildirImage.name) ?? 0) / (rate('kcat') ?? 1) : undefined;
  const footprintTargets = imageRow === undefined ? ['- not measured (run the logshipper-taildir-image contender)'] : [
    `- throughput >= 0.45 of kcat (${logshipperTaildirImage.name}): ${ratio(logshipperTaildirImage.name, 'kcat')}x, ${check(imageVsKcat === undefined ? undefined : imageVsKcat >= 0.45)}`,
    `- peak RSS <= 120 MB (${logshipperTaildirImage.name}): ${imageRow.rss.toFixed(0)} MB, ${check(imageRow.rss <= 120)}`,
    `- vs the OpenTelemetry Collector (otelcol): ${ratio(logshipperTaildirImage.name, 'otelcol')}x its lines/s`,
  ];

  const facts = machineFacts();
  const report = [
    `# Throughput: ${lines.toLocaleString('en-US')} lines x ${bytes} bytes (${megabytes.toFixed(0)} MB), acks=${values.acks}, medians of ${runs} runs`,
    '',
    `${new Date().toISOString()}. ${facts}. Kafka ${process.env['KAFKA_VERSION'] ?? 'unknown'} (single node on 127.0.0.1, same machine).`,
    `Contenders: ${chosen.map((c) => `${c.name}: ${versions.get(c.name) ?? ''}`).join('; ')}.`,
    `Load average (1/5/15 min) before: ${loadBefore}, after: ${loadAfter} (other engineers share the machine).`,
    '',
    'Same pipeline sizes everywhere: channel / queue of 20,000 events, batches of 2,000 (source, channel transaction, sink); Kafka producer settings otherwise at their defaults.'
      + ' Except: the rows named "operator defaults" or "as a LogShipper runs it" (the operator\'s sizes), and the OpenTelemetry Collector (its batch processor\'s defaults, 8,192 records or 200 ms; filelog from the start of the file).',
    'Wall time runs from the process start (JVM start-up included) until the last record is acknowledged (kcat, exec: the process exits) or visible in the topic (tailers: high watermark polled every 10 ms, then the tailer is stopped).',
    'CPU s/GB: user+system CPU seconds of the process (and its children) per GB shipped. Peak RSS: VmHWM.',
    '',
    '| contender | lines/s | MB/s | CPU s/GB | peak RSS MB | vs kcat | vs Flume | each run (lines/s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    'Targets (issue 9):',
    ...targets,
    '',
    'Targets at full speed with the image\'s settings and the operator\'s sizes (TAILDIR):',
    ...footprintTargets,
    '',
  ].join('\n');
  console.log('\n' + report);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const out = values.out ?? join(ROOT, 'bench', 'results', `throughput-${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(out, report);
  console.log(`written to ${out}`);
}
