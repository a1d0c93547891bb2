import type { Property } from './properties.ts';
import { readPropertiesFile } from './properties.ts';
import { ConfigError, type ConfigWarning } from './errors.ts';
import { Settings } from './settings.ts';
import { configureMemoryChannel, MEMORY_CHANNEL_TYPES, type MemoryChannelConfig } from '../channels/memory.ts';
import { configureExecSource, EXEC_SOURCE_TYPES, type ExecSourceConfig } from '../sources/exec.ts';
import { configureSeqSource, SEQ_SOURCE_TYPES, type SeqSourceConfig } from '../sources/seq.ts';
import { configureNetcatSource, NETCAT_SOURCE_TYPES, type NetcatSourceConfig } from '../sources/netcat.ts';
import { configureTaildirSource, TAILDIR_SOURCE_TYPES, type TaildirConfig } from '../sources/taildir/config.ts';
import { configureKafkaSink, isKafkaSinkType, KAFKA_SINK_TYPES, KEY_TEMPLATE_KEY, TOPIC_KEYS, type KafkaSinkConfig } from '../sinks/kafka-config.ts';
import { groupTopicKey } from '../sources/taildir/config.ts';
import { checkTemplateHeaders, groupHeaders, sourceHeaders } from './template-headers.ts';
import { configureLoggerSink, LOGGER_SINK_TYPES, type LoggerSinkConfig } from '../sinks/logger.ts';
import { configureNullSink, NULL_SINK_TYPES } from '../sinks/null.ts';
import { configureInterceptors, type Interceptor } from '../interceptors/interceptor.ts';

export type SourceSpec =
  | { type: 'exec'; config: ExecSourceConfig }
  | { type: 'seq'; config: SeqSourceConfig }
  | { type: 'netcat'; config: NetcatSourceConfig }
  | { type: 'taildir'; config: TaildirConfig };

export type SinkSpec =
  | { type: 'kafka'; config: KafkaSinkConfig }
  | { type: 'logger'; config: LoggerSinkConfig }
  | { type: 'null'; config: { batchSize: number } };

/** What every declared component has: its name and a fingerprint of its keys, to tell what a reload changed. */
interface Declared {
  name: string;
  fingerprint: string;
}

export interface SourceDecl extends Declared {
  spec: SourceSpec;
  channels: string[];
  interceptors: Interceptor[];
}

export interface ChannelDecl extends Declared {
  config: MemoryChannelConfig;
}

export interface SinkDecl extends Declared {
  spec: SinkSpec;
  channel: string;
}

/** One agent of a Flume properties file, validated and typed. */
export interface AgentConfig {
  file: string;
  agent: string;
  sources: SourceDecl[];
  channels: ChannelDecl[];
  sinks: SinkDecl[];
  warnings: ConfigWarning[];
}

type Kind = 'sources' | 'channels' | 'sinks';

const SOURCE_TYPES: readonly { names: readonly string[]; configure: (settings: Settings) => SourceSpec }[] = [
  { names: EXEC_SOURCE_TYPES, configure: (s) => ({ type: 'exec', config: configureExecSource(s) }) },
  { names: SEQ_SOURCE_TYPES, configure: (s) => ({ type: 'seq', config: configureSeqSource(s) }) },
  { names: NETCAT_SOURCE_TYPES, configure: (s) => ({ type: 'netcat', config: configureNetcatSource(s) }) },
  { names: TAILDIR_SOURCE_TYPES, configure: (s) => ({ type: 'taildir', config: configureTaildirSource(s) }) },
];

const SINK_TYPES: readonly { names: readonly string[]; matches?: (type: string) => boolean; configure: (settings: Settings) => SinkSpec }[] = [
  { names: [...KAFKA_SINK_TYPES, '*KafkaSink'], matches: isKafkaSinkType, configure: (s) => ({ type: 'kafka', config: configureKafkaSink(s) }) },
  { names: LOGGER_SINK_TYPES, configure: (s) => ({ type: 'logger', config: configureLoggerSink(s) }) },
  { names: NULL_SINK_TYPES, configure: (s) => ({ type: 'null', config: configureNullSink(s) }) },
];

/** Reads agent `agent` from a Flume properties file. Throws ConfigError on anything that would not run. */
export function loadAgentConfig(file: string, agent: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return parseAgentConfig(readPropertiesFile(file, env), file, agent);
}

export function parseAgentConfig(properties: Map<string, Property>, file: string, agent: string): AgentConfig {
  const prefix = `${agent}.`;
  const own = new Map<string, Property>();
  for (const [key, property] of properties) {
    if (key.startsWith(prefix)) own.set(key.slice(prefix.length), property);
  }
  if (own.size === 0) {
    const agents = [...new Set([...properties.keys()].map((key) => key.split('.')[0]))].filter((name) => name !== undefined && name !== '');
    throw new ConfigError(`no agent named "${agent}" (--name): the file defines ${agents.length === 0 ? 'no agents' : `agents ${agents.join(', ')}`}`, { file });
  }
  const root = new Settings(prefix, own, file);
  const names: Record<Kind, string[]> = { sources: root.list('sources'), channels: root.list('channels'), sinks: root.list('sinks') };
  if (names.channels.length === 0) throw new ConfigError('lists no channels: an agent needs at least one', { file, key: `${prefix}channels` });
  if (names.sources.length === 0 && names.sinks.length === 0) {
    throw new ConfigError('lists no sources and no sinks: nothing to run', { file, key: `${prefix}sources` });
  }
  const warnings: ConfigWarning[] = [];
  const section = (kind: Kind, name: string): Settings => root.nested(`${kind}.${name}.`);
  const channelNames = new Set(names.channels);
  /** The headers each source's events can have, for the sinks' templates. */
  const headersOf = new Map<string, ReadonlySet<string>>();

  const channels = names.channels.map((name): ChannelDecl => {
    const settings = section('channels', name);
    const type = settings.required('type', `channel type: ${MEMORY_CHANNEL_TYPES.join(', ')}`);
    if (!MEMORY_CHANNEL_TYPES.some((alias) => alias.toLowerCase() === type.toLowerCase())) {
      throw settings.error('type', `unknown channel type "${type}": allowed are ${MEMORY_CHANNEL_TYPES.join(', ')}`);
    }
    return { name, fingerprint: settings.fingerprint(), config: configureMemoryChannel(settings) };
  });

  const sources = names.sources.map((name): SourceDecl => {
    const settings = section('sources', name);
    const type = settings.required('type', `source type: ${SOURCE_TYPES.map((t) => t.names[0]).join(', ')}`);
    const found = SOURCE_TYPES.find((candidate) => candidate.names.some((alias) => alias.toLowerCase() === type.toLowerCase()));
    if (found === undefined) {
      throw settings.error('type', `unknown source type "${type}": allowed are ${SOURCE_TYPES.flatMap((t) => t.names).join(', ')}`);
    }
    const spec = found.configure(settings);
    const wired = settings.list('channels');
    if (wired.length === 0) throw settings.error('channels', 'is required: the channel(s) this source puts its events into');
    for (const channel of wired) {
      if (!channelNames.has(channel)) throw settings.error('channels', `names channel "${channel}", which is not in ${prefix}channels (${names.channels.join(' ')})`);
    }
    settings.oneOf('selector.type', ['replicating'], 'replicating');
    const interceptors = configureInterceptors(settings);
    if (spec.type === 'taildir') {
      for (const group of spec.config.groups) {
        const available = new Set([...groupHeaders(spec.config, group), ...interceptors.map((interceptor) => interceptor.header)]);
        checkTemplateHeaders(settings, groupTopicKey(group.name), group.topic, available, `of file group ${group.name}`);
      }
    }
    headersOf.set(name, sourceHeaders(spec, interceptors));
    const batchSize = 'batchSize' in spec.config ? spec.config.batchSize : 1;
    for (const channel of channels.filter((c) => wired.includes(c.name))) {
      if (batchSize > channel.config.transactionCapacity) {
        throw settings.error('batchSize', `${batchSize} is larger than the transactionCapacity ${channel.config.transactionCapacity} of channel ${channel.name}: raise ${prefix}channels.${channel.name}.transactionCapacity or lower batchSize`);
      }
    }
    return { name, fingerprint: settings.fingerprint(), spec, channels: wired, interceptors };
  });

  const sinks = names.sinks.map((name): SinkDecl => {
    const settings = section('sinks', name);
    const type = settings.required('type', `sink type: ${SINK_TYPES.map((t) => t.names[0]).join(', ')}`);
    const found = SINK_TYPES.find((candidate) => candidate.matches?.(type) ?? candidate.names.some((alias) => alias.toLowerCase() === type.toLowerCase()));
    if (found === undefined) {
      throw settings.error('type', `unknown sink type "${type}": allowed are ${SINK_TYPES.flatMap((t) => t.names).join(', ')}`);
    }
    const spec = found.configure(settings);
    const channel = settings.required('channel', 'the channel this sink takes its events from');
    if (!channelNames.has(channel)) throw settings.error('channel', `names channel "${channel}", which is not in ${prefix}channels (${names.channels.join(' ')})`);
    const wiredChannel = channels.find((c) => c.name === channel);
    if (spec.type === 'kafka') {
      const feeding = sources.filter((source) => source.channels.includes(channel));
      const available = new Set(feeding.flatMap((source) => [...(headersOf.get(source.name) ?? [])]));
      const events = `reaching this sink (from ${feeding.length === 0 ? 'no source' : feeding.map((source) => source.name).join(', ')})`;
      checkTemplateHeaders(settings, settings.nameOf(TOPIC_KEYS) ?? 'kafka.topic', spec.config.topic, available, events);
      checkTemplateHeaders(settings, KEY_TEMPLATE_KEY, spec.config.key, available, events);
    }
    if (wiredChannel !== undefined && spec.config.batchSize > wiredChannel.config.transactionCapacity) {
      warnings.push({
        message: `${settings.prefix}batchSize ${spec.config.batchSize} is larger than the transactionCapacity ${wiredChannel.config.transactionCapacity} of channel ${channel}: batches will hold at most ${wiredChannel.config.transactionCapacity} events`,
        file, line: undefined, key: `${settings.prefix}batchSize`,
      });
    }
    return { name, fingerprint: settings.fingerprint(), spec, channel };
  });

  const used = new Set(channels.map((c) => c.name).filter((c) => sources.some((s) => s.channels.includes(c)) || sinks.some((s) => s.channel === c)));
  for (const channel of names.channels.filter((c) => !used.has(c))) {
    warnings.push({ message: `channel ${channel} is connected to no source and no sink`, file, line: undefined, key: `${prefix}channels` });
  }
  warnings.push(...root.unknownKeys());
  return { file, agent, sources, channels, sinks, warnings };
}
