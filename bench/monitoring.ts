// Monitoring benchmark: what healthy and backed-off look like to Prometheus. The agent, as the
// image runs it and with the operator's sizes, tails a file a writer appends to at a steady rate
// and ships it to Kafka through a gate the benchmark cuts (lib/kafka-gate.ts); a real Prometheus
// scrapes the agent (with the labels the chart's PodMonitor attaches) and the writer every second.
// Phases: healthy, broker cut (the sink backs off, the channel fills, the source pauses, lag
// grows), broker back (until the lag is back to its healthy level), healthy again. The main series
// are then read back with query_range, plotted (docs/images/healthy-and-backoff.svg) and tabled
// per phase (bench/results/monitoring-<date>.md); every line is counted in the topic with kcat.
//   npm run bench:monitoring -- [--rate 1000] [--bytes 200] [--healthy 60] [--cut 75] [--out FILE] [--svg FILE]
// KAFKA_BROKERS and PROMETHEUS (the test environment's .testenv/env), else the environment is started.
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify, parseArgs } from 'node:util';
import { SIDECAR_CONTAINER_NAME } from '../operator/sidecar-layout.ts';
import { freePorts } from '../test/env/ports.ts';
import { requireEnv } from '../test/helpers/env.ts';
import { startPrometheus, type PrometheusServer } from '../test/helpers/prometheus.ts';
import { OPERATOR_DEFAULTS, taildirConfig } from './contenders/logshipper.ts';
import { agentCommand, agentEntrypoint, imageNodeFlags, ROOT } from './lib/agent.ts';
import { machineFacts, load } from './lib/facts.ts';
import { startKafkaGate } from './lib/kafka-gate.ts';
import { createTopic, deleteTopic } from './lib/kafka.ts';
import { instantiate, SERIES, WRITER_LINES_METRIC, type SeriesName, type Variables } from './lib/monitoring-queries.ts';
import { kafkaBrokers } from './lib/setup.ts';
import { parseStamped, writeAtRate } from './lib/stamped.ts';
import { compact, renderPlot, type Phase, type Point } from './lib/svg-plot.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    bytes: { type: 'string', default: '200' },
    healthy: { type: 'string', default: '60' },
    cut: { type: 'string', default: '75' },
    out: { type: 'string' },
    svg: { type: 'string' },
  },
});
const rate = Number(values.rate);
const bytes = Number(values.bytes);
const healthySeconds = Number(values.healthy);
const cutSeconds = Number(values.cut);
for (const [name, value] of Object.entries({ rate, bytes, healthy: healthySeconds, cut: cutSeconds })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench:monitoring: --${name} must be a number > 0, got ${String(value)}`);
}
/** How long the broker-back phase may take before the run is called failed. */
const RECOVERY_TIMEOUT_MS = 300_000;
const execFileAsync = promisify(execFile);

/** What the chart's PodMonitor attaches to a sidecar's series (the labels the dashboard selects on). */
const SIDECAR_LABELS = { namespace: 'bench', pod: 'bench-app-0', container: SIDECAR_CONTAINER_NAME, logshipper: 'bench' };
const VARIABLES: Variables = { namespace: SIDECAR_LABELS.namespace, logshipper: SIDECAR_LABELS.logshipper, rateInterval: '4s' };

/** The values of every sample of `name` in a Prometheus text exposition. */
function samplesOf(text: string, name: string): number[] {
  const found: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    found.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return found;
}

interface AgentState {
  at: number;
  lagBytes: number;
  ready: number;
  /** Events the sink delivered and Kafka acknowledged. */
  drained: number;
}

/** The agent's lag and sink state, read from its /metrics directly (finer than the scrape). */
async function agentState(port: number): Promise<AgentState> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const lag = samplesOf(text, 'logshipper_file_lag_bytes');
  const ready = samplesOf(text, 'logshipper_sink_ready');
  const sum = (list: number[]): number => list.reduce((a, b) => a + b, 0);
  return { at: Date.now() / 1000, lagBytes: sum(lag), ready: ready.length === 0 ? Number.NaN : Math.min(...ready), drained: sum(samplesOf(text, 'logshipper_sink_events_drained_total')) };
}

/** Polls the agent every 250 ms until `done` accepts its state; throws after `timeoutMs`. */
async function until(port: number, what: string, timeoutMs: number, done: (state: AgentState) => boolean): Promise<AgentState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await agentState(port);
    if (done(state)) return state;
    if (Date.now() > deadline) throw new Error(`bench:monitoring: ${what} not reached within ${timeoutMs / 1000} s (lag ${state.lagBytes} bytes, sink ready ${state.ready}, ${state.drained} events shipped)`);
    await sleep(250);
  }
}

/** Counts the topic's records per written sequence with kcat (an independent reader): lost, duplicated, foreign. */
async function countLines(brokers: string, topic: string, written: number): Promise<{ records: number; lost: number; duplicates: number; foreign: number }> {
  const { stdout } = await execFileAsync(requireEnv('KCAT'), ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', 'fetch.wait.max.ms=5'], {
    maxBuffer: 1 << 30, timeout: 120_000, killSignal: 'SIGKILL', encoding: 'buffer',
  });
  const counts = new Uint32Array(written);
  let records = 0;
  let foreign = 0;
  for (let start = 0; start < stdout.length;) {
    const end = stdout.indexOf(0x0a, start);
    const value = stdout.subarray(start, end === -1 ? stdout.length : end);
    start = end === -1 ? stdout.length : end + 1;
    records++;
    const stamped = parseStamped(value);
    // A line arrives whole: its sequence known and its length as written (newline not shipped).
    if (stamped === undefined || stamped.sequence >= written || value.length !== bytes - 1) foreign++;
    else counts[stamped.sequence] = (counts[stamped.sequence] ?? 0) + 1;
  }
  let lost = 0;
  let duplicates = 0;
  for (const n of counts) {
    if (n === 0) lost++;
    else duplicates += n - 1;
  }
  return { records, lost, duplicates, foreign };
}

interface Mark {
  label: string;
  start: number;
  end: number;
  color: string;
}

const brokers = await kafkaBrokers();
const [broker = ''] = brokers.split(',');
agentEntrypoint();
const work = mkdtempSync(join(tmpdir(), 'logshipper-monitoring-'));
mkdirSync(join(work, 'logs'));
const file = join(work, 'logs', 'app.log');
writeFileSync(file, '');
const topic = `monitoring-${Date.now().toString(36)}`;
await createTopic(brokers, topic);
const gate = await startKafkaGate(broker);

let written = 0;
const writerMetrics = createServer((_, response) => {
  response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  response.end(`# HELP ${WRITER_LINES_METRIC} Lines the benchmark appended to the tailed file.\n# TYPE ${WRITER_LINES_METRIC} counter\n${WRITER_LINES_METRIC} ${written}\n`);
});
writerMetrics.listen(0, '127.0.0.1');
await once(writerMetrics, 'listening');
const writerAddress = writerMetrics.address();
if (writerAddress === null || typeof writerAddress === 'string') throw new Error('bench:monitoring: the writer\'s metrics server has no TCP address');

const [agentPort = 0] = await freePorts(1);
const config = taildirConfig({ brokers: gate.address, topic, file, acks: '-1', work }, OPERATOR_DEFAULTS);
const { command, args } = agentCommand(config, imageNodeFlags(), 'info', agentPort);
const agentLog = join(work, 'agent.log');
const logFd = openSync(agentLog, 'a');
const agent = spawn(command, args, { stdio: ['ignore', logFd, logFd] });
closeSync(logFd);
const agentGone = once(agent, 'exit');

const stopWriter = new AbortController();
let prometheus: PrometheusServer | undefined;
let succeeded = false;
try {
  prometheus = await startPrometheus({
    name: 'monitoring',
    scrapeInterval: '1s',
    scrapeConfigs: [
      { job_name: 'logshipper-sidecar', static_configs: [{ targets: [`127.0.0.1:${agentPort}`], labels: SIDECAR_LABELS }] },
      { job_name: 'bench-writer', static_configs: [{ targets: [`127.0.0.1:${writerAddress.port}`] }] },
    ],
  });
  await prometheus.waitForTarget({ job: 'logshipper-sidecar', ...SIDECAR_LABELS });
  await prometheus.waitForTarget({ job: 'bench-writer' });
  await until(agentPort, 'the sink ready', 60_000, (s) => s.ready === 1);

  const loadBefore = load();
  let maxLoad = loadavg()[0] ?? 0;
  const loadSampler = setInterval(() => (maxLoad = Math.max(maxLoad, loadavg()[0] ?? 0)), 5000);
  const marks: Mark[] = [];
  const phase = async (label: string, color: string, body: () => Promise<void>): Promise<void> => {
    const start = Date.now() / 1000;
    console.log(`${new Date().toISOString()} ${label}`);
    await body();
    marks.push({ label, start, end: Date.now() / 1000, color });
  };
  const writing = writeAtRate(file, rate, Infinity, bytes, { stop: stopWriter.signal, written: (n) => (written = n) });
  let healthyLag = 0;
  await phase('healthy', '#e8f5e9', async () => {
    const deadline = Date.now() + healthySeconds * 1000;
    while (Date.now() < deadline) {
      healthyLag = Math.max(healthyLag, (await agentState(agentPort)).lagBytes);
      await sleep(250);
    }
  });
  let cutAt = 0;
  await phase('broker cut', '#ffebee', async () => {
    await gate.cut();
    cutAt = Date.now() / 1000;
    await sleep(cutSeconds * 1000);
  });
  const backAt = Date.now() / 1000;
  let readyAt = 0;
  let caughtUpAt = 0;
  let backlogAt = 0;
  let writtenAtBack = 0;
  let atBack: AgentState | undefined;
  await phase('broker back', '#fff8e1', async () => {
    atBack = await agentState(agentPort);
    writtenAtBack = written;
    await gate.open();
    readyAt = (await until(agentPort, 'the sink ready again', RECOVERY_TIMEOUT_MS, (s) => s.ready === 1)).at;
    // Lag is "caught up" at the level it kept while healthy: lines written since the last read are always a little lag.
    caughtUpAt = (await until(agentPort, `the lag back to its healthy level (<= ${healthyLag} bytes)`, RECOVERY_TIMEOUT_MS, (s) => s.lagBytes <= healthyLag)).at;
    // The outage's backlog: every line written until the broker came back, acknowledged.
    backlogAt = (await until(agentPort, `the ${writtenAtBack} lines written until the broker came back shipped`, RECOVERY_TIMEOUT_MS, (s) => s.drained >= writtenAtBack)).at;
  });
  await phase('healthy again', '#e8f5e9', () => sleep(healthySeconds * 1000));
  stopWriter.abort();
  const total = await writing;
  const stoppedAt = Date.now() / 1000;
  const drained = await until(agentPort, 'every written byte acknowledged (lag 0)', RECOVERY_TIMEOUT_MS, (s) => s.lagBytes === 0);
  clearInterval(loadSampler);
  const loadAfter = load();
  // One more scrape past the end, so that the last seconds are in Prometheus too.
  await sleep(3000);

  const start = marks[0]?.start ?? stoppedAt;
  const end = stoppedAt;
  const series = new Map<SeriesName, Point[]>();
  for (const name of Object.keys(SERIES) as SeriesName[]) {
    const result = await prometheus.queryRange(instantiate(SERIES[name], VARIABLES), { start: Math.floor(start), end: Math.ceil(end), step: 1 });
    if (result.length !== 1) throw new Error(`bench:monitoring: ${name} (${instantiate(SERIES[name], VARIABLES)}) returned ${result.length} series, expected 1`);
    series.set(name, (result[0]?.values ?? []).map(([t, v]) => [t - start, Number(v)] as const));
  }
  const get = (name: SeriesName): Point[] => series.get(name) ?? [];
  const counted = await countLines(brokers, topic, total);
  console.log(`counted: ${counted.records} records for ${total} lines written: ${counted.lost} lost, ${counted.duplicates} duplicates, ${counted.foreign} foreign`);
  if (counted.lost > 0 || counted.foreign > 0) throw new Error(`bench:monitoring: ${counted.lost} lines lost, ${counted.foreign} records not written by this run (work folder ${work} kept)`);

  // The recovery burst is many times the steady rate: the axis stops at 4x the rate, so that the steady state and the source's pause stay readable.
  const linesAxis = 4 * rate;
  const burst = Math.max(...get('shipped').map(([, v]) => v).filter(Number.isFinite));
  const linesTitle = burst > linesAxis ? `lines/s (axis cut at ${compact(linesAxis)}: the recovery burst peaks at ${compact(burst)})` : 'lines/s';
  const phases: Phase[] = marks.map((m) => ({ label: m.label, start: m.start - start, end: m.end - start, color: m.color }));
  const svg = renderPlot({
    title: `logshipper: healthy, broker cut, recovery (${rate.toLocaleString('en-US')} lines/s of ${bytes} bytes, Prometheus scraping every 1 s)`,
    start: 0, end: end - start, xLabel: 'seconds since the writer started', phases,
    panels: [
      { title: linesTitle, yMax: linesAxis, series: [
        { name: 'written (file)', color: '#9e9e9e', points: get('written') },
        { name: 'read (source)', color: '#1e88e5', points: get('read') },
        { name: 'shipped (sink, acked)', color: '#2e7d32', points: get('shipped') },
      ] },
      { title: 'file lag, bytes', series: [{ name: 'logshipper_file_lag_bytes', color: '#e65100', points: get('lagBytes') }] },
      { title: 'channel fill ratio', yMax: 1, series: [{ name: 'logshipper_channel_fill_ratio', color: '#6a1b9a', points: get('channelFill') }] },
      { title: 'sinks in backoff (1 - logshipper_sink_ready)', yMax: 1, series: [{ name: 'backing off', color: '#c62828', points: get('sinksBackingOff') }] },
      { title: 'delivery latency p99, seconds', series: [{ name: 'logshipper_sink_delivery_seconds p99', color: '#00838f', points: get('deliveryP99') }] },
    ],
  });
  const svgOut = values.svg ?? join(ROOT, 'docs', 'images', 'healthy-and-backoff.svg');
  mkdirSync(join(svgOut, '..'), { recursive: true });
  writeFileSync(svgOut, svg);

  // A phase's steps; for a phase shorter than one step (a quick recovery), the steps around it.
  const steps = (name: SeriesName, from: number, to: number): number[] => get(name).filter(([t]) => t >= from && t <= to).map(([, v]) => v).filter(Number.isFinite);
  const within = (name: SeriesName, p: Phase): number[] => {
    const inside = steps(name, p.start, p.end);
    return inside.length > 0 ? inside : steps(name, Math.floor(p.start), Math.ceil(p.end));
  };
  const mean = (list: number[]): number => (list.length === 0 ? Number.NaN : list.reduce((a, b) => a + b, 0) / list.length);
  const max = (list: number[]): number => (list.length === 0 ? Number.NaN : Math.max(...list));
  const rows = phases.map((p) => `| ${p.label} | ${(p.end - p.start).toFixed(0)} | ${mean(within('written', p)).toFixed(0)} | ${mean(within('shipped', p)).toFixed(0)} | ${max(within('shipped', p)).toFixed(0)} `
    + `| ${(max(within('lagBytes', p)) / 1e6).toFixed(2)} | ${max(within('channelFill', p)).toFixed(2)} | ${max(within('sinksBackingOff', p)).toFixed(0)} | ${(max(within('deliveryP99', p)) * 1000).toFixed(0)} |`);
  const log = readFileSync(agentLog, 'utf8');
  const logged = (msg: string): number => log.split('\n').filter((line) => line.includes(`"msg":"${msg}`)).length;
  const report = [
    `# Monitoring: healthy, broker cut, recovery at ${rate.toLocaleString('en-US')} lines/s of ${bytes} bytes, scraped by Prometheus every 1 s`,
    '',
    `${new Date(start * 1000).toISOString()}. ${machineFacts()}. Kafka ${process.env['KAFKA_VERSION'] ?? 'unknown'} (single node on 127.0.0.1), Prometheus ${process.env['PROMETHEUS_VERSION'] ?? 'unknown'}.`,
    `Load average (1/5/15 min) before: ${loadBefore}, after: ${loadAfter}, highest 1-min value during the run: ${maxLoad.toFixed(2)} (other engineers test on this machine: rates and latencies carry their load).`,
    '',
    `The agent as the image runs it (the bundle, node ${imageNodeFlags().join(' ')}), TAILDIR with the operator's sizes (channel ${OPERATOR_DEFAULTS.capacity?.toLocaleString('en-US')}, batches of ${OPERATOR_DEFAULTS.batchSize}, linger ${OPERATOR_DEFAULTS.lingerMs} ms), acks=all,`
      + ' shipping through a TCP gate that rewrites the broker\'s address in Metadata, so that cutting it cuts every connection. The writer appends stamped lines at a steady rate the whole time and serves its own counter to the same Prometheus.',
    `Phases: healthy ${healthySeconds} s; broker cut ${cutSeconds} s (the gate refuses and drops every connection); broker back until the lag is back to its healthy level (<= ${(healthyLag / 1000).toFixed(0)} kB, the first phase's maximum: a tailed file always has the lines written since its last read); healthy again ${healthySeconds} s.`,
    '',
    '| phase | seconds | written lines/s (mean) | shipped lines/s (mean) | shipped lines/s (max) | max file lag MB | max channel fill | max sinks in backoff | max delivery p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `- Broker back to sink ready: ${(readyAt - backAt).toFixed(1)} s; to the lag at its healthy level: ${(caughtUpAt - backAt).toFixed(1)} s; to the ${writtenAtBack.toLocaleString('en-US')} lines written until then all shipped: ${(backlogAt - backAt).toFixed(1)} s (the cut itself lasted ${(backAt - cutAt).toFixed(0)} s).`,
    `- Backlog when the broker came back: ${(((writtenAtBack - (atBack?.drained ?? 0)) * bytes) / 1e6).toFixed(1)} MB written and not shipped; logshipper_file_lag_bytes then said ${((atBack?.lagBytes ?? 0) / 1e6).toFixed(1)} MB (each file's size at the scrape minus its acknowledged offset).`,
    `- Rates are over ${VARIABLES.rateInterval} windows (Prometheus's rate at a 1 s step): they trail the events by up to that much, so a recovery of a few seconds shows its burst in the next phase's row.`,
    `- Writer stopped to lag 0 (every written byte acknowledged): ${(drained.at - stoppedAt).toFixed(1)} s.`,
    `- Lines: ${total.toLocaleString('en-US')} written, ${counted.records.toLocaleString('en-US')} records in the topic (counted with kcat per line): ${counted.lost} lost, ${counted.duplicates} duplicates, ${counted.foreign} foreign.`,
    `- Agent log: ${logged('delivery failed')} "delivery failed" warnings, ${logged('channel full')} "channel full", ${logged('sink delivering again')} "sink delivering again".`,
    '',
    `Series (query_range, step 1 s; the dashboard's expressions with namespace="${VARIABLES.namespace}", logshipper="${VARIABLES.logshipper}", $__rate_interval ${VARIABLES.rateInterval}):`,
    ...(Object.keys(SERIES) as SeriesName[]).map((name) => `- ${name}: \`${SERIES[name]}\``),
    '',
    `Picture: ${svgOut.startsWith(ROOT) ? svgOut.slice(ROOT.length) : svgOut}.`,
    '',
  ].join('\n');
  console.log('\n' + report);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const out = values.out ?? join(ROOT, 'bench', 'results', `monitoring-${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(out, report);
  console.log(`written to ${out} and ${svgOut}`);
  succeeded = true;
} finally {
  stopWriter.abort();
  if (agent.exitCode === null) {
    agent.kill('SIGTERM');
    const killer = setTimeout(() => agent.kill('SIGKILL'), 15_000);
    await agentGone;
    clearTimeout(killer);
  }
  await prometheus?.stop();
  await gate.close();
  writerMetrics.close();
  await deleteTopic(brokers, topic);
  if (succeeded) rmSync(work, { recursive: true, force: true });
  else console.error(`bench:monitoring: failed; agent log and work folder kept in ${work}`);
}
