// The whole path of issue 8, as a user walks it, against the real kube-apiserver and real Kafka:
//   helm install the chart -> the operator runs (as a local process: no kubelet runs pods here) with
//   the chart's ServiceAccount token and exactly the args of the installed Deployment -> kubectl apply
//   a LogShipper -> kubectl apply an annotated pod -> the webhook stores it with the sidecar -> that
//   sidecar container runs as a local process exactly as the kubelet would run it (command, args,
//   env resolved from the stored pod, its uid, read-only root, its volume mounts bind-mounted at
//   their paths, the ConfigMap volume laid out as the kubelet lays it out) -> lines appended to the
//   app's log file arrive in Kafka with the pod's headers -> the LogShipper's topic changes -> the
//   operator rewrites the ConfigMap -> the mounted directory is swapped as the kubelet swaps it ->
//   the same sidecar process reloads and ships to the new topic, with no line lost or repeated.
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Container, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv, unique } from '../env/testing.ts';
import { freePorts } from '../env/ports.ts';
import { createNamespace, deleteNamespace, Shippers, type OperatorProcess } from '../integration/operator/helpers.ts';
import { CHART, containerEnv, helm, helmRun, kubectl, localOperatorCommand, serviceAccountKubeconfig, spawnOperator } from '../helpers/chart.ts';
import { ConfigMapDir } from '../helpers/configmap-dir.ts';
import { createTopic, readTopic, waitForRecords, type ConsumedRecord } from '../helpers/kafka.ts';
import { startContainer, type Mount } from '../helpers/pod-container.ts';
import type { RunningAgent } from '../helpers/agent.ts';
import { CONFIG_FILE_KEY, CONFIG_HASH_ANNOTATION, LOG_VOLUME_MOUNT_PATH } from '../../operator/sidecar-layout.ts';

const NODE = 'e2e-node-1';

/** A downward-API fieldPath of the stored pod, as the kubelet resolves it. */
function podField(pod: V1Pod, fieldPath: string): string | undefined {
  const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath);
  if (label?.[1] !== undefined) return pod.metadata?.labels?.[label[1]] ?? '';
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata?.name;
    case 'metadata.namespace': return pod.metadata?.namespace;
    case 'metadata.uid': return pod.metadata?.uid;
    case 'spec.nodeName': return pod.spec?.nodeName;
    default: return undefined;
  }
}

describe('end to end: helm install -> LogShipper -> annotated pod -> its injected sidecar ships the app log to Kafka -> a topic change is hot-reloaded', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  const ns = unique('lse2e-sys');
  const appNs = unique('lse2e-app');
  const release = unique('e2e');
  const name = `${release}-logshipper`;
  const topic1 = unique('e2e-first');
  const topic2 = unique('e2e-second');
  let operator: OperatorProcess | undefined;
  let agent: RunningAgent | undefined;
  let pod: V1Pod;
  let sidecar: V1Container;
  let configDir: ConfigMapDir;
  let logFile = '';
  let agentPort = 0;
  const written: string[] = [];
  const started = Date.now();
  const timings: string[] = [];
  const mark = (what: string): void => {
    timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)}s`);
  };

  const write = (count: number): void => {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(`e2e line ${String(written.length + lines.length + 1).padStart(6, '0')} ${'x'.repeat(40)}`);
    appendFileSync(logFile, lines.map((l) => `${l}\n`).join(''));
    written.push(...lines);
  };
  const configMapText = async (): Promise<{ text: string; hash: string | undefined }> => {
    const cm = await core.readNamespacedConfigMap({ namespace: appNs, name: 'app-logshipper' });
    return { text: cm.data?.[CONFIG_FILE_KEY] ?? '', hash: cm.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] };
  };

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    await createNamespace(kc, appNs);
    await Promise.all([createTopic(topic1), createTopic(topic2)]);
  });

  after(async () => {
    if (agent !== undefined && agent.process.exitCode === null) agent.process.kill('SIGKILL');
    await operator?.stop();
    await helmRun(['uninstall', release, '--namespace', ns]);
    await deleteNamespace(kc, appNs);
    await deleteNamespace(kc, ns);
    console.log(`# e2e timings: ${timings.join(', ')}`);
  });

  it('helm install; the operator runs with the chart ServiceAccount token and the installed Deployment args', async () => {
    // One watched namespace: the chart then grants a Role there and the webhook sees only that namespace.
    const installed = await helm(['install', release, CHART, '--namespace', ns, '--create-namespace', '--set', `operator.watchNamespace=${appNs}`]);
    assert.match(installed, /STATUS: deployed/);
    await kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', 'crd/logshippers.logshipper.io']);
    const deployment = JSON.parse(await kubectl(['get', 'deployment', name, '-n', ns, '-o', 'json'])) as V1Deployment;
    const [webhookPort = 0] = await freePorts(1);
    // The apiserver calls the webhook at this process instead of the (podless) Service; the operator patches the caBundle in.
    await kc.makeApiClient(AdmissionregistrationV1Api).patchMutatingWebhookConfiguration({
      name,
      body: [{ op: 'remove', path: '/webhooks/0/clientConfig/service' }, { op: 'add', path: '/webhooks/0/clientConfig/url', value: `https://127.0.0.1:${String(webhookPort)}/mutate` }],
    });
    const command = localOperatorCommand(deployment, { namespace: ns, webhookPort });
    assert.ok(command.args.includes(`--namespace=${appNs}`));
    operator = spawnOperator(release, command.args, command.env, await serviceAccountKubeconfig(ns, name));
    await operator.waitForLog('leader', (l) => l['msg'] === 'caches synced; reconciling');
    await operator.waitForLog('caBundle', (l) => l['msg'] === 'caBundle patched into the webhook configuration');
    mark('operator up');
  });

  it('kubectl apply a LogShipper: Ready, its ConfigMap rendered', async () => {
    const manifest = {
      apiVersion: 'logshipper.io/v1alpha1',
      kind: 'LogShipper',
      metadata: { name: 'app', namespace: appNs },
      spec: {
        volume: 'logs',
        files: [{ path: 'app.log' }],
        kafka: { brokers: testEnv('KAFKA_BROKERS').split(','), topic: topic1 },
        enrichment: { fields: ['PodName', 'Namespace', 'NodeName', 'PodUID', 'Container', 'FilePath'], labels: ['app'] },
      },
    };
    assert.match(await kubectl(['apply', '-f', '-'], yaml.dump(manifest)), /logshipper.logshipper.io\/app created/);
    await new Shippers(kc, appNs).waitReady('app', 'True');
    assert.match((await configMapText()).text, new RegExp(`kafka\\.topic = ${topic1}\\n`));
    mark('LogShipper ready');
  });

  it('kubectl apply an annotated pod: stored with the sidecar', async () => {
    [agentPort = 0] = await freePorts(1);
    const manifest = (podName: string): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName, namespace: appNs, labels: { app: 'shop-web' },
        // The agent's HTTP port on this machine (pods have a network namespace of their own; this process has not).
        annotations: { 'logshipper.io/inject': 'app', 'logshipper.io/sidecar-http-port': String(agentPort) },
      },
      spec: {
        // No scheduler: the pod is bound to a node by name, so the downward API has a node name to give.
        nodeName: NODE,
        containers: [{ name: 'web', image: 'busybox:1.36', volumeMounts: [{ name: 'logs', mountPath: '/var/log/shop' }] }],
        volumes: [{ name: 'logs', emptyDir: {} }],
      },
    });
    // Until the apiserver trusts the webhook's new caBundle, a pod would be admitted without the sidecar (failurePolicy Ignore).
    await eventually('the webhook to inject', 30_000, async () => {
      const probe = JSON.parse(await kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(manifest('probe')))) as V1Pod;
      return probe.spec?.initContainers?.some((c) => c.name === 'logshipper') === true ? true : undefined;
    });
    assert.match(await kubectl(['apply', '-f', '-'], JSON.stringify(manifest('web'))), /pod\/web created/);
    pod = await core.readNamespacedPod({ namespace: appNs, name: 'web' });
    const found = pod.spec?.initContainers?.find((c) => c.name === 'logshipper');
    assert.ok(found !== undefined, 'the stored pod has the sidecar');
    sidecar = found;
    assert.equal(sidecar.restartPolicy, 'Always', 'a native sidecar');
    assert.equal(pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], (await configMapText()).hash);
    mark('pod injected');
  });

  it('the injected sidecar, run as the kubelet would, ships every appended line to Kafka with the pod headers', async () => {
    // The pod's volumes as directories here: emptyDirs (world-writable, as the kubelet makes them) and the
    // ConfigMap, laid out as the kubelet lays out a ConfigMap volume, from the ConfigMap the operator wrote.
    const emptyDirs = new Map<string, string>();
    const mounts: Mount[] = [];
    for (const mount of sidecar.volumeMounts ?? []) {
      const volume = pod.spec?.volumes?.find((v) => v.name === mount.name);
      let source: string;
      if (volume?.emptyDir !== undefined) {
        source = mkdtempSync(join(tmpdir(), `logshipper-e2e-${mount.name}-`));
        chmodSync(source, 0o777);
        emptyDirs.set(mount.name, source);
      } else if (volume?.configMap !== undefined) {
        const cm = await core.readNamespacedConfigMap({ namespace: appNs, name: volume.configMap.name ?? '' });
        assert.equal(volume.configMap.items, undefined, 'the whole ConfigMap is mounted (no items, no subPath)');
        assert.equal(mount.subPath, undefined);
        configDir = new ConfigMapDir(cm.data ?? {});
        chmodSync(configDir.dir, 0o755);
        source = configDir.dir;
      } else {
        throw new Error(`volume ${mount.name}: ${JSON.stringify(volume)} is not mapped by this test`);
      }
      mounts.push({ source, target: mount.mountPath, readOnly: mount.readOnly === true });
    }
    const logDir = emptyDirs.get('logs');
    assert.ok(logDir !== undefined, 'the app\'s log volume is mounted into the sidecar');
    assert.equal(mounts.find((m) => m.source === logDir)?.target, LOG_VOLUME_MOUNT_PATH);
    // The app writes its log (umask 022: world-readable, as the README asks).
    logFile = join(logDir, 'app.log');
    writeFileSync(logFile, '', { mode: 0o644 });

    const fields = Object.fromEntries((sidecar.env ?? []).flatMap((e) => {
      const path = e.valueFrom?.fieldRef?.fieldPath;
      const value = path === undefined ? undefined : podField(pod, path);
      return path === undefined || value === undefined ? [] : [[path, value]];
    }));
    const env = containerEnv(sidecar, fields, () => {
      throw new Error('this LogShipper names no Secret');
    });
    agent = startContainer(sidecar, env, mounts);
    // The startup probe: /readyz on the container's port answers 200 once the configuration is loaded.
    const probe = sidecar.startupProbe?.httpGet;
    assert.equal(probe?.path, '/readyz');
    await eventually('the startup probe to pass', 30_000, async () => {
      if (agent?.process.exitCode !== null) throw new Error(`the sidecar exited: ${JSON.stringify(agent?.logs)} ${agent?.stderr.join('\n') ?? ''}`);
      return (await fetch(`http://127.0.0.1:${String(probe.port)}${probe.path}`)).status === 200 ? true : undefined;
    });
    const pid = String(agent.process.pid);
    assert.equal(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1], String(sidecar.securityContext?.runAsUser), 'runs as the container\'s user');
    // Its mounts, as it sees them: the volume mounts at their paths (read-only as the pod says), the root read-only.
    const seen = new Map(readFileSync(`/proc/${pid}/mountinfo`, 'utf8').trim().split('\n').map((line) => {
      const fields = line.split(' ');
      return [fields[4] ?? '', (fields[5] ?? '').split(',').includes('ro') ? 'ro' : 'rw'] as [string, string];
    }));
    assert.equal(seen.get('/'), 'ro', 'readOnlyRootFilesystem');
    for (const mount of sidecar.volumeMounts ?? []) assert.equal(seen.get(mount.mountPath), mount.readOnly === true ? 'ro' : 'rw', mount.mountPath);
    mark('sidecar ready');

    write(300);
    const records = await waitForRecords(topic1, written.length, 60_000);
    assert.deepEqual(records.map((r) => r.value), written);
    const first = records[0];
    assert.ok(first !== undefined);
    assert.deepEqual(first.headers, {
      'k8s.pod.name': 'web',
      'k8s.pod.namespace': appNs,
      'k8s.node.name': NODE,
      'k8s.pod.uid': pod.metadata?.uid,
      'k8s.container.name': 'web',
      'k8s.pod.label.app': 'shop-web',
      'k8s.file.path': `${LOG_VOLUME_MOUNT_PATH}/app.log`,
    });
    assert.ok(records.every((r) => JSON.stringify(r.headers) === JSON.stringify(first.headers)));
    mark('300 lines in Kafka');
    // The position file is written where the pod's state volume is mounted (the only writable place).
    const state = emptyDirs.get('logshipper-state') ?? '';
    await eventually('the position file', 10_000, () => Promise.resolve(readdirSync(state).includes('taildir_position.json') ? true : undefined));
  });

  it('a topic change: the operator rewrites the ConfigMap, the swapped mount reloads the same process, no line lost or repeated', async () => {
    assert.ok(agent !== undefined && operator !== undefined);
    const pid = agent.process.pid;
    const before = await configMapText();
    // The app keeps writing through the whole change.
    const writer = setInterval(() => {
      write(5);
    }, 20);
    try {
      await kubectl(['patch', 'logshipper', 'app', '-n', appNs, '--type', 'merge', '-p', JSON.stringify({ spec: { kafka: { topic: topic2 } } })]);
      const after = await eventually('the operator to rewrite the ConfigMap', 30_000, async () => {
        const now = await configMapText();
        return now.hash !== before.hash ? now : undefined;
      });
      assert.match(after.text, new RegExp(`kafka\\.topic = ${topic2}\\n`));
      assert.equal(after.text.replace(topic2, topic1), before.text, 'only the topic changed');
      // What the kubelet does on its next sync of the volume: a new timestamped directory, ..data swapped.
      configDir.update({ [CONFIG_FILE_KEY]: after.text });
      const reloaded = await agent.waitForLog((l) => l['msg'] === 'configuration reloaded', 30_000);
      assert.equal(reloaded['trigger'], 'file changed', 'the file watch saw the swap (no signal was sent)');
      mark('reloaded');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      clearInterval(writer);
    }
    const afterReload = written.length;
    write(200);
    assert.equal(agent.process.exitCode, null, 'still running');
    assert.equal(agent.process.pid, pid);
    assert.match(readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8'), /agent/, 'the same process');

    const deadline = Date.now() + 60_000;
    let one: ConsumedRecord[] = [];
    let two: ConsumedRecord[] = [];
    while (Date.now() < deadline) {
      [one, two] = await Promise.all([readTopic(topic1), readTopic(topic2)]);
      if (one.length + two.length >= written.length) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const both = [...one, ...two].map((r) => r.value);
    const missing = written.filter((line) => !both.includes(line));
    assert.deepEqual(missing.slice(0, 5), [], `${String(missing.length)} of ${String(written.length)} lines missing from ${topic1} + ${topic2}`);
    assert.equal(both.length, written.length, 'no line twice');
    // In order: the first topic has a prefix of the file, the second the rest, with every line written after the reload.
    assert.deepEqual(both, written);
    assert.ok(two.length >= written.length - afterReload, `the lines written after the reload are in ${topic2}`);
    assert.ok(two.every((r) => r.headers['k8s.pod.name'] === 'web' && r.headers['k8s.pod.namespace'] === appNs));
    mark(`${String(written.length)} lines: ${String(one.length)} in the first topic, ${String(two.length)} in the second`);

    // The pod was injected with the previous configuration: the operator counts it stale (hot reload changed its text, not its spec).
    await eventually('the pod counted stale', 30_000, async () => {
      const status = (await new Shippers(kc, appNs).get('app')).status;
      return status?.injectedPods === 1 && status.stalePods === 1 ? true : undefined;
    });
    // SIGTERM, as the kubelet stops a container: the agent drains and exits 0.
    agent.process.kill('SIGTERM');
    assert.equal(await agent.exited, 0);
  });
});
