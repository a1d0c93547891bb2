/**
 * SASL OAUTHBEARER (RFC 7628) for kafkajs, in place of its built-in one, which takes a broker's
 * refusal (an error challenge instead of an empty answer) for success: the connection's next
 * request then fails with "Request is not valid given the current SASL state", which says nothing
 * about the token. Here a refusal is answered as the RFC asks (a lone %x01, after which the broker
 * ends the exchange) and fails the authentication with the broker's status, naming the file the
 * token came from.
 *
 * The token is asked for at every authentication, the re-authentications that brokers with
 * `connections.max.reauth.ms` demand before a session (bounded by the token's exp) ends included
 * (KIP-368; kafkajs re-authenticates before a request within 10 s of the end), so a connection
 * goes on with the newest token without reconnecting.
 */
// kafkajs spreads its errors into its exports, which Node's named CommonJS imports cannot see.
import kafkajs, { type Mechanism } from 'kafkajs';
import type { CredentialFile } from './kafka-config.ts';
import { jwtClaims } from './kafka-credentials.ts';

const SOH = '\u0001';

export function oauthBearerMechanism(token: () => string, source: CredentialFile): Mechanism {
  return {
    mechanism: 'OAUTHBEARER',
    authenticationProvider: ({ host, port, saslAuthenticate }) => ({
      authenticate: async () => {
        const bearer = token();
        const challenge = await saslAuthenticate({ request: saslBytes(`n,,${SOH}auth=Bearer ${bearer}${SOH}${SOH}`), response: RAW_CHALLENGE });
        if (challenge === undefined || challenge.length === 0) return;
        // The broker fails the exchange on this answer (and closes the connection): its error is no news.
        await saslAuthenticate({ request: saslBytes(SOH) }).catch(() => undefined);
        throw new SaslAuthenticationError(`SASL OAUTHBEARER: the broker ${host}:${String(port)} refused the token from ${source.key} "${source.file}" (${refusal(challenge)})${expiry(bearer)}`);
      },
    }),
  };
}

/** kafkajs's own error class, so that it is handled as its other authentication failures are (its typings omit the message parameter). */
const SaslAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;

/** When the token is a JWT that has expired (no new one was written in time), say so: the likeliest reason. */
function expiry(token: string): string {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' && exp * 1000 <= Date.now() ? `: the token expired at ${new Date(exp * 1000).toISOString()} and the file holds no newer one` : '';
}

/** SASL bytes as kafkajs's SaslAuthenticate request carries them: length-prefixed. */
function saslBytes(text: string): { encode: () => Buffer } {
  const payload = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(4);
  length.writeInt32BE(payload.length);
  return { encode: () => Buffer.concat([length, payload]) };
}

/** kafkajs hands the broker's SASL bytes on length-prefixed, as it received them. */
const RAW_CHALLENGE = {
  decode: (raw: Buffer): Buffer => raw.subarray(4),
  parse: (bytes: Buffer): Buffer => bytes,
};

/** The RFC 7628 error challenge's status (e.g. invalid_token) and scope, or what it says when it is not that JSON. */
function refusal(challenge: Buffer): string {
  const text = challenge.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { status?: unknown; scope?: unknown };
    const scope = typeof parsed.scope === 'string' ? `, scope needed: ${parsed.scope}` : '';
    return `status ${String(parsed.status)}${scope}; the broker's log says why`;
  } catch {
    return `challenge ${JSON.stringify(text.slice(0, 200))}`;
  }
}
