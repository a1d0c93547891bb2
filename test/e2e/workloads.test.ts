// Workloads other than a Deployment, on the test cluster's real node: a Job and a CronJob's Job
// with the native sidecar run to completion with every line shipped, and the `container` mode
// for clusters older than native sidecars behaves as the README says: the sidecar runs beside the
// app, ships its lines, drains at pod deletion (reading on until the files are quiet), and keeps a
// Job's pod running after the app exits unless the app stops it with POST /stop.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatchV1Api, type CoreV1Api, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { eventually } from '../env/testing.ts';
import { kubectl } from '../helpers/chart.ts';
import { readTopic } from '../helpers/kafka.ts';
import { containerStatus, podGone, podRunning, setUpShipping, tearDownShipping, type Shipping } from '../helpers/cluster.ts';
import { appPodSpec, assertAllShippedOnce, DEFAULT_LAST_WORDS, expectedLines, injectMetadata } from '../helpers/app-workload.ts';

const SIDECAR = 'logshipper';
const JOB_LINES = 5000;

describe('workloads on a real node: Jobs and CronJobs with the native sidecar complete; container mode as documented', { timeout: 600_000 }, () => {
  let shipping: Shipping | undefined;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let appNs = '';
  let topic = '';

  /** Every line the pod wrote is in the topic exactly once (waiting for its end line first). */
  const allShipped = async (pod: string, lastWords: number): Promise<number> => {
    const seen = await eventually(`${pod}: its end line in Kafka`, 60_000, async () => {
      const values = (await readTopic(topic)).map((r) => r.value);
      return expectedLines(pod, values, lastWords).expected === undefined ? undefined : values;
    });
    return assertAllShippedOnce(pod, seen, lastWords);
  };

  const jobPod = async (job: string): Promise<V1Pod> => eventually(`the pod of Job ${job}`, 60_000, async () =>
    (await core.listNamespacedPod({ namespace: appNs, labelSelector: `job-name=${job}` })).items[0]);

  const completed = async (job: string, timeoutMs = 120_000): Promise<V1Job> => eventually(`Job ${job} Complete`, timeoutMs, async () => {
    const current = await batch.readNamespacedJob({ namespace: appNs, name: job });
    return current.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') === true ? current : undefined;
  });

  const jobTemplate = (annotations: Record<string, string> = {}, stopSidecar = false): V1Job['spec'] => ({
    backoffLimit: 0,
    template: {
      metadata: injectMetadata('app', annotations),
      spec: appPodSpec({ rate: 0, count: JOB_LINES, stopSidecar }, { restartPolicy: 'Never' }),
    },
  });

  before(async () => {
    shipping = await setUpShipping('lswl');
    ({ core, appNamespace: appNs, topic } = shipping);
    batch = shipping.kc.makeApiClient(BatchV1Api);
  });

  after(async () => {
    await tearDownShipping(shipping);
  });

  it('a Job with the native sidecar completes once its app exits; every line shipped; the sidecar stopped by the kubelet, exit 0', async () => {
    await batch.createNamespacedJob({ namespace: appNs, body: { metadata: { name: 'batch' }, spec: jobTemplate() } });
    const started = Date.now();
    await completed('batch');
    const pod = await jobPod('batch');
    assert.equal(pod.status?.phase, 'Succeeded');
    assert.equal(containerStatus(pod, 'app')?.state?.terminated?.exitCode, 0);
    assert.equal(containerStatus(pod, SIDECAR)?.state?.terminated?.exitCode, 0, 'the agent drained and exited 0 on the kubelet\'s SIGTERM');
    const shipped = await allShipped(pod.metadata?.name ?? '', 0);
    console.log(`# Job with the native sidecar: complete ${String(Date.now() - started)} ms after creation, ${String(shipped)} lines shipped`);
  });

  it('a CronJob\'s Job (kubectl create job --from=cronjob) completes the same way', async () => {
    await batch.createNamespacedCronJob({
      namespace: appNs,
      // Suspended: the test creates its Job itself instead of waiting for the schedule.
      body: { metadata: { name: 'nightly' }, spec: { schedule: '0 3 * * *', suspend: true, jobTemplate: { spec: jobTemplate() } } },
    });
    await kubectl(['create', 'job', 'nightly-now', '--from=cronjob/nightly', '-n', appNs]);
    await completed('nightly-now');
    const pod = await jobPod('nightly-now');
    assert.ok(pod.spec?.initContainers?.some((c) => c.name === SIDECAR && c.restartPolicy === 'Always'), 'the CronJob\'s pod got the native sidecar');
    assert.equal(containerStatus(pod, SIDECAR)?.state?.terminated?.exitCode, 0);
    await allShipped(pod.metadata?.name ?? '', 0);
  });

  it('container mode: the sidecar is a plain container beside the app; it ships the app\'s lines, and those written at deletion', async () => {
    const spec = appPodSpec({ rate: 50 });
    await core.createNamespacedPod({ namespace: appNs, body: { metadata: { name: 'classic', ...injectMetadata('app', { 'logshipper.io/sidecar-mode': 'container' }) }, spec } });
    const pod = await podRunning(core, appNs, 'classic');
    assert.deepEqual(pod.spec?.containers.map((c) => c.name), ['app', SIDECAR]);
    assert.equal(pod.spec.initContainers, undefined);
    await eventually('the first lines', 60_000, async () => ((await readTopic(topic)).some((r) => r.value.startsWith('classic 50')) ? true : undefined));
    const since = Date.now();
    await core.deleteNamespacedPod({ namespace: appNs, name: 'classic' });
    const took = await podGone(core, appNs, 'classic', since);
    const shipped = await allShipped('classic', DEFAULT_LAST_WORDS);
    console.log(`# container mode: pod deleted in ${String(took)} ms, ${String(shipped)} lines shipped, the ${String(DEFAULT_LAST_WORDS)} written on SIGTERM included`);
  });

  it('container mode: a Job\'s pod keeps running after its app exits (the documented limitation: native sidecars need Kubernetes >= 1.29)', async () => {
    await batch.createNamespacedJob({ namespace: appNs, body: { metadata: { name: 'classic-batch' }, spec: jobTemplate({ 'logshipper.io/sidecar-mode': 'container' }) } });
    const pod = await eventually('the app done, the sidecar still running', 120_000, async () => {
      const current = await jobPod('classic-batch');
      return containerStatus(current, 'app')?.state?.terminated !== undefined && containerStatus(current, SIDECAR)?.state?.running !== undefined ? current : undefined;
    });
    assert.equal(pod.status?.phase, 'Running');
    await allShipped(pod.metadata?.name ?? '', 0);
    const job = await batch.readNamespacedJob({ namespace: appNs, name: 'classic-batch' });
    assert.notEqual(job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'), true, 'not complete while its sidecar runs');
    await batch.deleteNamespacedJob({ namespace: appNs, name: 'classic-batch', propagationPolicy: 'Foreground' });
  });

  it('container mode: a Job whose app ends by POSTing the sidecar\'s /stop (the README\'s remedy) completes, every line shipped', async () => {
    await batch.createNamespacedJob({ namespace: appNs, body: { metadata: { name: 'classic-stop' }, spec: jobTemplate({ 'logshipper.io/sidecar-mode': 'container' }, true) } });
    await completed('classic-stop');
    const pod = await jobPod('classic-stop');
    assert.equal(pod.status?.phase, 'Succeeded');
    assert.equal(containerStatus(pod, SIDECAR)?.state?.terminated?.exitCode, 0);
    await allShipped(pod.metadata?.name ?? '', 0);
  });
});
