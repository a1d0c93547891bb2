// Kafka credentials rotated under a running agent (a real process shipping a file that grows all
// along) against the test broker's SASL and SSL listeners, the credential files laid out and
// swapped as a kubelet does for a Secret volume. Each rotation is looped; every line written is
// counted against the topic as a multiset, per phase (the lines written between two steps).
//  - SCRAM: the user's password is changed on the broker, then the password file; a half-written
//    (empty) file first, which must be refused while the old client keeps delivering.
//  - TLS: a truncated certificate (refused), then a pair the broker does not trust (the agent
//    uses it: deliveries stop), then a new pair from the broker's CA (deliveries resume).
//  - A kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) as the operator renders and mounts it:
//    a new certificate with the old key (a Secret updated one key at a time) is refused, the
//    new pair is used, each time.
//  - OAUTHBEARER: short-lived tokens replaced before they expire; the broker ends each session at
//    its token's exp unless the client re-authenticates (test/env/kafka.ts), so deliveries after an
//    old token's exp prove a new one was used. A missing, then an empty, then an expired token.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { createTopic, deleteTopics, readTopic } from '../../helpers/kafka.ts';
import { getJson, httpPort, startAgent, type RunningAgent } from '../../helpers/agent.ts';
import { requireEnv, uniqueName } from '../../helpers/env.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';
import { ConfigMapDir } from '../../helpers/configmap-dir.ts';
import { multisetDiff } from '../../helpers/multiset.ts';
import { deleteScramUser, issueClientPair, setScramPassword } from '../../helpers/kafka-credentials.ts';
import { tokenFor } from '../../helpers/jwt.ts';
import { render } from '../../../operator/render.ts';
import { resolveSpec } from '../../../operator/spec.ts';
import type { LogShipperSpec } from '../../../operator/crd-types.ts';
import {
  AGENT_NAME, clientCertificateFiles, LOG_VOLUME_MOUNT_PATH, POSITION_FILE_PATH, SINK_NAME, TLS_CA_FILE_PATH, TLS_CA_MOUNT_PATH, TLS_CLIENT_MOUNT_PATH,
} from '../../../operator/sidecar-layout.ts';

const ROTATIONS = 3;
/**
 * OAUTHBEARER tokens live this long, replaced a third into their life, as token issuers do well
 * before the end: kafkajs re-authenticates in the last 10 s of a session, and a session ends at
 * its token's exp (test/env/kafka.ts), so connections re-authenticate with each new token.
 */
const TOKEN_LIFETIME_MS = 30_000;
const TOKEN_ROTATIONS = 4;
/** A token nobody replaces, to see the broker refuse it once expired. */
const SHORT_TOKEN_MS = 15_000;

/** A JWT's exp in epoch ms. */
function expiryOf(token: string): number {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number };
  return claims.exp * 1000;
}
/** Lines appended every WRITE_EVERY_MS: about 2000 lines/s in batches of 20, so that swaps find deliveries in flight. */
const LINES_PER_WRITE = 50;
const WRITE_EVERY_MS = 25;

/** Every topic made here, deleted after the suite. */
const topics: string[] = [];

/** Appends numbered lines of the current phase to a log file until stopped; remembers every line. */
class Writer {
  readonly file: string;
  readonly written: string[] = [];
  phase = 0;
  private readonly timer: NodeJS.Timeout;
  private n = 0;

  constructor(file: string) {
    this.file = file;
    writeFileSync(file, '');
    this.timer = setInterval(() => {
      const lines = Array.from({ length: LINES_PER_WRITE }, () => `phase${this.phase}-${String(++this.n)}`);
      appendFileSync(file, lines.map((line) => `${line}\n`).join(''));
      this.written.push(...lines);
    }, WRITE_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

interface Running {
  agent: RunningAgent;
  writer: Writer;
  topic: string;
  port: number;
  /** The sink's name in /readyz. */
  sink: string;
}

/** Where the agent's configuration puts things: the log file (the writer's) and the position file. */
interface ShippingPaths {
  logDir: string;
  positionFile: string;
  topic: string;
}

/** An agent configuration for `paths`: its text, agent name and sink name. */
type ShippingConfig = (paths: ShippingPaths) => { text: string; agent: string; sink: string };

/** The agent configuration most tests here use: TAILDIR of the writer's file -> memory -> Kafka with `sink`'s settings. */
function pipelineConfig(sink: string[]): ShippingConfig {
  return ({ logDir, positionFile, topic }) => ({
    agent: 'a',
    sink: 'k',
    text: kafkaPipeline({
      topic,
      source: ['type = TAILDIR', 'filegroups = g', `filegroups.g = ${join(logDir, 'app.log')}`, `positionFile = ${positionFile}`, 'batchSize = 20'],
      channel: ['capacity = 100000', 'transactionCapacity = 20'],
      sink: ['flumeBatchSize = 20', ...sink],
    }),
  });
}

async function startShipping(prefix: string, sink: string[] | ShippingConfig): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `logshipper-${prefix}-`));
  mkdirSync(join(dir, 'logs'));
  const topic = uniqueName(prefix);
  await createTopic(topic);
  topics.push(topic);
  const writer = new Writer(join(dir, 'logs', 'app.log'));
  const conf = join(dir, 'agent.properties');
  const config = (Array.isArray(sink) ? pipelineConfig(sink) : sink)({ logDir: join(dir, 'logs'), positionFile: join(dir, 'positions.json'), topic });
  writeFileSync(conf, config.text);
  const agent = startAgent(conf, config.agent, ['--drain-timeout', '30000']);
  try {
    return { agent, writer, topic, port: await httpPort(agent), sink: config.sink };
  } catch (error) {
    abandon({ agent, writer });
    throw error;
  }
}

/** Waits until every line written so far is in the topic (at least once), returning the records' values. */
async function waitDelivered(running: Running, timeoutMs = 60_000): Promise<string[]> {
  const expected = running.writer.written.length;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const values = (await readTopic(running.topic)).map((record) => record.value);
    const found = new Set(values);
    if (running.writer.written.slice(0, expected).every((line) => found.has(line))) return values;
    if (Date.now() > deadline) assert.fail(`${running.topic}: ${expected - found.size} of ${expected} lines not delivered within ${timeoutMs} ms`);
    await sleep(500);
  }
}

async function waitForCount(agent: RunningAgent, message: string, count: number, timeoutMs = 30_000): Promise<Record<string, unknown>[]> {
  const matching = (): Record<string, unknown>[] => agent.logs.filter((line) => String(line['msg']).startsWith(message));
  await agent.waitForLog(() => matching().length >= count, timeoutMs);
  return matching();
}

/** Stops writing and the agent, then counts every phase's lines against the topic. */
async function finish(running: Running): Promise<{ phases: { phase: number; written: number; missing: number; extra: number }[]; duplicates: string[] }> {
  running.writer.stop();
  await waitDelivered(running);
  running.agent.process.kill('SIGTERM');
  assert.equal(await running.agent.exited, 0, 'the agent drained and exited cleanly');
  const found = (await readTopic(running.topic)).map((record) => record.value);
  const phases = [...new Set(running.writer.written.map((line) => line.split('-')[0]))].map((name) => {
    const written = running.writer.written.filter((line) => line.startsWith(`${name ?? ''}-`));
    const diff = multisetDiff(written, found.filter((line) => line.startsWith(`${name ?? ''}-`)));
    return { phase: Number(name?.slice('phase'.length)), written: written.length, ...diff };
  });
  const seen = new Set<string>();
  const duplicates = found.filter((line) => seen.has(line) || !seen.add(line));
  const swaps = running.agent.logs.filter((line) => String(line['msg']).startsWith('Kafka credentials changed'));
  if (swaps.length > 0) console.log(`${running.topic}: ${String(swaps.length)} client rebuilds, waiting for ${swaps.map((line) => String(line['waitedForDeliveries'])).join(', ')} deliveries in flight`);
  return { phases, duplicates };
}

/** The sink settings for SCRAM through the SASL listener, the credentials read from `volume`'s files. */
function scramFromFiles(volume: ConfigMapDir): string[] {
  return [
    `kafka.bootstrap.servers = ${requireEnv('KAFKA_SASL_BROKERS')}`,
    'kafka.producer.security.protocol = SASL_PLAINTEXT',
    'kafka.producer.sasl.mechanism = SCRAM-SHA-512',
    `kafka.producer.sasl.username.file = ${volume.path('username')}`,
    `kafka.producer.sasl.password.file = ${volume.path('password')}`,
  ];
}

/**
 * What the operator renders for a LogShipper whose client certificate is a kubernetes.io/tls
 * Secret, the CA its ca.crt, to the SSL listener: the sidecar's paths pointed at this run's log
 * directory and at the Secret volumes `ca` and `client`.
 */
function renderedWithTlsSecret(ca: ConfigMapDir, client: ConfigMapDir): ShippingConfig {
  return ({ logDir, positionFile, topic }) => {
    const rendered = render(resolveSpec(TLS_SECRET_SPEC(topic)), { namespace: 'shop', name: 'app' });
    assert.deepEqual(rendered.env, [], 'no variable the test would have to set');
    const text = rendered.text.replaceAll(POSITION_FILE_PATH, positionFile).replaceAll(LOG_VOLUME_MOUNT_PATH, logDir)
      .replaceAll(TLS_CA_MOUNT_PATH, ca.dir).replaceAll(TLS_CLIENT_MOUNT_PATH, client.dir);
    return { text, agent: AGENT_NAME, sink: SINK_NAME };
  };
}

const TLS_SECRET_SPEC = (topic: string): LogShipperSpec => ({
  volume: 'logs',
  files: [{ path: 'app.log' }],
  kafka: { brokers: [requireEnv('KAFKA_SSL_BROKERS')], topic, batchSize: 20, tls: { ca: { secretName: 'app-tls' }, clientCertificate: { secretName: 'app-tls', format: 'KubernetesTLS' } } },
});

/** A kubernetes.io/tls Secret's data as the injector mounts it: the CA volume's file and the client volume's files. */
function tlsSecretVolumes(data: Record<string, string>): { ca: Record<string, string>; client: Record<string, string> } {
  const tls = resolveSpec(TLS_SECRET_SPEC('t')).kafka.tls;
  assert.ok(tls?.ca !== undefined && tls.clientCertificate !== undefined);
  return {
    ca: { [basename(TLS_CA_FILE_PATH)]: data[tls.ca.key] ?? '' },
    client: Object.fromEntries(clientCertificateFiles(tls.clientCertificate).map((file) => [basename(file.path), data[file.key] ?? ''])),
  };
}

/** The sink settings for OAUTHBEARER through the SASL listener, the token read from `volume`'s file. */
function oauthFromFile(volume: ConfigMapDir): string[] {
  return [
    `kafka.bootstrap.servers = ${requireEnv('KAFKA_SASL_BROKERS')}`,
    'kafka.producer.security.protocol = SASL_PLAINTEXT',
    'kafka.producer.sasl.mechanism = OAUTHBEARER',
    `kafka.producer.sasl.oauthbearer.token.file = ${volume.path('token')}`,
  ];
}

/** After a client rebuild: the lines written since are delivered and the sink is READY. */
async function deliversAgain(running: Running): Promise<void> {
  await sleep(1000);
  await waitDelivered(running);
  assert.equal((await readiness(running)).status, 'READY');
}

/** Stops the writer and the agent, reports the phases, and asserts every phase clean: every line once. */
async function assertEveryLineOnce(running: Running, label: string): Promise<void> {
  const { phases, duplicates } = await finish(running);
  const clean = phases.filter((phase) => phase.missing === 0 && phase.extra === 0);
  console.log(`${label}: ${String(phases.reduce((sum, phase) => sum + phase.written, 0))} lines, phases ${JSON.stringify(phases)}, duplicates ${String(duplicates.length)}${duplicates.length > 0 ? ` (first: ${duplicates.slice(0, 5).join(', ')})` : ''}`);
  assert.equal(clean.length, phases.length, `phases clean: ${String(clean.length)} of ${String(phases.length)}`);
}

/** After a failed step: nothing left running. */
function abandon(running: Pick<Running, 'agent' | 'writer'>): void {
  running.writer.stop();
  running.agent.process.kill('SIGKILL');
}

async function readiness(running: Running): Promise<{ status: string; lastError: string | null }> {
  const body = (await getJson(running.port, '/readyz')).body as { sinks: Record<string, { status: string; lastError: string | null }> };
  const sink = body.sinks[running.sink];
  assert.ok(sink);
  return sink;
}

describe('Kafka credentials rotated under a running agent, against the real broker', () => {
  const users: string[] = [];
  after(async () => {
    for (const user of users) await deleteScramUser(user);
    await deleteTopics(topics);
  });

  it(`SCRAM: the password changed on the broker then in the Secret volume, ${ROTATIONS} times, an empty file refused first: every line once`, async () => {
    const user = uniqueName('rotation');
    users.push(user);
    await setScramPassword(user, 'password-0');
    const volume = new ConfigMapDir({ username: `${user}\n`, password: 'password-0\n' });
    const running = await startShipping('scram-rotation', scramFromFiles(volume));
    try {
      await running.agent.waitForLog((line) => line['msg'] === 'connected to Kafka');
      for (let rotation = 1; rotation <= ROTATIONS; rotation++) {
        running.writer.phase = rotation * 2 - 1;
        await waitDelivered(running);
        // A half-written file: refused, naming the file; the client keeps its password and keeps delivering.
        volume.update({ username: `${user}\n`, password: '' });
        const refused = await waitForCount(running.agent, 'new Kafka credentials refused', rotation);
        assert.equal(refused.at(-1)?.['file'], volume.path('password'));
        await waitDelivered(running);
        const password = `password-${String(rotation)}`;
        await setScramPassword(user, password);
        await assert.rejects(scramProbe(user, `password-${String(rotation - 1)}`), 'the old password no longer authenticates');
        running.writer.phase = rotation * 2;
        volume.update({ username: `${user}\n`, password: `${password}\n` });
        const rebuilt = await waitForCount(running.agent, 'Kafka credentials changed', rotation);
        assert.equal(rebuilt.at(-1)?.['saslUsername'], user);
        // Lines written after the swap arrive: the new connection authenticated with the new password.
        await deliversAgain(running);
      }
    } catch (error) {
      abandon(running);
      throw error;
    }
    await assertEveryLineOnce(running, 'SCRAM rotation');
    assert.equal(running.agent.logs.filter((line) => line['level'] === 'fatal').length, 0);
  });

  it('SASL password file missing at start (Secret not created yet): the agent stays up, says which file in the log and /readyz, and delivers every line once it appears', async () => {
    const user = uniqueName('rotation');
    users.push(user);
    await setScramPassword(user, 'late-password');
    // An optional Secret volume whose Secret does not exist yet: the username is there, the password not.
    const volume = new ConfigMapDir({ username: user });
    const running = await startShipping('scram-missing', scramFromFiles(volume));
    try {
      const failed = await running.agent.waitForLog((line) => String(line['msg']).startsWith('delivery failed'));
      const reason = String((failed['err'] as { message?: unknown } | undefined)?.message);
      assert.ok(reason.includes(`sasl.password.file: "${volume.path('password')}" cannot be read (ENOENT`), reason);
      await sleep(3000);
      const sink = await readiness(running);
      assert.equal(sink.status, 'BACKOFF');
      assert.match(sink.lastError ?? '', /sasl\.password\.file: ".*password" cannot be read \(ENOENT/);
      assert.equal(running.agent.process.exitCode, null, 'the agent keeps running');
      volume.update({ username: user, password: 'late-password\n' });
      await waitDelivered(running);
      assert.equal((await readiness(running)).status, 'READY');
    } catch (error) {
      abandon(running);
      throw error;
    }
    await assertEveryLineOnce(running, 'SASL file missing at start');
  });

  it(`TLS: the client certificate replaced ${ROTATIONS} times (a truncated file refused, an untrusted pair used and refused by the broker, then a new pair from its CA): every line once`, async () => {
    const pki = mkdtempSync(join(tmpdir(), 'logshipper-rotation-pki-'));
    const ca = readFileSync(requireEnv('KAFKA_SSL_CA'), 'utf8');
    const first = await issueClientPair(pki, 'logshipper-rotation-0');
    const volume = new ConfigMapDir({ 'ca.crt': ca, 'keystore.pem': first.keystore });
    const running = await startShipping('tls-rotation', [
      `kafka.bootstrap.servers = ${requireEnv('KAFKA_SSL_BROKERS')}`,
      'kafka.producer.security.protocol = SSL',
      `kafka.producer.ssl.truststore.location = ${volume.path('ca.crt')}`,
      `kafka.producer.ssl.keystore.location = ${volume.path('keystore.pem')}`,
    ]);
    try {
      await running.agent.waitForLog((line) => line['msg'] === 'connected to Kafka');
      let rebuilds = 0;
      for (let rotation = 1; rotation <= ROTATIONS; rotation++) {
        running.writer.phase = rotation * 3 - 2;
        await waitDelivered(running);
        const current = readFileSync(volume.path('keystore.pem'), 'utf8');
        volume.update({ 'ca.crt': ca, 'keystore.pem': current.slice(0, current.length - 200) });
        const refused = await waitForCount(running.agent, 'new Kafka credentials refused', rotation);
        assert.equal(refused.at(-1)?.['file'], volume.path('keystore.pem'));
        await waitDelivered(running);

        // A pair the broker does not trust: used (the client is rebuilt with it), so deliveries stop.
        const untrusted = await issueClientPair(pki, `logshipper-untrusted-${String(rotation)}`, { selfSigned: true });
        running.writer.phase = rotation * 3 - 1;
        volume.update({ 'ca.crt': ca, 'keystore.pem': untrusted.keystore });
        const withUntrusted = await waitForCount(running.agent, 'Kafka credentials changed', ++rebuilds);
        assert.equal(withUntrusted.at(-1)?.['certificateSerial'], untrusted.serial);
        const deadline = Date.now() + 30_000;
        while ((await readiness(running)).status !== 'BACKOFF' && Date.now() < deadline) await sleep(200);
        const failing = await readiness(running);
        assert.equal(failing.status, 'BACKOFF', 'the broker refuses the untrusted certificate');
        assert.notEqual(failing.lastError, null);

        const issued = await issueClientPair(pki, `logshipper-rotation-${String(rotation)}`);
        running.writer.phase = rotation * 3;
        volume.update({ 'ca.crt': ca, 'keystore.pem': issued.keystore });
        const withIssued = await waitForCount(running.agent, 'Kafka credentials changed', ++rebuilds);
        assert.equal(withIssued.at(-1)?.['certificateSerial'], issued.serial);
        assert.match(String(withIssued.at(-1)?.['certificateSubject']), new RegExp(`CN=logshipper-rotation-${String(rotation)}`));
        await deliversAgain(running);
      }
    } catch (error) {
      abandon(running);
      throw error;
    }
    await assertEveryLineOnce(running, 'TLS rotation');
  });

  it(`kubernetes.io/tls Secret as the operator renders it: the pair replaced ${ROTATIONS} times (a new certificate with the old key refused first): every line once`, async () => {
    const pki = mkdtempSync(join(tmpdir(), 'logshipper-rotation-pki-'));
    const caPem = readFileSync(requireEnv('KAFKA_SSL_CA'), 'utf8');
    let pair = await issueClientPair(pki, 'logshipper-tls-secret-0');
    const secret = (certificate: string, privateKey: string): ReturnType<typeof tlsSecretVolumes> => tlsSecretVolumes({ 'ca.crt': caPem, 'tls.crt': certificate, 'tls.key': privateKey });
    const first = secret(pair.certificate, pair.privateKey);
    const ca = new ConfigMapDir(first.ca);
    const client = new ConfigMapDir(first.client);
    const running = await startShipping('tls-secret', renderedWithTlsSecret(ca, client));
    try {
      await running.agent.waitForLog((line) => line['msg'] === 'connected to Kafka');
      for (let rotation = 1; rotation <= ROTATIONS; rotation++) {
        running.writer.phase = rotation * 2 - 1;
        await waitDelivered(running);
        const next = await issueClientPair(pki, `logshipper-tls-secret-${String(rotation)}`);
        // The Secret updated one key at a time: the new certificate beside the old key. Refused, naming the key file.
        client.update(secret(next.certificate, pair.privateKey).client);
        const refused = await waitForCount(running.agent, 'new Kafka credentials refused', rotation);
        assert.equal(refused.at(-1)?.['file'], client.path('tls.key'));
        assert.match(String(refused.at(-1)?.['msg']), new RegExp(`holds a private key that does not match the client certificate in ".*tls\\.crt" \\(serial ${next.serial}\\)`));
        await waitDelivered(running);
        running.writer.phase = rotation * 2;
        client.update(secret(next.certificate, next.privateKey).client);
        const rebuilt = await waitForCount(running.agent, 'Kafka credentials changed', rotation);
        assert.equal(rebuilt.at(-1)?.['certificateSerial'], next.serial);
        await deliversAgain(running);
        pair = next;
      }
    } catch (error) {
      abandon(running);
      throw error;
    }
    await assertEveryLineOnce(running, 'kubernetes.io/tls Secret rotation');
  });

  it(`OAUTHBEARER: ${String(TOKEN_LIFETIME_MS / 1000)} s tokens, each replaced a third into its life, ${String(TOKEN_ROTATIONS)} times (re-authentication, no new client), then one for another principal (a new client): every line once, no delivery failed`, async () => {
    const sub = uniqueName('oauth-svc');
    const first = tokenFor(sub, TOKEN_LIFETIME_MS);
    const volume = new ConfigMapDir({ token: `${first}\n` });
    const running = await startShipping('oauth-rotation', oauthFromFile(volume));
    try {
      await running.agent.waitForLog((line) => line['msg'] === 'connected to Kafka');
      for (let rotation = 1; rotation <= TOKEN_ROTATIONS; rotation++) {
        await sleep(TOKEN_LIFETIME_MS / 3);
        running.writer.phase = rotation;
        volume.update({ token: `${tokenFor(sub, TOKEN_LIFETIME_MS)}\n` });
        const changed = await waitForCount(running.agent, 'OAUTHBEARER token changed', rotation);
        assert.equal(changed.at(-1)?.['tokenSubject'], sub);
      }
      // The broker ended every session of the first tokens at their exp: what is delivered from
      // now on was sent by connections that re-authenticated with a later token.
      assert.ok(Date.now() > expiryOf(first), 'the first token has expired');
      running.writer.phase = TOKEN_ROTATIONS + 1;
      await deliversAgain(running);
      running.writer.phase = TOKEN_ROTATIONS + 2;
      const other = uniqueName('oauth-other');
      volume.update({ token: tokenFor(other, 3_600_000) });
      const rebuilt = await waitForCount(running.agent, 'Kafka credentials changed', 1);
      assert.equal(rebuilt.at(-1)?.['tokenSubject'], other);
      await deliversAgain(running);
    } catch (error) {
      abandon(running);
      throw error;
    }
    const failures = running.agent.logs.filter((line) => String(line['msg']).startsWith('delivery failed'));
    assert.deepEqual(failures, [], 'no delivery failed: every connection re-authenticated in time, no request between its SASL requests');
    assert.equal(JSON.stringify(running.agent.logs).includes(first), false, 'no token in the log');
    await assertEveryLineOnce(running, 'OAUTHBEARER rotation');
  });

  it('OAUTHBEARER: token file missing at start, then written, then emptied (refused, the last token kept) and expired in use (the broker refuses it): the log names the file; every line once', async () => {
    const volume = new ConfigMapDir({});
    const running = await startShipping('oauth-missing', oauthFromFile(volume));
    try {
      const failed = await running.agent.waitForLog((line) => String(line['msg']).startsWith('delivery failed'));
      const reason = String((failed['err'] as { message?: unknown } | undefined)?.message);
      assert.ok(reason.includes(`sasl.oauthbearer.token.file: "${volume.path('token')}" cannot be read (ENOENT`), reason);
      await sleep(3000);
      const sink = await readiness(running);
      assert.equal(sink.status, 'BACKOFF');
      assert.match(sink.lastError ?? '', /sasl\.oauthbearer\.token\.file: ".*token" cannot be read \(ENOENT/);
      const sub = uniqueName('oauth-late');
      running.writer.phase = 1;
      volume.update({ token: tokenFor(sub, SHORT_TOKEN_MS) });
      await deliversAgain(running);
      running.writer.phase = 2;
      volume.update({ token: '' });
      const refused = await waitForCount(running.agent, 'new Kafka credentials refused', 1);
      assert.equal(refused.at(-1)?.['file'], volume.path('token'));
      assert.match(String(refused.at(-1)?.['msg']), /sasl\.oauthbearer\.token\.file: ".*token" is empty: a file holding an OAUTHBEARER token \(one line, e\.g\. a JWT\) is allowed; the client keeps its current credentials/);
      await waitDelivered(running);
      // No fresh token comes: once the kept one has expired, the broker refuses the re-authentication.
      const refusedByBroker = await running.agent.waitForLog((line) => /refused the token from .*token\.file ".*token" \(status invalid_token.*\): the token expired at /.test(String((line['err'] as { message?: unknown } | undefined)?.message)), SHORT_TOKEN_MS * 2);
      assert.ok(refusedByBroker);
      assert.equal((await readiness(running)).status, 'BACKOFF');
      running.writer.phase = 3;
      volume.update({ token: tokenFor(sub, 3_600_000) });
      await deliversAgain(running);
    } catch (error) {
      abandon(running);
      throw error;
    }
    await assertEveryLineOnce(running, 'OAUTHBEARER file missing, emptied, expired');
  });
});

/** Connects to the SASL listener as `user` with `password` (rejects when the broker refuses it). */
async function scramProbe(user: string, password: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'logshipper-rotation-probe', brokers: [requireEnv('KAFKA_SASL_BROKERS')], logLevel: logLevel.NOTHING,
    sasl: { mechanism: 'scram-sha-512', username: user, password }, retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}
