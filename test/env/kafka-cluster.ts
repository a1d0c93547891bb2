// A multi-node Kafka cluster for fault tests (broker failover, full outages): N KRaft combined
// nodes (kafka-node.ts) on 127.0.0.1 free ports, every one a controller, topics replicated to
// three nodes (or all, when fewer) with min.insync.replicas=2 and no unclean leader election.
// Tests start it on demand (it is not part of `testenv:up`) and may kill, stop and restart its
// nodes; close() stops them all and removes the cluster's state dir.
import fs from 'node:fs';
import path from 'node:path';
import { clusterId, formatStorage, kafkaClient, kafkaJava, kafkaLibs, kraftProperties, liveBrokerIds, writeNodeConfig, type KafkaNodeFiles } from './kafka-node.ts';
import { freePorts } from './ports.ts';
import { isRunning, readDaemonRecords, signalDaemon, startDaemon, stopDaemon, TestEnvError, waitForExit, waitUntilReady, type Daemon } from './process.ts';
import { STATE_DIR } from './paths.ts';

export interface KafkaClusterOptions {
  /** Nodes (each broker and controller); default 3. */
  nodes?: number;
  /** Names the state dir (.testenv/kafka-<name>), the daemons and their logs (.testenv/logs/kafka-<name>-<id>.log); default 'cluster'. */
  name?: string;
  /** -Xmx of each node; small, so three fit on a 2-core machine with the tests; default 256m. */
  heap?: string;
}

export interface KafkaCluster {
  /** Every node's PLAINTEXT address, comma-separated (a client's bootstrap list). */
  readonly brokers: string;
  readonly nodeIds: readonly number[];
  /** The node's PLAINTEXT address. */
  address(nodeId: number): string;
  isRunning(nodeId: number): boolean;
  /** Sends `signal` (default SIGKILL) to the node and waits until it exited (SIGKILL after 60 s). */
  kill(nodeId: number, signal?: NodeJS.Signals): Promise<void>;
  /** Restarts a stopped node on its data dir; resolves once it is a registered, unfenced broker. */
  start(nodeId: number): Promise<void>;
  stopAll(signal?: NodeJS.Signals): Promise<void>;
  startAll(): Promise<void>;
  /** Creates `topic` (replicated as the cluster's defaults say) and waits until it is fully in sync. */
  createTopic(topic: string, partitions: number): Promise<void>;
  /** The leader's node id, as the cluster's metadata says now (-1: none). */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** Waits until every running node sees every partition of `topic` with a live leader and all its replicas in sync. */
  waitInSync(topic: string, timeoutMs?: number): Promise<void>;
  /** Stops every node (SIGKILL: its data is thrown away) and removes the state dir. Logs stay. */
  close(): Promise<void>;
}

interface Node {
  id: number;
  name: string;
  address: string;
  files: KafkaNodeFiles;
  daemon: Daemon | undefined;
}

const READY_MS = 120_000;
const STOP_GRACE_MS = 60_000;

export async function startKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const count = options.nodes ?? 3;
  const name = `kafka-${options.name ?? 'cluster'}`;
  if (!Number.isInteger(count) || count < 1) throw new TestEnvError(name, `nodes must be a whole number >= 1, got ${String(count)}`);
  const dir = path.join(STATE_DIR, name);
  // A run that crashed may have left nodes running (they are detached): they are ours, recorded.
  await Promise.all(readDaemonRecords().filter((r) => r.name.startsWith(`${name}-`)).map((r) => stopDaemon(r, 0)));
  fs.rmSync(dir, { recursive: true, force: true });

  const libs = await kafkaLibs();
  const ports = await freePorts(2 * count);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const controller = (id: number): string => `127.0.0.1:${String(ports[2 * (id - 1) + 1])}`;
  const voters = ids.map((id) => `${String(id)}@${controller(id)}`).join(',');
  const replicationFactor = Math.min(3, count);
  const nodes = new Map<number, Node>(ids.map((id) => {
    const address = `127.0.0.1:${String(ports[2 * (id - 1)])}`;
    const nodeDir = path.join(dir, String(id));
    const files = writeNodeConfig(nodeDir, [
      ...kraftProperties({
        nodeId: id,
        voters,
        listeners: { PLAINTEXT: address, CONTROLLER: controller(id) },
        dataDir: path.join(nodeDir, 'data'),
        replicationFactor,
        minInsyncReplicas: Math.min(2, replicationFactor),
      }),
      // A killed node is fenced, and its partitions led elsewhere, after this long without heartbeat (Kafka's default: 9 s).
      'broker.heartbeat.interval.ms=1000',
      'broker.session.timeout.ms=6000',
    ]);
    return [id, { id, name: `${name}-${String(id)}`, address, files, daemon: undefined }];
  }));
  const heap = options.heap ?? '256m';
  const java = (node: Node): ReturnType<typeof kafkaJava> => kafkaJava(libs, node.files, { min: '64m', max: heap });
  const id = clusterId();
  await Promise.all([...nodes.values()].map((node) => formatStorage(node.name, java(node), node.files, id)));

  const nodeOf = (nodeId: number): Node => {
    const node = nodes.get(nodeId);
    if (node === undefined) throw new TestEnvError(name, `no node ${String(nodeId)}: the nodes are ${ids.join(', ')}`);
    return node;
  };
  const running = (node: Node): boolean => node.daemon !== undefined && isRunning(node.daemon.record);
  const live = (): string => {
    const up = [...nodes.values()].filter(running).map((n) => n.address);
    if (up.length === 0) throw new TestEnvError(name, 'no node is running');
    return up.join(',');
  };

  const start = async (nodeId: number): Promise<void> => {
    const node = nodeOf(nodeId);
    if (running(node)) throw new TestEnvError(node.name, 'start: the node is running already');
    const { command, jvm } = java(node);
    const appendLog = node.daemon !== undefined;
    node.daemon = await startDaemon({ name: node.name, command, args: [...jvm, 'kafka.Kafka', node.files.properties], appendLog });
    // Registered and unfenced, as the node itself sees the cluster: it serves as a broker again.
    await waitUntilReady(node.daemon, `a live broker (in its own describeCluster) within cluster ${name}`, READY_MS,
      async () => (await liveBrokerIds(node.address)).includes(node.id));
  };

  const kill = async (nodeId: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const node = nodeOf(nodeId);
    const record = node.daemon?.record;
    if (record === undefined || !isRunning(record)) throw new TestEnvError(node.name, `kill ${signal}: the node is not running`);
    signalDaemon(record, signal);
    if (!(await waitForExit(record, STOP_GRACE_MS))) {
      signalDaemon(record, 'SIGKILL');
      await waitForExit(record, STOP_GRACE_MS);
    }
  };

  /** The topic's partitions as the nodes at `brokers` (default: any running node) see them. */
  const fetchPartitions = async (topic: string, brokers = live()): Promise<{ partitionId: number; leader: number; replicas: number[]; isr: number[] }[]> => {
    const admin = kafkaClient(brokers, 5).admin();
    try {
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      return metadata.topics[0]?.partitions ?? [];
    } finally {
      await admin.disconnect();
    }
  };

  const cluster: KafkaCluster = {
    brokers: [...nodes.values()].map((n) => n.address).join(','),
    nodeIds: ids,
    address: (nodeId) => nodeOf(nodeId).address,
    isRunning: (nodeId) => running(nodeOf(nodeId)),
    kill,
    start,
    stopAll: async (signal) => {
      await Promise.all([...nodes.values()].filter(running).map((n) => kill(n.id, signal)));
    },
    // Together: after a full outage no node is ready before a majority of controllers is back.
    startAll: async () => {
      await Promise.all([...nodes.values()].filter((n) => !running(n)).map((n) => start(n.id)));
    },
    createTopic: async (topic, partitions) => {
      const admin = kafkaClient(live(), 5).admin();
      try {
        await admin.connect();
        // Not kafkajs's waitForLeaders: it gives up at the first node that has not heard of the topic yet.
        await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }], waitForLeaders: false });
      } finally {
        await admin.disconnect();
      }
      await cluster.waitInSync(topic);
    },
    leaderOf: async (topic, partition) => {
      const found = (await fetchPartitions(topic)).find((p) => p.partitionId === partition);
      if (found === undefined) throw new TestEnvError(name, `topic ${topic} has no partition ${String(partition)}`);
      return found.leader;
    },
    waitInSync: async (topic, timeoutMs = READY_MS) => {
      const deadline = Date.now() + timeoutMs;
      let last: string;
      for (;;) {
        try {
          const up = [...nodes.values()].filter(running);
          const ids = new Set(up.map((n) => n.id));
          // Every node's own view: each learns of topics and leaders on its own time, and a client
          // asking one that has not yet (librdkafka: "partition count changed from 3 to 0") fails.
          const views = await Promise.all(up.map(async (n) => ({ node: n.id, partitions: await fetchPartitions(topic, n.address) })));
          const most = Math.max(1, ...views.map((v) => v.partitions.length));
          const lagging = views.map(({ node, partitions }) => ({
            node,
            known: partitions.length,
            lagging: partitions.filter((p) => !ids.has(p.leader) || p.isr.length < p.replicas.length).map(({ partitionId, leader, replicas, isr }) => ({ partitionId, leader, replicas, isr })),
          })).filter((v) => v.known < most || v.lagging.length > 0);
          if (lagging.length === 0) return;
          last = JSON.stringify(lagging);
        } catch (error) {
          last = error instanceof Error ? error.message : String(error);
        }
        if (Date.now() > deadline) throw new TestEnvError(name, `topic ${topic} not fully in sync within ${String(timeoutMs / 1000)}s: ${last}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    close: async () => {
      await Promise.all([...nodes.values()].map(async (n) => {
        if (n.daemon !== undefined) await stopDaemon(n.daemon.record, 0);
      }));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.startAll();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}
