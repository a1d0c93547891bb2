// Broker failover against a real 3-node Kafka cluster (RF 3, min.insync.replicas=2, no unclean
// leader election): the agent (TAILDIR -> memory channel -> Kafka sink, acks=all, batches of
// 500, 2 in flight) ships lines written at a steady rate while brokers fail. Each fault is
// repeated; after every repetition the whole topic is read back with kcat (librdkafka, an
// independent client) and compared with what was written, line for line: none may be missing
// (duplicates are counted and reported), the agent must drain and exit 0 on SIGTERM, and its
// position file must never claim a line that is not in the topic. Beside the agent, through
// the same fault, `kcat -P` (librdkafka, acks=all) ships the same lines to a topic of its own:
// the control, showing that the cluster and the faults themselves lose nothing a producer was
// told was written, so a line the agent loses is the agent's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafkaCluster, type KafkaCluster } from '../../env/kafka-cluster.ts';
import { readTopic } from '../../helpers/kafka.ts';
import { startAgent } from '../../helpers/agent.ts';
import { requireEnv, uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';
import { readPositionFile } from '../../../sidecar/sources/taildir/position-file.ts';

const PARTITIONS = 3;
const REPETITIONS = 3;
/** Per repetition, written at LINES_PER_TICK every TICK_MS: about 2,500 lines/s for 10 s. */
const LINES = 25_000;
const LINES_PER_TICK = 50;
const TICK_MS = 20;
/** Each fault begins once this share of the lines is written. */
const FAULT_AT = 0.25;
/** How long a stopped broker (or the whole cluster) stays down: longer than the cluster's broker.session.timeout.ms (6 s), so a killed leader is replaced meanwhile. */
const OUTAGE_MS = 8_000;
/** The agent's batch size (source, channel transaction and sink). */
const BATCH = 500;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Fault {
  name: string;
  /** Runs the fault on `topic`'s cluster; `rep` (1-based) picks which partition's leader fails. */
  inject(cluster: KafkaCluster, topic: string, rep: number): Promise<string>;
}

/** The leader of one partition (`rep` picks which) gets `signal`, and is started again after OUTAGE_MS. */
function leaderFault(name: string, signal: 'SIGKILL' | 'SIGTERM', done: string): Fault {
  return {
    name,
    async inject(cluster, topic, rep) {
      const partition = (rep - 1) % PARTITIONS;
      const leader = await cluster.leaderOf(topic, partition);
      await cluster.kill(leader, signal);
      await sleep(OUTAGE_MS);
      await cluster.start(leader);
      return `node ${String(leader)} (leader of partition ${String(partition)}) ${done} for ${String(OUTAGE_MS / 1000)}s`;
    },
  };
}

const FAULTS: Record<'leaderKill' | 'leaderStop' | 'fullOutage', Fault> = {
  leaderKill: leaderFault('leader SIGKILL + restart', 'SIGKILL', 'killed'),
  // A controlled shutdown: the node moves its leaderships away and answers the produce requests on its way
  // (NOT_LEADER_OR_FOLLOWER) while it goes; lines are written steadily, so batches are in flight.
  leaderStop: leaderFault('leader stopped (SIGTERM) mid-batch + restart', 'SIGTERM', 'stopped'),
  fullOutage: {
    name: 'all brokers stopped, then started',
    async inject(cluster) {
      await cluster.stopAll('SIGTERM');
      await sleep(OUTAGE_MS);
      await cluster.startAll();
      return `all ${String(cluster.nodeIds.length)} nodes stopped for ${String(OUTAGE_MS / 1000)}s`;
    },
  },
};

/** What sends the lines to Kafka: the agent tailing a file, or kcat -P reading its stdin. */
interface Producer {
  write(text: string): void;
  /** Waits until everything written was delivered (by the producer's own account), stops the producer and says how it ended. */
  finish(): Promise<{ exitCode: number | null; claimedBytes: number | undefined; output: string }>;
  /** Kills the producer if it still runs (a repetition that failed on its way). */
  abort(): void;
}

function agentProducer(dir: string, topic: string, brokers: string): Producer {
  const path = join(dir, 'app.log');
  const positionFile = join(dir, 'positions.json');
  const fd = openSync(path, 'a');
  const file = { open: true };
  const closeFile = (): void => {
    if (file.open) closeSync(fd);
    file.open = false;
  };
  const conf = join(dir, 'agent.properties');
  writeFileSync(conf, kafkaPipeline({
    topic,
    bootstrap: brokers,
    source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${path}`, `positionFile = ${positionFile}`, `batchSize = ${String(BATCH)}`, 'writePosInterval = 500'],
    channel: ['capacity = 10000', `transactionCapacity = ${String(BATCH)}`],
    sink: [`flumeBatchSize = ${String(BATCH)}`, 'kafka.producer.acks = all'],
  }));
  const agent = startAgent(conf, 'a');
  const position = async (): Promise<number> => (await readPositionFile(positionFile)).find((e) => e.file === path)?.pos ?? 0;
  return {
    write(text) {
      writeSync(fd, text);
    },
    async finish() {
      closeFile();
      const size = statSync(path).size;
      // The agent's own account of delivery: its position file reaches the end of the file.
      const deadline = Date.now() + 120_000;
      while ((await position()) < size && Date.now() < deadline && agent.process.exitCode === null) await sleep(200);
      agent.process.kill('SIGTERM');
      const exitCode = await agent.exited;
      const stopped = agent.logs.find((l) => l['msg'] === 'agent stopped, channels drained' || l['msg'] === 'agent stopped with undelivered events');
      return { exitCode, claimedBytes: await position(), output: [JSON.stringify(stopped), ...agent.stderr].join('\n') };
    },
    abort() {
      closeFile();
      if (agent.process.exitCode === null) agent.process.kill('SIGKILL');
    },
  };
}

function kcatProducer(topic: string, brokers: string): Producer {
  // acks=all and librdkafka's own retries (until message.timeout.ms, 5 min by default); -E: kcat would
  // otherwise give up (exit 1, unsent lines dropped) the moment all brokers are down.
  const kcat = spawn(requireEnv('KCAT'), ['-P', '-E', '-b', brokers, '-t', topic, '-X', 'acks=all', '-X', 'linger.ms=5'], { stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  kcat.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  // A kcat that exited early shows in its exit code and the lines missing, not as an EPIPE here.
  kcat.stdin.on('error', () => undefined);
  const exited = once(kcat, 'exit').then(([code]) => code as number | null);
  return {
    write(text) {
      kcat.stdin.write(text);
    },
    async finish() {
      kcat.stdin.end();
      return { exitCode: await exited, claimedBytes: undefined, output: stderr.join('') };
    },
    abort() {
      if (kcat.exitCode === null) kcat.kill('SIGKILL');
    },
  };
}

interface Outcome {
  written: number;
  records: number;
  lost: number;
  duplicated: number;
  unknown: number;
  /** Lines before the position file's offset that are not in the topic (the agent claimed them delivered). */
  claimedButLost: number;
  exitCode: number | null;
}

type ProducerKind = 'agent' | 'kcat';
const PRODUCERS: readonly ProducerKind[] = ['agent', 'kcat'];

/**
 * One repetition: the agent and, beside it as the control, kcat -P ship the same lines, each to
 * its own topic, through the same fault.
 */
async function repetition(cluster: KafkaCluster, fault: Fault, rep: number): Promise<Record<ProducerKind, Outcome>> {
  const run = uniqueName('failover');
  const topics = { agent: `${run}-agent`, kcat: `${run}-kcat` };
  const began = Date.now();
  await cluster.startAll(); // whatever an earlier, failed repetition left down
  for (const topic of Object.values(topics)) await cluster.createTopic(topic, PARTITIONS);
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-failover-'));
  const producers = { agent: agentProducer(dir, topics.agent, cluster.brokers), kcat: kcatProducer(topics.kcat, cluster.brokers) };

  const lines: string[] = [];
  /** Byte offset just past each line in the agent's file. */
  const ends: number[] = [];
  let bytes = 0;
  const state = { writing: true };
  const writing = (async () => {
    while (state.writing && lines.length < LINES) {
      const chunk = Array.from({ length: LINES_PER_TICK }, (_, i) => `${run} ${String(lines.length + i)} ${'f'.repeat((lines.length + i) % 53)}`);
      for (const line of chunk) {
        bytes += Buffer.byteLength(line) + 1;
        ends.push(bytes);
      }
      lines.push(...chunk);
      const text = chunk.join('\n') + '\n';
      for (const producer of Object.values(producers)) producer.write(text);
      await sleep(TICK_MS);
    }
  })();
  let injected: string;
  let ended: Record<ProducerKind, Awaited<ReturnType<Producer['finish']>> & { drainedMs: number }>;
  let faultEnded = 0;
  let records: Record<ProducerKind, Awaited<ReturnType<typeof readTopic>>>;
  try {
    while (lines.length < LINES * FAULT_AT) await sleep(50);
    injected = await fault.inject(cluster, topics.agent, rep);
    await writing;
    faultEnded = Date.now();
    const timed = async (producer: Producer): Promise<Awaited<ReturnType<Producer['finish']>> & { drainedMs: number }> => ({ ...(await producer.finish()), drainedMs: Date.now() - faultEnded });
    const [agentEnd, kcatEnd] = await Promise.all([timed(producers.agent), timed(producers.kcat)]);
    ended = { agent: agentEnd, kcat: kcatEnd };
    await cluster.startAll();
    records = { agent: await readTopic(topics.agent, cluster.brokers), kcat: await readTopic(topics.kcat, cluster.brokers) };
  } finally {
    state.writing = false;
    await writing;
    for (const producer of Object.values(producers)) producer.abort();
    rmSync(dir, { recursive: true, force: true });
  }

  const written = new Set(lines);
  const outcomeOf = (kind: ProducerKind): Outcome => {
    const counts = new Map<string, number>();
    for (const record of records[kind]) counts.set(record.value, (counts.get(record.value) ?? 0) + 1);
    const lostAt = lines.flatMap((line, i) => (counts.has(line) ? [] : [i]));
    const { claimedBytes, exitCode, output, drainedMs } = ended[kind];
    const claimedLines = claimedBytes === undefined ? 0 : ends.filter((end) => end <= claimedBytes).length;
    const outcome: Outcome = {
      written: lines.length,
      records: records[kind].length,
      lost: lostAt.length,
      duplicated: records[kind].length - counts.size,
      unknown: records[kind].filter((r) => !written.has(r.value)).length,
      claimedButLost: lostAt.filter((i) => i < claimedLines).length,
      exitCode,
    };
    const lostRange = lostAt.length === 0 ? '' : ` (lines ${String(lostAt[0])}..${String(lostAt.at(-1))})`;
    const claims = claimedBytes === undefined ? '' : `, position file claims ${String(claimedLines)} lines of which ${String(outcome.claimedButLost)} lost`;
    console.log(`failover [${kind}] ${fault.name}, repetition ${String(rep)}: ${injected}; written ${String(outcome.written)}, records ${String(outcome.records)}, ` +
      `lost ${String(outcome.lost)}${lostRange}, duplicated ${String(outcome.duplicated)}${claims}, exit code ${String(exitCode)}; ` +
      `fault over after ${String(Math.round((faultEnded - began) / 1000))}s, all delivered and stopped ${String(Math.round(drainedMs / 1000))}s later`);
    if (exitCode !== 0) console.log(output);
    return outcome;
  };
  return { agent: outcomeOf('agent'), kcat: outcomeOf('kcat') };
}

function clean(outcome: Outcome): boolean {
  return outcome.lost === 0 && outcome.unknown === 0 && outcome.claimedButLost === 0 && outcome.exitCode === 0;
}

async function repeat(cluster: KafkaCluster, fault: Fault): Promise<void> {
  const outcomes: Record<ProducerKind, Outcome>[] = [];
  for (let rep = 1; rep <= REPETITIONS; rep++) outcomes.push(await repetition(cluster, fault, rep));
  for (const kind of PRODUCERS) {
    const mine = outcomes.map((o) => o[kind]);
    console.log(`failover [${kind}] ${fault.name}: ${String(mine.filter(clean).length)}/${String(REPETITIONS)} repetitions clean; ` +
      `lost ${mine.map((o) => o.lost).join('/')}, duplicated ${mine.map((o) => o.duplicated).join('/')}`);
  }
  const summary = (o: Outcome): Pick<Outcome, 'lost' | 'unknown' | 'claimedButLost' | 'exitCode'> => ({ lost: o.lost, unknown: o.unknown, claimedButLost: o.claimedButLost, exitCode: o.exitCode });
  assert.deepEqual(outcomes.map((o) => ({ agent: summary(o.agent), kcat: summary(o.kcat) })),
    outcomes.map(() => ({ agent: summary(CLEAN), kcat: summary(CLEAN) })),
    `${fault.name}: every line arrives, whole, the position file claims none that did not, and both producers stop cleanly`);
}

const CLEAN: Outcome = { written: 0, records: 0, lost: 0, duplicated: 0, unknown: 0, claimedButLost: 0, exitCode: 0 };

describe('broker failover -> 3-node Kafka cluster', { timeout: 15 * 60_000 }, () => {
  let cluster: KafkaCluster | undefined;
  const started = (): KafkaCluster => {
    if (cluster === undefined) throw new Error('the Kafka cluster did not start (see the before hook)');
    return cluster;
  };
  before(async () => {
    cluster = await startKafkaCluster({ nodes: 3, name: 'failover' });
  });
  after(async () => {
    await cluster?.close();
  });

  for (const fault of Object.values(FAULTS)) {
    it(`${fault.name}, ${String(REPETITIONS)} times: no line lost by the agent (nor by kcat -P beside it), none claimed that is not in Kafka`, async () => {
      await repeat(started(), fault);
    });
  }
});
