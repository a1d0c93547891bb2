// Sidecar delivery health (docs/design/sidecar-health.md). A sidecar started with
// --health-report-url POSTs its delivery state to SIDECAR_REPORTS_PATH on the operator's HTTP port
// (sidecar/health-report.ts); any replica checks that the report comes from the pod it names and
// records trouble on that pod as the annotation DELIVERY_ANNOTATION (absent: no trouble reported).
// The leader's pod cache (metadata only) then holds what it counts: status.undeliveringPods, the
// condition Delivering (not part of Ready, as SidecarsInjected) and a gauge. Pure: parsing, the trust
// check, the annotation change, the count and the condition.
import type { V1Pod } from '@kubernetes/client-node';
import { GROUP } from './crd-types.ts';
import { INJECTED_LABEL } from './inject.ts';
import { isLivePod } from './pod-counts.ts';
import { MAX_REASON_LENGTH, type DeliveryReport } from '../sidecar/health-report.ts';

export type { DeliveryReport } from '../sidecar/health-report.ts';

/** On a pod while its sidecar reports it cannot deliver: JSON DeliveryRecord. Removed when it delivers again. */
export const DELIVERY_ANNOTATION = `${GROUP}/delivery`;

/** The annotation's value. */
export interface DeliveryRecord {
  delivering: false;
  /** RFC 3339: since when the sidecar has not delivered. */
  since: string;
  /** The failing sinks and their last error. */
  reason: string;
}

/** The operator's endpoint the sidecars POST their DeliveryReport to. */
export const SIDECAR_REPORTS_PATH = '/sidecar-reports';

/** The URL injected sidecars report to: the operator's Service (its port is the operator's --metrics-port). */
export function healthReportUrl(service: string, namespace: string, port: number): string {
  return `http://${service}.${namespace}.svc:${String(port)}${SIDECAR_REPORTS_PATH}`;
}

/** Larger bodies are refused unread: a report is a few hundred bytes. */
export const MAX_REPORT_BYTES = 4096;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const NAME = /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

/** The annotation's value as a record; undefined when absent or not one (written by hand). */
export function parseDeliveryRecord(text: string | undefined): DeliveryRecord | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { delivering, since, reason } = value as Record<string, unknown>;
  if (delivering !== false || typeof since !== 'string' || typeof reason !== 'string') return undefined;
  return { delivering, since, reason };
}

function shown(value: unknown): string {
  return value === undefined ? 'none' : JSON.stringify(value);
}

/** A report body as a DeliveryReport, or why it is not one (field, value, what is allowed). */
export function parseReport(body: string): DeliveryReport | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'the body is not JSON: {namespace, pod, uid, delivering, since, reason} is allowed';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the body is not a JSON object: {namespace, pod, uid, delivering, since, reason} is allowed';
  const fields = value as Record<string, unknown>;
  for (const key of ['namespace', 'pod', 'uid'] as const) {
    const text = fields[key];
    if (typeof text !== 'string' || text.length > 253 || (key !== 'uid' && !NAME.test(text)) || text === '') return `${key}: invalid value ${shown(text)}: a Kubernetes name is allowed`;
  }
  if (typeof fields['delivering'] !== 'boolean') return `delivering: invalid value ${shown(fields['delivering'])}: true or false is allowed`;
  const since = fields['since'];
  if (typeof since !== 'string' || !RFC3339.test(since)) return `since: invalid value ${shown(since)}: an RFC 3339 time is allowed`;
  const reason = fields['reason'];
  if (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH) return `reason: a string of at most ${String(MAX_REASON_LENGTH)} characters is allowed`;
  return {
    namespace: fields['namespace'] as string, pod: fields['pod'] as string, uid: fields['uid'] as string, delivering: fields['delivering'], since, reason,
  };
}

/** Why a report is refused: the HTTP status and a reason for the sidecar's debug log and the operator's. */
export interface Refusal {
  status: 400 | 403 | 404;
  reason: string;
}

/** An IPv4 peer as a dual-stack socket shows it (::ffff:10.0.0.1) compares as the pod's 10.0.0.1. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

/**
 * The trust check: the report names a pod that exists (just read from the API) with the same uid,
 * that the webhook injected (label logshipper.io/injected), in a namespace this operator watches,
 * and it comes from one of that pod's IPs: a pod can speak only for itself.
 */
export function verifyReport(report: DeliveryReport, pod: V1Pod | undefined, peer: string | undefined, watchNamespace: string | undefined): Refusal | undefined {
  const name = `${report.namespace}/${report.pod}`;
  if (watchNamespace !== undefined && report.namespace !== watchNamespace) return { status: 403, reason: `pod ${name}: namespace ${report.namespace} is not watched (only ${watchNamespace})` };
  if (pod === undefined) return { status: 404, reason: `pod ${name} not found` };
  if (pod.metadata?.uid !== report.uid) return { status: 403, reason: `pod ${name} has uid ${pod.metadata?.uid ?? 'none'}, not ${report.uid} (a report for an earlier pod of that name)` };
  if (pod.metadata.labels?.[INJECTED_LABEL] === undefined) return { status: 403, reason: `pod ${name} has no ${INJECTED_LABEL} label: it was not injected` };
  const ips = (pod.status?.podIPs ?? []).map((entry) => entry.ip);
  if (peer === undefined || !ips.includes(plainAddress(peer))) {
    return { status: 403, reason: `the report for pod ${name} comes from ${peer ?? 'an unknown address'}, not from one of the pod's IPs (${ips.length === 0 ? 'none yet' : ips.join(', ')})` };
  }
  return undefined;
}

/** The annotation value a report asks for: the record while not delivering, null (removed) while delivering. */
export function deliveryAnnotationValue(report: DeliveryReport): string | null {
  if (report.delivering) return null;
  const record: DeliveryRecord = { delivering: false, since: report.since, reason: report.reason };
  return JSON.stringify(record);
}

/** The live pods injected for `logShipper` whose sidecar reports it cannot deliver, by name. */
export function undeliveringPods(pods: readonly V1Pod[], logShipper: string): V1Pod[] {
  const name = (pod: V1Pod): string => pod.metadata?.name ?? '';
  return pods
    .filter((pod) => pod.metadata?.labels?.[INJECTED_LABEL] === logShipper && pod.metadata.annotations?.[DELIVERY_ANNOTATION] !== undefined && isLivePod(pod))
    .sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}

/** The condition type, True while no injected pod's sidecar reports delivery trouble. Not part of Ready. */
export const DELIVERING = 'Delivering';
export const DELIVERING_REASONS = {
  allDelivering: 'AllSidecarsDelivering',
  notDelivering: 'SidecarsNotDelivering',
} as const;

/** How many pods the condition's message names (the count is complete). */
const LISTED_PODS = 5;

/** The Delivering condition's state for the pods undeliveringPods() found. */
export function deliveringState(undelivering: readonly V1Pod[], logShipper: string): { ok: boolean; reason: string; message: string } {
  if (undelivering.length === 0) {
    return { ok: true, reason: DELIVERING_REASONS.allDelivering, message: `no sidecar of LogShipper ${logShipper} reports delivery trouble` };
  }
  const listed = undelivering.slice(0, LISTED_PODS).map((pod) => {
    const record = parseDeliveryRecord(pod.metadata?.annotations?.[DELIVERY_ANNOTATION]);
    return `${pod.metadata?.name ?? ''} (${record === undefined ? `unreadable ${DELIVERY_ANNOTATION} annotation` : `since ${record.since}: ${record.reason}`})`;
  }).join('; ');
  const more = undelivering.length > LISTED_PODS ? `; and ${String(undelivering.length - LISTED_PODS)} more` : '';
  const pods = undelivering.length === 1 ? '1 pod reports its' : `${String(undelivering.length)} pods report their`;
  return {
    ok: false, reason: DELIVERING_REASONS.notDelivering,
    message: `${pods} logshipper sidecar cannot deliver to Kafka (lines wait in the sidecar and on the volume; the application keeps serving): ${listed}${more}. `
      + `Check the brokers, credentials and topic of this LogShipper, and kubectl logs <pod> -c logshipper; the ${DELIVERY_ANNOTATION} annotation goes once the sidecar delivers again`,
  };
}
