// The Kafka sink's client rebuild on a credential change (kafka-client.ts), with fake clients:
// the swap waits for deliveries in flight before it disconnects, an invalid new file keeps the
// old client, a file missing at start fails deliveries (to be retried) until it appears.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RotatingClients, type BuildClients, type KafkaClients } from '../../../sidecar/sinks/kafka-client.ts';
import { tokenFor } from '../../helpers/jwt.ts';
import { CredentialError, type KafkaCredentials } from '../../../sidecar/sinks/kafka-credentials.ts';
import type { KafkaSecurity } from '../../../sidecar/sinks/kafka-config.ts';
import { capturedLogger } from '../../helpers/captured-log.ts';
import { ConfigMapDir } from '../../helpers/configmap-dir.ts';

/** A fake client pair that records what happened to it, in one shared journal. */
function fakeBuilder(journal: string[]): { build: BuildClients; built: KafkaCredentials[]; bearerTokens: (() => string)[] } {
  const built: KafkaCredentials[] = [];
  const bearerTokens: (() => string)[] = [];
  const build = (credentials: KafkaCredentials, bearerToken: () => string): KafkaClients => {
    bearerTokens.push(bearerToken);
    const id = built.push(credentials);
    return {
      producer: {
        connect: () => Promise.resolve(void journal.push(`connect ${id}`)),
        disconnect: () => Promise.resolve(void journal.push(`disconnect ${id}`)),
        sendBatch: () => Promise.resolve([]),
      },
      admin: {
        connect: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
        describeConfigs: () => Promise.resolve({ resources: [], throttleTime: 0 }),
        describeCluster: () => Promise.resolve({ brokers: [], controller: null, clusterId: '' }),
      },
    };
  };
  return { build, built, bearerTokens };
}

function sasl(passwordFile: string): KafkaSecurity {
  return { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'scram-sha-512', username: { value: 'svc' }, password: { file: passwordFile, key: 'k.kafka.producer.sasl.password.file' } } };
}

const passwordOf = (credentials: KafkaCredentials | undefined): string | undefined => (credentials?.sasl !== undefined && 'password' in credentials.sasl ? credentials.sasl.password : undefined);

describe('Kafka client rebuild on a credential change', () => {
  it('waits for the deliveries in flight, then disconnects the old producer, then connects the new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-rotate-'));
    const file = join(dir, 'password');
    writeFileSync(file, 'one\n');
    const journal: string[] = [];
    const { build, built } = fakeBuilder(journal);
    const clients = new RotatingClients(sasl(file), ['b:1'], build, capturedLogger().log);
    const inFlight = await clients.acquire();
    writeFileSync(file, 'two\n');
    const rotation = clients.rotate();
    let nextTaken = false;
    const next = clients.acquire().then((lease) => {
      nextTaken = true;
      return lease;
    });
    await sleep(50);
    assert.deepEqual(journal, ['connect 1'], 'nothing is disconnected while a delivery is in flight');
    assert.equal(nextTaken, false, 'no new delivery starts during the swap');
    journal.push('in-flight delivery acknowledged');
    inFlight.release();
    await rotation;
    const lease = await next;
    assert.deepEqual(journal, ['connect 1', 'in-flight delivery acknowledged', 'disconnect 1', 'connect 2']);
    assert.deepEqual(built.map(passwordOf), ['one', 'two']);
    lease.release();
    await clients.close();
    assert.equal(journal.at(-1), 'disconnect 2');
  });

  it('refuses an empty or unreadable new file once, naming it, and keeps the running client until a valid one appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-rotate-'));
    const file = join(dir, 'password');
    writeFileSync(file, 'one');
    const journal: string[] = [];
    const { build, built } = fakeBuilder(journal);
    const { log, logs: lines } = capturedLogger();
    const clients = new RotatingClients(sasl(file), ['b:1'], build, log);
    (await clients.acquire()).release();
    writeFileSync(file, '');
    await clients.rotate();
    await clients.rotate();
    const refusals = lines.filter((line) => String(line['msg']).startsWith('new Kafka credentials refused'));
    assert.equal(refusals.length, 1, 'logged once, not on every look at the file');
    assert.equal(refusals[0]?.['file'], file);
    assert.match(String(refusals[0]['msg']), /sasl\.password\.file: ".*password" is empty: a file holding the SASL password is allowed; the client keeps its current credentials/);
    (await clients.acquire()).release();
    assert.deepEqual(built.map(passwordOf), ['one'], 'still the first client');
    writeFileSync(file, 'three');
    await clients.rotate();
    (await clients.acquire()).release();
    assert.deepEqual(built.map(passwordOf), ['one', 'three']);
    assert.deepEqual(journal, ['connect 1', 'disconnect 1', 'connect 2']);
    await clients.close();
  });

  it('fails deliveries with the file named while it is missing at start, and connects once it appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-rotate-'));
    const file = join(dir, 'password');
    const { build, built } = fakeBuilder([]);
    const clients = new RotatingClients(sasl(file), ['b:1'], build, capturedLogger().log);
    for (let attempt = 0; attempt < 3; attempt++) {
      await assert.rejects(clients.acquire(), (error: unknown) => error instanceof CredentialError && error.file === file && /cannot be read \(ENOENT/.test(error.message));
    }
    await assert.rejects(clients.readLimit('t'), /no Kafka client yet/);
    writeFileSync(file, 'late');
    (await clients.acquire()).release();
    assert.deepEqual(built.map(passwordOf), ['late']);
    await clients.close();
  });

  it('rebuilds on a kubelet-style ..data swap of the watched Secret volume', async () => {
    const volume = new ConfigMapDir({ password: 'one' });
    const journal: string[] = [];
    const { build, built } = fakeBuilder(journal);
    const { log, logs: lines } = capturedLogger();
    const clients = new RotatingClients(sasl(volume.path('password')), ['b:1'], build, log, { pollMs: 100 });
    clients.watch();
    (await clients.acquire()).release();
    for (const password of ['two', 'three', 'four']) {
      volume.update({ password });
      const deadline = Date.now() + 10_000;
      while (passwordOf(built.at(-1)) !== password && Date.now() < deadline) await sleep(20);
      (await clients.acquire()).release();
    }
    assert.deepEqual(built.map(passwordOf), ['one', 'two', 'three', 'four']);
    assert.equal(lines.filter((line) => String(line['msg']).startsWith('Kafka credentials changed')).length, 3);
    await clients.close();
  });

  it('hands a new OAUTHBEARER token for the same principal to the running client (its next re-authentication takes it), and rebuilds for a new principal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-rotate-'));
    const file = join(dir, 'token');
    const security: KafkaSecurity = { protocol: 'SASL_SSL', sasl: { mechanism: 'oauthbearer', token: { file, key: 'k.kafka.producer.sasl.oauthbearer.token.file' } } };
    const journal: string[] = [];
    const { build, built, bearerTokens } = fakeBuilder(journal);
    const { log, logs: lines } = capturedLogger();
    const clients = new RotatingClients(security, ['b:1'], build, log);
    const first = tokenFor('svc', 60_000);
    writeFileSync(file, `${first}\n`);
    (await clients.acquire()).release();
    const [running] = bearerTokens;
    assert.ok(running);
    assert.equal(running(), first);
    const second = tokenFor('svc', 120_000);
    writeFileSync(file, second);
    await clients.rotate();
    assert.equal(built.length, 1, 'no new client');
    assert.equal(running(), second, 'the running client authenticates with the new token');
    assert.deepEqual(journal, ['connect 1']);
    const changed = lines.find((line) => String(line['msg']).startsWith('OAUTHBEARER token changed'));
    assert.equal(changed?.['tokenSubject'], 'svc');
    assert.equal(JSON.stringify(lines).includes(second), false, 'the token is never logged');
    writeFileSync(file, '');
    await clients.rotate();
    assert.equal(running(), second, 'an empty file is refused: the last good token stays');
    const other = tokenFor('other-svc', 60_000);
    writeFileSync(file, other);
    await clients.rotate();
    (await clients.acquire()).release();
    assert.equal(built.length, 2, 'brokers refuse a re-authentication as another principal: a new client');
    assert.equal(bearerTokens[1]?.(), other);
    assert.deepEqual(journal, ['connect 1', 'disconnect 1', 'connect 2']);
    await clients.close();
  });
});
