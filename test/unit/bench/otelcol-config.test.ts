import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { load } from 'js-yaml';
import { builderManifest, collectorConfig, requiredAcks } from '../../../bench/lib/otelcol-config.ts';
import { OTELCOL_CONTRIB_VERSION, OTELCOL_STABLE_VERSION, OTELCOL_VERSION } from '../../../test/env/versions.ts';

const VERSIONS = { core: OTELCOL_VERSION, stable: OTELCOL_STABLE_VERSION, contrib: OTELCOL_CONTRIB_VERSION };

describe('the Collector\'s builder manifest', () => {
  it('holds filelog, batch, kafka and the file provider at the pinned versions, file as the default scheme', () => {
    const manifest = load(builderManifest(VERSIONS, 'otelcol-bench', '/cache/src')) as Record<string, unknown>;
    assert.deepEqual(manifest['dist'], { name: 'otelcol-bench', description: 'logshipper benchmarks: filelog -> batch -> kafka', output_path: '/cache/src' });
    assert.deepEqual(manifest['receivers'], [{ gomod: `github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver ${OTELCOL_CONTRIB_VERSION}` }]);
    assert.deepEqual(manifest['processors'], [{ gomod: `go.opentelemetry.io/collector/processor/batchprocessor ${OTELCOL_VERSION}` }]);
    assert.deepEqual(manifest['exporters'], [{ gomod: `github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter ${OTELCOL_CONTRIB_VERSION}` }]);
    assert.deepEqual(manifest['providers'], [{ gomod: `go.opentelemetry.io/collector/confmap/provider/fileprovider ${OTELCOL_STABLE_VERSION}` }]);
    assert.deepEqual(manifest['conf_resolver'], { default_uri_scheme: 'file' });
  });
});

describe('the Collector\'s config', () => {
  it('tails the file from its start into the topic, raw, with the acks asked for', () => {
    const config = load(collectorConfig({ file: '/logs/app.log', brokers: '127.0.0.1:9092,127.0.0.1:9093', topic: 'bench-x', acks: '-1' }));
    assert.deepEqual(config, {
      receivers: { file_log: { include: ['/logs/app.log'], start_at: 'beginning' } },
      processors: { batch: {} },
      exporters: { kafka: { brokers: ['127.0.0.1:9092', '127.0.0.1:9093'], logs: { topic: 'bench-x', encoding: 'raw' }, producer: { required_acks: -1 } } },
      service: {
        telemetry: { logs: { level: 'warn' }, metrics: { level: 'none' } },
        pipelines: { logs: { receivers: ['file_log'], processors: ['batch'], exporters: ['kafka'] } },
      },
    });
  });

  it('quotes a path that YAML would read otherwise', () => {
    const config = load(collectorConfig({ file: '/logs/#1: app.log', brokers: 'b:1', topic: 'yes', acks: '1' })) as { receivers: { file_log: { include: string[] } }; exporters: { kafka: { logs: { topic: unknown } } } };
    assert.deepEqual(config.receivers.file_log.include, ['/logs/#1: app.log']);
    assert.equal(config.exporters.kafka.logs.topic, 'yes');
  });

  it('takes acks -1, all, 1 and 0, and names what it takes otherwise', () => {
    assert.equal(requiredAcks('-1'), -1);
    assert.equal(requiredAcks('all'), -1);
    assert.equal(requiredAcks('1'), 1);
    assert.equal(requiredAcks('0'), 0);
    assert.throws(() => requiredAcks('2'), /acks 2: the Collector's kafka exporter takes -1 \(all\), 0 or 1/);
    assert.throws(() => requiredAcks('leader'), /acks leader/);
  });
});
