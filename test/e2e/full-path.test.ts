// The whole path as a platform engineer walks it, on the test cluster's real node (kubelet,
// containerd, runc): helm install the chart with the image built from the Dockerfile -> two
// operator pods, one the leader -> a LogShipper -> an annotated Deployment whose app container
// writes numbered lines to the shared volume -> the injected native sidecar ships them to Kafka
// with the pod's headers (lz4) -> a topic and codec change (zstd) reaches the running sidecars through the kubelet's own
// ConfigMap update -> pod deletion: the lines the app writes in its SIGTERM handler arrive.
// Every line is accounted for (test/helpers/app-workload.ts), across both topics.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv, unique } from '../env/testing.ts';
import { createNamespace, deleteNamespace, installCrd, Shippers } from '../integration/operator/helpers.ts';
import { helmRun, kubectl } from '../helpers/chart.ts';
import { createTopic, readTopic, type ConsumedRecord } from '../helpers/kafka.ts';
import { containerStatus, execIn, installChart, operatorLeader, operatorPods, podGone, podRunning, projectImageOnNode, restartCounts, type Release } from '../helpers/cluster.ts';
import { APP_CONTAINER, APP_LOG_DIR, APP_LOG_FILE, appDeployment, appPodSpec, assertAllShippedOnce, DEFAULT_LAST_WORDS, expectedLines, injectMetadata, strayLines } from '../helpers/app-workload.ts';
import { explainLines, keepPodEvidence, type PodEvidence } from '../helpers/line-evidence.ts';
import { CONFIG_FILE_KEY, LOG_VOLUME_MOUNT_PATH } from '../../operator/sidecar-layout.ts';
import { DELIVERING, DELIVERING_REASONS, DELIVERY_ANNOTATION, healthReportUrl, parseDeliveryRecord } from '../../operator/sidecar-health.ts';

const SIDECAR = 'logshipper';
/** The chart's default operator.metricsPort, the port of its Service's `metrics`. */
const METRICS_PORT = 8080;
const RATE = 50;
/** What the backlogged pod's app writes on SIGTERM: its sidecar has these to ship after the app exited. */
const BACKLOG_LINES = 100_000;

describe('end to end on a real node: helm install -> operator pods -> LogShipper -> annotated Deployment -> native sidecars ship to Kafka -> topic change hot-reloaded -> pod deletion drains', { timeout: 900_000 }, () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let release: Release;
  const ns = unique('lse2e-sys');
  const appNs = unique('lse2e-app');
  const topic1 = unique('e2e-first');
  const topic2 = unique('e2e-second');
  /** The topic of the LogShipper whose broker is first unreachable. */
  const topic3 = unique('e2e-cut');
  const CUT = 'cut';
  const cutPod = 'cut-0';
  const lastWords = new Map<string, number>();
  const timings: string[] = [];
  const started = Date.now();
  const mark = (what: string): void => {
    timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)}s`);
  };
  let pods: V1Pod[] = [];
  /** Every pod of the Deployment so far: a record that is no whole line of one of them is a piece of a line. */
  const podNames = new Set<string>();
  const sidecarIds = new Map<string, string>();

  const bothTopics = async (): Promise<ConsumedRecord[]> => [...(await readTopic(topic1)), ...(await readTopic(topic2))];
  const configMapText = async (): Promise<string> => (await core.readNamespacedConfigMap({ namespace: appNs, name: 'app-logshipper' })).data?.[CONFIG_FILE_KEY] ?? '';

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    // This tree's CRD (helm install leaves one already there as it is): the status fields it checks.
    await installCrd(kc);
    await createNamespace(kc, appNs);
    await Promise.all([createTopic(topic1), createTopic(topic2), createTopic(topic3)]);
  });

  after(async () => {
    await helmRun(['uninstall', release.name, '--namespace', ns, '--wait']).catch(() => undefined);
    await deleteNamespace(kc, appNs);
    await deleteNamespace(kc, ns);
    console.log(`# e2e timings: ${timings.join(', ')}`);
  });

  it('helm install with the image built from the Dockerfile: two operator pods run, one leads; deleting the leader hands the Lease to another pod', async () => {
    const image = await projectImageOnNode();
    mark('image on the node');
    // One watched namespace: the chart grants a Role there and the webhook sees only that namespace.
    release = await installChart(kc, unique('e2e'), ns, image, { operator: { watchNamespace: appNs } });
    const running = (await operatorPods(kc, release)).filter((p) => p.status?.phase === 'Running');
    assert.equal(running.length, 2, 'the chart\'s two replicas');
    for (const pod of running) assert.equal(pod.spec?.containers[0]?.image, image.ref);
    const leader = await operatorLeader(kc, release);
    mark('operator up');
    await core.deleteNamespacedPod({ namespace: ns, name: leader });
    // The deleted pod is no candidate (operatorLeader skips terminating pods): this waits for the takeover.
    const next = await operatorLeader(kc, release, 60_000);
    // The standby, or the replacement the ReplicaSet started meanwhile: whichever acquires first.
    assert.notEqual(next, leader);
    assert.ok((await operatorPods(kc, release)).some((p) => p.metadata?.name === next), `${next} is a live operator pod`);
    const lease = (await kc.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: ns })).items.find((l) => l.spec?.holderIdentity?.startsWith(`${next}_`) === true);
    assert.ok((lease?.spec?.leaseTransitions ?? 0) >= 1);
    mark('leader handed over');
  });

  it('kubectl apply a LogShipper: Ready, its ConfigMap rendered', async () => {
    const manifest = {
      apiVersion: 'logshipper.io/v1alpha1',
      kind: 'LogShipper',
      metadata: { name: 'app', namespace: appNs },
      spec: {
        volume: 'logs',
        files: [{ path: APP_LOG_FILE }],
        // A native codec (lz4-napi's binary) must load in the image; the change below swaps codecs live.
        kafka: { brokers: testEnv('KAFKA_POD_BROKERS').split(','), topic: topic1, compression: 'lz4' },
        enrichment: { fields: ['PodName', 'Namespace', 'NodeName', 'PodUID', 'Container', 'FilePath'], labels: ['app'] },
      },
    };
    assert.match(await kubectl(['apply', '-f', '-'], yaml.dump(manifest)), /logshipper.logshipper.io\/app created/);
    await new Shippers(kc, appNs).waitReady('app', 'True', undefined, 60_000);
    assert.match(await configMapText(), new RegExp(`kafka\\.topic = ${topic1}\\n`));
    assert.match(await configMapText(), /compression\.type = lz4\n/);
    mark('LogShipper ready');
  });

  it('an annotated Deployment: each pod gets the native sidecar, which starts before the app and gates it by its startup probe', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify(appDeployment('web', appNs, 'app', 2, { rate: RATE })));
    pods = await eventually('the Deployment\'s 2 pods', 60_000, async () => {
      const list = (await core.listNamespacedPod({ namespace: appNs, labelSelector: 'app=web' })).items;
      return list.length === 2 ? list : undefined;
    });
    for (const [i, pod] of pods.entries()) {
      const name = pod.metadata?.name ?? '';
      const sidecar = pod.spec?.initContainers?.find((c) => c.name === SIDECAR);
      assert.ok(sidecar, `${name} has the sidecar`);
      assert.equal(sidecar.restartPolicy, 'Always', 'a native sidecar');
      assert.equal(sidecar.startupProbe?.httpGet?.path, '/healthz');
      assert.equal(sidecar.readinessProbe, undefined, 'no readiness probe: a Kafka outage must not take the app out of its Service');
      // The operator knows its Service (chart flags): the sidecar reports its delivery state there.
      const args = sidecar.args ?? [];
      assert.equal(args[args.indexOf('--health-report-url') + 1], healthReportUrl(`${release.fullname}-webhook`, ns, METRICS_PORT));
      const ready = await podRunning(core, appNs, name);
      pods[i] = ready;
      const sidecarStatus = containerStatus(ready, SIDECAR);
      const appStatus = containerStatus(ready, APP_CONTAINER);
      assert.ok(sidecarStatus?.started === true && appStatus !== undefined);
      const sidecarStart = String(sidecarStatus.state?.running?.startedAt);
      const appStart = String(appStatus.state?.running?.startedAt);
      assert.ok(Date.parse(sidecarStart) <= Date.parse(appStart), `${name}: the sidecar started (${sidecarStart}) before the app (${appStart})`);
      sidecarIds.set(name, sidecarStatus.containerID ?? '');
      podNames.add(name);
      lastWords.set(name, DEFAULT_LAST_WORDS);
    }
    mark('pods running');
  });

  it('a pod whose LogShipper names a broker nobody listens on: injected and Ready all the same (checked at the end, once its sidecar has failed for --ready-backoff-limit)', async () => {
    const [broker = ''] = testEnv('KAFKA_POD_BROKERS').split(',');
    const dead = `${broker.slice(0, broker.lastIndexOf(':'))}:1`;
    await new Shippers(kc, appNs).create(CUT, { volume: 'logs', files: [{ path: APP_LOG_FILE }], kafka: { brokers: [dead], topic: topic3, lingerMs: 20 } });
    await new Shippers(kc, appNs).waitReady(CUT, 'True', undefined, 60_000);
    // The test cluster has no DNS: the pod resolves the operator Service's name the injector puts in
    // the report URL through /etc/hosts, to its ClusterIP, which kube-proxy takes to an operator pod.
    const service = await core.readNamespacedService({ namespace: ns, name: `${release.fullname}-webhook` });
    const hostAliases = [{ ip: service.spec?.clusterIP ?? '', hostnames: [`${release.fullname}-webhook.${ns}.svc`] }];
    await core.createNamespacedPod({ namespace: appNs, body: { metadata: { name: cutPod, ...injectMetadata(CUT) }, spec: appPodSpec({ rate: 10 }, { hostAliases }) } });
    const running = await podRunning(core, appNs, cutPod);
    assert.ok(running.spec?.initContainers?.some((c) => c.name === SIDECAR), 'injected');
    mark('pod with an unreachable broker running');
  });

  it('the sidecars ship the app\'s lines with the pod\'s headers; each app\'s first line found the sidecar ready', async () => {
    const records = await eventually('lines of both pods in Kafka', 60_000, async () => {
      const all = await readTopic(topic1);
      return pods.every((p) => all.filter((r) => r.value.startsWith(`${p.metadata?.name ?? ''} `)).length >= RATE) ? all : undefined;
    });
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      const own = records.filter((r) => r.value.startsWith(`${name} `));
      assert.equal(expectedLines(name, own.map((r) => r.value), DEFAULT_LAST_WORDS).startedAfterSidecar, true, `${name}: the app's first line says the sidecar's /readyz answered`);
      assert.deepEqual(own[0]?.headers, {
        'k8s.pod.name': name,
        'k8s.pod.namespace': appNs,
        'k8s.node.name': testEnv('NODE_NAME'),
        'k8s.pod.uid': pod.metadata?.uid,
        'k8s.container.name': APP_CONTAINER,
        'k8s.pod.label.app': 'web',
        'k8s.file.path': `${LOG_VOLUME_MOUNT_PATH}/${APP_LOG_FILE}`,
      });
      assert.ok(own.every((r) => JSON.stringify(r.headers) === JSON.stringify(own[0]?.headers)));
      // Delivering from the start: the first (and only) state change the sidecar logged.
      const sidecarLog = await kubectl(['logs', '-n', appNs, name, '-c', SIDECAR]);
      assert.equal(sidecarLog.split('\n').filter((line) => line.includes('"msg":"delivery state:')).length, 1, sidecarLog);
      assert.match(sidecarLog, /"msg":"delivery state: delivering; reporting to the operator"/);
    }
    const status = (await new Shippers(kc, appNs).get('app')).status;
    assert.equal(status?.undeliveringPods, 0);
    assert.equal(status.conditions?.find((c) => c.type === DELIVERING)?.reason, DELIVERING_REASONS.allDelivering);
    mark('lines in Kafka');
  });

  it('a topic and codec change reaches the running sidecars through the kubelet\'s ConfigMap update: same containers, no restart', async () => {
    const before = await configMapText();
    await kubectl(['patch', 'logshipper', 'app', '-n', appNs, '--type', 'merge', '-p', JSON.stringify({ spec: { kafka: { topic: topic2, compression: 'zstd' } } })]);
    const changed = Date.now();
    await eventually('the operator to rewrite the ConfigMap', 30_000, async () => ((await configMapText()) !== before ? true : undefined));
    // The kubelet writes the new file at its next sync of each pod; the agent's watch sees the swap.
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      const reloaded = await eventually(`${name}'s sidecar to reload`, 120_000, async () => {
        const logs = await kubectl(['logs', '-n', appNs, name, '-c', SIDECAR]);
        return logs.split('\n').map((l) => (l.startsWith('{') ? JSON.parse(l) as Record<string, unknown> : {})).find((l) => l['msg'] === 'configuration reloaded');
      });
      assert.equal(reloaded['trigger'], 'file changed', 'the file watch saw the kubelet\'s swap (no signal, no restart)');
      const now = await core.readNamespacedPod({ namespace: appNs, name });
      assert.equal(containerStatus(now, SIDECAR)?.containerID, sidecarIds.get(name), 'the same sidecar container');
      assert.deepEqual(Object.values(restartCounts(now)), [0, 0]);
    }
    mark(`reloaded ${((Date.now() - changed) / 1000).toFixed(0)}s after the change`);
    await eventually('lines of both pods in the new topic', 60_000, async () => {
      const two = await readTopic(topic2);
      return pods.every((p) => two.some((r) => r.value.startsWith(`${p.metadata?.name ?? ''} `))) ? true : undefined;
    });
  });

  it('pod deletion, three rounds: the lines each app writes in its SIGTERM handler arrive, with and without a backlog for the sidecar to drain', async () => {
    const rounds = 3;
    const times: string[] = [];
    let current = pods;
    for (let round = 1; round <= rounds; round++) {
      const [quiet, busy] = current.map((p) => p.metadata?.name ?? '');
      assert.ok(quiet !== undefined && busy !== undefined);
      lastWords.set(busy, BACKLOG_LINES);
      await execIn(appNs, busy, APP_CONTAINER, `echo ${String(BACKLOG_LINES)} > ${APP_LOG_DIR}/last-words`);
      const took: Record<string, number> = {};
      const evidence = new Map<string, PodEvidence>();
      for (const pod of current) {
        const name = pod.metadata?.name ?? '';
        evidence.set(name, keepPodEvidence(appNs, name, pod.metadata?.uid ?? '', 'logs', APP_LOG_FILE, SIDECAR));
      }
      await Promise.all([...evidence.values()].map((e) => e.following));
      for (const name of [quiet, busy]) {
        const since = Date.now();
        await core.deleteNamespacedPod({ namespace: appNs, name });
        took[name] = await podGone(core, appNs, name, since);
      }
      for (const e of evidence.values()) e.stop();
      times.push(`round ${String(round)}: ${String(took[quiet])} ms with ${String(DEFAULT_LAST_WORDS)} lines on SIGTERM, ${String(took[busy])} ms with ${String(BACKLOG_LINES)}`);
      const records = await bothTopics();
      const seen = records.map((r) => r.value);
      // The replacements write too: a line of theirs is no stray.
      for (const pod of (await core.listNamespacedPod({ namespace: appNs, labelSelector: 'app=web' })).items) podNames.add(pod.metadata?.name ?? '');
      for (const name of [quiet, busy]) {
        const words = lastWords.get(name) ?? DEFAULT_LAST_WORDS;
        try {
          assertAllShippedOnce(name, seen, words);
        } catch (error) {
          console.log(explainLines(name, podNames, records, words, evidence.get(name)));
          // A reader cut short would find the line on a second read.
          await sleep(5000);
          const again = await bothTopics();
          console.log(`# ${name}: read again 5 s later: ${String(again.length)} records (first read ${String(records.length)})`);
          console.log(explainLines(name, podNames, again, words, evidence.get(name)));
          throw error;
        }
      }
      assert.deepEqual(strayLines(podNames, seen).slice(0, 10), [], `round ${String(round)}: records that are no whole line of any pod (pieces of a line cut in two)`);
      for (const e of evidence.values()) e.discard();
      // The ReplicaSet's replacements, running with their sidecars, are the next round's pods.
      current = await eventually('the 2 replacement pods', 120_000, async () => {
        const live = (await core.listNamespacedPod({ namespace: appNs, labelSelector: 'app=web' })).items.filter((p) => p.metadata?.deletionTimestamp === undefined);
        return live.length === 2 ? live : undefined;
      });
      current = await Promise.all(current.map((p) => podRunning(core, appNs, p.metadata?.name ?? '')));
      for (const pod of current) podNames.add(pod.metadata?.name ?? '');
    }
    mark(`${String(rounds)} deletion rounds`);
    console.log(`# pod deletion: ${String(rounds)} of ${String(rounds)} rounds clean (every line of the 2 deleted pods in Kafka once); ${times.join('; ')}`);
  });

  it('scale to 0: every pod that ever ran has all of its lines in Kafka exactly once, across both topics', async () => {
    await kubectl(['scale', 'deployment', 'web', '-n', appNs, '--replicas=0']);
    await eventually('no pod of the Deployment', 120_000, async () => ((await core.listNamespacedPod({ namespace: appNs, labelSelector: 'app=web' })).items.length === 0 ? true : undefined));
    const records = await bothTopics();
    assert.deepEqual(strayLines(podNames, records.map((r) => r.value)).slice(0, 10), [], 'records that are no whole line of any pod (pieces of a line cut in two)');
    const names = [...new Set(records.map((r) => r.value.split(' ')[0] ?? ''))];
    assert.ok(names.length >= 8, `the two first pods and three rounds of replacements: ${names.join(", ")}`);
    let total = 0;
    const seen = records.map((r) => r.value);
    for (const name of names) {
      const words = lastWords.get(name) ?? DEFAULT_LAST_WORDS;
      assert.equal(expectedLines(name, seen, words).startedAfterSidecar, true, `${name}: the app started after its sidecar was ready`);
      total += assertAllShippedOnce(name, seen, words);
    }
    mark(`${String(total)} lines of ${String(names.length)} pods, each once`);
  });

  it('that sidecar reports it cannot deliver: the operator records it on the pod and counts it in the status while the app stays Ready; the broker fixed, it reports again, and every line arrives once', async () => {
    const shippers = new Shippers(kc, appNs);
    const annotation = async (): Promise<string | undefined> => (await core.readNamespacedPod({ namespace: appNs, name: cutPod })).metadata?.annotations?.[DELIVERY_ANNOTATION];
    const record = await eventually('the delivery annotation on the pod', 180_000, async () => parseDeliveryRecord(await annotation()));
    assert.match(record.reason, /^sink \S+: /, record.reason);
    const pod = await core.readNamespacedPod({ namespace: appNs, name: cutPod });
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'the app stays Ready: the sidecar\'s trouble gates nothing');
    const troubled = await eventually('undeliveringPods 1 and Delivering False', 60_000, async () => {
      const status = (await shippers.get(CUT)).status;
      const delivering = status?.conditions?.find((c) => c.type === DELIVERING);
      return status?.undeliveringPods === 1 && delivering?.status === 'False' ? delivering : undefined;
    });
    assert.equal(troubled.reason, DELIVERING_REASONS.notDelivering);
    assert.ok(troubled.message.includes(cutPod), troubled.message);
    mark('undelivering pod recorded and counted');

    await kubectl(['patch', 'logshipper', CUT, '-n', appNs, '--type', 'merge', '-p', JSON.stringify({ spec: { kafka: { brokers: testEnv('KAFKA_POD_BROKERS').split(',') } } })]);
    await eventually('the delivery annotation removed', 240_000, async () => ((await annotation()) === undefined ? true : undefined));
    await eventually('undeliveringPods 0 and Delivering True', 60_000, async () => {
      const status = (await shippers.get(CUT)).status;
      return status?.undeliveringPods === 0 && status.conditions?.find((c) => c.type === DELIVERING)?.status === 'True' ? true : undefined;
    });
    const states = (await kubectl(['logs', '-n', appNs, cutPod, '-c', SIDECAR])).split('\n')
      .filter((line) => line.includes('"msg":"delivery state:')).map((line) => String((JSON.parse(line) as Record<string, unknown>)['msg']));
    assert.deepEqual(states, ['delivery state: delivering; reporting to the operator', 'delivery state: NOT delivering; reporting to the operator', 'delivery state: delivering; reporting to the operator']);
    mark('delivering again');

    const since = Date.now();
    await core.deleteNamespacedPod({ namespace: appNs, name: cutPod });
    await podGone(core, appNs, cutPod, since);
    const seen = (await readTopic(topic3)).map((r) => r.value);
    const shipped = assertAllShippedOnce(cutPod, seen, DEFAULT_LAST_WORDS);
    mark(`${String(shipped)} lines of the pod that could not deliver at first, each once`);
  });
});
