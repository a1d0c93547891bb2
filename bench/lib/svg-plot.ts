// A small SVG renderer for benchmark time series: panels stacked on one shared time axis, shaded
// phases, axes with ticks, a legend per panel. Pure functions (data in, markup out), so that the
// geometry is unit-tested and no plotting library is needed.

/** [seconds since the start of the plot, value]; NaN values leave a gap. */
export type Point = readonly [number, number];

export interface Series {
  name: string;
  color: string;
  points: readonly Point[];
}

export interface Panel {
  title: string;
  series: Series[];
  /** The y axis' ends; by default 0 and the data's maximum rounded up to a tick. */
  yMin?: number;
  yMax?: number;
  /** Tick labels; by default compact numbers (1.5k, 2M). */
  format?: (value: number) => string;
}

export interface Phase {
  label: string;
  start: number;
  end: number;
  color: string;
}

export interface Plot {
  title: string;
  /** The time axis' ends, in seconds. */
  start: number;
  end: number;
  xLabel: string;
  phases: Phase[];
  panels: Panel[];
  width?: number;
  panelHeight?: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const MARGIN = { left: 64, right: 16, top: 40, bottom: 40 };
/** Above each panel: its title and legend. */
const PANEL_HEADER = 22;
const PANEL_GAP = 14;
const FONT = 'font-family="system-ui, sans-serif" font-size="11"';

/** Maps `domain` linearly onto `range` (a zero-width domain maps to the range's start). */
export function scale(domain: readonly [number, number], range: readonly [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  return (value) => (span === 0 ? r0 : r0 + ((value - d0) / span) * (r1 - r0));
}

/** A step of 1, 2 or 5 times a power of ten, close to `span / count`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10;
  return nice * power;
}

/** Multiples of a nice step (about `count` of them) from `min` to `max`, both ends included when they fall on one. */
export function niceTicks(min: number, max: number, count: number): number[] {
  const step = niceStep(max - min, count);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks: number[] = [];
  for (let i = Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return ticks;
}

/** The smallest multiple of the nice step for [0, max] that is >= max (1 for an empty or flat series). */
export function niceCeil(max: number, count: number): number {
  if (!(max > 0)) return 1;
  const step = niceStep(max, count);
  return Math.ceil(max / step - 1e-9) * step;
}

/** 1.5k, 2M, 0.25: short tick labels. */
export function compact(value: number): string {
  const magnitude = Math.abs(value);
  const trim = (n: number): string => String(Number(n.toPrecision(3)));
  if (magnitude >= 1e9) return `${trim(value / 1e9)}G`;
  if (magnitude >= 1e6) return `${trim(value / 1e6)}M`;
  if (magnitude >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

/** Where each panel's plotting area lies, top to bottom, all sharing the x extent. */
export function layout(plot: Plot): Box[] {
  const width = (plot.width ?? 900) - MARGIN.left - MARGIN.right;
  const height = plot.panelHeight ?? 110;
  return plot.panels.map((_, i) => ({
    x: MARGIN.left,
    y: MARGIN.top + i * (PANEL_HEADER + height + PANEL_GAP) + PANEL_HEADER,
    width,
    height,
  }));
}

/** The y axis' ends of a panel. */
export function yDomain(panel: Panel): [number, number] {
  const values = panel.series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite);
  const min = panel.yMin ?? 0;
  return [min, panel.yMax ?? niceCeil(Math.max(min, ...values) - min, 4) + min];
}

/** An SVG path through the points (M/L commands), a new subpath after each gap (NaN). */
export function pathData(points: readonly Point[], x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const [t, v] of points) {
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)} ${y(v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderPlot(plot: Plot): string {
  const boxes = layout(plot);
  const width = plot.width ?? 900;
  const last = boxes[boxes.length - 1];
  const height = (last === undefined ? MARGIN.top : last.y + last.height) + MARGIN.bottom;
  const first = boxes[0];
  const x = scale([plot.start, plot.end], [MARGIN.left, MARGIN.left + (first?.width ?? 0)]);
  const clamp = (t: number): number => Math.min(plot.end, Math.max(plot.start, t));
  const xTicks = niceTicks(plot.start, plot.end, 10);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14" font-weight="bold">${escape(plot.title)}</text>`,
  ];
  for (const phase of plot.phases) {
    const x0 = x(clamp(phase.start));
    const x1 = x(clamp(phase.end));
    out.push(`<text x="${((x0 + x1) / 2).toFixed(1)}" y="${MARGIN.top - 4}" text-anchor="middle" fill="#333">${escape(phase.label)}</text>`);
  }
  plot.panels.forEach((panel, i) => {
    const box = boxes[i];
    if (box === undefined) return;
    const [y0, y1] = yDomain(panel);
    const y = scale([y0, y1], [box.y + box.height, box.y]);
    const format = panel.format ?? compact;
    for (const phase of plot.phases) {
      const x0 = x(clamp(phase.start));
      out.push(`<rect x="${x0.toFixed(1)}" y="${box.y}" width="${(x(clamp(phase.end)) - x0).toFixed(1)}" height="${box.height}" fill="${phase.color}"/>`);
    }
    for (const tick of niceTicks(y0, y1, 4)) {
      const ty = y(tick).toFixed(1);
      out.push(`<line x1="${box.x}" x2="${box.x + box.width}" y1="${ty}" y2="${ty}" stroke="#000" stroke-opacity="0.1"/>`);
      out.push(`<text x="${box.x - 6}" y="${ty}" dy="0.35em" text-anchor="end" fill="#555">${escape(format(tick))}</text>`);
    }
    for (const tick of xTicks) {
      const tx = x(tick).toFixed(1);
      out.push(`<line x1="${tx}" x2="${tx}" y1="${box.y + box.height}" y2="${box.y + box.height + 4}" stroke="#555"/>`);
    }
    out.push(`<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="none" stroke="#555"/>`);
    out.push(`<text x="${box.x}" y="${box.y - 7}" font-weight="bold">${escape(panel.title)}</text>`);
    // The legend, right-aligned in the panel's header: a swatch and a name per series.
    let lx = box.x + box.width;
    for (const series of [...panel.series].reverse()) {
      lx -= series.name.length * 6 + 26;
      out.push(`<line x1="${lx}" x2="${lx + 16}" y1="${box.y - 11}" y2="${box.y - 11}" stroke="${series.color}" stroke-width="2"/>`);
      out.push(`<text x="${lx + 20}" y="${box.y - 7}" fill="#333">${escape(series.name)}</text>`);
    }
    for (const series of panel.series) {
      const inside = series.points.filter(([t]) => t >= plot.start && t <= plot.end);
      const d = pathData(inside, x, (v) => y(Math.min(y1, Math.max(y0, v))));
      if (d !== '') out.push(`<path d="${d}" fill="none" stroke="${series.color}" stroke-width="1.5" stroke-linejoin="round"/>`);
    }
  });
  if (last !== undefined) {
    for (const tick of xTicks) {
      out.push(`<text x="${x(tick).toFixed(1)}" y="${last.y + last.height + 16}" text-anchor="middle" fill="#555">${escape(compact(tick))}</text>`);
    }
    out.push(`<text x="${MARGIN.left + last.width / 2}" y="${last.y + last.height + 32}" text-anchor="middle" fill="#333">${escape(plot.xLabel)}</text>`);
  }
  out.push('</svg>', '');
  return out.join('\n');
}
