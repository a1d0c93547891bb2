// Flume's component counters, kept as plain numbers on the hot path and read by the metrics
// endpoint at scrape time. They live in a CounterStore keyed by component name, so a component
// restarted by a config reload keeps counting where it was (Prometheus counters stay monotonic).

/** Flume's SourceCounter. */
export class SourceCounters {
  eventsReceived = 0;
  eventsAccepted = 0;
  batchesReceived = 0;
  batchesAccepted = 0;
  bytesAccepted = 0;
  /** Events whose put was given up at a stop's deadline (the channels had no room). */
  eventsGivenUp = 0;
}

/** Flume's ChannelCounter (size and capacity are read from the channel itself). */
export class ChannelCounters {
  putAttempts = 0;
  putSuccesses = 0;
  takeAttempts = 0;
  takeSuccesses = 0;
}

/** Flume's SinkCounter. */
export class SinkCounters {
  batchesComplete = 0;
  batchesUnderflow = 0;
  /** Always 0: the runner waits for events instead of polling an empty channel (kept for Flume dashboards). */
  batchesEmpty = 0;
  drainAttempts = 0;
  drainSuccesses = 0;
  bytesDrained = 0;
  rollbacks = 0;
  /** Deliveries that failed (Flume's ConnectionFailedCount). */
  deliveryFailures = 0;
  /** Records over the size limit (truncated or skipped). */
  recordsOversized = 0;
  /** Records whose line was not valid UTF-8 where the format needs text (json: replaced by U+FFFD). */
  invalidUtf8Records = 0;
  /** Records whose timestamp could not be parsed from the line (timestampFormat), sent with the read time. */
  timestampFallbacks = 0;
  /** Events whose topic or key template named a header they lack (rendered empty). */
  templateHeadersMissing = 0;
  /** Records sent to fallbackTopic: their topic, rendered per event, is not a valid topic name. */
  recordsRerouted = 0;
  /** Told how long each successful delivery took (for a Kafka sink: send to acknowledgement). */
  deliveryLatency: LatencyObserver = { observe: () => undefined };
}

export interface LatencyObserver {
  observe(seconds: number): void;
}

export class CounterStore {
  readonly sources = new Map<string, SourceCounters>();
  readonly channels = new Map<string, ChannelCounters>();
  readonly sinks = new Map<string, SinkCounters>();
  private readonly latencyFor: ((sink: string) => LatencyObserver) | undefined;

  /** `latencyFor` gives each sink's delivery-latency recorder (the metrics histogram). */
  constructor(latencyFor?: (sink: string) => LatencyObserver) {
    this.latencyFor = latencyFor;
  }

  source(name: string): SourceCounters {
    return get(this.sources, name, () => new SourceCounters());
  }

  channel(name: string): ChannelCounters {
    return get(this.channels, name, () => new ChannelCounters());
  }

  sink(name: string): SinkCounters {
    return get(this.sinks, name, () => {
      const counters = new SinkCounters();
      if (this.latencyFor !== undefined) counters.deliveryLatency = this.latencyFor(name);
      return counters;
    });
  }
}

function get<T>(map: Map<string, T>, name: string, create: () => T): T {
  let value = map.get(name);
  if (value === undefined) map.set(name, (value = create()));
  return value;
}
