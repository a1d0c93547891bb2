// The webhook's TLS: a CA and a serving certificate (ECDSA P-256, issued with @peculiar/x509) kept in
// one Secret shared by every replica, the CA bundle patched into the MutatingWebhookConfiguration, and
// rotation before expiry. Or, with cert-manager, a certificate read from a mounted directory.
//
// The Secret (type kubernetes.io/tls): tls.crt, tls.key (the serving certificate), ca.crt (the CA
// bundle the apiserver trusts: the current CA first, then older CAs until they expire), ca.key (the
// current CA's key). Annotation logshipper.io/ca-rotated-at: when the current CA was made.
//
// Rotation (planCertificates, decided from the Secret and the clock alone):
// - nothing there: a new CA and a serving certificate (create; a replica that loses the race to
//   create reads and uses the winner's: no diverging CAs);
// - the CA has less than a third of its lifetime left: a new CA is put first in ca.crt, the old one
//   stays (the serving certificate is not yet changed), and caBundle is patched;
// - the serving certificate has less than a third of its lifetime left, or lacks a wanted name, or
//   does not match its key, or is not issued by the current CA once `caPropagationMs` has passed
//   since the CA rotation (so the apiserver trusts the new CA before any replica serves a certificate
//   from it): a new serving certificate from the current CA;
// - expired CAs leave the bundle.
// Every write carries the resourceVersion read; a conflict means another replica wrote first, and
// the next round reads and uses what it wrote.
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

type CryptoKey = webcrypto.CryptoKey;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

export interface CertPolicy {
  caValidityMs: number;
  servingValidityMs: number;
  /** Renew when less than this fraction of a certificate's lifetime is left. */
  renewFraction: number;
  /** After a CA rotation, how long the new CA is only trusted before it also signs. */
  caPropagationMs: number;
}

export const DEFAULT_CERT_POLICY: CertPolicy = {
  caValidityMs: 5 * 365 * DAY_MS,
  servingValidityMs: 365 * DAY_MS,
  renewFraction: 1 / 3,
  caPropagationMs: 10 * 60_000,
};

/** What the Secret holds (PEM text). */
export interface CertBundle {
  /** The CA bundle: current CA first. */
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
  /** When the current CA was made (ISO); undefined for a bundle from elsewhere. */
  caRotatedAt: string | undefined;
}

export const SECRET_KEYS = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;
export const CA_ROTATED_AT_ANNOTATION = 'logshipper.io/ca-rotated-at';

/** The names a serving certificate must carry: the Service's DNS names and any extra names or IPs. */
export function servingNames(service: string, namespace: string, extra: string[] = []): string[] {
  return [...new Set([service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, ...extra])];
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

function importKey(pem: string): CryptoKey {
  return createPrivateKey(pem).toCryptoKey(ALGORITHM, true, ['sign']);
}

/** Splits a PEM bundle into certificates. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((pem) => `${pem}\n`) ?? [];
}

export async function generateCa(now: Date, validityMs: number): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=logshipper-webhook-ca-${now.toISOString().slice(0, 10)}`,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + validityMs),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

export async function issueServing(ca: { cert: string; key: string }, names: string[], now: Date, validityMs: number): Promise<{ cert: string; key: string }> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = importKey(ca.key);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const notAfter = Math.min(now.getTime() + validityMs, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0] ?? 'logshipper-webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((name) => ({ type: isIP(name) === 0 ? 'dns' : 'ip', value: name }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

/** The names in a certificate's subjectAltName (DNS names and IP addresses). */
export function certificateNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(', ').filter((entry) => entry !== '').map((entry) => entry.replace(/^(DNS|IP Address):/, ''));
}

function remainingFraction(cert: X509Certificate, now: Date): number {
  const from = new Date(cert.validFrom).getTime();
  const to = new Date(cert.validTo).getTime();
  return (to - now.getTime()) / (to - from);
}

function parse(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

function keyMatches(cert: X509Certificate, keyPemText: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPemText));
  } catch {
    return false;
  }
}

export interface CertPlan {
  bundle: CertBundle;
  /** What changed, for logs and Events: empty when the bundle is fine as it is. */
  changes: string[];
}

/** What the Secret should hold now, given what it holds (undefined: nothing yet). */
export async function planCertificates(current: CertBundle | undefined, names: string[], now: Date, policy: CertPolicy = DEFAULT_CERT_POLICY): Promise<CertPlan> {
  const changes: string[] = [];
  let caCerts = current === undefined ? [] : splitPem(current.caCert);
  let caKey = current?.caKey ?? '';
  let caRotatedAt = current?.caRotatedAt;
  let currentCa = caCerts[0] === undefined ? undefined : parse(caCerts[0]);
  if (currentCa === undefined || !keyMatches(currentCa, caKey) || new Date(currentCa.validTo).getTime() <= now.getTime()) {
    const ca = await generateCa(now, policy.caValidityMs);
    caCerts = [ca.cert];
    caKey = ca.key;
    caRotatedAt = undefined; // nothing to wait for: there is no older CA a serving certificate could rely on
    currentCa = parse(ca.cert);
    changes.push(current === undefined ? 'created CA' : 'replaced an unusable or expired CA');
  } else if (remainingFraction(currentCa, now) < policy.renewFraction) {
    const ca = await generateCa(now, policy.caValidityMs);
    caCerts = [ca.cert, ...caCerts];
    caKey = ca.key;
    caRotatedAt = now.toISOString();
    currentCa = parse(ca.cert);
    changes.push('rotated CA (the previous CA stays in the bundle until it expires)');
  }
  if (currentCa === undefined) throw new Error('cannot parse the CA just made');
  // Older CAs stay trusted until they expire.
  const kept = caCerts.filter((pem, index) => index === 0 || new Date(parse(pem)?.validTo ?? 0).getTime() > now.getTime());
  if (kept.length !== caCerts.length) changes.push(`dropped ${caCerts.length - kept.length} expired CA(s) from the bundle`);
  caCerts = kept;

  let cert = current?.cert ?? '';
  let key = current?.key ?? '';
  const serving = parse(cert);
  const trustedCas = caCerts.map(parse).filter((ca) => ca !== undefined);
  const propagated = caRotatedAt === undefined || now.getTime() - new Date(caRotatedAt).getTime() >= policy.caPropagationMs;
  const why = serving === undefined ? 'issued serving certificate'
    : !keyMatches(serving, key) ? 'reissued serving certificate (key mismatch)'
    : !trustedCas.some((ca) => issuedBy(serving, ca)) ? 'reissued serving certificate (not issued by a trusted CA)'
    : remainingFraction(serving, now) < policy.renewFraction ? 'renewed serving certificate before expiry'
    : !names.every((name) => certificateNames(serving).includes(name)) ? 'reissued serving certificate (names changed)'
    : !issuedBy(serving, currentCa) && propagated ? 'reissued serving certificate from the new CA'
    : undefined;
  if (why !== undefined) {
    // A new serving certificate comes from the current CA only once the apiserver may trust it; until
    // then (a CA rotated less than caPropagationMs ago) an urgent reissue waits for the next round.
    if (propagated || trustedCas.length === 1) {
      ({ cert, key } = await issueServing({ cert: caCerts[0] ?? '', key: caKey }, names, now, policy.servingValidityMs));
      changes.push(why);
    }
  }
  return { bundle: { caCert: caCerts.join(''), caKey, cert, key, caRotatedAt }, changes };
}

/** The earliest time a certificate in the bundle needs attention (for logs and the expiry metric). */
export function servingExpiry(bundle: Pick<CertBundle, 'cert'>): Date | undefined {
  const cert = parse(bundle.cert);
  return cert === undefined ? undefined : new Date(cert.validTo);
}
