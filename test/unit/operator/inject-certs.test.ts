// The webhook's certificates without a cluster: the CA and serving certificate verify (chain, names,
// key usage, a real TLS handshake on 127.0.0.1), and the rotation plan over a fake clock: nothing
// to do while fresh, CA rotation keeps the old CA trusted and waits before signing with the new one,
// serving renewal before expiry, names changed, expired CAs dropped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:https';
import { connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  certificateNames, DEFAULT_CERT_POLICY, DirectoryCertificates, planCertificates, servingNames, splitPem, type CertPolicy, type ServingCertificate,
} from '../../../operator/certs.ts';
import { createMetrics } from '../../../operator/metrics.ts';
import { startWebhookServer } from '../../../operator/webhook.ts';
import { OPEN_POLICY } from '../../../operator/admin-policy.ts';

const DAY = 86_400_000;
const POLICY: CertPolicy = { caValidityMs: 300 * DAY, servingValidityMs: 90 * DAY, renewFraction: 1 / 3, caPropagationMs: 10 * 60_000 };
const NAMES = [...servingNames('logshipper-webhook', 'logshipper-system'), '127.0.0.1'];
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (days: number, extraMs = 0): Date => new Date(T0.getTime() + days * DAY + extraMs);

describe('webhook certificates', () => {
  it('a new CA and serving certificate: chain verifies, names and 127.0.0.1 as SANs, serverAuth, a TLS client trusting the CA connects', async () => {
    const { bundle, changes } = await planCertificates(undefined, NAMES, new Date(), DEFAULT_CERT_POLICY);
    assert.deepEqual(changes, ['created CA', 'issued serving certificate']);
    const ca = new X509Certificate(bundle.caCert);
    const serving = new X509Certificate(bundle.cert);
    assert.equal(ca.ca, true);
    assert.equal(serving.ca, false);
    assert.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey));
    assert.deepEqual(certificateNames(serving), NAMES);
    assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(serving.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');

    const server = createServer({ cert: bundle.cert, key: bundle.key }, (_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const socket = connect({ host: '127.0.0.1', port, ca: bundle.caCert });
    await once(socket, 'secureConnect');
    assert.equal(socket.authorized, true);
    socket.end();
    const other = connect({ host: '127.0.0.1', port, servername: 'logshipper-webhook.logshipper-system.svc', ca: bundle.caCert });
    await once(other, 'secureConnect');
    assert.equal(other.authorized, true);
    other.end();
    server.close();
  });

  it('rotation over time: fresh -> no change; CA at 2/3 of its life -> new CA first, old kept, serving unchanged; after propagation -> serving from the new CA', async () => {
    const first = await planCertificates(undefined, NAMES, T0, POLICY);
    assert.deepEqual((await planCertificates(first.bundle, NAMES, at(30), POLICY)).changes, []);

    // Serving certificate at 2/3 of 90 days: renewed from the same CA.
    const renewed = await planCertificates(first.bundle, NAMES, at(61), POLICY);
    assert.deepEqual(renewed.changes, ['renewed serving certificate before expiry']);
    assert.equal(renewed.bundle.caCert, first.bundle.caCert);
    assert.notEqual(renewed.bundle.cert, first.bundle.cert);

    // Renewed again (long expired by day 190: still renewed), then the CA at 2/3 of 300 days.
    const again = await planCertificates(renewed.bundle, NAMES, at(190), POLICY);
    assert.deepEqual(again.changes, ['renewed serving certificate before expiry']);
    const rotated = await planCertificates(again.bundle, NAMES, at(201), POLICY);
    assert.deepEqual(rotated.changes, ['rotated CA (the previous CA stays in the bundle until it expires)']);
    const cas = splitPem(rotated.bundle.caCert);
    assert.equal(cas.length, 2);
    assert.equal(cas[1], first.bundle.caCert, 'the old CA stays trusted');
    assert.equal(rotated.bundle.cert, again.bundle.cert, 'the serving certificate waits for the new CA to propagate');
    assert.equal(rotated.bundle.caRotatedAt, at(201).toISOString());
    assert.deepEqual((await planCertificates(rotated.bundle, NAMES, at(201, 60_000), POLICY)).changes, []);

    const switched = await planCertificates(rotated.bundle, NAMES, at(201, POLICY.caPropagationMs), POLICY);
    assert.deepEqual(switched.changes, ['reissued serving certificate from the new CA']);
    const newCa = new X509Certificate(cas[0] ?? '');
    assert.ok(new X509Certificate(switched.bundle.cert).checkIssued(newCa));

    // The old CA expires (day 300): it leaves the bundle.
    const dropped = await planCertificates(switched.bundle, NAMES, at(301), POLICY);
    assert.ok(dropped.changes.includes('dropped 1 expired CA(s) from the bundle'));
    assert.equal(splitPem(dropped.bundle.caCert).length, 1);
  });

  it('a wanted name missing (service renamed) -> reissued; a garbage Secret -> replaced', async () => {
    const first = await planCertificates(undefined, NAMES, T0, POLICY);
    const renamed = await planCertificates(first.bundle, [...NAMES, 'extra.example'], at(1), POLICY);
    assert.deepEqual(renamed.changes, ['reissued serving certificate (names changed)']);
    assert.ok(certificateNames(new X509Certificate(renamed.bundle.cert)).includes('extra.example'));
    const broken = await planCertificates({ caCert: 'x', caKey: 'y', cert: 'z', key: 'w', caRotatedAt: undefined }, NAMES, T0, POLICY);
    assert.deepEqual(broken.changes, ['replaced an unusable or expired CA', 'issued serving certificate']);
  });
});

describe('certificate reload', () => {
  const servedBy = async (port: number, ca: string): Promise<string> => {
    const socket = connect({ host: '127.0.0.1', port, ca });
    await once(socket, 'secureConnect');
    const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
    socket.end();
    return serial;
  };

  it('cert-manager mode: a changed tls.crt/tls.key in the directory is picked up, and the webhook server serves it to new connections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-certdir-'));
    const first = (await planCertificates(undefined, ['127.0.0.1'], new Date())).bundle;
    writeFileSync(join(dir, 'tls.crt'), first.cert);
    writeFileSync(join(dir, 'tls.key'), first.key);
    const source = new DirectoryCertificates(dir, 50, pino({ level: 'silent' }));
    const loaded = await source.start();
    assert.equal(loaded.cert, first.cert);
    const server = await startWebhookServer('127.0.0.1', 0, loaded, {
      inject: { defaultImage: 'x', defaultMode: 'native', policy: OPEN_POLICY }, strict: false, findShipper: () => Promise.resolve(undefined),
      recordEvent: () => undefined, metrics: createMetrics(), log: pino({ level: 'silent' }),
    });
    const changed = new Promise<ServingCertificate>((resolve) => {
      source.onChange(resolve);
    });
    source.onChange((next) => {
      server.setCertificate(next);
    });
    assert.equal(await servedBy(server.port, first.caCert), new X509Certificate(first.cert).serialNumber);

    // Same CA, new serving certificate (as cert-manager renews it).
    const second = (await planCertificates({ ...first, cert: '' }, ['127.0.0.1'], new Date())).bundle;
    writeFileSync(join(dir, 'tls.key'), second.key);
    writeFileSync(join(dir, 'tls.crt'), second.cert);
    assert.equal((await changed).cert, second.cert);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await servedBy(server.port, first.caCert), new X509Certificate(second.cert).serialNumber);
    source.stop();
    await server.close();
  });
});
