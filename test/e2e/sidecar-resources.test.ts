// What the injected sidecar really uses, read from its container's cgroup on the test cluster's
// node (memory working set as the kubelet computes it: usage minus inactive file pages; CPU from
// cpuacct), idle and at 1,000 lines/s, next to the requests and limits the operator injects.
// The injected defaults (operator/inject.ts DEFAULT_RESOURCES) are set from these numbers: the
// request covers the working set at 1,000 lines/s, the limit leaves room above the peak.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { eventually } from '../env/testing.ts';
import { readTopic } from '../helpers/kafka.ts';
import { containerStatus, podRunning, setUpShipping, tearDownShipping, type Shipping } from '../helpers/cluster.ts';
import { containerCgroup, cpuSeconds, workingSetBytes } from '../helpers/cgroup.ts';
import { appPodSpec, injectMetadata } from '../helpers/app-workload.ts';
import { DEFAULT_RESOURCES, parseQuantity } from '../../operator/inject.ts';

const SIDECAR = 'logshipper';
const SAMPLE_S = 30;
const SETTLE_MS = 15_000;
const MiB = 1024 * 1024;

interface Usage {
  /** Median and highest working set over the samples (bytes). */
  medianBytes: number;
  peakBytes: number;
  /** CPU used over the window, as a share of one core. */
  cpuShare: number;
}

async function measure(memoryDir: string, cpuDir: string, seconds: number): Promise<Usage> {
  const samples: number[] = [];
  const cpuBefore = cpuSeconds(cpuDir);
  const started = performance.now();
  for (let i = 0; i < seconds; i++) {
    samples.push(workingSetBytes(memoryDir));
    await sleep(1000);
  }
  const cpu = cpuSeconds(cpuDir) - cpuBefore;
  const elapsed = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  return { medianBytes: samples[Math.floor(samples.length / 2)] ?? 0, peakBytes: samples.at(-1) ?? 0, cpuShare: cpu / elapsed };
}

describe('the sidecar\'s resource use on a real node, next to what the operator injects', { timeout: 600_000 }, () => {
  let shipping: Shipping | undefined;
  let core: CoreV1Api;
  let appNs = '';
  let topic = '';
  const rows: string[] = [];

  before(async () => {
    shipping = await setUpShipping('lsres');
    ({ core, appNamespace: appNs, topic } = shipping);
  });

  after(async () => {
    await tearDownShipping(shipping);
    console.log(['# sidecar resource use (cgroup of the container on the node):', ...rows].join('\n# '));
  });

  const run = async (name: string, rate: number): Promise<{ pod: V1Pod; usage: Usage }> => {
    await core.createNamespacedPod({ namespace: appNs, body: { metadata: { name, ...injectMetadata('app') }, spec: appPodSpec({ rate }) } });
    const pod = await podRunning(core, appNs, name);
    const id = containerStatus(pod, SIDECAR)?.containerID ?? '';
    // Let start-up settle (module loading, compiling, the first connection) before sampling.
    await eventually(`${name}: lines in Kafka`, 60_000, async () => ((await readTopic(topic)).some((r) => r.value.startsWith(`${name} start`)) ? true : undefined));
    await sleep(SETTLE_MS);
    const usage = await measure(containerCgroup(id, 'memory'), containerCgroup(id, 'cpuacct'), SAMPLE_S);
    rows.push(`${name} (${String(rate)} lines/s): working set median ${(usage.medianBytes / MiB).toFixed(1)} MiB, peak ${(usage.peakBytes / MiB).toFixed(1)} MiB, CPU ${(usage.cpuShare * 100).toFixed(1)} % of a core`);
    return { pod, usage };
  };

  it('idle and at 1,000 lines/s: the working set stays within the injected request, its peak well under the limit', async () => {
    const idle = await run('idle', 0);
    const busy = await run('busy', 1000);
    const sidecar = idle.pod.spec?.initContainers?.find((c) => c.name === SIDECAR);
    assert.deepEqual(JSON.parse(JSON.stringify(sidecar?.resources)), DEFAULT_RESOURCES, 'the operator injected its defaults');
    const request = parseQuantity(String(DEFAULT_RESOURCES.requests?.['memory'])) ?? 0;
    const limit = parseQuantity(String(DEFAULT_RESOURCES.limits?.['memory'])) ?? 0;
    rows.push(`injected: memory request ${String(DEFAULT_RESOURCES.requests?.['memory'])}, limit ${String(DEFAULT_RESOURCES.limits?.['memory'])}, CPU request ${String(DEFAULT_RESOURCES.requests?.['cpu'])}`);
    assert.ok(busy.usage.medianBytes <= request, `working set at 1,000 lines/s ${(busy.usage.medianBytes / MiB).toFixed(1)} MiB within the memory request ${String(DEFAULT_RESOURCES.requests?.['memory'])}`);
    assert.ok(busy.usage.peakBytes * 1.5 <= limit, `peak at 1,000 lines/s ${(busy.usage.peakBytes / MiB).toFixed(1)} MiB leaves half again as much below the limit ${String(DEFAULT_RESOURCES.limits?.['memory'])}`);
    for (const { pod } of [idle, busy]) {
      const now = await core.readNamespacedPod({ namespace: appNs, name: pod.metadata?.name ?? '' });
      assert.equal(containerStatus(now, SIDECAR)?.restartCount, 0, 'never OOM-killed or restarted');
    }
  });
});
