/**
 * The Kafka client's credentials as read from their sources (kafka-config.ts): SASL username and
 * password or OAUTHBEARER token, TLS CA, client certificate and key. Files are read each time the client is built, so
 * that a rotated Secret is picked up; what they hold is checked first, so that a half-written or
 * broken file is refused (naming it) instead of breaking a client that works.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CredentialFile, CredentialSource, KafkaSecurity, PasswordMechanism } from './kafka-config.ts';

export interface KafkaCredentials {
  sasl?: { mechanism: PasswordMechanism; username: string; password: string } | { mechanism: 'oauthbearer'; token: string };
  tls?: { ca?: string; cert?: string; key?: string; passphrase?: string; verifyHostname: boolean };
}

/** A credential file that cannot be used: `file` and the `key` naming it, and why. */
export class CredentialError extends Error {
  readonly file: string;
  readonly key: string;

  constructor(source: { file: string; key: string }, problem: string) {
    super(`${source.key}: "${source.file}" ${problem}`);
    this.name = 'CredentialError';
    this.file = source.file;
    this.key = source.key;
  }
}

/** Reads a file as text; a test hands in another. */
export type ReadFile = (file: string) => string;

const readText: ReadFile = (file) => readFileSync(file, 'utf8');

/** Every file the credentials come from, once each (a PEM keystore holds both certificate and key). */
export function credentialFiles(security: KafkaSecurity): string[] {
  const sasl = security.sasl === undefined ? [] : security.sasl.mechanism === 'oauthbearer' ? [security.sasl.token] : [security.sasl.username, security.sasl.password];
  const files = [...sasl, security.tls?.ca, security.tls?.cert, security.tls?.key]
    .flatMap((source) => (source !== undefined && 'file' in source ? [source.file] : []));
  return [...new Set(files)];
}

/**
 * Reads and checks every credential; throws CredentialError naming the first file that is
 * unreadable or invalid. `now` (epoch ms) is when a JWT's exp is checked against.
 */
export function loadCredentials(security: KafkaSecurity, read: ReadFile = readText, now = Date.now()): KafkaCredentials {
  const credentials: KafkaCredentials = {};
  const { sasl } = security;
  if (sasl?.mechanism === 'oauthbearer') {
    credentials.sasl = { mechanism: sasl.mechanism, token: bearerToken(sasl.token, readOrFail(sasl.token, read), now) };
  } else if (sasl !== undefined) {
    const { mechanism, username, password } = sasl;
    credentials.sasl = { mechanism, username: secretValue(username, 'username', read), password: secretValue(password, 'password', read) };
  }
  if (security.tls !== undefined) {
    const { ca, cert, key, passphrase, verifyHostname } = security.tls;
    const tls: NonNullable<KafkaCredentials['tls']> = { verifyHostname };
    if (passphrase !== undefined) tls.passphrase = passphrase;
    if (ca !== undefined) tls.ca = certificates(ca, readOrFail(ca, read), 'CA certificate').pem;
    if (cert !== undefined) {
      const found = certificates(cert, readOrFail(cert, read), 'client certificate');
      tls.cert = found.pem;
      if (key !== undefined) {
        const privateKey = privateKeyOf(key, readOrFail(key, read), passphrase);
        tls.key = privateKey.pem;
        // Certificate and key in separate files may be caught between two writes: refuse a pair that does not match.
        if (!found.leaf.checkPrivateKey(privateKey.object)) {
          throw new CredentialError(key, `holds a private key that does not match the client certificate in "${cert.file}" (serial ${found.leaf.serialNumber}): both must come from the same issue`);
        }
      }
    } else if (key !== undefined) {
      tls.key = privateKeyOf(key, readOrFail(key, read), passphrase).pem;
    }
    credentials.tls = tls;
  }
  return credentials;
}

/** A digest of the credentials, to tell whether a change of the files changed what the client would use. */
export function credentialsDigest(credentials: KafkaCredentials): string {
  return createHash('sha256').update(JSON.stringify(credentials)).digest('hex');
}

/**
 * A digest of what the client's connections are bound to: the credentials, but of an OAUTHBEARER
 * token only its principal (the JWT's `sub`). A new token for the same principal is taken by
 * each connection at its next re-authentication, with no new client; brokers refuse a
 * re-authentication that changes the principal, so that needs one.
 */
export function connectionDigest(credentials: KafkaCredentials): string {
  const { sasl } = credentials;
  if (sasl?.mechanism !== 'oauthbearer') return credentialsDigest(credentials);
  return credentialsDigest({ ...credentials, sasl: { mechanism: sasl.mechanism, token: `sub:${String(jwtClaims(sasl.token)?.sub)}` } });
}

/** The OAUTHBEARER token of these credentials (empty when the mechanism is another). */
export function bearerTokenOf(credentials: KafkaCredentials): string {
  return credentials.sasl?.mechanism === 'oauthbearer' ? credentials.sasl.token : '';
}

/**
 * What may be logged of the credentials: the SASL username, an OAUTHBEARER JWT's subject and
 * expiry (never the token), the client certificate's subject, serial and expiry.
 */
export function describeCredentials(credentials: KafkaCredentials): Record<string, string> {
  const described: Record<string, string> = {};
  const { sasl } = credentials;
  if (sasl?.mechanism === 'oauthbearer') {
    const claims = jwtClaims(sasl.token);
    if (typeof claims?.sub === 'string') described['tokenSubject'] = claims.sub;
    if (typeof claims?.exp === 'number') described['tokenExpires'] = new Date(claims.exp * 1000).toISOString();
  } else if (sasl !== undefined) {
    described['saslUsername'] = sasl.username;
  }
  if (credentials.tls?.cert !== undefined) {
    const leaf = new X509Certificate(credentials.tls.cert);
    described['certificateSubject'] = leaf.subject.replace(/\n/g, ', ');
    described['certificateSerial'] = leaf.serialNumber;
    described['certificateValidTo'] = leaf.validTo;
  }
  return described;
}

function readOrFail(source: CredentialFile, read: ReadFile): string {
  try {
    return read(source.file);
  } catch (error) {
    throw new CredentialError(source, `cannot be read (${(error as Error).message})`);
  }
}

/**
 * A username or password file's content without the one line break an editor or `echo` leaves
 * at its end (a Secret made with `kubectl create secret --from-file` keeps it): anything else is
 * part of the value. An empty value is refused: it is a file caught mid-write more often than a password.
 */
function secretValue(source: CredentialSource, name: 'username' | 'password', read: ReadFile): string {
  if ('value' in source) return source.value;
  const value = readOrFail(source, read).replace(/\r?\n$/, '');
  if (value === '') throw new CredentialError(source, `is empty: a file holding the SASL ${name} is allowed`);
  return value;
}

/** RFC 6750's b64token: what an `Authorization: Bearer` value (and so an OAUTHBEARER token) may be. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * An OAUTHBEARER token file's content: one line (the line break at its end left out, as for a
 * password), an RFC 6750 bearer token, and, when it is a JWT with an `exp`, not expired (the broker
 * would refuse it with a message that does not say why). Messages never quote the token.
 */
function bearerToken(source: CredentialFile, text: string, now: number): string {
  const token = text.replace(/\r?\n$/, '');
  if (token.trim() === '') throw new CredentialError(source, 'is empty: a file holding an OAUTHBEARER token (one line, e.g. a JWT) is allowed');
  if (/[\r\n]/.test(token)) throw new CredentialError(source, 'holds more than one line: an OAUTHBEARER token is one line (e.g. a JWT)');
  if (!B64TOKEN.test(token)) {
    const at = token.search(/[^A-Za-z0-9\-._~+/=]/);
    const problem = at === -1 ? 'a = before its end (= is only padding at the end)' : `a character a bearer token cannot have at position ${String(at + 1)} of ${String(token.length)}`;
    throw new CredentialError(source, `holds ${problem}: letters, digits, - . _ ~ + / and trailing = are allowed (RFC 6750)`);
  }
  const exp = jwtClaims(token)?.exp;
  if (typeof exp === 'number' && exp * 1000 <= now) {
    throw new CredentialError(source, `holds a JWT that expired at ${new Date(exp * 1000).toISOString()} (its exp claim): the broker would refuse it; a fresh token is expected`);
  }
  return token;
}

/** A JWT's claims (its second part, base64url JSON), or undefined when the token is not a JWT (an opaque token is fine). */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/;

/** The file's certificates (PEM blocks, each parsed: a truncated one is refused), the first being the leaf. */
function certificates(source: CredentialFile, text: string, what: string): { pem: string; leaf: X509Certificate } {
  const blocks = text.match(CERTIFICATE) ?? [];
  const [leaf] = blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new CredentialError(source, `holds an unparsable PEM certificate (number ${index + 1} in the file: ${(error as Error).message})`);
    }
  });
  if (leaf === undefined) throw new CredentialError(source, `holds no PEM certificate (-----BEGIN CERTIFICATE-----), a ${what} is expected`);
  // A file cut mid-write after a complete block holds the start of another one: not yet whole.
  if ((text.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length !== blocks.length) {
    throw new CredentialError(source, 'holds an incomplete PEM certificate (a BEGIN without its END): the file may be half-written');
  }
  return { pem: blocks.join('\n'), leaf };
}

function privateKeyOf(source: CredentialFile, text: string, passphrase: string | undefined): { pem: string; object: KeyObject } {
  const block = PRIVATE_KEY.exec(text)?.[0];
  if (block === undefined) throw new CredentialError(source, 'holds no PEM private key (-----BEGIN PRIVATE KEY-----)');
  try {
    return { pem: block, object: createPrivateKey(passphrase === undefined ? block : { key: block, passphrase }) };
  } catch (error) {
    throw new CredentialError(source, `holds an unparsable PEM private key (${(error as Error).message})`);
  }
}
