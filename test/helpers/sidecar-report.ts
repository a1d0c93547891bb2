// A pod object that "runs" at a local address, so that a local process may report for it to the
// operator's POST /sidecar-reports: no kubelet runs these test pods, so the test sets status.podIPs
// (the status subresource, as admin) on a pod that is never scheduled, and reports from that address.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { SIDECAR_REPORTS_PATH, type DeliveryReport } from '../../operator/sidecar-health.ts';

/** The pod with a scheduling gate: never scheduled, so no kubelet runs it or sets its status. */
export function unscheduled(pod: V1Pod): V1Pod {
  return { ...pod, spec: { containers: [], ...pod.spec, schedulingGates: [{ name: 'logshipper.io/test-only' }] } };
}

/** Sets the pod's status.podIP and podIPs to `ip`; returns the pod. */
export async function setPodIp(core: CoreV1Api, namespace: string, name: string, ip: string): Promise<V1Pod> {
  return core.patchNamespacedPodStatus({
    namespace, name,
    body: [{ op: 'add', path: '/status/podIP', value: ip }, { op: 'add', path: '/status/podIPs', value: [{ ip }] }],
  });
}

/** POSTs a report to the operator at 127.0.0.1:`port` (from 127.0.0.1): the HTTP status and the body. */
export async function postReport(port: number, report: DeliveryReport): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${String(port)}${SIDECAR_REPORTS_PATH}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report),
  });
  return { status: response.status, body: await response.text() };
}
