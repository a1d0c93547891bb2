// The footprint benchmark's report, from the windows it measured: medians over runs per contender
// and rate, ratios against the OpenTelemetry Collector of the same run, the targets met or not.
import { median } from './measure.ts';

/** One contender at one rate for one window. */
export interface Window {
  /** RSS just before the window (the contender started and settled, nothing written yet). */
  idleRssMb: number;
  medianRssMb: number;
  peakRssMb: number;
  /** CPU seconds over the window / its length, x 100: percent of one core. */
  cpuPercent: number;
  p50Ms: number;
  p99Ms: number;
  written: number;
  /** Distinct lines read back from the topic. */
  received: number;
  duplicates: number;
}

export interface Summary extends Omit<Window, 'written' | 'received' | 'duplicates'> {
  runs: number;
  written: number;
  /** The most lines any run lost (written, never read back). */
  lost: number;
  duplicates: number;
}

export function summarize(windows: readonly Window[]): Summary {
  const of = (pick: (w: Window) => number): number => median(windows.map(pick));
  return {
    runs: windows.length,
    idleRssMb: of((w) => w.idleRssMb),
    medianRssMb: of((w) => w.medianRssMb),
    peakRssMb: of((w) => w.peakRssMb),
    cpuPercent: of((w) => w.cpuPercent),
    p50Ms: of((w) => w.p50Ms),
    p99Ms: of((w) => w.p99Ms),
    written: of((w) => w.written),
    lost: Math.max(0, ...windows.map((w) => w.written - w.received)),
    duplicates: Math.max(0, ...windows.map((w) => w.duplicates)),
  };
}

/** The agent's targets at a rate (lines/s); every rate also compares with the Collector. */
export interface Target {
  rate: number;
  rssMb: number;
  cpuPercent: number;
  p99Ms?: number;
}

export const TARGETS: readonly Target[] = [
  { rate: 0, rssMb: 55, cpuPercent: 0.05 },
  { rate: 1000, rssMb: 65, cpuPercent: 1, p99Ms: 1000 },
  { rate: 10_000, rssMb: 90, cpuPercent: 5 },
];

/** At every rate: CPU no worse than the Collector's, RSS within this factor of it. */
export const COLLECTOR_RSS_FACTOR = 1.4;

/** Summaries by contender name, then by rate. */
export type Results = ReadonlyMap<string, ReadonlyMap<number, Summary>>;

const mb = (value: number): string => value.toFixed(1);
const ms = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(0));
const percent = (value: number): string => (value < 1 ? value.toFixed(2) : value.toFixed(1));
const ratio = (a: number, b: number | undefined): string => (b === undefined || b <= 0 ? '-' : `${(a / b).toFixed(2)}x`);
export const rateName = (rate: number): string => (rate === 0 ? 'idle' : `${rate.toLocaleString('en-US')} lines/s`);

function records(s: Summary): string {
  if (s.written === 0) return '0';
  const extra = s.duplicates > 0 ? ` (+${s.duplicates} dup)` : '';
  return s.lost > 0 ? `**LOST ${s.lost.toLocaleString('en-US')}** of ${s.written.toLocaleString('en-US')}${extra}` : `all ${s.written.toLocaleString('en-US')}${extra}`;
}

/** The table: one row per contender and rate, rates in order, contenders in the order given. */
export function renderTable(names: readonly string[], rates: readonly number[], results: Results, collector: string): string[] {
  const rows = [
    '| rate | contender | idle RSS MB | median RSS MB | peak RSS MB | CPU % of a core | p50 ms | p99 ms | records | RSS vs Collector | CPU vs Collector |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const rate of rates) {
    const base = results.get(collector)?.get(rate);
    for (const name of names) {
      const s = results.get(name)?.get(rate);
      if (s === undefined) continue;
      const versus = name === collector ? ['', ''] : [ratio(s.medianRssMb, base?.medianRssMb), ratio(s.cpuPercent, base?.cpuPercent)];
      rows.push(`| ${rateName(rate)} | ${name} | ${mb(s.idleRssMb)} | ${mb(s.medianRssMb)} | ${mb(s.peakRssMb)} | ${percent(s.cpuPercent)} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${records(s)} | ${versus[0] ?? ''} | ${versus[1] ?? ''} |`);
    }
  }
  return rows;
}

const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');

/** The targets for one of our contenders, each with the measured value and met / NOT met. */
export function renderTargets(name: string, rates: readonly number[], results: Results, collector: string): string[] {
  const ours = results.get(name);
  const lines: string[] = [];
  for (const target of TARGETS) {
    const s = ours?.get(target.rate);
    if (s === undefined) {
      lines.push(`- ${rateName(target.rate)}: not measured`);
      continue;
    }
    const checks = [
      `RSS ${mb(s.medianRssMb)} MB <= ${target.rssMb}: ${verdict(s.medianRssMb <= target.rssMb)}`,
      `CPU ${percent(s.cpuPercent)} % <= ${target.cpuPercent}: ${verdict(s.cpuPercent <= target.cpuPercent)}`,
      ...(target.p99Ms === undefined ? [] : [`p99 ${ms(s.p99Ms)} ms <= ${target.p99Ms}: ${verdict(s.p99Ms <= target.p99Ms)}`]),
      ...(s.lost > 0 ? [`lost ${s.lost} lines: NOT met`] : []),
    ];
    lines.push(`- ${rateName(target.rate)}: ${checks.join('; ')}`);
  }
  for (const rate of rates) {
    const s = ours?.get(rate);
    const base = results.get(collector)?.get(rate);
    if (s === undefined || base === undefined) {
      lines.push(`- ${rateName(rate)} vs the Collector: not measured`);
      continue;
    }
    lines.push(`- ${rateName(rate)} vs the Collector: CPU ${percent(s.cpuPercent)} % <= ${percent(base.cpuPercent)} %: ${verdict(s.cpuPercent <= base.cpuPercent)}; `
      + `RSS ${mb(s.medianRssMb)} MB <= ${COLLECTOR_RSS_FACTOR} x ${mb(base.medianRssMb)} MB: ${verdict(s.medianRssMb <= COLLECTOR_RSS_FACTOR * base.medianRssMb)}`);
  }
  return lines;
}
