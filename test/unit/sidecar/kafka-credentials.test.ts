// Reading and checking the Kafka credential files (kafka-credentials.ts). The fixtures in
// test/fixtures/tls are two self-signed EC pairs made for these tests only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bearerTokenOf, connectionDigest, CredentialError, credentialFiles, credentialsDigest, describeCredentials, loadCredentials, type KafkaCredentials } from '../../../sidecar/sinks/kafka-credentials.ts';
import type { KafkaSecurity } from '../../../sidecar/sinks/kafka-config.ts';
import { unsecuredJwt } from '../../helpers/jwt.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/tls/${name}`, import.meta.url), 'utf8');
const A_CRT = fixture('a.crt');
const A_KEY = fixture('a.key');
const B_CRT = fixture('b.crt');

const SSL: KafkaSecurity = {
  protocol: 'SSL',
  tls: { ca: { file: '/t/ca.crt', key: 'ssl.ca.location' }, cert: { file: '/t/tls.crt', key: 'ssl.certificate.location' }, key: { file: '/t/tls.key', key: 'ssl.key.location' }, verifyHostname: true },
};
const SASL: KafkaSecurity = {
  protocol: 'SASL_PLAINTEXT',
  sasl: { mechanism: 'scram-sha-512', username: { value: 'svc' }, password: { file: '/s/password', key: 'sasl.password.file' } },
};

const OAUTH: KafkaSecurity = { protocol: 'SASL_SSL', sasl: { mechanism: 'oauthbearer', token: { file: '/o/token', key: 'sasl.oauthbearer.token.file' } } };

function reader(files: Record<string, string>): (file: string) => string {
  return (file) => {
    const text = files[file];
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${file}'`);
    return text;
  };
}

function refusal(security: KafkaSecurity, files: Record<string, string>, now?: number): CredentialError {
  try {
    loadCredentials(security, reader(files), now);
  } catch (error) {
    if (error instanceof CredentialError) return error;
    throw error;
  }
  assert.fail('the credentials were accepted');
}

describe('Kafka credential files', () => {
  it('reads separate CA, certificate and key files, and a PEM keystore holding both', () => {
    const separate = loadCredentials(SSL, reader({ '/t/ca.crt': B_CRT, '/t/tls.crt': A_CRT, '/t/tls.key': A_KEY }));
    assert.deepEqual(separate.tls, { ca: B_CRT.trim(), cert: A_CRT.trim(), key: A_KEY.trim(), verifyHostname: true });
    const keystore = { file: '/t/keystore.pem', key: 'ssl.keystore.location' };
    const combined = loadCredentials({ protocol: 'SSL', tls: { cert: keystore, key: keystore, verifyHostname: false } }, reader({ '/t/keystore.pem': `${A_KEY}${A_CRT}` }));
    assert.deepEqual(combined.tls, { cert: A_CRT.trim(), key: A_KEY.trim(), verifyHostname: false });
    assert.deepEqual(credentialFiles({ protocol: 'SSL', tls: { cert: keystore, key: keystore, verifyHostname: false } }), ['/t/keystore.pem']);
    assert.deepEqual(credentialFiles(SSL), ['/t/ca.crt', '/t/tls.crt', '/t/tls.key']);
    assert.match(describeCredentials(separate)['certificateSubject'] ?? '', /CN=logshipper-unit-test-a/);
  });

  it('refuses a missing, truncated or unparsable PEM file, and a key of another certificate, naming the file and its setting', () => {
    const good = { '/t/ca.crt': B_CRT, '/t/tls.crt': A_CRT, '/t/tls.key': A_KEY };
    const cases: [string, Record<string, string>, RegExp][] = [
      ['missing key', { '/t/ca.crt': B_CRT, '/t/tls.crt': A_CRT }, /^ssl\.key\.location: "\/t\/tls\.key" cannot be read \(ENOENT/],
      ['empty certificate', { ...good, '/t/tls.crt': '' }, /^ssl\.certificate\.location: "\/t\/tls\.crt" holds no PEM certificate/],
      ['cut mid-write', { ...good, '/t/tls.crt': A_CRT.slice(0, 300) }, /^ssl\.certificate\.location: "\/t\/tls\.crt" holds no PEM certificate/],
      ['second block cut', { ...good, '/t/ca.crt': B_CRT + A_CRT.slice(0, 100) }, /^ssl\.ca\.location: "\/t\/ca\.crt" holds an incomplete PEM certificate/],
      ['garbage inside', { ...good, '/t/tls.crt': A_CRT.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!!!!!!!!!!!!!!!!!') }, /^ssl\.certificate\.location: "\/t\/tls\.crt" holds an unparsable PEM certificate/],
      ['broken key', { ...good, '/t/tls.key': A_KEY.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA') }, /^ssl\.key\.location: "\/t\/tls\.key" holds an unparsable PEM private key/],
      ['mismatched pair', { ...good, '/t/tls.crt': B_CRT }, /^ssl\.key\.location: "\/t\/tls\.key" holds a private key that does not match the client certificate in "\/t\/tls\.crt"/],
    ];
    for (const [name, files, expected] of cases) {
      const error = refusal(SSL, files);
      assert.match(error.message, expected, name);
      assert.equal(error.message.startsWith(`${error.key}: "${error.file}" `), true, name);
    }
  });

  it('reads the SASL password file without its final line break, and refuses an empty one', () => {
    assert.deepEqual(loadCredentials(SASL, reader({ '/s/password': 'p4ss\n' })).sasl, { mechanism: 'scram-sha-512', username: 'svc', password: 'p4ss' });
    assert.deepEqual(loadCredentials(SASL, reader({ '/s/password': ' p4ss \n\n' })).sasl, { mechanism: 'scram-sha-512', username: 'svc', password: ' p4ss \n' }, 'only one final line break is not part of the value');
    for (const empty of ['', '\n', '\r\n']) {
      assert.match(refusal(SASL, { '/s/password': empty }).message, /^sasl\.password\.file: "\/s\/password" is empty: a file holding the SASL password is allowed$/);
    }
    assert.match(refusal(SASL, {}).message, /^sasl\.password\.file: "\/s\/password" cannot be read/);
    assert.deepEqual(credentialFiles(SASL), ['/s/password']);
  });

  it('reads an OAUTHBEARER token file (one line, its final line break left out), refusing an empty, multi-line, malformed or expired one without quoting it', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const jwt = unsecuredJwt({ sub: 'svc', iat: now / 1000 - 60, exp: now / 1000 + 3600 });
    const load = (text: string): KafkaCredentials => loadCredentials(OAUTH, reader({ '/o/token': text }), now);
    assert.deepEqual(load(`${jwt}\n`).sasl, { mechanism: 'oauthbearer', token: jwt });
    assert.deepEqual(load('opaque-Token_1.2~3+4/5==').sasl, { mechanism: 'oauthbearer', token: 'opaque-Token_1.2~3+4/5==' }, 'an opaque token is fine');
    assert.deepEqual(describeCredentials(load(jwt)), { tokenSubject: 'svc', tokenExpires: '2026-06-01T01:00:00.000Z' });
    assert.deepEqual(credentialFiles(OAUTH), ['/o/token']);
    const secret = 'sEcReT';
    const cases: [string, string, RegExp][] = [
      ['empty', '', /is empty: a file holding an OAUTHBEARER token \(one line, e\.g\. a JWT\) is allowed$/],
      ['a line break only', '\n', /is empty/],
      ['two lines', `${secret}\n${jwt}\n`, /holds more than one line: an OAUTHBEARER token is one line/],
      ['a space', `Bearer ${secret}`, /holds a character a bearer token cannot have at position 7 of 13: letters, digits, - \. _ ~ \+ \/ and trailing = are allowed \(RFC 6750\)$/],
      ['= inside', `${secret}=x`, /holds a = before its end/],
      ['expired', unsecuredJwt({ sub: secret, exp: now / 1000 - 1 }), /holds a JWT that expired at 2026-05-31T23:59:59\.000Z \(its exp claim\): the broker would refuse it; a fresh token is expected$/],
    ];
    for (const [name, text, expected] of cases) {
      const error = refusal(OAUTH, { '/o/token': text }, now);
      assert.match(error.message, /^sasl\.oauthbearer\.token\.file: "\/o\/token" /, name);
      assert.match(error.message, expected, name);
      assert.equal(error.message.includes(secret), false, `${name}: the token is not in the message`);
    }
    assert.match(refusal(OAUTH, {}).message, /^sasl\.oauthbearer\.token\.file: "\/o\/token" cannot be read \(ENOENT/);
  });

  it('binds connections to an OAUTHBEARER token\'s principal, not the token: a new token for the same sub needs no new client', () => {
    const token = (sub: string, exp: number): KafkaCredentials => ({ sasl: { mechanism: 'oauthbearer', token: unsecuredJwt({ sub, exp }) } });
    const first = token('svc', 2_000_000_000);
    assert.notEqual(credentialsDigest(first), credentialsDigest(token('svc', 2_000_000_100)));
    assert.equal(connectionDigest(first), connectionDigest(token('svc', 2_000_000_100)));
    assert.notEqual(connectionDigest(first), connectionDigest(token('other', 2_000_000_000)));
    assert.equal(connectionDigest({ sasl: { mechanism: 'oauthbearer', token: 'opaque-1' } }), connectionDigest({ sasl: { mechanism: 'oauthbearer', token: 'opaque-2' } }));
    assert.equal(bearerTokenOf(first), first.sasl?.mechanism === 'oauthbearer' ? first.sasl.token : undefined);
  });

  it('digests differ exactly when the credentials do', () => {
    const one = credentialsDigest(loadCredentials(SASL, reader({ '/s/password': 'one\n' })));
    assert.equal(credentialsDigest(loadCredentials(SASL, reader({ '/s/password': 'one' }))), one);
    assert.notEqual(credentialsDigest(loadCredentials(SASL, reader({ '/s/password': 'two' }))), one);
  });
});
