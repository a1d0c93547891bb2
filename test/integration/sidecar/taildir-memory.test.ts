// Memory is bounded by bytes whatever the input: the agent as the image runs it (compiled JS, the
// Dockerfile's node flags) with what the operator renders for examples/logshipper.yaml tails a
// file where the app wrote one very long line without a newline, then ordinary lines. Its peak
// RSS (VmHWM) must stay under the sidecar's default memory limit, every later line must reach
// Kafka, and the long line arrives in maxLineLength pieces. LOGSHIPPER_LONG_LINE_MB sets the line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import yaml from 'js-yaml';
import { Kafka, logLevel } from 'kafkajs';
import { agentEntrypoint, imageNodeFlags } from '../../../bench/lib/agent.ts';
import { renderedAgentConfig } from '../../helpers/rendered-agent.ts';
import { getText, httpPort, metric, watchProcess } from '../../helpers/agent.ts';
import { requireEnv, uniqueName } from '../../helpers/env.ts';
import { brokers, createTopic } from '../../helpers/kafka.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
/** The sidecar's default memory limit (charts and README): over it, the kubelet OOM-kills the agent. */
const LIMIT_BYTES = 256 * 1024 * 1024;
const LONG_LINE_BYTES = Number(process.env['LOGSHIPPER_LONG_LINE_MB'] ?? 300) * 1024 * 1024;
const LINES = 1000;

/** The agent configuration examples/logshipper.yaml renders to, pointed at a directory and the test broker. */
function renderedConfig(dir: string, topic: string): { text: string; env: Record<string, string>; maxLineLength: number } {
  const manifest = yaml.load(readFileSync(join(ROOT, 'examples/logshipper.yaml'), 'utf8')) as { metadata: { namespace: string; name: string }; spec: Record<string, unknown> };
  const rendered = renderedAgentConfig({ ...manifest.spec, kafka: { ...(manifest.spec['kafka'] as object), brokers: brokers().split(','), topic } }, manifest.metadata, dir);
  const { text } = rendered;
  const env = Object.fromEntries(rendered.env.map((name) => [name, name.toLowerCase()]));
  const maxLineLength = Number(/\.maxLineLength = (\d+)/.exec(text)?.[1]);
  return { text, env, maxLineLength };
}

/** Records in the topic: [partition high watermarks summed]. */
async function recordCount(topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'logshipper-test', brokers: brokers().split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Reads the topic with kcat (an independent client), streaming: the lengths of long records, the text of the others. */
async function consume(topic: string): Promise<{ short: string[]; long: { length: number; onlyX: boolean }[] }> {
  const child = spawn(requireEnv('KCAT'), ['-C', '-b', brokers(), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%S %s\\n'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const short: string[] = [];
  const long: { length: number; onlyX: boolean }[] = [];
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    const space = line.indexOf(' ');
    const value = line.slice(space + 1);
    if (Number(line.slice(0, space)) > 1000) long.push({ length: value.length, onlyX: /^x+$/.test(value) });
    else short.push(value);
  }
  return { short, long };
}

function peakRss(pid: number): number {
  const kilobytes = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  assert.ok(kilobytes !== undefined, 'VmHWM in /proc/<pid>/status');
  return Number(kilobytes) * 1024;
}

describe('memory bounded by bytes', () => {
  it(`a ${LONG_LINE_BYTES / 1024 / 1024} MB line without newline, then ${LINES} lines: peak RSS under 256 MiB, every line in Kafka`, { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-memory-'));
    mkdirSync(join(dir, 'volume', 'app'), { recursive: true });
    const topic = uniqueName('memory');
    await createTopic(topic, 1);
    const { text, env, maxLineLength } = renderedConfig(dir, topic);
    const conf = join(dir, 'agent.properties');
    writeFileSync(conf, text);
    const child = spawn(process.execPath, [...imageNodeFlags(), agentEntrypoint(), 'agent', '-f', conf, '-n', 'logshipper', '--http-port', '0'], {
      cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const agent = watchProcess(child, 'agent');
    try {
      await agent.waitForLog((line) => line['msg'] === 'tailing');
      const port = await httpPort(agent);
      const baseline = peakRss(child.pid ?? 0);

      const lines = Array.from({ length: LINES }, (_, i) => `2026-12-01 12:00:00.000 INFO line ${i} of ${LINES}`);
      const started = Date.now();
      const fd = openSync(join(dir, 'volume', 'app', 'app.log'), 'a');
      const megabyte = Buffer.alloc(1024 * 1024, 'x');
      for (let written = 0; written < LONG_LINE_BYTES; written += megabyte.length) writeSync(fd, megabyte, 0, Math.min(megabyte.length, LONG_LINE_BYTES - written));
      writeSync(fd, `\n${lines.join('\n')}\n`);
      closeSync(fd);
      const writtenMs = Date.now() - started;

      const pieces = Math.ceil(LONG_LINE_BYTES / maxLineLength);
      const deadline = Date.now() + 180_000;
      while ((await recordCount(topic)) < pieces + LINES && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 500));
      const shippedMs = Date.now() - started;
      const peak = peakRss(child.pid ?? 0);
      const metrics = await getText(port, '/metrics');
      const { short, long } = await consume(topic);
      const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
      console.log(`node ${imageNodeFlags().join(' ')}; maxLineLength ${maxLineLength}; line of ${mib(LONG_LINE_BYTES)} MiB written in ${writtenMs} ms, shipped in ${shippedMs} ms; ` +
        `peak RSS ${mib(peak)} MiB (before the write ${mib(baseline)} MiB; limit ${mib(LIMIT_BYTES)} MiB); Kafka: ${long.length} pieces, ${short.length} other records`);

      assert.equal(child.exitCode, null, `the agent is still running (${agent.stderr.join('\n')})`);
      assert.ok(peak < LIMIT_BYTES, `peak RSS ${mib(peak)} MiB: over the sidecar's ${mib(LIMIT_BYTES)} MiB limit (an OOM kill in a pod)`);
      assert.deepEqual([...short].sort(), [...lines].sort(), 'every later line in Kafka exactly once');
      assert.equal(long.length, pieces, `the long line in ${pieces} maxLineLength pieces`);
      assert.ok(long.every((piece) => piece.onlyX && piece.length > 0 && piece.length <= maxLineLength), 'each piece is part of the long line, at most maxLineLength');
      assert.equal(metric(metrics, 'logshipper_source_long_lines_total{source="files"}'), pieces - 1, 'every cut counted');
    } finally {
      child.kill('SIGKILL');
      await agent.exited;
      rmSync(dir, { recursive: true, force: true }); // hundreds of MB
    }
  });
});
