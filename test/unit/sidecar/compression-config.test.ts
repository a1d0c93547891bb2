// The Kafka sink's compression settings: Flume 1.11's compression.type, the 0.8-era
// compression.codec (names or codec ids), Kafka 3.8's per-codec levels and their ranges.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { parseAgentConfig, type AgentConfig } from '../../../sidecar/config/agent-config.ts';
import { ConfigError } from '../../../sidecar/config/errors.ts';
import type { KafkaSinkConfig } from '../../../sidecar/sinks/kafka-config.ts';

function load(keys: Record<string, string>): AgentConfig {
  const text = [
    'a.sources = s', 'a.channels = c', 'a.sinks = k',
    'a.sources.s.type = exec', 'a.sources.s.command = true', 'a.sources.s.channels = c', 'a.channels.c.type = memory',
    'a.sinks.k.type = kafka', 'a.sinks.k.channel = c', 'a.sinks.k.kafka.bootstrap.servers = b:9092',
    ...Object.entries(keys).map(([key, value]) => `a.sinks.k.${key} = ${value}`),
  ].join('\n');
  return parseAgentConfig(parseProperties(text), 'agent.properties', 'a');
}

function sinkConfig(keys: Record<string, string>): KafkaSinkConfig {
  const spec = load(keys).sinks[0]?.spec;
  assert.equal(spec?.type, 'kafka');
  return spec.config;
}

function warningsOf(keys: Record<string, string>): string[] {
  return load(keys).warnings.map((warning) => warning.message);
}

function compressionOf(keys: Record<string, string>): [string, number | undefined] {
  const config = sinkConfig(keys);
  return [config.compression, config.compressionLevel];
}

const TYPE = 'kafka.producer.compression.type';

describe('Kafka sink compression settings', () => {
  it("reads every codec from compression.type (any case), at Kafka's default level unless one is set", () => {
    assert.deepEqual(compressionOf({}), ['none', undefined]);
    assert.deepEqual(compressionOf({ [TYPE]: 'gzip' }), ['gzip', -1]);
    assert.deepEqual(compressionOf({ [TYPE]: 'Snappy' }), ['snappy', undefined]);
    assert.deepEqual(compressionOf({ [TYPE]: 'lz4' }), ['lz4', 9]);
    assert.deepEqual(compressionOf({ [TYPE]: 'ZSTD' }), ['zstd', 3]);
    assert.deepEqual(compressionOf({ [TYPE]: 'gzip', 'kafka.producer.compression.gzip.level': '9' }), ['gzip', 9]);
    assert.deepEqual(compressionOf({ [TYPE]: 'zstd', 'kafka.producer.compression.zstd.level': '-7' }), ['zstd', -7]);
    assert.deepEqual(compressionOf({ [TYPE]: 'lz4', 'kafka.producer.compression.lz4.level': '9' }), ['lz4', 9]);
    // Another codec's level is checked, and unused.
    assert.deepEqual(compressionOf({ [TYPE]: 'zstd', 'kafka.producer.compression.gzip.level': '1' }), ['zstd', 3]);
  });

  it('reads the Kafka 0.8 producer key compression.codec (bare or under kafka.), by name or codec id; compression.type wins', () => {
    assert.deepEqual(compressionOf({ 'compression.codec': 'snappy' }), ['snappy', undefined]);
    assert.deepEqual(compressionOf({ 'compression.codec': '1' }), ['gzip', -1]);
    assert.deepEqual(compressionOf({ 'kafka.compression.codec': '3' }), ['lz4', 9]);
    assert.deepEqual(compressionOf({ 'compression.codec': '0' }), ['none', undefined]);
    assert.deepEqual(compressionOf({ 'compression.codec': 'gzip', [TYPE]: 'zstd' }), ['zstd', 3]);
    assert.deepEqual(warningsOf({ 'compression.codec': 'gzip', [TYPE]: 'zstd' }), []);
  });

  const errors: [string, Record<string, string>, RegExp][] = [
    ['an unknown codec', { [TYPE]: 'brotli' }, /a\.sinks\.k\.kafka\.producer\.compression\.type: invalid value "brotli": one of none, gzip, snappy, lz4, zstd is allowed/],
    ['an unknown codec id', { 'compression.codec': '5' }, /a\.sinks\.k\.compression\.codec: invalid value "5": one of none, gzip, snappy, lz4, zstd or their Kafka codec ids 0 \(none\), 1 \(gzip\), 2 \(snappy\), 3 \(lz4\), 4 \(zstd\) is allowed/],
    ['an unknown codec name under the old key', { 'kafka.compression.codec': 'lzo' }, /a\.sinks\.k\.kafka\.compression\.codec: invalid value "lzo": one of none, gzip/],
    ['gzip level 0', { [TYPE]: 'gzip', 'kafka.producer.compression.gzip.level': '0' }, /compression\.gzip\.level: invalid value "0": an integer 1\.\.9, or -1 \(the default\) is allowed/],
    ['gzip level 10', { [TYPE]: 'gzip', 'kafka.producer.compression.gzip.level': '10' }, /compression\.gzip\.level: invalid value "10"/],
    ['zstd level 23', { [TYPE]: 'zstd', 'kafka.producer.compression.zstd.level': '23' }, /compression\.zstd\.level: invalid value "23": an integer -131072\.\.22 \(default 3\) is allowed/],
    ['zstd level below -131072', { [TYPE]: 'zstd', 'kafka.producer.compression.zstd.level': '-131073' }, /compression\.zstd\.level: invalid value "-131073"/],
    ['a level that is not a number', { [TYPE]: 'zstd', 'kafka.producer.compression.zstd.level': 'max' }, /compression\.zstd\.level: invalid value "max"/],
    ["another codec's level out of range", { [TYPE]: 'gzip', 'kafka.producer.compression.zstd.level': '99' }, /compression\.zstd\.level: invalid value "99"/],
    ['lz4 level 18', { [TYPE]: 'lz4', 'kafka.producer.compression.lz4.level': '18' }, /compression\.lz4\.level: invalid value "18": 9 \(Kafka.s default, LZ4.s fast mode/],
    ['an LZ4 high-compression level', { [TYPE]: 'lz4', 'kafka.producer.compression.lz4.level': '12' }, /compression\.lz4\.level: invalid value "12": 9 \(Kafka's default, LZ4's fast mode: the agent's LZ4 encoder has no high-compression levels, Kafka's 1\.\.17 other than 9; zstd compresses better\) is allowed/],
  ];
  for (const [name, keys, expected] of errors) {
    it(`rejects ${name}, naming the key, the value and what is allowed`, () => {
      assert.throws(() => sinkConfig(keys), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, expected);
        return true;
      });
    });
  }
});
