// Sidecar delivery reports on the operator's side: the body's shape, the trust check (a pod speaks
// only for itself), the annotation change, and what the leader counts and says in the condition.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import {
  DELIVERY_ANNOTATION, deliveryAnnotationValue, deliveringState, healthReportUrl, parseDeliveryRecord, parseReport, undeliveringPods, verifyReport,
  type DeliveryReport,
} from '../../../operator/sidecar-health.ts';
import { MAX_READS_IN_FLIGHT, PeerBudget, REPORTS_PER_PEER, SidecarReports, type PodAccess } from '../../../operator/sidecar-reports.ts';
import { createMetrics } from '../../../operator/metrics.ts';
import { INJECTED_LABEL } from '../../../operator/inject.ts';
import { parseOperatorArgs } from '../../../operator/cli.ts';

const REPORT: DeliveryReport = { namespace: 'shop', pod: 'web-1', uid: 'u-1', delivering: false, since: '2026-01-01T00:00:00.000Z', reason: 'sink k: broker down' };

function pod(name: string, extra: { annotations?: Record<string, string>; ips?: string[]; uid?: string; injected?: string | null; deleting?: boolean } = {}): V1Pod {
  return {
    metadata: {
      name, namespace: 'shop', uid: extra.uid ?? 'u-1', resourceVersion: '7',
      labels: extra.injected === null ? {} : { [INJECTED_LABEL]: extra.injected ?? 'app' },
      ...(extra.annotations === undefined ? {} : { annotations: extra.annotations }),
      ...(extra.deleting === true ? { deletionTimestamp: new Date() } : {}),
    },
    status: { podIPs: (extra.ips ?? ['10.0.0.5', 'fd00::5']).map((ip) => ({ ip })) },
  };
}

/** parseReport's refusal, or 'accepted'. */
function problem(body: string): string {
  const parsed = parseReport(body);
  return typeof parsed === 'string' ? parsed : 'accepted';
}

describe('parseReport', () => {
  it('accepts the reporter\'s shape; refuses anything else naming the field and what is allowed', () => {
    assert.deepEqual(parseReport(JSON.stringify(REPORT)), REPORT);
    assert.deepEqual(parseReport(JSON.stringify({ ...REPORT, extra: 1 })), REPORT, 'unknown fields dropped');
    assert.match(problem('nope'), /not JSON/);
    assert.match(problem('[1]'), /not a JSON object/);
    assert.match(problem(JSON.stringify({ ...REPORT, pod: 'Web_1' })), /^pod: invalid value "Web_1": a Kubernetes name/);
    assert.match(problem(JSON.stringify({ ...REPORT, uid: undefined })), /^uid: invalid value none/);
    assert.match(problem(JSON.stringify({ ...REPORT, delivering: 'no' })), /^delivering: invalid value "no": true or false/);
    assert.match(problem(JSON.stringify({ ...REPORT, since: 'yesterday' })), /^since: invalid value "yesterday": an RFC 3339 time/);
    assert.match(problem(JSON.stringify({ ...REPORT, reason: 'x'.repeat(513) })), /^reason: a string of at most 512/);
  });
});

describe('verifyReport (a pod speaks only for itself)', () => {
  it('accepts a report from one of the pod\'s IPs (IPv4 as a dual-stack socket shows it, IPv6)', () => {
    assert.equal(verifyReport(REPORT, pod('web-1'), '10.0.0.5', undefined), undefined);
    assert.equal(verifyReport(REPORT, pod('web-1'), '::ffff:10.0.0.5', undefined), undefined);
    assert.equal(verifyReport(REPORT, pod('web-1'), 'fd00::5', 'shop'), undefined);
  });

  it('refuses: another address, another uid, a pod not injected, no pod, an unwatched namespace', () => {
    assert.deepEqual(verifyReport(REPORT, pod('web-1'), '10.0.0.6', undefined), {
      status: 403, reason: 'the report for pod shop/web-1 comes from 10.0.0.6, not from one of the pod\'s IPs (10.0.0.5, fd00::5)',
    });
    assert.match(verifyReport(REPORT, pod('web-1', { ips: [] }), '10.0.0.5', undefined)?.reason ?? '', /pod's IPs \(none yet\)/);
    assert.equal(verifyReport(REPORT, pod('web-1'), undefined, undefined)?.status, 403);
    assert.deepEqual(verifyReport(REPORT, pod('web-1', { uid: 'u-2' }), '10.0.0.5', undefined), {
      status: 403, reason: 'pod shop/web-1 has uid u-2, not u-1 (a report for an earlier pod of that name)',
    });
    assert.deepEqual(verifyReport(REPORT, pod('web-1', { injected: null }), '10.0.0.5', undefined), { status: 403, reason: `pod shop/web-1 has no ${INJECTED_LABEL} label: it was not injected` });
    assert.deepEqual(verifyReport(REPORT, undefined, '10.0.0.5', undefined), { status: 404, reason: 'pod shop/web-1 not found' });
    assert.equal(verifyReport(REPORT, pod('web-1'), '10.0.0.5', 'other')?.status, 403);
  });
});

describe('the annotation', () => {
  it('set to {delivering:false, since, reason} while not delivering; removed while delivering; parsed back', () => {
    const value = deliveryAnnotationValue(REPORT);
    assert.equal(value, '{"delivering":false,"since":"2026-01-01T00:00:00.000Z","reason":"sink k: broker down"}');
    assert.deepEqual(parseDeliveryRecord(value), { delivering: false, since: REPORT.since, reason: REPORT.reason });
    assert.equal(deliveryAnnotationValue({ ...REPORT, delivering: true, reason: '' }), null);
    assert.equal(parseDeliveryRecord(undefined), undefined);
    assert.equal(parseDeliveryRecord('garbage'), undefined);
    assert.equal(parseDeliveryRecord('{"delivering":true,"since":"x","reason":""}'), undefined);
  });

  it('the URL injected sidecars report to; the operator flags naming its Service and port', () => {
    assert.equal(healthReportUrl('ls-webhook', 'ops', 8080), 'http://ls-webhook.ops.svc:8080/sidecar-reports');
    const flags = parseOperatorArgs(['--sidecar-report-service', 'ls-webhook', '--metrics-port', '0', '--sidecar-report-port', '8080']);
    assert.ok(flags !== 'help');
    assert.deepEqual([flags.reportService, flags.reportPort], ['ls-webhook', 8080]);
    assert.throws(() => parseOperatorArgs(['--sidecar-report-service', 'ls-webhook', '--metrics-port', '0']), /--sidecar-report-service needs --sidecar-report-port/);
    assert.throws(() => parseOperatorArgs(['--sidecar-report-service', 'LS']), /--sidecar-report-service: invalid value "LS": a Service name/);
  });
});

describe('counting and the Delivering condition', () => {
  const bad = (name: string, since = '2026-01-01T00:00:00Z'): V1Pod => pod(name, { annotations: { [DELIVERY_ANNOTATION]: JSON.stringify({ delivering: false, since, reason: `sink k: ${name} down` }) } });

  it('counts live pods injected for this LogShipper with the annotation, by name', () => {
    const pods = [bad('web-2'), bad('web-1'), pod('ok'), bad('other', undefined), pod('gone', { deleting: true, annotations: { [DELIVERY_ANNOTATION]: '{}' } })];
    const otherShipper = pod('x', { injected: 'else', annotations: { [DELIVERY_ANNOTATION]: '{}' } });
    assert.deepEqual(undeliveringPods([...pods, otherShipper], 'app').map((p) => p.metadata?.name), ['other', 'web-1', 'web-2']);
  });

  it('True with none; False naming up to five pods with since and reason, and how many more', () => {
    assert.deepEqual(deliveringState([], 'app'), { ok: true, reason: 'AllSidecarsDelivering', message: 'no sidecar of LogShipper app reports delivery trouble' });
    const one = deliveringState([bad('web-1')], 'app');
    assert.equal(one.reason, 'SidecarsNotDelivering');
    assert.match(one.message, /^1 pod reports its logshipper sidecar cannot deliver to Kafka .*: web-1 \(since 2026-01-01T00:00:00Z: sink k: web-1 down\)\. Check the brokers/);
    const seven = deliveringState(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => bad(n)), 'app');
    assert.match(seven.message, /^7 pods report their .*: a \(since .*\); b .*; e \(since [^)]*\); and 2 more\. /);
    assert.doesNotMatch(seven.message, /\bf \(since/);
    assert.match(deliveringState([pod('h', { annotations: { [DELIVERY_ANNOTATION]: 'garbage' } })], 'app').message, /h \(unreadable logshipper\.io\/delivery annotation\)/);
  });
});

describe('SidecarReports (the endpoint, over a fake API)', () => {
  const setup = (stored: V1Pod | undefined) => {
    const patches: (string | null)[] = [];
    let current = stored;
    const access: PodAccess = {
      readPod: () => Promise.resolve(current),
      patchAnnotation: (target, value) => {
        patches.push(value);
        const annotations = Object.fromEntries(Object.entries(target.metadata?.annotations ?? {}).filter(([key]) => key !== DELIVERY_ANNOTATION));
        if (value !== null) annotations[DELIVERY_ANNOTATION] = value;
        current = { ...target, metadata: { ...target.metadata, annotations } };
        return Promise.resolve();
      },
    };
    const metrics = createMetrics();
    const reports = new SidecarReports({ pods: access, namespace: undefined, metrics, log: pino({ level: 'silent' }) });
    const counted = async (result: string): Promise<number> => (await metrics.sidecarReports.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
    return { reports, patches, counted };
  };

  it('records trouble once, answers unchanged for the same report, removes it when delivering', async () => {
    const { reports, patches, counted } = setup(pod('web-1'));
    assert.equal((await reports.handle(JSON.stringify(REPORT), '10.0.0.5')).status, 200);
    assert.equal((await reports.handle(JSON.stringify(REPORT), '10.0.0.5')).body, '{"recorded":false,"reason":"unchanged"}\n');
    assert.equal((await reports.handle(JSON.stringify({ ...REPORT, delivering: true, reason: '' }), '10.0.0.5')).status, 200);
    assert.equal((await reports.handle(JSON.stringify({ ...REPORT, delivering: true, reason: '' }), '10.0.0.5')).status, 200);
    assert.deepEqual(patches, [deliveryAnnotationValue(REPORT), null]);
    assert.deepEqual([await counted('recorded'), await counted('unchanged')], [2, 2]);
  });

  it('refuses a forged, malformed or oversized report with 4xx and writes nothing', async () => {
    const { reports, patches, counted } = setup(pod('web-1'));
    const forged = await reports.handle(JSON.stringify(REPORT), '10.0.0.99');
    assert.equal(forged.status, 403);
    assert.match(forged.body, /comes from 10\.0\.0\.99, not from one of the pod's IPs/);
    assert.equal((await reports.handle(JSON.stringify({ ...REPORT, uid: 'u-old' }), '10.0.0.5')).status, 403);
    assert.equal((await reports.handle('{', '10.0.0.5')).status, 400);
    assert.equal((await reports.handle(undefined, '10.0.0.5')).status, 413);
    assert.deepEqual(patches, []);
    assert.equal(await counted('refused'), 4);
    assert.equal((await setup(undefined).reports.handle(JSON.stringify(REPORT), '10.0.0.5')).status, 404);
  });

  it('a peer gets REPORTS_PER_PEER per window, then 429 without a pod read, until its next window; other peers are not held back', async () => {
    let reads = 0;
    const access: PodAccess = { readPod: () => { reads++; return Promise.resolve(pod('web-1')); }, patchAnnotation: () => Promise.resolve() };
    const reports = new SidecarReports({ pods: access, namespace: undefined, metrics: createMetrics(), log: pino({ level: 'silent' }) });
    for (let i = 0; i < REPORTS_PER_PEER.count; i++) assert.equal((await reports.handle(JSON.stringify(REPORT), '10.0.0.5', 1000)).status, 200);
    const limited = await reports.handle(JSON.stringify(REPORT), '10.0.0.5', 1000);
    assert.equal(limited.status, 429);
    assert.match(limited.body, /more than 10 reports in 60 s from this address/);
    assert.equal(reads, REPORTS_PER_PEER.count, 'a refused report costs the API nothing');
    assert.equal((await reports.handle(JSON.stringify(REPORT), '10.0.0.5', 1000 + REPORTS_PER_PEER.windowMs)).status, 200, 'the next window');
    const budget = new PeerBudget();
    for (let i = 0; i < REPORTS_PER_PEER.count; i++) budget.take('a', 0);
    assert.equal(budget.take('a', 0), false);
    assert.equal(budget.take('b', 0), true);
  });

  it('at most MAX_READS_IN_FLIGHT pod reads at once: one more is answered 503 (the sidecar retries)', async () => {
    const held: (() => void)[] = [];
    const access: PodAccess = {
      readPod: () => new Promise((resolve) => { held.push(() => { resolve(pod('web-1')); }); }),
      patchAnnotation: () => Promise.resolve(),
    };
    const reports = new SidecarReports({ pods: access, namespace: undefined, metrics: createMetrics(), log: pino({ level: 'silent' }) });
    const waiting = Array.from({ length: MAX_READS_IN_FLIGHT }, (_, i) => reports.handle(JSON.stringify(REPORT), `10.0.1.${String(i)}`));
    assert.equal((await reports.handle(JSON.stringify(REPORT), '10.0.2.1')).status, 503);
    for (const release of held) release();
    // Read, then refused: each comes from an address that is not the pod's.
    assert.deepEqual(new Set((await Promise.all(waiting)).map((a) => a.status)), new Set([403]));
    assert.equal(held.length, MAX_READS_IN_FLIGHT);
  });
});
