// logshipper's rows: the agent (compiled JS) with the exec source (`cat`, exits when done) and
// with the TAILDIR source (tails for ever: measured until the topic holds every record).
import { join } from 'node:path';
import { DEFAULTS } from '../../operator/crd-types.ts';
import { DEFAULT_READ_INTERVAL_MS, READ_INTERVAL_KEY } from '../../sidecar/sources/taildir/config.ts';
import type { Contender, Context, Launch, Tailer, TailTarget } from '../lib/contender.ts';
import { agentCommand, agentEntrypoint, imageNodeFlags, writeAgentConfig, type AgentSettings } from '../lib/agent.ts';
import { measure, tailerContender, type Measurement } from '../lib/measure.ts';

/** The bench's pipeline sizes, the same for Flume and rsyslog: channel 20,000 events, batches of 2,000. */
export const CAPACITY = 20_000;
export const BATCH = 2_000;

/** Compiles the agent once; its Node version, for the report. */
export function prepareAgent(): Promise<string> {
  agentEntrypoint();
  return Promise.resolve(`Node ${process.version}`);
}

function settings(c: TailTarget, source: string[], overrides: Partial<AgentSettings> = {}): AgentSettings {
  return { brokers: c.brokers, topic: c.topic, acks: c.acks, source, capacity: CAPACITY, batchSize: BATCH, ...overrides };
}

export function runExec(c: Context, overrides: Partial<AgentSettings> = {}, nodeFlags: string[] = []): Promise<Measurement> {
  const batch = overrides.batchSize ?? BATCH;
  const config = writeAgentConfig(c.work, settings(c, ['type = exec', `command = cat ${c.file}`, `batchSize = ${batch}`, 'batchTimeout = 100'], overrides));
  const { command, args } = agentCommand(config, nodeFlags);
  // The agent exits by itself once `cat` is done and every record is acknowledged.
  return measure(command, args);
}

export const logshipperExec: Contender = {
  name: 'logshipper-exec',
  describe: 'logshipper: exec `cat` -> memory channel -> Kafka sink',
  prepare: prepareAgent,
  run: (c) => runExec(c),
};

/** The operator's defaults (operator/crd-types.ts): channel 10,000 events, batches of 500, its linger. */
export const OPERATOR_DEFAULTS: Partial<AgentSettings> = { capacity: DEFAULTS.capacity, batchSize: DEFAULTS.batchSize, lingerMs: DEFAULTS.lingerMs };

export const logshipperExecDefaults: Contender = {
  name: 'logshipper-exec-defaults',
  describe: 'logshipper: exec `cat`, operator defaults (channel 10,000, batch 500)',
  prepare: prepareAgent,
  run: (c) => runExec(c, OPERATOR_DEFAULTS),
};

/**
 * The same with V8's young generation capped: without a cap V8 grows it to 2 x 64 MB under this
 * allocation rate on a machine with this much RAM, which is most of the agent's peak RSS.
 */
export const logshipperExecDefaultsSemi2: Contender = {
  name: 'logshipper-exec-defaults-semi2',
  describe: 'logshipper: exec `cat`, operator defaults, node --max-semi-space-size=2',
  prepare: prepareAgent,
  run: (c) => runExec(c, OPERATOR_DEFAULTS, ['--max-semi-space-size=2']),
};

export const logshipperExecDefaultsSmall: Contender = {
  name: 'logshipper-exec-defaults-small',
  describe: `logshipper: exec \`cat\`, operator defaults, as the image runs it: node ${imageNodeFlags().join(' ')}`,
  prepare: prepareAgent,
  run: (c) => runExec(c, OPERATOR_DEFAULTS, imageNodeFlags()),
};

/**
 * What a LogShipper with every enrichment field renders (operator/render.ts): pod facts as static
 * headers of the file group (from the downward API in a pod) and the file's path as a header.
 */
const ENRICHMENT = [
  'headers.f.k8s.pod.name = web-7d9f8c6b5-x2x9z', 'headers.f.k8s.pod.namespace = shop', 'headers.f.k8s.node.name = node-12',
  'headers.f.k8s.pod.uid = 0f0c6a1e-2f55-4c1e-9a47-3f1c2b8e5d10', 'headers.f.k8s.container.name = app',
  'fileHeader = true', 'fileHeaderKey = k8s.file.path',
];

/** The agent's config file with a TAILDIR source on `t.file`, sized by `overrides`, `extra` source lines; its path. */
export function taildirConfig(t: TailTarget, overrides: Partial<AgentSettings> = {}, extra: string[] = []): string {
  return writeAgentConfig(t.work, settings(t, [
    'type = TAILDIR', 'filegroups = f', `filegroups.f = ${t.file}`, `positionFile = ${join(t.work, 'taildir_position.json')}`,
    `batchSize = ${overrides.batchSize ?? BATCH}`, ...extra,
  ], overrides));
}

/** The agent with a TAILDIR source on `t.file`, sized by `overrides`, under node `nodeFlags`. */
export function taildirLaunch(t: TailTarget, overrides: Partial<AgentSettings> = {}, nodeFlags: string[] = [], extra: string[] = []): Launch {
  return agentCommand(taildirConfig(t, overrides, extra), nodeFlags);
}

/** A TAILDIR row: the agent launched by `launch`, measured until the topic holds every record. */
export function taildir(name: string, describe: string, launch: (t: TailTarget) => Launch, prepare: () => Promise<string> = prepareAgent): Contender {
  const tailer: Tailer = { name, describe, prepare, launch };
  return tailerContender(tailer);
}

export const logshipperTaildir = taildir('logshipper-taildir', 'logshipper: TAILDIR -> memory channel -> Kafka sink', (t) => taildirLaunch(t));

export const logshipperTaildirHeaders = taildir(
  'logshipper-taildir-headers', 'logshipper: TAILDIR, with the 6 headers of the operator\'s enrichment (pod facts, file path)',
  (t) => taildirLaunch(t, {}, [], ENRICHMENT),
);

export const logshipperTaildirAcksAll = taildir('logshipper-taildir-acks-all', 'logshipper: TAILDIR, acks=-1', (t) => taildirLaunch({ ...t, acks: '-1' }));

/** When the agent reads and sends: how long a caught-up file waits before it is read, and the sink's batching window. */
export interface Cadence {
  readIntervalMs: number;
  lingerMs: number;
}

/** The agent's defaults (what a LogShipper renders unless its author changes them). */
export const DEFAULT_CADENCE: Cadence = { readIntervalMs: DEFAULT_READ_INTERVAL_MS, lingerMs: DEFAULTS.lingerMs };
/** What a latency-sensitive user sets: each write read at once, no batching window. */
export const LOW_LATENCY: Cadence = { readIntervalMs: 10, lingerMs: 0 };

/** The agent as a LogShipper runs it: TAILDIR, the operator's sizes, `cadence`, the image's node flags. */
export function logshipperImageTailer(name: string, cadence: Cadence = DEFAULT_CADENCE): Tailer {
  return {
    name,
    describe: `logshipper: TAILDIR as a LogShipper runs it: channel ${DEFAULTS.capacity.toLocaleString('en-US')}, batch ${DEFAULTS.batchSize}, ${READ_INTERVAL_KEY} ${cadence.readIntervalMs} ms, linger ${cadence.lingerMs} ms, node ${imageNodeFlags().join(' ')}`,
    prepare: prepareAgent,
    launch: (t) => taildirLaunch(t, { ...OPERATOR_DEFAULTS, lingerMs: cadence.lingerMs }, imageNodeFlags(), [`${READ_INTERVAL_KEY} = ${cadence.readIntervalMs}`]),
  };
}

/** The same at full speed (acks: the run's, as for kcat). */
export const logshipperTaildirImage = tailerContender(logshipperImageTailer('logshipper-taildir-image'));
