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
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { ApiException, type AdmissionregistrationV1Api, type CoreV1Api, type V1MutatingWebhookConfiguration, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './sidecar-layout.ts';

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

// ---- Runtime: the shared Secret and caBundle (every replica), or a directory (cert-manager). ----

export interface ServingCertificate {
  cert: string;
  key: string;
}

/** Where the webhook's serving certificate comes from; `onChange` fires when it changes. */
export interface CertificateSource {
  /** Resolves once a certificate is available (retries API errors until stop()). */
  start(): Promise<ServingCertificate>;
  current(): ServingCertificate | undefined;
  onChange(listener: (certificate: ServingCertificate) => void): void;
  stop(): void;
}

export interface SecretCertificatesOptions {
  core: CoreV1Api;
  admission: AdmissionregistrationV1Api;
  namespace: string;
  secretName: string;
  /** The MutatingWebhookConfiguration whose webhooks get the caBundle. */
  webhookConfigName: string;
  names: string[];
  policy?: CertPolicy;
  checkIntervalMs: number;
  log: Logger;
  now?: () => Date;
  onWrite?: (kind: 'secret' | 'cabundle') => void;
}

function fromSecret(secret: V1Secret): CertBundle {
  const text = (key: string): string => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  return {
    caCert: text(SECRET_KEYS.caCert), caKey: text(SECRET_KEYS.caKey), cert: text(SECRET_KEYS.cert), key: text(SECRET_KEYS.key),
    caRotatedAt: secret.metadata?.annotations?.[CA_ROTATED_AT_ANNOTATION],
  };
}

function isStatus(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

abstract class PollingSource implements CertificateSource {
  protected loaded: ServingCertificate | undefined;
  protected stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((certificate: ServingCertificate) => void)[] = [];
  protected readonly log: Logger;
  private readonly intervalMs: number;

  constructor(log: Logger, intervalMs: number) {
    this.log = log;
    this.intervalMs = intervalMs;
  }

  /** One round: returns the certificate to serve. Throws on errors (retried). */
  protected abstract round(): Promise<ServingCertificate>;

  async start(): Promise<ServingCertificate> {
    let delay = 500;
    for (;;) {
      try {
        const certificate = await this.round();
        this.use(certificate);
        this.schedule(this.intervalMs);
        return certificate;
      } catch (error) {
        if (this.stopped) throw error;
        this.log.warn({ err: (error as Error).message, retryInMs: delay }, 'webhook certificate not available yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  current(): ServingCertificate | undefined {
    return this.loaded;
  }

  onChange(listener: (certificate: ServingCertificate) => void): void {
    this.listeners.push(listener);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private use(certificate: ServingCertificate): void {
    if (this.loaded?.cert === certificate.cert && this.loaded.key === certificate.key) return;
    const first = this.loaded === undefined;
    this.loaded = certificate;
    this.log.info({ notAfter: servingExpiry(certificate)?.toISOString() }, first ? 'webhook certificate loaded' : 'webhook certificate changed; reloaded');
    if (first) return;
    for (const listener of this.listeners) {
      try {
        listener(certificate);
      } catch (error) {
        this.log.error({ err: (error as Error).message }, 'cannot use the new webhook certificate; still serving the previous one');
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round().then((certificate) => {
        this.use(certificate);
        this.schedule(this.intervalMs);
      }, (error: unknown) => {
        this.log.warn({ err: (error as Error).message }, 'webhook certificate check failed; retrying');
        this.schedule(Math.min(this.intervalMs, 5000));
      });
    }, delayMs);
    this.timer.unref();
  }
}

/** The operator-managed mode: a Secret shared by all replicas, caBundle patched into the webhook configuration. */
export class SecretCertificates extends PollingSource {
  private readonly options: SecretCertificatesOptions;
  private warnedMissingConfig = false;

  constructor(options: SecretCertificatesOptions) {
    super(options.log.child({ secret: `${options.namespace}/${options.secretName}` }), options.checkIntervalMs);
    this.options = options;
  }

  protected async round(): Promise<ServingCertificate> {
    const { core, namespace, secretName, names } = this.options;
    const now = this.options.now?.() ?? new Date();
    for (let attempt = 0; ; attempt++) {
      let secret: V1Secret | undefined;
      try {
        secret = await core.readNamespacedSecret({ namespace, name: secretName });
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
      const current = secret === undefined ? undefined : fromSecret(secret);
      const plan = await planCertificates(current, names, now, this.options.policy);
      let bundle = current;
      if (plan.changes.length > 0) {
        const body: V1Secret = {
          metadata: {
            name: secretName, namespace,
            labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
            annotations: { ...secret?.metadata?.annotations, ...(plan.bundle.caRotatedAt === undefined ? {} : { [CA_ROTATED_AT_ANNOTATION]: plan.bundle.caRotatedAt }) },
            ...(secret?.metadata?.resourceVersion === undefined ? {} : { resourceVersion: secret.metadata.resourceVersion }),
          },
          type: secret?.type ?? 'kubernetes.io/tls',
          stringData: { [SECRET_KEYS.caCert]: plan.bundle.caCert, [SECRET_KEYS.caKey]: plan.bundle.caKey, [SECRET_KEYS.cert]: plan.bundle.cert, [SECRET_KEYS.key]: plan.bundle.key },
        };
        if (plan.bundle.caRotatedAt === undefined && body.metadata !== undefined) delete body.metadata.annotations?.[CA_ROTATED_AT_ANNOTATION];
        try {
          this.options.onWrite?.('secret');
          if (secret === undefined) await core.createNamespacedSecret({ namespace, body });
          else await core.replaceNamespacedSecret({ namespace, name: secretName, body });
          this.log.info({ changes: plan.changes }, secret === undefined ? 'webhook certificate Secret created' : 'webhook certificate Secret updated');
          bundle = plan.bundle;
        } catch (error) {
          // Another replica created or changed it first: read again and use what it wrote.
          if (isStatus(error, 409) && attempt < 5) {
            this.log.info({ changes: plan.changes }, 'another replica wrote the webhook certificate Secret first; using it');
            continue;
          }
          throw error;
        }
      }
      if (bundle === undefined) throw new Error('no certificate');
      await this.ensureCaBundle(bundle.caCert);
      return { cert: bundle.cert, key: bundle.key };
    }
  }

  /** Patches caBundle into every webhook of the configuration where it differs. */
  private async ensureCaBundle(caPem: string): Promise<void> {
    const { admission, webhookConfigName: name } = this.options;
    let config: V1MutatingWebhookConfiguration;
    try {
      config = await admission.readMutatingWebhookConfiguration({ name });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
      if (!this.warnedMissingConfig) this.log.warn({ webhookConfiguration: name }, 'MutatingWebhookConfiguration not found: caBundle not patched (retried every check)');
      this.warnedMissingConfig = true;
      return;
    }
    this.warnedMissingConfig = false;
    const wanted = Buffer.from(caPem, 'utf8').toString('base64');
    const ops: unknown[] = [];
    (config.webhooks ?? []).forEach((webhook, index) => {
      if (webhook.clientConfig.caBundle === wanted) return;
      // The test keeps the index honest if someone reorders the webhooks meanwhile.
      ops.push({ op: 'test', path: `/webhooks/${index}/name`, value: webhook.name });
      ops.push({ op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: wanted });
    });
    if (ops.length === 0) return;
    this.options.onWrite?.('cabundle');
    await admission.patchMutatingWebhookConfiguration({ name, body: ops });
    this.log.info({ webhookConfiguration: name, webhooks: ops.length / 2 }, 'caBundle patched into the webhook configuration');
  }
}

/** The cert-manager mode: tls.crt and tls.key from a mounted directory (cert-manager's CA injector sets caBundle). */
export class DirectoryCertificates extends PollingSource {
  private readonly dir: string;

  constructor(dir: string, checkIntervalMs: number, log: Logger) {
    super(log.child({ certDir: dir }), checkIntervalMs);
    this.dir = dir;
  }

  protected async round(): Promise<ServingCertificate> {
    const [cert, key] = await Promise.all([readFile(join(this.dir, 'tls.crt'), 'utf8'), readFile(join(this.dir, 'tls.key'), 'utf8')]);
    // A pair caught half-written (a Secret volume swaps both at once; a hand-copied pair may not) waits for the next round.
    const parsed = parse(cert);
    if (parsed === undefined || !keyMatches(parsed, key)) throw new Error(`${join(this.dir, 'tls.crt')} and tls.key do not form a certificate and its key (yet)`);
    return { cert, key };
  }
}
