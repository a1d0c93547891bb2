// The Secrets a LogShipper references (Kafka TLS and SASL), and whether they exist with their keys.
// The operator caches no Secret: it reads the few referenced ones when it reconciles (only their key
// names are looked at; values are never copied), and a LogShipper waiting for one is reconciled
// again after a delay (level-based, as controller-runtime's RequeueAfter), since no watch tells when
// the Secret appears. A rotated Secret needs no reconcile: the sidecar reads the mounted files.
import type { ResolvedSpec } from './crd-types.ts';
import { clientCertificateFiles, saslFiles } from './sidecar-layout.ts';
import type { BackoffOptions } from './queue.ts';
import { REASONS, type Readiness } from './status.ts';

/**
 * Re-checks of a LogShipper waiting for a Secret or key: the first soon (a Secret created just
 * after its LogShipper, as `kubectl apply -f dir/` does, makes it Ready within a second or two),
 * then less often, so that 1,000 LogShippers waiting for ever cost at most ~33 reads a second.
 */
export const SECRET_RECHECK: BackoffOptions = { baseMs: 1000, maxMs: 30_000 };

/** The keys of a Secret, undefined when it does not exist. */
export type SecretKeysReader = (namespace: string, name: string) => Promise<string[] | undefined>;

/** The Secret references of a spec, with the field that makes each. */
export function secretReferences(spec: ResolvedSpec): { secretName: string; key: string; field: string }[] {
  const refs: { secretName: string; key: string; field: string }[] = [];
  const { tls, sasl } = spec.kafka;
  if (tls?.ca !== undefined) refs.push({ ...tls.ca, field: 'spec.kafka.tls.ca' });
  const client = tls?.clientCertificate;
  if (client !== undefined) {
    for (const file of clientCertificateFiles(client)) refs.push({ secretName: client.secretName, key: file.key, field: `spec.kafka.tls.clientCertificate (${file.field})` });
  }
  if (sasl !== undefined) {
    for (const file of saslFiles(sasl)) refs.push({ secretName: sasl.secretName, key: file.key, field: `spec.kafka.sasl (${file.field})` });
  }
  return refs;
}

/** A Secret that could not be read (an API error, not a missing Secret): names it and the field referencing it. */
export class SecretReadError extends Error {
  readonly secretName: string;
  readonly field: string;

  constructor(ref: { secretName: string; field: string }, cause: unknown) {
    super(`cannot read Secret ${ref.secretName} (${ref.field})`, { cause });
    this.name = 'SecretReadError';
    this.secretName = ref.secretName;
    this.field = ref.field;
  }
}

/** Not ready when a referenced Secret or key is missing (each Secret read once); undefined when all are there. Throws SecretReadError. */
export async function secretReadiness(namespace: string, spec: ResolvedSpec, readKeys: SecretKeysReader): Promise<Readiness | undefined> {
  const keysOf = new Map<string, string[] | undefined>();
  for (const ref of secretReferences(spec)) {
    if (!keysOf.has(ref.secretName)) {
      try {
        keysOf.set(ref.secretName, await readKeys(namespace, ref.secretName));
      } catch (error) {
        throw new SecretReadError(ref, error);
      }
    }
    const keys = keysOf.get(ref.secretName);
    if (keys === undefined) {
      return { ready: false, reason: REASONS.secretNotFound, message: `Secret ${ref.secretName} (${ref.field}) not found in namespace ${namespace}: create it; the operator retries when it appears` };
    }
    if (!keys.includes(ref.key)) {
      const sorted = [...keys].sort();
      return {
        ready: false, reason: REASONS.secretKeyNotFound,
        message: `Secret ${ref.secretName} (${ref.field}) has no key ${ref.key}: it has ${sorted.length === 0 ? 'no keys' : sorted.join(', ')}; add the key to the Secret or name one it has in ${ref.field}; the operator retries`,
      };
    }
  }
  return undefined;
}

/** Whether the LogShipper waits for a Secret or key (and is to be re-checked). */
export function waitsForSecret(readiness: Readiness | undefined): boolean {
  return readiness?.reason === REASONS.secretNotFound || readiness?.reason === REASONS.secretKeyNotFound;
}
