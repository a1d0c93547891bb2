// The sink's SASL OAUTHBEARER exchange (kafka-oauthbearer.ts) against a fake broker side: the
// client's first message (RFC 7628), success on an empty answer, and a refusal (an error
// challenge) answered with %x01 and failed naming the token's file, never quoting the token.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthenticationProviderArgs, Logger } from 'kafkajs';
import { oauthBearerMechanism } from '../../../sidecar/sinks/kafka-oauthbearer.ts';
import { unsecuredJwt } from '../../helpers/jwt.ts';

const SOURCE = { file: '/o/token', key: 'a.sinks.k.kafka.producer.sasl.oauthbearer.token.file' };

/** A broker side that answers each SASL message with the next of `answers` (length-prefixed, as kafkajs hands them on). */
function exchange(answers: string[]): { args: AuthenticationProviderArgs; sent: string[] } {
  const sent: string[] = [];
  const saslAuthenticate: AuthenticationProviderArgs['saslAuthenticate'] = async ({ request, response }) => {
    const bytes = await request.encode();
    assert.equal(bytes.readInt32BE(0), bytes.length - 4, 'length-prefixed');
    sent.push(bytes.subarray(4).toString('utf8'));
    const answer = answers.shift();
    if (answer === undefined) throw new Error('the broker closed the exchange');
    if (response === undefined) return undefined;
    const payload = Buffer.from(answer);
    const raw = Buffer.concat([Buffer.alloc(4), payload]);
    raw.writeInt32BE(payload.length);
    return response.parse(await response.decode(raw));
  };
  return { args: { host: 'b', port: 9092, logger: {} as Logger, saslAuthenticate }, sent };
}

describe('SASL OAUTHBEARER exchange', () => {
  it('sends the token the getter gives at this authentication, and succeeds on an empty answer', async () => {
    let token = 'first.token.';
    const mechanism = oauthBearerMechanism(() => token, SOURCE);
    assert.equal(mechanism.mechanism, 'OAUTHBEARER');
    const one = exchange(['']);
    await mechanism.authenticationProvider(one.args).authenticate();
    token = 'second.token.';
    const two = exchange(['']);
    await mechanism.authenticationProvider(two.args).authenticate();
    assert.deepEqual([...one.sent, ...two.sent], ['n,,\u0001auth=Bearer first.token.\u0001\u0001', 'n,,\u0001auth=Bearer second.token.\u0001\u0001']);
  });

  it('answers a refusal with %x01 and fails with the broker status, naming the file and setting, not the token', async () => {
    const mechanism = oauthBearerMechanism(() => 'sEcReT', SOURCE);
    const { args, sent } = exchange(['{"status":"invalid_token"}']);
    await assert.rejects(mechanism.authenticationProvider(args).authenticate(), (error: Error) => {
      assert.equal(error.name, 'KafkaJSSASLAuthenticationError');
      assert.equal(error.message, 'SASL OAUTHBEARER: the broker b:9092 refused the token from a.sinks.k.kafka.producer.sasl.oauthbearer.token.file "/o/token" (status invalid_token; the broker\'s log says why)');
      return !error.message.includes('sEcReT');
    });
    assert.deepEqual(sent.slice(1), ['\u0001'], 'the RFC 7628 answer to an error challenge');
    const expired = oauthBearerMechanism(() => unsecuredJwt({ sub: 'svc', exp: 1_700_000_000 }), SOURCE);
    await assert.rejects(expired.authenticationProvider(exchange(['{"status":"invalid_token"}']).args).authenticate(),
      /log says why\): the token expired at 2023-11-14T22:13:20\.000Z and the file holds no newer one$/);
    const scoped = exchange(['{"status":"invalid_token","scope":"logs.write"}', '']);
    await assert.rejects(mechanism.authenticationProvider(scoped.args).authenticate(), /status invalid_token, scope needed: logs\.write/);
  });
});
