// A LogShipper spec as the renderer needs it: every default applied and the rules that keep the
// rendered configuration sound checked again, by a walk of the CRD's schema source
// (operator/schema/logshipper.ts). The apiserver enforces the CRD schema for objects it stores;
// this runs for `logshipper render -f` on a file nobody validated yet, and as a second line of
// defence in the reconciler. Errors name the field, the bad value and what is allowed.
import type { ResolvedSpec } from './crd-types.ts';
import { SPEC } from './schema/logshipper.ts';
import { resolveNode } from './schema/resolve.ts';

export { SpecError } from './schema/resolve.ts';

/** Applies the CRD's defaults to `raw` (a LogShipper's spec) and checks it. Throws SpecError. */
export function resolveSpec(raw: unknown): ResolvedSpec {
  // The walk returns what the schema describes; crd-types.ts's ResolvedSpec is generated from the same schema.
  return resolveNode(SPEC, raw, 'spec') as ResolvedSpec;
}

/** The Secrets (name -> keys) a spec refers to: the reconciler checks they exist. */
export function referencedSecrets(spec: ResolvedSpec): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const add = (name: string, key: string): void => {
    const keys = result.get(name) ?? new Set<string>();
    keys.add(key);
    result.set(name, keys);
  };
  const { tls, sasl } = spec.kafka;
  if (tls?.ca !== undefined) add(tls.ca.secretName, tls.ca.key);
  if (tls?.clientCertificate !== undefined) add(tls.clientCertificate.secretName, tls.clientCertificate.key);
  if (sasl !== undefined) {
    add(sasl.secretName, sasl.usernameKey);
    add(sasl.secretName, sasl.passwordKey);
  }
  return result;
}
