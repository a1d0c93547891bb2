import type { Source, SourceOutcome } from './component.ts';
import type { AgentConfig, SinkSpec, SourceDecl } from './config/agent-config.ts';
import type { Logger } from './log.ts';
import { MemoryChannel } from './channels/memory.ts';
import { ChannelProcessor } from './channels/processor.ts';
import { ExecSource } from './sources/exec.ts';
import { SeqSource } from './sources/seq.ts';
import { NetcatSource } from './sources/netcat.ts';
import { KafkaSink } from './sinks/kafka.ts';
import { LoggerSink } from './sinks/logger.ts';
import { NullSink } from './sinks/null.ts';
import { SinkRunner } from './sinks/runner.ts';
import type { Sink } from './sinks/sink.ts';

/** How long a stop waits for channels to drain into the sinks (below Kubernetes' 30 s grace period). */
export const DEFAULT_DRAIN_MS = 20_000;

/**
 * A running agent: the channels, sources and sink runners of one AgentConfig.
 * Starts sinks first and sources last, so that nothing is read before it can be delivered;
 * stops in reverse, draining the channels into the sinks.
 */
export class Agent {
  readonly config: AgentConfig;
  readonly channels = new Map<string, MemoryChannel>();
  readonly sources = new Map<string, Source>();
  readonly sinks = new Map<string, SinkRunner>();
  private readonly log: Logger;

  constructor(config: AgentConfig, log: Logger) {
    this.config = config;
    this.log = log;
    for (const { name, config: channelConfig } of config.channels) {
      this.channels.set(name, new MemoryChannel(name, channelConfig, log.child({ component: `channel.${name}` })));
    }
    for (const decl of config.sinks) {
      const sinkLog = log.child({ component: `sink.${decl.name}` });
      this.sinks.set(decl.name, new SinkRunner(decl.name, createSink(decl.spec, sinkLog), this.channel(decl.channel), sinkLog));
    }
    for (const decl of config.sources) {
      this.sources.set(decl.name, this.createSource(decl));
    }
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
    const deadline = Date.now() + drainMs;
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

  private channel(name: string): MemoryChannel {
    const channel = this.channels.get(name);
    if (channel === undefined) throw new Error(`channel ${name} is not defined`);
    return channel;
  }

  private createSource(decl: SourceDecl): Source {
    const processor = new ChannelProcessor(decl.interceptors, decl.channels.map((name) => this.channel(name)));
    const log = this.log.child({ component: `source.${decl.name}` });
    switch (decl.spec.type) {
      case 'exec': return new ExecSource(decl.spec.config, processor, log);
      case 'seq': return new SeqSource(decl.spec.config, processor, log);
      case 'netcat': return new NetcatSource(decl.spec.config, processor, log);
    }
  }
}

function createSink(spec: SinkSpec, log: Logger): Sink {
  switch (spec.type) {
    case 'kafka': return new KafkaSink(spec.config, log);
    case 'logger': return new LoggerSink(spec.config, log);
    case 'null': return new NullSink(spec.config);
  }
}
