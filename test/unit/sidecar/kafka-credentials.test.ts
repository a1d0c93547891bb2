// Reading and checking the Kafka credential files (kafka-credentials.ts). The fixtures in
// test/fixtures/tls are two self-signed EC pairs made for these tests only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CredentialError, credentialFiles, credentialsDigest, describeCredentials, loadCredentials } from '../../../sidecar/sinks/kafka-credentials.ts';
import type { KafkaSecurity } from '../../../sidecar/sinks/kafka-config.ts';

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

function reader(files: Record<string, string>): (file: string) => string {
  return (file) => {
    const text = files[file];
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${file}'`);
    return text;
  };
}

function refusal(security: KafkaSecurity, files: Record<string, string>): CredentialError {
  try {
    loadCredentials(security, reader(files));
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
    assert.equal(loadCredentials(SASL, reader({ '/s/password': ' p4ss \n\n' })).sasl?.password, ' p4ss \n', 'only one final line break is not part of the value');
    for (const empty of ['', '\n', '\r\n']) {
      assert.match(refusal(SASL, { '/s/password': empty }).message, /^sasl\.password\.file: "\/s\/password" is empty: a file holding the SASL password is allowed$/);
    }
    assert.match(refusal(SASL, {}).message, /^sasl\.password\.file: "\/s\/password" cannot be read/);
    assert.deepEqual(credentialFiles(SASL), ['/s/password']);
  });

  it('digests differ exactly when the credentials do', () => {
    const one = credentialsDigest(loadCredentials(SASL, reader({ '/s/password': 'one\n' })));
    assert.equal(credentialsDigest(loadCredentials(SASL, reader({ '/s/password': 'one' }))), one);
    assert.notEqual(credentialsDigest(loadCredentials(SASL, reader({ '/s/password': 'two' }))), one);
  });
});
