/**
 * The Kafka client's credentials as read from their sources (kafka-config.ts): SASL username and
 * password, TLS CA, client certificate and key. Files are read each time the client is built, so
 * that a rotated Secret is picked up; what they hold is checked first, so that a half-written or
 * broken file is refused (naming it) instead of breaking a client that works.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CredentialSource, KafkaSecurity, PemSource } from './kafka-config.ts';

export interface KafkaCredentials {
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
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
  const files = [security.sasl?.username, security.sasl?.password, security.tls?.ca, security.tls?.cert, security.tls?.key]
    .flatMap((source) => (source !== undefined && 'file' in source ? [source.file] : []));
  return [...new Set(files)];
}

/** Reads and checks every credential; throws CredentialError naming the first file that is unreadable or invalid. */
export function loadCredentials(security: KafkaSecurity, read: ReadFile = readText): KafkaCredentials {
  const credentials: KafkaCredentials = {};
  if (security.sasl !== undefined) {
    const { mechanism, username, password } = security.sasl;
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

/** What may be logged of the credentials: the SASL username, the client certificate's subject, serial and expiry. */
export function describeCredentials(credentials: KafkaCredentials): Record<string, string> {
  const described: Record<string, string> = {};
  if (credentials.sasl !== undefined) described['saslUsername'] = credentials.sasl.username;
  if (credentials.tls?.cert !== undefined) {
    const leaf = new X509Certificate(credentials.tls.cert);
    described['certificateSubject'] = leaf.subject.replace(/\n/g, ', ');
    described['certificateSerial'] = leaf.serialNumber;
    described['certificateValidTo'] = leaf.validTo;
  }
  return described;
}

function readOrFail(source: PemSource, read: ReadFile): string {
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

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/;

/** The file's certificates (PEM blocks, each parsed: a truncated one is refused), the first being the leaf. */
function certificates(source: PemSource, text: string, what: string): { pem: string; leaf: X509Certificate } {
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

function privateKeyOf(source: PemSource, text: string, passphrase: string | undefined): { pem: string; object: KeyObject } {
  const block = PRIVATE_KEY.exec(text)?.[0];
  if (block === undefined) throw new CredentialError(source, 'holds no PEM private key (-----BEGIN PRIVATE KEY-----)');
  try {
    return { pem: block, object: createPrivateKey(passphrase === undefined ? block : { key: block, passphrase }) };
  } catch (error) {
    throw new CredentialError(source, `holds an unparsable PEM private key (${(error as Error).message})`);
  }
}
