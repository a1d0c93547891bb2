// The cluster admin's allow-lists: which entries the operator's flags accept (with the reason when
// not), and what each entry allows (prefix boundaries, wildcard domains, ports, case).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { brokerEntryProblem, imageAllowed, imageEntryProblem, policyRefusal } from '../../../operator/admin-policy.ts';
import { parseOperatorArgs } from '../../../operator/cli.ts';

describe('image allow-list', () => {
  it('entries: exact references, or prefixes ending in /*, :* or @*; anything else is refused with what is allowed', () => {
    for (const good of ['ghcr.io/logshipper/logshipper:1.2.0', 'registry.example/team/*', 'registry.example/agent:*', 'registry.example/agent@*']) {
      assert.equal(imageEntryProblem(good), undefined, good);
    }
    for (const bad of ['registry.example/team*', '*', 'a/*/b', 'has space:1']) assert.ok(imageEntryProblem(bad) !== undefined, bad);
  });

  it('a prefix never matches across its separator; the default image is always allowed', () => {
    const policy = { sidecarImages: ['registry.example/team/*', 'registry.example/agent:*', 'exact:1'], brokers: [] };
    assert.equal(imageAllowed('registry.example/team/x:1', policy, undefined), true);
    assert.equal(imageAllowed('registry.example/team-evil/x:1', policy, undefined), false);
    assert.equal(imageAllowed('registry.example/team/', policy, undefined), false);
    assert.equal(imageAllowed('registry.example/agent:2', policy, undefined), true);
    assert.equal(imageAllowed('registry.example/agent2:2', policy, undefined), false);
    assert.equal(imageAllowed('exact:1', policy, undefined), true);
    assert.equal(imageAllowed('exact:10', policy, undefined), false);
    assert.equal(imageAllowed('default:1', { sidecarImages: [], brokers: [] }, 'default:1'), true);
    assert.equal(policyRefusal(undefined, ['any:1'], { sidecarImages: [], brokers: [] }, undefined), undefined, 'no spec.sidecar.image: the default');
    assert.match(policyRefusal('x:1', [], { sidecarImages: [], brokers: [] }, undefined)?.message ?? '', /allowed: none$/);
  });
});

describe('broker allow-list', () => {
  it('entries: host:port, *.domain:port, port a number or *, IPv6 in brackets', () => {
    for (const good of ['kafka-0.kafka:9092', '*.kafka.infra.svc:9093', '*.kafka.infra.svc:*', '10.0.0.1:9092', '[fd00::1]:9092']) {
      assert.equal(brokerEntryProblem(good), undefined, good);
    }
    for (const bad of ['kafka', 'kafka:', 'kafka:99999', '*:9092', 'a.*.b:9092', '*.:9092', 'kafka:port', '*.[fd00::1]:9092']) assert.ok(brokerEntryProblem(bad) !== undefined, bad);
  });

  it('matching: exact host and port, a wildcard only below its domain, names case-insensitive', () => {
    const policy = { sidecarImages: [], brokers: ['Kafka-0.kafka:9092', '*.infra.svc:9093', '*.any:*', '[fd00::1]:9092'] };
    const allowed = (broker: string): boolean => policyRefusal(undefined, [broker], policy, undefined) === undefined;
    assert.equal(allowed('kafka-0.KAFKA:9092'), true);
    assert.equal(allowed('kafka-0.kafka:9093'), false);
    assert.equal(allowed('kafka-1.kafka:9092'), false);
    assert.equal(allowed('b.infra.svc:9093'), true);
    assert.equal(allowed('a.b.infra.svc:9093'), true);
    assert.equal(allowed('infra.svc:9093'), false, 'the domain itself is not below it');
    assert.equal(allowed('evilinfra.svc:9093'), false);
    assert.equal(allowed('b.infra.svc.evil:9093'), false);
    assert.equal(allowed('x.any:1'), true);
    assert.equal(allowed('[fd00::1]:9092'), true);
    assert.equal(allowed('[fd00::2]:9092'), false);
    assert.equal(policyRefusal(undefined, ['anything:1'], { sidecarImages: [], brokers: [] }, undefined), undefined, 'an empty list allows any broker');
  });
});

describe('operator flags', () => {
  it('--allowed-sidecar-images and --allowed-brokers: comma-separated, each entry checked, the bad one named', () => {
    const flags = parseOperatorArgs(['--allowed-sidecar-images', 'a:1, registry.example/team/*', '--allowed-brokers=*.kafka:9093,kafka-0:9092']);
    assert.ok(flags !== 'help');
    assert.deepEqual(flags.allowedSidecarImages, ['a:1', 'registry.example/team/*']);
    assert.deepEqual(flags.allowedBrokers, ['*.kafka:9093', 'kafka-0:9092']);
    assert.throws(() => parseOperatorArgs(['--allowed-sidecar-images', 'registry.example/team*']), /--allowed-sidecar-images: invalid entry "registry.example\/team\*": an exact image reference, or a prefix ending in/);
    assert.throws(() => parseOperatorArgs(['--allowed-brokers', 'kafka']), /--allowed-brokers: invalid entry "kafka": host:port, \*\.domain:port/);
    const none = parseOperatorArgs([]);
    assert.ok(none !== 'help');
    assert.deepEqual([none.allowedSidecarImages, none.allowedBrokers], [[], []]);
  });
});
