// Every not-ready Ready message names what is wrong (field, Secret, key, image, broker) and what to
// do about it, where it is built: the admin policy, the Secret references, the spec and API errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { policyRefusal } from '../../../operator/admin-policy.ts';
import { apiErrorReadinessMessage, invalidSpecMessage } from '../../../operator/reconcile.ts';
import { SecretReadError, secretReadiness } from '../../../operator/secret-refs.ts';
import { resolveSpec, SpecError } from '../../../operator/spec.ts';

const spec = resolveSpec({
  volume: 'logs', files: [{ path: 'a.log' }],
  kafka: { brokers: ['k:9092'], topic: 't', sasl: { mechanism: 'PLAIN', secretName: 'kafka-user', passwordKey: 'pw' } },
});

describe('Ready messages', () => {
  it('ImageNotAllowed: the field, the image, what to do, and what is allowed', () => {
    const refusal = policyRefusal('evil:1', [], { sidecarImages: ['registry.example/agent:*'], brokers: [] }, 'agent:2');
    assert.equal(refusal?.reason, 'ImageNotAllowed');
    assert.match(refusal.message, /^spec\.sidecar\.image: image "evil:1" is not allowed by the cluster admin: remove the field .* or name an allowed image, or ask the cluster admin/);
    assert.match(refusal.message, /--allowed-sidecar-images, chart value sidecar\.allowedImages/);
    assert.match(refusal.message, /allowed: agent:2 \(the operator's default\), registry\.example\/agent:\*$/);
  });

  it('BrokerNotAllowed: the index, the broker, what to do, and what is allowed', () => {
    const refusal = policyRefusal(undefined, ['ok:9092', 'elsewhere:9092'], { sidecarImages: [], brokers: ['ok:9092'] }, undefined);
    assert.equal(refusal?.reason, 'BrokerNotAllowed');
    assert.match(refusal.message, /^spec\.kafka\.brokers\[1\]: broker "elsewhere:9092" is not allowed by the cluster admin: name an allowed broker, or ask/);
    assert.match(refusal.message, /--allowed-brokers, chart value kafka\.allowedBrokers.*allowed: ok:9092$/);
  });

  it('SecretNotFound and SecretKeyNotFound: the Secret, the field, the key, the keys it has, and what to do', async () => {
    const missing = await secretReadiness('shop', spec, () => Promise.resolve(undefined));
    assert.equal(missing?.reason, 'SecretNotFound');
    assert.equal(missing.message, 'Secret kafka-user (spec.kafka.sasl (usernameKey)) not found in namespace shop: create it; the operator retries when it appears');
    const noKey = await secretReadiness('shop', spec, () => Promise.resolve(['username', 'password']));
    assert.equal(noKey?.reason, 'SecretKeyNotFound');
    assert.equal(noKey.message, 'Secret kafka-user (spec.kafka.sasl (passwordKey)) has no key pw: it has password, username; add the key to the Secret or name one it has in spec.kafka.sasl (passwordKey); the operator retries');
    assert.equal(await secretReadiness('shop', spec, () => Promise.resolve(['username', 'pw'])), undefined);
  });

  it('a Secret read that fails names the Secret and its field, keeping the API error as the cause', async () => {
    const denied = new ApiException(403, 'forbidden', { message: 'secrets "kafka-user" is forbidden' }, {});
    const error = await secretReadiness('shop', spec, () => Promise.reject(denied)).then(() => undefined, (thrown: unknown) => thrown);
    assert.ok(error instanceof SecretReadError);
    assert.equal(error.cause, denied);
    assert.equal(apiErrorReadinessMessage(error.message, error.cause),
      `cannot read Secret kafka-user (spec.kafka.sasl (usernameKey)): HTTP 403: secrets "kafka-user" is forbidden; the operator's service account lacks the permission (the chart's templates/rbac.yaml grants it; check the operator's ClusterRole or Role); retried with backoff`);
  });

  it('ApiError other than 403: the answer and that it is retried', () => {
    assert.equal(apiErrorReadinessMessage('cannot write ConfigMap app-logshipper', new ApiException(500, 'x', { message: 'etcdserver: request timed out' }, {})),
      'cannot write ConfigMap app-logshipper: HTTP 500: etcdserver: request timed out; retried with backoff; the operator log has the details');
  });

  it('InvalidSpec: the field and problem from the spec check, and what follows until it is fixed', () => {
    assert.equal(invalidSpecMessage(new SpecError('spec.files[0].path', 'invalid value "../x"')),
      'spec.files[0].path: invalid value "../x" (fix the LogShipper; until then its ConfigMap is not updated and pods are not injected)');
  });
});
