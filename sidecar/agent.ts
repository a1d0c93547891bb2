import { monotonicMs } from './clock.ts';
import type { Source, SourceOutcome } from './component.ts';
import type { AgentConfig, ChannelDecl, SinkDecl, SinkSpec, SourceDecl } from './config/agent-config.ts';
import type { Logger } from './log.ts';
import { CounterStore, type SinkCounters } from './counters.ts';
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
   * Stops the sources, lets the sinks drain the channels until `drainMs` has passed, then stops the sinks.
   * Returns the number of events left undelivered in the channels (0 after a full drain).
   */
  async stop(drainMs = DEFAULT_DRAIN_MS): Promise<number> {
    const deadline = monotonicMs() + drainMs;
    await Promise.all([...this.sources.values()].map((source) => source.stop()));
    await Promise.all([...this.sinks.values()].map((sink) => sink.stop(deadline)));
    await Promise.all([...this.sources.values()].map((source) => source.close?.() ?? Promise.resolve()));
    let left = 0;
    for (const channel of this.channels.values()) left += channel.held;
    this.log.info({ agent: this.config.agent, undelivered: left }, left === 0 ? 'agent stopped, channels drained' : 'agent stopped with undelivered events');
    return left;
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
   * replacement, in order; a removed channel is drained into its old sinks first (up to drainMs).
   */
  async reload(next: AgentConfig, drainMs = DEFAULT_DRAIN_MS): Promise<ReloadSummary> {
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
      await source?.stop();
      if (source instanceof TaildirSource && next.sources.find((s) => s.name === name)?.spec.type === 'taildir') handovers.set(name, await source.handOver());
      else await source?.close?.();
      this.sources.delete(name);
    }
    const deadline = monotonicMs() + drainMs;
    for (const decl of previous.sinks.filter((s) => sinksChanged.has(s.name))) {
      await this.sinks.get(decl.name)?.stop(channelsRemoved.has(decl.channel) ? deadline : monotonicMs());
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
