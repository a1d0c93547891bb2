import type { DrainOptions, Source, SourceOutcome } from './component.ts';
import type { AgentConfig, ChannelDecl, SinkDecl, SinkSpec, SourceDecl } from './config/agent-config.ts';
import type { Logger } from './log.ts';
import { CounterStore, type SinkCounters } from './counters.ts';
import type { Deadline } from './deadline.ts';
import { MemoryChannel } from './channels/memory.ts';
import { ChannelProcessor } from './channels/processor.ts';
import { ExecSource } from './sources/exec.ts';
import { SeqSource } from './sources/seq.ts';
import { NetcatSource } from './sources/netcat.ts';
import { TaildirSource } from './sources/taildir.ts';
import type { TaildirHandover } from './sources/taildir/handover.ts';
import { KafkaSink } from './sinks/kafka.ts';
import { LoggerSink } from './sinks/logger.ts';
import { NullSink } from './sinks/null.ts';
import { SinkRunner } from './sinks/runner.ts';
import type { Sink } from './sinks/sink.ts';

/** How long a stop waits for channels to drain into the sinks (below Kubernetes' 30 s grace period). */
export const DEFAULT_DRAIN_MS = 20_000;
/** How long a stop reads on while files still grow (DrainOptions.quietMs): not at all, the app has exited (a native sidecar). */
export const DEFAULT_DRAIN_QUIET_MS = 0;

/** A file whose bytes were not all delivered when the agent stopped. */
export interface UndeliveredFile {
  source: string;
  path: string;
  /** Offset up to which Kafka acknowledged its lines (the checkpoint). */
  deliveredUpTo: number;
  size: number;
}

/** What a stop left undelivered: events in channels or given up mid-put, and files not delivered to their end. */
export interface StopReport {
  undelivered: number;
  files: UndeliveredFile[];
}

/** What a reload changed, by component name. */
export interface ReloadSummary {
  restarted: string[];
  added: string[];
  removed: string[];
  /** Events of removed channels that could not be delivered before the drain deadline. */
  lost: number;
}

/**
 * A running agent: the channels, sources and sink runners of one AgentConfig.
 * Starts sinks first and sources last, so that nothing is read before it can be delivered;
 * stops in reverse, draining the channels into the sinks. A reload swaps only what changed.
 */
export class Agent {
  config: AgentConfig;
  readonly channels = new Map<string, MemoryChannel>();
  readonly sources = new Map<string, Source>();
  readonly sinks = new Map<string, SinkRunner>();
  readonly counters: CounterStore;
  private readonly log: Logger;

  constructor(config: AgentConfig, log: Logger, counters = new CounterStore()) {
    this.config = config;
    this.log = log;
    this.counters = counters;
    for (const decl of config.channels) this.channels.set(decl.name, this.createChannel(decl));
    for (const decl of config.sinks) this.sinks.set(decl.name, this.createSinkRunner(decl));
    for (const decl of config.sources) this.sources.set(decl.name, this.createSource(decl));
  }

  async start(): Promise<void> {
    for (const sink of this.sinks.values()) await sink.start();
    for (const source of this.sources.values()) await source.start();
    this.log.info({ agent: this.config.agent, sources: [...this.sources.keys()], channels: [...this.channels.keys()], sinks: [...this.sinks.keys()] }, 'agent started');
  }

  /**
   * Stops for good: the sources read what is left and put it (drain, as `drain` says), the sinks
   * deliver what the channels hold, all until `deadline`; then the sources persist the checkpoints
   * their delivered events earned. Reports what was not delivered by the deadline.
   */
  async stop(deadline: Deadline, drain: DrainOptions): Promise<StopReport> {
    const sources = [...this.sources.entries()];
    const givenUpBefore = this.givenUp();
    await Promise.all(sources.map(async ([name, source]) => {
      try {
        await source.drain?.(deadline, drain);
      } catch (error) {
        this.log.error({ source: name, err: error }, 'source failed while reading to its end');
      }
    }));
    await Promise.all(sources.map(([, source]) => source.stop(deadline)));
    await Promise.all([...this.sinks.values()].map((sink) => sink.stop(deadline)));
    let inChannels = 0;
    for (const channel of this.channels.values()) inChannels += channel.held;
    // Read, handed to a put and given up at the deadline.
    const notPut = this.givenUp() - givenUpBefore;
    const files: UndeliveredFile[] = [];
    for (const [name, source] of sources) {
      for (const file of source.report?.().files ?? []) {
        if (file.committedOffset < file.size) files.push({ source: name, path: file.path, deliveredUpTo: file.committedOffset, size: file.size });
      }
    }
    await Promise.all(sources.map(([, source]) => source.close?.() ?? Promise.resolve()));
    const report = { undelivered: inChannels + notPut, files };
    if (report.undelivered === 0 && files.length === 0) {
      this.log.info({ agent: this.config.agent, undelivered: 0 }, 'agent stopped, channels drained');
    } else {
      this.log.error({ agent: this.config.agent, undelivered: report.undelivered, inChannels, notPut, files },
        'agent stopped at the drain deadline with undelivered events: given up (files: bytes from deliveredUpTo to size were not delivered)');
    }
    return report;
  }

  private givenUp(): number {
    let events = 0;
    for (const name of this.sources.keys()) events += this.counters.source(name).eventsGivenUp;
    return events;
  }

  /**
   * Resolves when every source has finished, `failed` if any failed
   * (never for an agent without sources, or with a server source).
   */
  async sourcesFinished(): Promise<SourceOutcome> {
    if (this.sources.size === 0) return new Promise(() => undefined);
    const outcomes = await Promise.all([...this.sources.values()].map((source) => source.finished()));
    return outcomes.includes('failed') ? 'failed' : 'completed';
  }

  /**
   * Applies a new configuration of the same agent, restarting only the components whose keys
   * changed (and those wired to a changed channel). Events in a changed channel move to its
   * replacement, in order; a removed channel is drained into its old sinks first (up to `deadline`).
   */
  async reload(next: AgentConfig, deadline: Deadline): Promise<ReloadSummary> {
    const previous = this.config;
    const changed = <T extends { name: string; fingerprint: string }>(old: readonly T[], now: readonly T[]): Set<string> =>
      new Set(old.filter((o) => now.find((n) => n.name === o.name)?.fingerprint !== o.fingerprint).map((o) => o.name));
    const channelsChanged = changed(previous.channels, next.channels);
    const channelsRemoved = new Set([...channelsChanged].filter((name) => !next.channels.some((c) => c.name === name)));
    const sourcesChanged = changed(previous.sources, next.sources);
    for (const decl of previous.sources) if (decl.channels.some((c) => channelsChanged.has(c))) sourcesChanged.add(decl.name);
    const sinksChanged = changed(previous.sinks, next.sinks);
    for (const decl of previous.sinks) if (channelsChanged.has(decl.channel)) sinksChanged.add(decl.name);

    // Stop what changes: sources first (no more reading), then the sinks of removed channels
    // after draining them, then the other changed sinks (finishing their batch in flight).
    // A TAILDIR source replaced by a TAILDIR source hands its files over instead of closing them:
    // its events still in the channels then advance the replacement's checkpoints.
    const handovers = new Map<string, TaildirHandover>();
    for (const name of sourcesChanged) {
      const source = this.sources.get(name);
      await source?.stop(deadline);
      if (source instanceof TaildirSource && next.sources.find((s) => s.name === name)?.spec.type === 'taildir') handovers.set(name, await source.handOver());
      else await source?.close?.();
      this.sources.delete(name);
    }
    for (const decl of previous.sinks.filter((s) => sinksChanged.has(s.name))) {
      await this.sinks.get(decl.name)?.stop(deadline, channelsRemoved.has(decl.channel));
      this.sinks.delete(decl.name);
    }
    let lost = 0;
    for (const decl of next.channels) {
      const old = this.channels.get(decl.name);
      if (old !== undefined && !channelsChanged.has(decl.name)) continue;
      const replacement = this.createChannel(decl);
      old?.transferTo(replacement);
      this.channels.set(decl.name, replacement);
    }
    for (const name of channelsRemoved) {
      lost += this.channels.get(name)?.held ?? 0;
      this.channels.delete(name);
    }

    this.config = next;
    const started: string[] = [];
    for (const decl of next.sinks.filter((s) => !this.sinks.has(s.name))) {
      const runner = this.createSinkRunner(decl);
      this.sinks.set(decl.name, runner);
      await runner.start();
      started.push(`sink.${decl.name}`);
    }
    for (const decl of next.sources.filter((s) => !this.sources.has(s.name))) {
      const source = this.createSource(decl, handovers.get(decl.name));
      this.sources.set(decl.name, source);
      await source.start();
      started.push(`source.${decl.name}`);
    }
    const before = new Set([...previous.sources.map((s) => `source.${s.name}`), ...previous.sinks.map((s) => `sink.${s.name}`), ...previous.channels.map((c) => `channel.${c.name}`)]);
    const after = new Set([...next.sources.map((s) => `source.${s.name}`), ...next.sinks.map((s) => `sink.${s.name}`), ...next.channels.map((c) => `channel.${c.name}`)]);
    const restartedChannels = [...channelsChanged].filter((name) => !channelsRemoved.has(name)).map((name) => `channel.${name}`);
    return {
      restarted: [...restartedChannels, ...started.filter((name) => before.has(name))],
      added: [...after].filter((name) => !before.has(name)),
      removed: [...before].filter((name) => !after.has(name)),
      lost,
    };
  }

  private channel(name: string): MemoryChannel {
    const channel = this.channels.get(name);
    if (channel === undefined) throw new Error(`channel ${name} is not defined`);
    return channel;
  }

  private createChannel(decl: ChannelDecl): MemoryChannel {
    return new MemoryChannel(decl.name, decl.config, this.log.child({ component: `channel.${decl.name}` }), this.counters.channel(decl.name));
  }

  private createSinkRunner(decl: SinkDecl): SinkRunner {
    const log = this.log.child({ component: `sink.${decl.name}` });
    const counters = this.counters.sink(decl.name);
    return new SinkRunner(decl.name, createSink(decl.spec, log, counters), this.channel(decl.channel), log, counters);
  }

  private createSource(decl: SourceDecl, handover?: TaildirHandover): Source {
    const processor = new ChannelProcessor(decl.interceptors, decl.channels.map((name) => this.channel(name)), this.counters.source(decl.name));
    const log = this.log.child({ component: `source.${decl.name}` });
    switch (decl.spec.type) {
      case 'exec': return new ExecSource(decl.spec.config, processor, log);
      case 'seq': return new SeqSource(decl.spec.config, processor, log);
      case 'netcat': return new NetcatSource(decl.spec.config, processor, log);
      case 'taildir': return new TaildirSource(decl.spec.config, processor, log, handover);
    }
  }
}

function createSink(spec: SinkSpec, log: Logger, counters: SinkCounters): Sink {
  switch (spec.type) {
    case 'kafka': return new KafkaSink(spec.config, log, counters);
    case 'logger': return new LoggerSink(spec.config, log);
    case 'null': return new NullSink(spec.config);
  }
}
