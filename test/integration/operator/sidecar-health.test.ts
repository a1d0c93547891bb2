// Sidecar delivery health end to end, against the real apiserver and Kafka: a real agent process
// reports to a real operator process for a pod object whose status.podIPs the test set to
// 127.0.0.1 (never scheduled, so no kubelet changes it). Broker unreachable: the annotation is set,
// the LogShipper counts the pod (undeliveringPods 1, Delivering False, the gauge); broker back: all
// cleared. A forged report (another pod's, or a stale uid) is refused and writes nothing; no line
// is lost meanwhile. `kubectl get lship` shows the columns a person reads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { eventually, unique } from '../../env/testing.ts';
import { brokerGate } from '../../helpers/broker-gate.ts';
import { kubectl } from '../../helpers/chart.ts';
import { createTopic, deleteTopics, waitForRecords } from '../../helpers/kafka.ts';
import { startAgent, type RunningAgent } from '../../helpers/agent.ts';
import { multisetDiff } from '../../helpers/multiset.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';
import { postReport, setPodIp, unscheduled } from '../../helpers/sidecar-report.ts';
import { INJECT_ANNOTATION, INJECTED_LABEL } from '../../../operator/inject.ts';
import { CONFIG_HASH_ANNOTATION } from '../../../operator/sidecar-layout.ts';
import { DELIVERING, DELIVERY_ANNOTATION, parseDeliveryRecord, SIDECAR_REPORTS_PATH } from '../../../operator/sidecar-health.ts';
import { POD_IDENTITY_ENV } from '../../../sidecar/health-report.ts';
import { deleteNamespace, operatorSuite, type OperatorSuite } from './helpers.ts';

const LINES = 300;

/** An injected pod's metadata; `configHash`: the configuration it was injected with. */
function injectedPod(name: string, configHash: string): V1Pod {
  return unscheduled({
    metadata: { name, labels: { [INJECTED_LABEL]: 'app' }, annotations: { [INJECT_ANNOTATION]: 'app', [CONFIG_HASH_ANNOTATION]: configHash } },
    spec: { containers: [{ name: 'web', image: 'busybox:1.36' }] },
  });
}

describe('sidecar delivery health (real operator, real agent, real Kafka)', () => {
  const ns = unique('lshealth');
  const topic = unique('lshealth');
  let suite: OperatorSuite;
  let agent: RunningAgent | undefined;
  let gate: Awaited<ReturnType<typeof brokerGate>> | undefined;

  before(async () => {
    suite = await operatorSuite(ns, 'health-a');
    await createTopic(topic, 1);
  });

  after(async () => {
    agent?.process.kill('SIGKILL');
    await gate?.close();
    await suite.operator.stop();
    await deleteNamespace(suite.kc, ns);
    await deleteTopics([topic]);
  });

  it('broker unreachable -> annotation, undeliveringPods 1, Delivering False; back -> cleared; forged reports refused; no line lost', async () => {
    const started = Date.now();
    const { core, shippers, operator } = suite;
    await shippers.create('app', { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['kafka:9092'], topic } });
    const ready = await shippers.waitReady('app', 'True');
    const web1 = await core.createNamespacedPod({ namespace: ns, body: injectedPod('web-1', ready.status?.configHash ?? '') });
    const web2 = await core.createNamespacedPod({ namespace: ns, body: injectedPod('web-2', 'an-older-hash') });
    await setPodIp(core, ns, 'web-1', '127.0.0.1');
    await setPodIp(core, ns, 'web-2', '10.255.0.2');
    const annotation = async (name: string): Promise<string | undefined> => (await core.readNamespacedPod({ namespace: ns, name })).metadata?.annotations?.[DELIVERY_ANNOTATION];
    const counted = async (want: number, condition: 'True' | 'False'): Promise<string> => eventually(`undeliveringPods ${String(want)}, ${DELIVERING} ${condition}`, 30_000, async () => {
      const status = (await shippers.get('app')).status;
      const c = status?.conditions?.find((x) => x.type === DELIVERING);
      return status?.undeliveringPods === want && c?.status === condition ? c.message : undefined;
    });
    assert.match(await counted(0, 'True'), /no sidecar of LogShipper app reports delivery trouble/);

    const dir = mkdtempSync(join(tmpdir(), 'logshipper-health-'));
    const lines = Array.from({ length: LINES }, (_, i) => `health ${String(i)} ${'z'.repeat(40)}`);
    writeFileSync(join(dir, 'app.log'), `${lines.join('\n')}\n`);
    gate = await brokerGate();
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, kafkaPipeline({
      topic, bootstrap: `127.0.0.1:${String(gate.port)}`,
      source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${dir}/app\\.log`, `positionFile = ${join(dir, 'positions.json')}`],
    }));
    const port = await operator.port();
    agent = startAgent(conf, 'a', ['--ready-backoff-limit', '2000', '--health-report-url', `http://127.0.0.1:${String(port)}${SIDECAR_REPORTS_PATH}`], {
      [POD_IDENTITY_ENV.namespace]: ns, [POD_IDENTITY_ENV.pod]: 'web-1', [POD_IDENTITY_ENV.uid]: web1.metadata?.uid ?? '',
    });

    // Unreachable for longer than the limit: reported, recorded, counted.
    const trouble = await agent.waitForLog((l) => l['msg'] === 'delivery state: NOT delivering; reporting to the operator', 60_000);
    const recorded = await eventually('the delivery annotation on web-1', 30_000, async () => annotation('web-1'));
    const record = parseDeliveryRecord(recorded);
    assert.ok(record, recorded);
    assert.match(record.reason, /^sink k: /);
    const message = await counted(1, 'False');
    assert.match(message, /^1 pod reports its logshipper sidecar cannot deliver to Kafka .*: web-1 \(since \d{4}-\d\d-\d\dT[^:]+:\d\d:\d\d\.\d{3}Z: sink k: /);
    assert.equal(await operator.metric('logshipper_operator_undelivering_pods', { namespace: ns, logshipper: 'app' }), 1);
    assert.equal((await shippers.get('app')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'not part of Ready');
    // What a person sees (the apiserver prints the CRD's columns): the default ones, and -o wide.
    const table = async (wide: boolean): Promise<string[][]> => (await kubectl(['get', 'lship', '-n', ns, ...(wide ? ['-o', 'wide'] : [])]))
      .trim().split('\n').map((line) => line.trim().split(/\s+/));
    const [header, row] = await table(false);
    assert.deepEqual(header, ['NAME', 'READY', 'TOPIC', 'PODS', 'STALE', 'AGE']);
    assert.deepEqual(row?.slice(0, 5), ['app', 'True', topic, '2', '1'], 'web-2 started with an older configuration: stale');
    const [wideHeader, wideRow] = await table(true);
    assert.deepEqual(wideHeader, ['NAME', 'READY', 'TOPIC', 'PODS', 'STALE', 'AGE', 'REASON', 'UNINJECTED', 'UNDELIVERING']);
    assert.deepEqual(wideRow?.slice(6), ['Reconciled', '0', '1']);

    // Forged: web-2's report from web-1's address; web-1's with a stale uid (clearing its trouble).
    const since = new Date().toISOString();
    const forgedOther = await postReport(port, { namespace: ns, pod: 'web-2', uid: web2.metadata?.uid ?? '', delivering: false, since, reason: 'forged' });
    assert.equal(forgedOther.status, 403);
    assert.match(forgedOther.body, /comes from 127\.0\.0\.1, not from one of the pod's IPs \(10\.255\.0\.2\)/);
    const forgedUid = await postReport(port, { namespace: ns, pod: 'web-1', uid: 'not-its-uid', delivering: true, since, reason: '' });
    assert.equal(forgedUid.status, 403);
    assert.equal(await annotation('web-2'), undefined, 'nothing written for web-2');
    assert.equal(await annotation('web-1'), recorded, 'web-1 unchanged');
    assert.ok(await operator.metric('logshipper_operator_sidecar_reports_total', { result: 'refused' }) >= 2);

    // The broker back: delivering again, reported, cleared.
    await gate.open();
    const logs = agent.logs;
    await agent.waitForLog((l) => l['msg'] === 'delivery state: delivering; reporting to the operator' && logs.indexOf(l) > logs.indexOf(trouble), 60_000);
    await eventually('the delivery annotation removed from web-1', 30_000, async () => ((await annotation('web-1')) === undefined ? true : undefined));
    assert.match(await counted(0, 'True'), /no sidecar/);
    assert.equal(await operator.metric('logshipper_operator_undelivering_pods', { namespace: ns, logshipper: 'app' }), 0);

    const records = await waitForRecords(topic, LINES);
    const diff = multisetDiff(lines, records.map((r) => r.value));
    assert.equal(diff.missing, 0, 'no line lost');
    assert.equal(diff.extra, 0, 'none duplicated');
    const changes = agent.logs.filter((l) => String(l['msg']).startsWith('delivery state:')).map((l) => l['delivering']);
    assert.deepEqual(changes, [true, false, true], 'one log line per state change');
    console.log(`# sidecar health: ${String(LINES)} lines, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
