/**
 * Unsigned JWTs (`{"alg":"none"}`, an empty signature), as the test broker's OAUTHBEARER listener
 * accepts them (Kafka's unsecured validator: test/env/kafka.ts).
 */
export function unsecuredJwt(claims: { sub?: string; exp: number; iat?: number }): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

/** A token for `sub` that expires `lifetimeMs` from now (iat: now), in whole seconds as JWTs count. */
export function tokenFor(sub: string, lifetimeMs: number): string {
  const now = Math.floor(Date.now() / 1000);
  return unsecuredJwt({ sub, iat: now, exp: now + Math.ceil(lifetimeMs / 1000) });
}
