// The agent as the image runs it: the compiled tree (tsc, for the operator) and the agent's bundle
// beside it (build/agent-bundle.ts, the Dockerfile's own build step), built into .cache/bench/dist
// from the working tree once per benchmark (or test), run with the image's node flags.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finalStage, readDockerfile, stageConfig } from '../../test/env/images/dockerfile.ts';
import { BUNDLE_NAME } from '../../build/agent-bundle.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;
const DIST = join(ROOT, '.cache', 'bench', 'dist');

let built: string | undefined;

/** Compiles the tree (tsconfig.build.json), bundles the agent beside it and returns the bundle's path (the image's entrypoint). */
export function agentEntrypoint(): string {
  if (built !== undefined) return built;
  mkdirSync(DIST, { recursive: true });
  try {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', DIST], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    // Type errors elsewhere in the tree (work in progress) still emit JavaScript; say so and go on.
    console.error(`bench: tsc reported errors while compiling the agent (using what it emitted):\n${String((error as { stdout?: Buffer }).stdout ?? error).slice(0, 2000)}`);
  }
  // The same command as the Dockerfile's `RUN npm run build:agent`, into DIST instead of dist/.
  execFileSync(process.execPath, [join(ROOT, 'build', 'agent-bundle.ts'), join(DIST, BUNDLE_NAME)], { cwd: ROOT, stdio: 'pipe' });
  built = join(DIST, BUNDLE_NAME);
  return built;
}

/** The node flags of the image's ENTRYPOINT (`["node", ...flags, "/app/dist/logshipper.cjs"]`): the smallest footprint V8 offers, at a CPU price. */
export function imageNodeFlags(): string[] {
  const { entrypoint } = stageConfig(finalStage(readDockerfile()));
  if (entrypoint?.[0] !== 'node') throw new Error('Dockerfile: no ENTRYPOINT ["node", ...] in the final stage');
  return entrypoint.filter((word) => word.startsWith('--'));
}

export interface AgentSettings {
  brokers: string;
  topic: string;
  acks: string;
  /** Source lines, without the `<agent>.sources.s.` prefix. */
  source: string[];
  capacity: number;
  batchSize: number;
  lingerMs?: number;
  /** More sink lines, without the `<agent>.sinks.k.` prefix (e.g. `kafka.producer.compression.type = lz4`). */
  sink?: string[];
}

/** Writes a Flume-style properties file: source -> memory channel -> Kafka sink; returns its path. */
export function writeAgentConfig(dir: string, settings: AgentSettings): string {
  const file = join(dir, 'agent.properties');
  writeFileSync(file, [
    'bench.sources = s', 'bench.channels = c', 'bench.sinks = k',
    ...settings.source.map((line) => `bench.sources.s.${line}`), 'bench.sources.s.channels = c',
    'bench.channels.c.type = memory', `bench.channels.c.capacity = ${settings.capacity}`, `bench.channels.c.transactionCapacity = ${settings.batchSize}`,
    'bench.sinks.k.type = kafka', 'bench.sinks.k.channel = c', `bench.sinks.k.kafka.bootstrap.servers = ${settings.brokers}`,
    `bench.sinks.k.kafka.topic = ${settings.topic}`, `bench.sinks.k.kafka.producer.acks = ${settings.acks}`,
    `bench.sinks.k.flumeBatchSize = ${settings.batchSize}`,
    ...(settings.lingerMs === undefined ? [] : [`bench.sinks.k.kafka.producer.linger.ms = ${settings.lingerMs}`]),
    ...(settings.sink ?? []).map((line) => `bench.sinks.k.${line}`),
    '',
  ].join('\n'));
  return file;
}

/**
 * node, its flags (`nodeFlags`, then LOGSHIPPER_BENCH_NODE_FLAGS, space-separated) and the agent's
 * arguments; its HTTP endpoints on `httpPort` (0: a free one, for benches that do not scrape it).
 */
export function agentCommand(config: string, nodeFlags: string[] = [], logLevel = 'warn', httpPort = 0): { command: string; args: string[] } {
  const flags = [...nodeFlags, ...(process.env['LOGSHIPPER_BENCH_NODE_FLAGS'] ?? '').split(/\s+/).filter((flag) => flag !== '')];
  return { command: process.execPath, args: [...flags, agentEntrypoint(), 'agent', '-f', config, '-n', 'bench', '--log-level', logLevel, '--http-port', String(httpPort)] };
}
