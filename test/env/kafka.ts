// Apache Kafka for the test environment: a single KRaft combined node (kafka-node.ts) on
// 127.0.0.1, with PLAINTEXT, SASL_PLAINTEXT and SSL listeners, and a plaintext PODS listener on
// the node link's address (node/network.ts) for the cluster's pods, when there is a node. A
// multi-node cluster for fault tests is kafka-cluster.ts.
import path from 'node:path';
import { makeKafkaPki } from './certs.ts';
import { clusterId, formatStorage, kafkaHealthy, kafkaJava, kafkaLibs, kraftProperties, writeNodeConfig } from './kafka-node.ts';
import { freePorts } from './ports.ts';
import { startDaemon, waitUntilReady } from './process.ts';
import { STATE_DIR } from './paths.ts';
import { KAFKA_VERSION } from './versions.ts';

export async function startKafka(options: { podsAddress?: string } = {}): Promise<Record<string, string>> {
  const libs = await kafkaLibs();
  const dir = path.join(STATE_DIR, 'kafka');
  const [port, controllerPort, saslPort, sslPort, podsPort] = await freePorts(5);
  const podBrokers = options.podsAddress === undefined ? undefined : `${options.podsAddress}:${String(podsPort)}`;
  const brokers = `127.0.0.1:${String(port)}`;
  const saslBrokers = `127.0.0.1:${String(saslPort)}`;
  const sslBrokers = `127.0.0.1:${String(sslPort)}`;
  const pki = await makeKafkaPki(path.join(dir, 'pki'));
  // Security listeners besides PLAINTEXT, so the agent's SASL and TLS settings are tested for real:
  // SASL_PLAINTEXT with PLAIN and SCRAM users and OAUTHBEARER, and SSL that requires a client
  // certificate.
  const jaasUsers = Object.entries(SASL_USERS).map(([user, password]) => `user_${user}="${password}"`).join(' ');
  const controller = `127.0.0.1:${String(controllerPort)}`;
  const files = writeNodeConfig(dir, [
    ...kraftProperties({
      nodeId: 1,
      voters: `1@${controller}`,
      listeners: { PLAINTEXT: brokers, CONTROLLER: controller, SASL_PLAINTEXT: saslBrokers, SSL: sslBrokers, ...(podBrokers === undefined ? {} : { PODS: podBrokers }) },
      dataDir: path.join(dir, 'data'),
      // One node: every topic, internal ones too, must make do with one replica.
      replicationFactor: 1,
      minInsyncReplicas: 1,
    }),
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${jaasUsers};`,
    'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    // OAUTHBEARER with no server callback handler: Kafka's unsecured validator, which accepts
    // unsigned JWTs ({"alg":"none"}) with `sub` and `exp` (tests mint them). The login options
    // only give the broker's own (unused) client side a token.
    'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";',
    // Without a reauthentication bound an OAUTHBEARER connection outlives its token; with it the
    // broker caps each session at the token's exp, so a client must re-authenticate (KIP-368)
    // with a fresh token. Only this mechanism's sessions: PLAIN/SCRAM clients are unaffected.
    `listener.name.sasl_plaintext.oauthbearer.connections.max.reauth.ms=${String(OAUTHBEARER_MAX_REAUTH_MS)}`,
    'listener.name.ssl.ssl.keystore.type=PEM',
    `listener.name.ssl.ssl.keystore.location=${pki.brokerKeystore}`,
    'listener.name.ssl.ssl.truststore.type=PEM',
    `listener.name.ssl.ssl.truststore.location=${pki.caCert}`,
    'listener.name.ssl.ssl.client.auth=required',
  ]);
  const java = kafkaJava(libs, files, { min: '128m', max: '512m' });
  // SCRAM credentials live in the cluster metadata: KRaft takes them at format time.
  const scram = Object.entries(SASL_USERS).flatMap(([user, password]) => ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${user},password=${password}]`]));
  await formatStorage('kafka', java, files, clusterId(), scram);
  const kafka = await startDaemon({ name: 'kafka', command: java.command, args: [...java.jvm, 'kafka.Kafka', files.properties] });
  await waitUntilReady(kafka, 'serving (kafkajs describeCluster)', 90_000, () => kafkaHealthy(brokers));
  return {
    KAFKA_BROKERS: brokers,
    KAFKA_VERSION,
    KAFKA_SASL_BROKERS: saslBrokers,
    KAFKA_SASL_USERNAME: 'logshipper',
    KAFKA_SASL_PASSWORD: SASL_USERS.logshipper,
    KAFKA_OAUTHBEARER_MAX_REAUTH_MS: String(OAUTHBEARER_MAX_REAUTH_MS),
    KAFKA_SSL_BROKERS: sslBrokers,
    KAFKA_SSL_CA: pki.caCert,
    KAFKA_SSL_CLIENT_CERT: pki.clientCert,
    KAFKA_SSL_CLIENT_KEY: pki.clientKey,
    // The same broker as pods on the node reach it (their 127.0.0.1 is their own).
    ...(podBrokers === undefined ? {} : { KAFKA_POD_BROKERS: podBrokers }),
  };
}

/** Users of the SASL listener (PLAIN and SCRAM-SHA-256/512); test credentials, not secrets. */
const SASL_USERS = { logshipper: 'logshipper-test-password', other: 'other-test-password' } as const;

/** The longest an OAUTHBEARER session lasts before the client must re-authenticate (a token's exp ends it sooner). */
const OAUTHBEARER_MAX_REAUTH_MS = 60_000;
