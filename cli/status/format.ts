// The status report as text: a kubectl-style table per LogShipper and its pods, the summary and
// what to do; or as JSON (the report itself, for scripts).
import { INJECT_ANNOTATION, INJECT_LABEL } from '../../operator/inject.ts';
import type { LogShipperReport, PodReport, StatusReport } from './report.ts';

/** How much of a sha256 the table shows (as git shows commits). */
const SHORT_HASH = 12;
/** Columns apart as kubectl sets them. */
const GAP = '   ';

function short(hash: string | null): string {
  return hash === null ? '-' : hash.slice(0, SHORT_HASH);
}

function count(value: number | null): string {
  return value === null ? '-' : String(value);
}

/** Rows as aligned columns; the last column is not padded. */
export function columns(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join(GAP).trimEnd());
}

function readyText(shipper: LogShipperReport): string {
  return shipper.ready.reason === null ? shipper.ready.status : `${shipper.ready.status} (${shipper.ready.reason})`;
}

function deliveryText(pod: PodReport): string {
  if (pod.sidecar === null) return '-';
  if (pod.delivery === null) return 'ok';
  if ('unreadable' in pod.delivery) return `UNREADABLE annotation: ${pod.delivery.unreadable}`;
  return `FAILING since ${pod.delivery.since}: ${pod.delivery.reason}`;
}

function podRow(pod: PodReport): string[] {
  const sidecar = pod.sidecar;
  return [
    pod.name, pod.node ?? '<none>', pod.phase,
    sidecar === null ? 'NONE' : sidecar.mode, sidecar?.state ?? '-', sidecar === null ? '-' : String(sidecar.ready), sidecar === null ? '-' : String(sidecar.restarts),
    pod.uninjected ? '-' : `${short(pod.configHash)}${pod.stale ? ' STALE' : ''}`, deliveryText(pod),
  ];
}

function shipperLines(shipper: LogShipperReport): string[] {
  const c = shipper.counts;
  const lines = columns([
    ['NAMESPACE', 'LOGSHIPPER', 'READY', 'TOPIC', 'CONFIG', 'PODS', 'CURRENT', 'STALE', 'UNINJECTED', 'UNDELIVERING'],
    [shipper.namespace, shipper.name, readyText(shipper), shipper.topic ?? '-', short(shipper.configHash),
      count(c.pods), count(c.current), count(c.stale), count(c.uninjected), count(c.undelivering)],
  ]);
  if (shipper.ready.message !== null) lines.push(`  Ready: ${shipper.ready.message}`);
  if (shipper.pods.length === 0) return [...lines, '  no pods ask for it'];
  lines.push('', ...columns([['POD', 'NODE', 'PHASE', 'SIDECAR', 'STATE', 'READY', 'RESTARTS', 'CONFIG', 'DELIVERY'], ...shipper.pods.map(podRow)], '  '));
  const unlabelled = shipper.pods.filter((p) => p.lacksInjectLabel).map((p) => p.name);
  if (shipper.pods.some((p) => p.uninjected)) {
    lines.push(`  SIDECAR NONE: the pod asks for ${shipper.name} (annotation ${INJECT_ANNOTATION}) and runs without the sidecar: its logs are NOT shipped.`);
  }
  if (unlabelled.length > 0) {
    lines.push(`  ${unlabelled.join(', ')}: without the label ${INJECT_LABEL.key}: "${INJECT_LABEL.value}" the webhook never sees the pod; add it to the pod template.`);
  }
  return lines;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${String(n)} ${n === 1 ? one : many}`;
}

/** The report as text, ending with a newline. */
export function formatTable(report: StatusReport): string {
  const s = report.summary;
  const blocks = report.logShippers.map((shipper) => shipperLines(shipper).join('\n'));
  const lines = [
    ...blocks.flatMap((block, i) => (i === 0 ? [block] : ['', block])),
    ...(blocks.length > 0 ? [''] : []),
    `${plural(s.logShippers, 'LogShipper')}, ${plural(s.pods, 'pod')}, ${String(s.stale)} stale, ${String(s.uninjected)} uninjected, ${String(s.undelivering)} undelivering`
      + (s.notReady > 0 ? `, ${String(s.notReady)} not ready` : ''),
  ];
  if (report.renew.length > 0) {
    lines.push('', 'Stale pods run an older configuration, uninjected ones no sidecar: only a new pod gets the current one. Renew them:');
    lines.push(...columns(report.renew.map((hint) => [hint.command, `# ${hint.pods.join(', ')}`]), '  '));
  }
  return `${lines.join('\n')}\n`;
}

export function formatJson(report: StatusReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
