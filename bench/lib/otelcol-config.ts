// The OpenTelemetry Collector's two files, rendered from plain values: the builder's manifest (which
// components the minimal distribution holds, at which versions) and the collector's own config
// (filelog -> batch -> kafka, raw bodies, the bench's acks).
import { dump } from 'js-yaml';

export interface CollectorVersions {
  /** The core modules' 0.x line, e.g. v0.165.0. */
  core: string;
  /** The core modules' 1.x line of the same release, e.g. v1.71.0. */
  stable: string;
  /** The contrib modules, e.g. v0.165.1. */
  contrib: string;
}

const CONTRIB = 'github.com/open-telemetry/opentelemetry-collector-contrib';
const CORE = 'go.opentelemetry.io/collector';

/**
 * The builder's manifest: only the components the benchmarks use, and only the file config
 * provider (so also the default scheme: `--config PATH` without `file:`).
 */
export function builderManifest(versions: CollectorVersions, name: string, outputPath: string): string {
  return dump({
    dist: { name, description: 'logshipper benchmarks: filelog -> batch -> kafka', output_path: outputPath },
    receivers: [{ gomod: `${CONTRIB}/receiver/filelogreceiver ${versions.contrib}` }],
    processors: [{ gomod: `${CORE}/processor/batchprocessor ${versions.core}` }],
    exporters: [{ gomod: `${CONTRIB}/exporter/kafkaexporter ${versions.contrib}` }],
    providers: [{ gomod: `${CORE}/confmap/provider/fileprovider ${versions.stable}` }],
    conf_resolver: { default_uri_scheme: 'file' },
  }, { lineWidth: -1 });
}

export interface CollectorPipeline {
  file: string;
  brokers: string;
  topic: string;
  /** The bench's acks: -1, all, 1 or 0. */
  acks: string;
}

/** Kafka's acks as the exporter's `producer.required_acks` takes them. */
export function requiredAcks(acks: string): -1 | 0 | 1 {
  const value = acks === 'all' ? -1 : Number(acks);
  if (value !== -1 && value !== 0 && value !== 1) throw new Error(`acks ${acks}: the Collector's kafka exporter takes -1 (all), 0 or 1`);
  return value;
}

/**
 * The collector's config. filelog reads from the start (the file is new, or complete, when it
 * starts) and keeps no checkpoints (no storage extension: a restart re-reads, so it writes
 * nothing to disk, which favours it a little against the agent's position file). The batch
 * processor at its defaults (8,192 records or 200 ms); the exporter writes each body as the
 * record's value (`encoding: raw`): the closest to the bare line that these components give, as
 * raw encodes a string body as a JSON string (the line in quotes; filelog's `encoding: nop` gives
 * bytes, written bare, but then no longer splits lines). Its own metrics are
 * off (no :8888 listener to collide with others) and it logs warnings only.
 */
export function collectorConfig(pipeline: CollectorPipeline): string {
  return dump({
    receivers: { file_log: { include: [pipeline.file], start_at: 'beginning' } },
    processors: { batch: {} },
    exporters: {
      kafka: {
        brokers: pipeline.brokers.split(','),
        logs: { topic: pipeline.topic, encoding: 'raw' },
        producer: { required_acks: requiredAcks(pipeline.acks) },
      },
    },
    service: {
      telemetry: { logs: { level: 'warn' }, metrics: { level: 'none' } },
      pipelines: { logs: { receivers: ['file_log'], processors: ['batch'], exporters: ['kafka'] } },
    },
  }, { lineWidth: -1 });
}
