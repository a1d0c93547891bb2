import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Agent } from './agent.ts';
import type { LatencyObserver } from './counters.ts';
import type { SourceReport } from './component.ts';
import { processMetrics } from './process-metrics.ts';

/**
 * The configuration file: `loaded` (the running configuration is its content, or a refused reload
 * of it), `waiting` (it did not exist at start: nothing runs until it appears and loads), `gone`
 * (removed since: the last configuration keeps running).
 */
export type ConfigFileState = 'loaded' | 'waiting' | 'gone';

/** Counts config reloads, for /metrics and /readyz. */
export interface ReloadState {
  loadedAt: Date;
  configHash: string;
  successes: number;
  failures: number;
  lastError: string | undefined;
  file: ConfigFileState;
}

type Read = () => Iterable<[Record<string, string>, number]>;

/**
 * The agent's Prometheus metrics. Components keep plain counters (see counters.ts); these
 * collectors read them at scrape time, so the hot path never touches prom-client.
 */
export function createMetrics(agent: () => Agent, reloads: ReloadState): { registry: Registry; latencyFor: (sink: string) => LatencyObserver } {
  const registry = new Registry();
  processMetrics(registry);

  const counter = (name: string, help: string, labelNames: string[], read: Read): void => {
    new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: string[], read: Read): void => {
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  };
  const sources = (field: keyof ReturnType<Agent['counters']['source']>): Read => function* () {
    for (const [source, counters] of agent().counters.sources) yield [{ source }, counters[field]];
  };
  const channels = (field: keyof ReturnType<Agent['counters']['channel']>): Read => function* () {
    for (const [channel, counters] of agent().counters.channels) yield [{ channel }, counters[field]];
  };
  type SinkField = Exclude<keyof ReturnType<Agent['counters']['sink']>, 'deliveryLatency'>;
  const sinks = (field: SinkField): Read => function* () {
    for (const [sink, counters] of agent().counters.sinks) yield [{ sink }, counters[field]];
  };

  counter('logshipper_source_events_received_total', 'Events a source read (Flume EventReceivedCount).', ['source'], sources('eventsReceived'));
  counter('logshipper_source_events_accepted_total', 'Events a source put into its channels (Flume EventAcceptedCount).', ['source'], sources('eventsAccepted'));
  counter('logshipper_source_batches_received_total', 'Batches a source read (Flume AppendBatchReceivedCount).', ['source'], sources('batchesReceived'));
  counter('logshipper_source_batches_accepted_total', 'Batches a source put into its channels (Flume AppendBatchAcceptedCount).', ['source'], sources('batchesAccepted'));
  counter('logshipper_source_bytes_accepted_total', 'Body bytes a source put into its channels.', ['source'], sources('bytesAccepted'));
  const reports = function* (): Generator<[string, SourceReport]> {
    for (const [source, running] of agent().sources) {
      const report = running.report?.();
      if (report !== undefined) yield [source, report];
    }
  };
  const reported = (field: Exclude<keyof SourceReport, 'files' | 'filesRefused'>): Read => function* () {
    for (const [source, report] of reports()) yield [{ source }, report[field]];
  };
  counter('logshipper_source_long_lines_total', 'Lines longer than the maximum line length (split or truncated).', ['source'], reported('longLines'));
  counter('logshipper_source_invalid_sequences_total', 'Byte sequences invalid in the source encoding, replaced by U+FFFD.', ['source'], reported('invalidSequences'));
  counter('logshipper_source_rotations_total', 'Files renamed away or deleted while being read (read to their end first).', ['source'], reported('rotations'));
  counter('logshipper_source_truncations_total', 'Files truncated in place (copytruncate), read again from the start.', ['source'], reported('truncations'));
  counter('logshipper_source_files_refused_total', 'Files not read: their real path (symlinks resolved) is outside the source\'s confineTo (reason outside), or could not be resolved (unverifiable).', ['source', 'reason'], function* () {
    for (const [source, report] of reports()) {
      for (const [reason, value] of Object.entries(report.filesRefused)) yield [{ source, reason }, value];
    }
  });
  gauge('logshipper_source_files', 'Files the source has open.', ['source'], function* () {
    for (const [source, report] of reports()) yield [{ source }, report.files.length];
  });
  gauge('logshipper_file_lag_bytes', 'Bytes of a file not yet acknowledged by Kafka: its size minus the committed offset.', ['source', 'file'], function* () {
    for (const [source, report] of reports()) {
      for (const file of report.files) yield [{ source, file: file.path }, Math.max(0, file.size - file.committedOffset)];
    }
  });

  gauge('logshipper_channel_size', 'Events waiting in the channel (Flume ChannelSize).', ['channel'], function* () {
    for (const [channel, c] of agent().channels) yield [{ channel }, c.size];
  });
  gauge('logshipper_channel_capacity', 'Channel capacity in events (Flume ChannelCapacity).', ['channel'], function* () {
    for (const [channel, c] of agent().channels) yield [{ channel }, c.config.capacity];
  });
  gauge('logshipper_channel_fill_ratio', 'Held events / capacity, 0..1 (Flume ChannelFillPercentage / 100).', ['channel'], function* () {
    for (const [channel, c] of agent().channels) yield [{ channel }, c.held / c.config.capacity];
  });
  counter('logshipper_channel_put_attempts_total', 'Events offered to the channel (Flume EventPutAttemptCount).', ['channel'], channels('putAttempts'));
  counter('logshipper_channel_put_successes_total', 'Events put into the channel (Flume EventPutSuccessCount).', ['channel'], channels('putSuccesses'));
  counter('logshipper_channel_take_attempts_total', 'Take transactions (Flume EventTakeAttemptCount).', ['channel'], channels('takeAttempts'));
  counter('logshipper_channel_take_successes_total', 'Events taken and not rolled back (Flume EventTakeSuccessCount).', ['channel'], channels('takeSuccesses'));

  counter('logshipper_sink_batches_total', 'Batches taken, by fill: complete, underflow (partial), empty (Flume Batch*Count).', ['sink', 'fill'], function* () {
    for (const [sink, c] of agent().counters.sinks) {
      yield [{ sink, fill: 'complete' }, c.batchesComplete];
      yield [{ sink, fill: 'underflow' }, c.batchesUnderflow];
      yield [{ sink, fill: 'empty' }, c.batchesEmpty];
    }
  });
  counter('logshipper_sink_events_drain_attempts_total', 'Events the sink tried to deliver (Flume EventDrainAttemptCount).', ['sink'], sinks('drainAttempts'));
  counter('logshipper_sink_events_drained_total', 'Events delivered and acknowledged (Flume EventDrainSuccessCount).', ['sink'], sinks('drainSuccesses'));
  counter('logshipper_sink_bytes_drained_total', 'Body bytes delivered and acknowledged.', ['sink'], sinks('bytesDrained'));
  counter('logshipper_sink_rollbacks_total', 'Batches rolled back to the channel after a failed delivery.', ['sink'], sinks('rollbacks'));
  counter('logshipper_sink_delivery_failures_total', 'Failed deliveries, e.g. Kafka unreachable (Flume ConnectionFailedCount).', ['sink'], sinks('deliveryFailures'));
  counter('logshipper_sink_records_oversized_total', "Records too large for one record batch (max.message.size or the topic's max.message.bytes), truncated, skipped or split as oversizePolicy says.", ['sink'], sinks('recordsOversized'));
  counter('logshipper_sink_records_invalid_utf8_total', 'Records whose line was not valid UTF-8 where the record format needs text (json): invalid bytes sent as U+FFFD.', ['sink'], sinks('invalidUtf8Records'));
  counter('logshipper_sink_timestamp_fallbacks_total', 'Records whose timestamp could not be parsed from the line (timestampFormat, timestampPattern): sent with the read time.', ['sink'], sinks('timestampFallbacks'));
  counter('logshipper_sink_template_headers_missing_total', 'Events lacking a header their topic or key template names (rendered as empty).', ['sink'], sinks('templateHeadersMissing'));
  counter('logshipper_sink_records_rerouted_total', 'Records sent to fallbackTopic because their rendered topic is not a valid Kafka topic name.', ['sink'], sinks('recordsRerouted'));
  gauge('logshipper_sink_ready', '1 while the sink delivers, 0 while it backs off after failures.', ['sink'], function* () {
    for (const [sink, runner] of agent().sinks) yield [{ sink }, runner.status === 'READY' ? 1 : 0];
  });
  const latency = new Histogram({
    name: 'logshipper_sink_delivery_seconds',
    help: 'Time from sending a batch to its acknowledgement (Kafka produce latency).',
    labelNames: ['sink'], registers: [registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });

  counter('logshipper_config_reloads_total', 'Configuration reloads, by result.', ['result'], function* () {
    yield [{ result: 'success' }, reloads.successes];
    yield [{ result: 'failure' }, reloads.failures];
  });
  gauge('logshipper_config_last_reload_successful', '1 if the last reload attempt applied, 0 if it was refused (the previous config keeps running).', [], function* () {
    yield [{}, reloads.lastError === undefined ? 1 : 0];
  });
  gauge('logshipper_config_loaded_timestamp_seconds', 'When the running configuration was loaded.', [], function* () {
    yield [{}, reloads.loadedAt.getTime() / 1000];
  });
  return { registry, latencyFor: (sink) => latency.labels({ sink }) };
}

/** Flume's JSON monitoring shape (`-Dflume.monitoring.type=http`), so existing dashboards keep working. */
export function flumeJson(agent: Agent): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const [name, c] of agent.counters.sources) {
    if (!agent.sources.has(name)) continue;
    result[`SOURCE.${name}`] = {
      Type: 'SOURCE',
      EventReceivedCount: String(c.eventsReceived),
      EventAcceptedCount: String(c.eventsAccepted),
      AppendBatchReceivedCount: String(c.batchesReceived),
      AppendBatchAcceptedCount: String(c.batchesAccepted),
    };
  }
  for (const [name, channel] of agent.channels) {
    const c = channel.counters;
    result[`CHANNEL.${name}`] = {
      Type: 'CHANNEL',
      ChannelSize: String(channel.size),
      ChannelCapacity: String(channel.config.capacity),
      ChannelFillPercentage: String((100 * channel.held) / channel.config.capacity),
      EventPutAttemptCount: String(c.putAttempts),
      EventPutSuccessCount: String(c.putSuccesses),
      EventTakeAttemptCount: String(c.takeAttempts),
      EventTakeSuccessCount: String(c.takeSuccesses),
    };
  }
  for (const [name, runner] of agent.sinks) {
    const c = runner.counters;
    result[`SINK.${name}`] = {
      Type: 'SINK',
      BatchCompleteCount: String(c.batchesComplete),
      BatchUnderflowCount: String(c.batchesUnderflow),
      BatchEmptyCount: String(c.batchesEmpty),
      EventDrainAttemptCount: String(c.drainAttempts),
      EventDrainSuccessCount: String(c.drainSuccesses),
      ConnectionFailedCount: String(c.deliveryFailures),
      RollbackCount: String(c.rollbacks),
    };
  }
  return result;
}
