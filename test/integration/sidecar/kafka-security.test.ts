// The Kafka sink's security settings against the test broker's SASL and TLS listeners:
// SASL PLAIN (JAAS line), SCRAM-SHA-512 (username/password from the environment), OAUTHBEARER
// (a token file), mutual TLS from separate PEM files; wrong credentials, a token the broker
// refuses and a missing client certificate deliver nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, readTopic, waitForRecords } from '../../helpers/kafka.ts';
import { startAgent } from '../../helpers/agent.ts';
import { requireEnv, uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';
import { tokenFor, unsecuredJwt } from '../../helpers/jwt.ts';

const EVENTS = 200;

async function ship(topic: string, sink: string[], drainMs = 60_000): Promise<{ exitCode: number | null; logs: Record<string, unknown>[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-security-'));
  const conf = join(dir, 'agent.properties');
  // The security listener's address comes with `sink` and wins over the default PLAINTEXT one.
  writeFileSync(conf, kafkaPipeline({ topic, source: ['type = seq', `totalEvents = ${EVENTS}`, 'batchSize = 50'], sink }));
  const agent = startAgent(conf, 'a', ['--drain-timeout', String(drainMs)]);
  return { exitCode: await agent.exited, logs: agent.logs };
}

async function expectDelivered(topic: string, sink: string[]): Promise<void> {
  await createTopic(topic);
  const { exitCode, logs } = await ship(topic, sink);
  assert.equal(exitCode, 0, logs.map((line) => JSON.stringify(line)).join('\n'));
  const records = await waitForRecords(topic, EVENTS);
  assert.deepEqual(records.map((r) => r.value), Array.from({ length: EVENTS }, (_, i) => String(i)));
}

/** Returns the agent's log. */
async function expectRefused(topic: string, sink: string[]): Promise<Record<string, unknown>[]> {
  await createTopic(topic);
  const { exitCode, logs } = await ship(topic, sink, 3000);
  assert.equal(exitCode, 1, 'undelivered events at the drain deadline');
  assert.ok(logs.some((line) => String(line['msg']).startsWith('delivery failed')));
  assert.equal((await readTopic(topic)).length, 0);
  return logs;
}

/** The sink settings for OAUTHBEARER through the SASL listener, the token in a file of its own. */
function oauthBearer(token: string): { sink: string[]; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'logshipper-oauth-')), 'token');
  writeFileSync(file, `${token}\n`);
  return {
    file,
    sink: [
      `kafka.bootstrap.servers = ${requireEnv('KAFKA_SASL_BROKERS')}`,
      'kafka.producer.security.protocol = SASL_PLAINTEXT',
      'kafka.producer.sasl.mechanism = OAUTHBEARER',
      `kafka.producer.sasl.oauthbearer.token.file = ${file}`,
    ],
  };
}

describe('Kafka sink security against real listeners', () => {
  it('SASL PLAIN with a JAAS line, as Flume configures it', async () => {
    await expectDelivered(uniqueName('sasl-plain'), [
      `kafka.bootstrap.servers = ${requireEnv('KAFKA_SASL_BROKERS')}`,
      'kafka.producer.security.protocol = SASL_PLAINTEXT',
      'kafka.producer.sasl.mechanism = PLAIN',
      `kafka.producer.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username="${requireEnv('KAFKA_SASL_USERNAME')}" password="${requireEnv('KAFKA_SASL_PASSWORD')}";`,
    ]);
  });

  it('SCRAM-SHA-512 with the password from the environment', async () => {
    // startAgent passes this process's environment on: ${KAFKA_SASL_PASSWORD} resolves there.
    await expectDelivered(uniqueName('sasl-scram'), [
      `kafka.bootstrap.servers = ${requireEnv('KAFKA_SASL_BROKERS')}`,
      'kafka.producer.security.protocol = SASL_PLAINTEXT',
      'kafka.producer.sasl.mechanism = SCRAM-SHA-512',
      `kafka.producer.sasl.username = ${requireEnv('KAFKA_SASL_USERNAME')}`,
      'kafka.producer.sasl.password = ${KAFKA_SASL_PASSWORD}',
    ]);
  });

  it('OAUTHBEARER with the token (an unsigned JWT, as the broker\'s unsecured validator takes) from a file', async () => {
    await expectDelivered(uniqueName('sasl-oauth'), oauthBearer(tokenFor(uniqueName('oauth-svc'), 3_600_000)).sink);
  });

  it('an OAUTHBEARER token the broker refuses (no sub claim) delivers nothing, and the log names its file', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { sink, file } = oauthBearer(unsecuredJwt({ exp: now + 3600 }));
    const logs = await expectRefused(uniqueName('sasl-oauth-refused'), sink);
    const reasons = logs.map((line) => String((line['err'] as { message?: unknown } | undefined)?.message));
    const expected = `SASL OAUTHBEARER: the broker ${requireEnv('KAFKA_SASL_BROKERS')} refused the token from a.sinks.k.kafka.producer.sasl.oauthbearer.token.file "${file}" (status invalid_token; the broker's log says why)`;
    assert.ok(reasons.includes(expected), reasons.join('\n'));
  });

  it('mutual TLS with CA, certificate and key as separate PEM files', async () => {
    await expectDelivered(uniqueName('mtls'), [
      `kafka.bootstrap.servers = ${requireEnv('KAFKA_SSL_BROKERS')}`,
      'kafka.producer.security.protocol = SSL',
      `kafka.producer.ssl.ca.location = ${requireEnv('KAFKA_SSL_CA')}`,
      `kafka.producer.ssl.certificate.location = ${requireEnv('KAFKA_SSL_CLIENT_CERT')}`,
      `kafka.producer.ssl.key.location = ${requireEnv('KAFKA_SSL_CLIENT_KEY')}`,
    ]);
  });

  it('a wrong SCRAM password delivers nothing', async () => {
    await expectRefused(uniqueName('sasl-wrong'), [
      `kafka.bootstrap.servers = ${requireEnv('KAFKA_SASL_BROKERS')}`,
      'kafka.producer.security.protocol = SASL_PLAINTEXT',
      'kafka.producer.sasl.mechanism = SCRAM-SHA-256',
      `kafka.producer.sasl.username = ${requireEnv('KAFKA_SASL_USERNAME')}`,
      'kafka.producer.sasl.password = not-the-password',
    ]);
  });

  it('TLS without a client certificate is refused by a broker that requires one', async () => {
    await expectRefused(uniqueName('tls-nocert'), [
      `kafka.bootstrap.servers = ${requireEnv('KAFKA_SSL_BROKERS')}`,
      'kafka.producer.security.protocol = SSL',
      `kafka.producer.ssl.ca.location = ${requireEnv('KAFKA_SSL_CA')}`,
    ]);
  });
});
