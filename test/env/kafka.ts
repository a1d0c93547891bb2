// Apache Kafka, single node, KRaft combined mode (broker + controller in one JVM), on 127.0.0.1.
// The jars come from Maven (test/env/kafka/pom.xml) into <cache>/kafka-<version>/libs and the
// broker runs straight from that classpath: no distribution tarball or its shell scripts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { cachedDir } from './cache.ts';
import { makeKafkaPki } from './certs.ts';
import { freePorts } from './ports.ts';
import { run, startDaemon, TestEnvError, waitUntilReady } from './process.ts';
import { logFile, PROJECT_ROOT, STATE_DIR } from './paths.ts';
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
function clusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function kafkaClient(brokers: string): Kafka {
  return new Kafka({
    clientId: 'logshipper-testenv',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
}

/** True when the cluster answers and has at least one registered, unfenced broker. */
export async function kafkaHealthy(brokers: string): Promise<boolean> {
  const admin = kafkaClient(brokers).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}

export async function startKafka(): Promise<Record<string, string>> {
  const libs = await kafkaLibs();
  const dir = path.join(STATE_DIR, 'kafka');
  fs.mkdirSync(dir, { recursive: true });
  const [port, controllerPort, saslPort, sslPort] = await freePorts(4);
  const brokers = `127.0.0.1:${String(port)}`;
  const saslBrokers = `127.0.0.1:${String(saslPort)}`;
  const sslBrokers = `127.0.0.1:${String(sslPort)}`;
  const pki = await makeKafkaPki(path.join(dir, 'pki'));
  // Security listeners besides PLAINTEXT, so the agent's SASL and TLS settings are tested for real:
  // SASL_PLAINTEXT with PLAIN and SCRAM users, and SSL that requires a client certificate.
  const jaasUsers = Object.entries(SASL_USERS).map(([user, password]) => `user_${user}="${password}"`).join(' ');
  const properties = path.join(dir, 'server.properties');
  fs.writeFileSync(properties, [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${String(controllerPort)}`,
    `listeners=PLAINTEXT://${brokers},CONTROLLER://127.0.0.1:${String(controllerPort)},SASL_PLAINTEXT://${saslBrokers},SSL://${sslBrokers}`,
    `advertised.listeners=PLAINTEXT://${brokers},SASL_PLAINTEXT://${saslBrokers},SSL://${sslBrokers}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL',
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${jaasUsers};`,
    'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.ssl.ssl.keystore.type=PEM',
    `listener.name.ssl.ssl.keystore.location=${pki.brokerKeystore}`,
    'listener.name.ssl.ssl.truststore.type=PEM',
    `listener.name.ssl.ssl.truststore.location=${pki.caCert}`,
    'listener.name.ssl.ssl.client.auth=required',
    `log.dirs=${path.join(dir, 'data')}`,
    // One node: every internal topic must make do with one replica.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    // Consumer groups form at once instead of waiting 3s for more members.
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=1',
    'auto.create.topics.enable=true',
    // Test topics are small: don't preallocate 1 GiB segments / 10 MiB indexes per partition.
    'log.segment.bytes=67108864',
    '',
  ].join('\n'));
  // log4j (reload4j) to stdout, which startDaemon sends to .testenv/logs/kafka.log.
  const log4j = path.join(dir, 'log4j.properties');
  fs.writeFileSync(log4j, [
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

  const java = process.env['JAVA_HOME'] !== undefined && process.env['JAVA_HOME'] !== '' ? path.join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
  const classpath = path.join(libs, '*');
  const jvm = ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${log4j}`, '-cp', classpath];
  // SCRAM credentials live in the cluster metadata: KRaft takes them at format time.
  const scram = Object.entries(SASL_USERS).flatMap(([user, password]) => ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${user},password=${password}]`]));
  await run('kafka-format', java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', properties, '--ignore-formatted', ...scram], {
    log: logFile('kafka-format'),
    timeoutMs: 120_000,
  });
  const kafka = await startDaemon({ name: 'kafka', command: java, args: [...jvm, 'kafka.Kafka', properties] });
  await waitUntilReady(kafka, 'serving (kafkajs describeCluster)', 90_000, () => kafkaHealthy(brokers));
  return {
    KAFKA_BROKERS: brokers,
    KAFKA_VERSION,
    KAFKA_SASL_BROKERS: saslBrokers,
    KAFKA_SASL_USERNAME: 'logshipper',
    KAFKA_SASL_PASSWORD: SASL_USERS.logshipper,
    KAFKA_SSL_BROKERS: sslBrokers,
    KAFKA_SSL_CA: pki.caCert,
    KAFKA_SSL_CLIENT_CERT: pki.clientCert,
    KAFKA_SSL_CLIENT_KEY: pki.clientKey,
  };
}

/** Users of the SASL listener (PLAIN and SCRAM-SHA-256/512); test credentials, not secrets. */
const SASL_USERS = { logshipper: 'logshipper-test-password', other: 'other-test-password' } as const;
