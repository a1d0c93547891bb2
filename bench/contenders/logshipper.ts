// logshipper's rows: the agent (compiled JS) with the exec source (`cat`, exits when done) and
// with the TAILDIR source (tails for ever: measured until the topic holds every record).
import { join } from 'node:path';
import type { Contender, Context } from '../lib/contender.ts';
import { agentCommand, agentEntrypoint, imageNodeFlags, writeAgentConfig, type AgentSettings } from '../lib/agent.ts';
import { measure, measureTailer, type Measurement } from '../lib/measure.ts';
import { DEFAULTS } from '../../operator/crd-types.ts';

/** The bench's pipeline sizes, the same for Flume and rsyslog: channel 20,000 events, batches of 2,000. */
export const CAPACITY = 20_000;
export const BATCH = 2_000;

function prepare(): Promise<string> {
  agentEntrypoint();
  return Promise.resolve(`Node ${process.version}`);
}

function settings(c: Context, source: string[], overrides: Partial<AgentSettings> = {}): AgentSettings {
  return { brokers: c.brokers, topic: c.topic, acks: c.acks, source, capacity: CAPACITY, batchSize: BATCH, ...overrides };
}

function runExec(c: Context, overrides: Partial<AgentSettings> = {}, nodeFlags: string[] = []): Promise<Measurement> {
  const batch = overrides.batchSize ?? BATCH;
  const config = writeAgentConfig(c.work, settings(c, ['type = exec', `command = cat ${c.file}`, `batchSize = ${batch}`, 'batchTimeout = 100'], overrides));
  const { command, args } = agentCommand(config, nodeFlags);
  // The agent exits by itself once `cat` is done and every record is acknowledged.
  return measure(command, args);
}

export const logshipperExec: Contender = {
  name: 'logshipper-exec',
  describe: 'logshipper: exec `cat` -> memory channel -> Kafka sink',
  prepare,
  run: (c) => runExec(c),
};

/** The operator's defaults (operator/crd-types.ts): channel, batch size, batching window. */
const OPERATOR_DEFAULTS: Partial<AgentSettings> = { capacity: DEFAULTS.capacity, batchSize: DEFAULTS.batchSize, lingerMs: DEFAULTS.lingerMs };

export const logshipperExecDefaults: Contender = {
  name: 'logshipper-exec-defaults',
  describe: 'logshipper: exec `cat`, operator defaults (channel 10,000, batch 500)',
  prepare,
  run: (c) => runExec(c, OPERATOR_DEFAULTS),
};

/**
 * The same with V8's young generation capped: without a cap V8 grows it to 2 x 64 MB under this
 * allocation rate on a machine with this much RAM, which is most of the agent's peak RSS.
 */
export const logshipperExecDefaultsSemi2: Contender = {
  name: 'logshipper-exec-defaults-semi2',
  describe: 'logshipper: exec `cat`, operator defaults, node --max-semi-space-size=2',
  prepare,
  run: (c) => runExec(c, OPERATOR_DEFAULTS, ['--max-semi-space-size=2']),
};

export const logshipperExecDefaultsSmall: Contender = {
  name: 'logshipper-exec-defaults-small',
  describe: `logshipper: exec \`cat\`, operator defaults, as the image runs it: node ${imageNodeFlags().join(' ')}`,
  prepare,
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

function runTaildir(c: Context, extra: string[] = []): Promise<Measurement> {
  const config = writeAgentConfig(c.work, settings(c, [
    'type = TAILDIR', 'filegroups = f', `filegroups.f = ${c.file}`, `positionFile = ${join(c.work, 'taildir_position.json')}`, `batchSize = ${BATCH}`,
    ...extra,
  ]));
  const { command, args } = agentCommand(config);
  return measureTailer(command, args, { log: join(c.work, 'agent.log'), brokers: c.brokers, topic: c.topic, records: c.lines });
}

export const logshipperTaildir: Contender = {
  name: 'logshipper-taildir',
  describe: 'logshipper: TAILDIR -> memory channel -> Kafka sink',
  prepare,
  run: (c) => runTaildir(c),
};

export const logshipperTaildirHeaders: Contender = {
  name: 'logshipper-taildir-headers',
  describe: 'logshipper: TAILDIR, with the 6 headers of the operator\'s enrichment (pod facts, file path)',
  prepare,
  run: (c) => runTaildir(c, ENRICHMENT),
};

export const logshipperTaildirAcksAll: Contender = {
  name: 'logshipper-taildir-acks-all',
  describe: 'logshipper: TAILDIR, acks=-1',
  prepare,
  run: (c) => runTaildir({ ...c, acks: '-1' }),
};
