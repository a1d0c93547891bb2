// One Kafka node in KRaft combined mode (broker + controller in one JVM), as the single-node
// environment (kafka.ts) and the multi-node cluster (kafka-cluster.ts) both run it: the jars
// from Maven (test/env/kafka/pom.xml) in <cache>/kafka-<version>/libs, run straight from that
// classpath (no distribution tarball or its shell scripts), its server.properties, log4j
// config, JVM options and storage format.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { cachedDir } from './cache.ts';
import { run, TestEnvError } from './process.ts';
import { logFile, PROJECT_ROOT } from './paths.ts';
import { KAFKA_VERSION } from './versions.ts';

const POM = path.join(PROJECT_ROOT, 'test', 'env', 'kafka', 'pom.xml');

/** Fetches Kafka's runtime jars (once) and returns the classpath folder. */
export async function kafkaLibs(): Promise<string> {
  const pomVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'))?.[1];
  if (pomVersion !== KAFKA_VERSION) {
    throw new TestEnvError('kafka', `test/env/kafka/pom.xml has kafka.version ${String(pomVersion)} but test/env/versions.ts says ${KAFKA_VERSION}: make them agree`);
  }
  const dir = await cachedDir(`kafka-${KAFKA_VERSION}`, async (out) => {
    await run('kafka-download', 'mvn', [
      '-B', '-q', '-f', POM,
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${path.join(out, 'libs')}`,
    ], { log: logFile('kafka-download'), timeoutMs: 20 * 60_000 });
  });
  return path.join(dir, 'libs');
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64, as `kafka-storage random-uuid`
 * prints (made here to save a JVM start). Kafka never hands out ids starting with '-', which a
 * command line would take for an option.
 */
export function clusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** `retries` 0 suits health probes; a client of a cluster with a node down needs some, to try another. */
export function kafkaClient(brokers: string, retries = 0): Kafka {
  return new Kafka({
    clientId: 'logshipper-testenv',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

/** The ids of the registered, unfenced brokers, as the node(s) at `brokers` see them. */
export async function liveBrokerIds(brokers: string): Promise<number[]> {
  const admin = kafkaClient(brokers).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.map((b) => b.nodeId);
  } finally {
    await admin.disconnect();
  }
}

/** True when the cluster answers and has at least one registered, unfenced broker. */
export async function kafkaHealthy(brokers: string): Promise<boolean> {
  return (await liveBrokerIds(brokers)).length > 0;
}

export interface KraftNodeOptions {
  nodeId: number;
  /** `id@host:port` of every controller (every node here: all run combined). */
  voters: string;
  /** Every listener of the node, CONTROLLER and PLAINTEXT included, by listener name. */
  listeners: Record<string, string>;
  dataDir: string;
  /** Replicas of new and internal topics; min.insync.replicas is given separately. */
  replicationFactor: number;
  minInsyncReplicas: number;
}

const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/**
 * server.properties lines every node has (callers append their own, e.g. security). Listener
 * names that are security protocols are that protocol; any other (CONTROLLER, PODS) is PLAINTEXT.
 */
export function kraftProperties(options: KraftNodeOptions): string[] {
  const listeners = Object.entries(options.listeners);
  const advertised = listeners.filter(([name]) => name !== 'CONTROLLER');
  const protocols = listeners.map(([name]) => `${name}:${SECURITY_PROTOCOLS.includes(name) ? name : 'PLAINTEXT'}`);
  const rf = String(options.replicationFactor);
  return [
    'process.roles=broker,controller',
    `node.id=${String(options.nodeId)}`,
    `controller.quorum.voters=${options.voters}`,
    `listeners=${listeners.map(([name, address]) => `${name}://${address}`).join(',')}`,
    `advertised.listeners=${advertised.map(([name, address]) => `${name}://${address}`).join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${protocols.join(',')}`,
    `log.dirs=${options.dataDir}`,
    `offsets.topic.replication.factor=${rf}`,
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${String(options.minInsyncReplicas)}`,
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${String(options.minInsyncReplicas)}`,
    // Kafka's default, stated because the failover tests rely on it: an out-of-sync replica never becomes leader.
    'unclean.leader.election.enable=false',
    // Consumer groups form at once instead of waiting 3s for more members.
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=1',
    'auto.create.topics.enable=true',
    // Test topics are small: don't preallocate 1 GiB segments / 10 MiB indexes per partition.
    'log.segment.bytes=67108864',
  ];
}

export interface KafkaNodeFiles {
  properties: string;
  log4j: string;
}

/** Writes `<dir>/server.properties` and a log4j config logging to stdout (which startDaemon sends to the node's log). */
export function writeNodeConfig(dir: string, properties: readonly string[]): KafkaNodeFiles {
  fs.mkdirSync(dir, { recursive: true });
  const files = { properties: path.join(dir, 'server.properties'), log4j: path.join(dir, 'log4j.properties') };
  fs.writeFileSync(files.properties, [...properties, ''].join('\n'));
  fs.writeFileSync(files.log4j, [
    'log4j.rootLogger=INFO, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    // The request logger and the state-change logger are very chatty at INFO.
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    'log4j.logger.org.apache.kafka.clients.NetworkClient=WARN',
    '',
  ].join('\n'));
  return files;
}

/** `java` and its arguments up to the main class: classpath, heap, log4j config. */
export function kafkaJava(libs: string, files: KafkaNodeFiles, heap: { min: string; max: string }): { command: string; jvm: string[] } {
  const home = process.env['JAVA_HOME'];
  const command = home !== undefined && home !== '' ? path.join(home, 'bin', 'java') : 'java';
  return {
    command,
    jvm: [`-Xms${heap.min}`, `-Xmx${heap.max}`, '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${files.log4j}`, '-cp', path.join(libs, '*')],
  };
}

/** Formats the node's storage for cluster `id` (once: an already formatted dir is kept). */
export async function formatStorage(name: string, java: { command: string; jvm: string[] }, files: KafkaNodeFiles, id: string, extraArgs: readonly string[] = []): Promise<void> {
  await run(`${name}-format`, java.command, [...java.jvm, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', files.properties, '--ignore-formatted', ...extraArgs], {
    log: logFile(`${name}-format`),
    timeoutMs: 120_000,
  });
}
