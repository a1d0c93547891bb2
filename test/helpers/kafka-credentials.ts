// Credentials that change under a running agent: SCRAM users of the test broker (made, re-keyed
// and removed with Kafka's own ConfigCommand, as kafka-configs.sh does: kafkajs has no
// AlterUserScramCredentials) and client certificates issued by the test broker's CA.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaLibs } from '../env/kafka-node.ts';
import { requireEnv } from './env.ts';

const execFileAsync = promisify(execFile);

/** Sets (creating the user if needed) `user`'s SCRAM-SHA-512 password on the test broker. */
export async function setScramPassword(user: string, password: string): Promise<void> {
  await configCommand(['--alter', '--add-config', `SCRAM-SHA-512=[iterations=4096,password=${password}]`, '--entity-type', 'users', '--entity-name', user]);
}

export async function deleteScramUser(user: string): Promise<void> {
  await configCommand(['--alter', '--delete-config', 'SCRAM-SHA-512', '--entity-type', 'users', '--entity-name', user]);
}

async function configCommand(args: string[]): Promise<void> {
  const libs = await kafkaLibs();
  const home = process.env['JAVA_HOME'];
  const java = home !== undefined && home !== '' ? join(home, 'bin', 'java') : 'java';
  await execFileAsync(java, ['-Xmx128m', '-cp', join(libs, '*'), 'kafka.admin.ConfigCommand', '--bootstrap-server', requireEnv('KAFKA_BROKERS'), ...args], { timeout: 60_000 });
}

export interface IssuedPair {
  /** A PEM keystore as the operator mounts it: the private key, then the certificate. */
  keystore: string;
  /** The same as a kubernetes.io/tls Secret holds them (tls.crt, tls.key). */
  certificate: string;
  privateKey: string;
  /** The certificate's serial number in upper-case hex, as node's X509Certificate gives it. */
  serial: string;
}

/**
 * A client key and certificate for CN `commonName`, signed by the test broker's CA (its key sits
 * next to KAFKA_SSL_CA) or, with `selfSigned`, by nobody the broker trusts. Made in `dir`; the
 * CA's own files are only read (a random serial instead of its serial file).
 */
export async function issueClientPair(dir: string, commonName: string, options: { selfSigned?: boolean } = {}): Promise<IssuedPair> {
  // A leading 1: positive (no sign byte) and 16 digits, as node spells it back.
  const serial = `1${randomBytes(8).toString('hex').toUpperCase().slice(1)}`;
  const name = join(dir, commonName);
  writeFileSync(`${name}.ext`, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  if (options.selfSigned === true) {
    await execFileAsync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${commonName}`, '-set_serial', `0x${serial}`]);
  } else {
    const ca = requireEnv('KAFKA_SSL_CA');
    await execFileAsync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${commonName}`, '-out', `${name}.csr`]);
    await execFileAsync('openssl', ['x509', '-req', '-in', `${name}.csr`, '-CA', ca, '-CAkey', join(dirname(ca), 'ca.key'), '-set_serial', `0x${serial}`,
      '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  }
  const certificate = readFileSync(`${name}.crt`, 'utf8');
  const privateKey = readFileSync(`${name}.key`, 'utf8');
  return { keystore: privateKey + certificate, certificate, privateKey, serial };
}
