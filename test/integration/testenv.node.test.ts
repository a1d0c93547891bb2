// The test environment's node does what the end-to-end tests rely on: it is Ready with the
// versions it reports, runs a pod from the imported busybox image, and from inside that pod the
// apiserver answers at the `kubernetes` Service's ClusterIP (kube-proxy's rules) and Kafka at
// KAFKA_POD_BROKERS; the pod's mounts stay in the node's mount namespace, never in this machine's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { kubeConfig, testEnv, unique } from '../env/testing.ts';
import { createNamespace, deleteNamespace } from './operator/helpers.ts';
import { execIn, podRunning } from '../helpers/cluster.ts';
import { APP_IMAGE } from '../helpers/app-workload.ts';
import { NODE_NETWORK } from '../env/node/network.ts';

describe('test environment: the node', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  const ns = unique('testenv-node');

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    await createNamespace(kc, ns);
  });

  after(async () => {
    await deleteNamespace(kc, ns);
  });

  it('is Ready, with the kubelet, containerd and the addresses the environment reports', async () => {
    const node = await core.readNode({ name: testEnv('NODE_NAME') });
    const status = node.status;
    assert.ok(status);
    assert.equal(status.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(status.nodeInfo?.kubeletVersion, testEnv('KUBERNETES_VERSION'));
    assert.equal(status.nodeInfo.containerRuntimeVersion, `containerd://${testEnv('CONTAINERD_VERSION').replace(/~.*$/, '')}`);
    assert.equal(status.addresses?.find((a) => a.type === 'InternalIP')?.address, NODE_NETWORK.nodeIp);
  });

  it('runs a pod that reaches the apiserver through the kubernetes Service and Kafka at KAFKA_POD_BROKERS; its mounts are not this machine\'s', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'probe' }, spec: { containers: [{ name: 'sh', image: APP_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 0 } },
    });
    const pod = await podRunning(core, ns, 'probe');
    assert.ok(pod.status?.podIP?.startsWith(NODE_NETWORK.podCidr.split('.').slice(0, 3).join('.')), `a pod IP of ${NODE_NETWORK.podCidr}: ${String(pod.status?.podIP)}`);
    // Anonymous: 401 or 403, either way the apiserver answered over TLS at the ClusterIP.
    const api = await execIn(ns, 'probe', 'sh', `wget -q -O- --no-check-certificate https://${NODE_NETWORK.kubernetesServiceIp}/version 2>&1; true`);
    assert.match(api, /gitVersion|Unauthorized|Forbidden|40[13]/, api);
    const [host, port] = (testEnv('KAFKA_POD_BROKERS').split(',')[0] ?? '').split(':');
    assert.equal(await execIn(ns, 'probe', 'sh', `echo | nc -w 3 ${String(host)} ${String(port)} && echo open`), 'open\n');
    // The kubelet mounted the pod's token volume (a tmpfs below its root dir): only the node sees it.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.equal(mounts.includes('/kubelet/root/pods/'), false, 'no pod volume mount in this machine\'s mount namespace');
  });
});
