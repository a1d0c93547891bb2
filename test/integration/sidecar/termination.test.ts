// Pod termination: the app has written its last lines and exited, and the agent gets SIGTERM at
// once (a native sidecar is stopped right after the main containers). In a pod the log volume and
// the position file go with the pod, so nothing is "read again after a restart": the agent must
// read every file to its end and deliver it before it exits, or say exactly what it gave up when
// the drain deadline comes first (Kafka down), and never run past that deadline.
// A container-mode sidecar (Kubernetes < 1.29) gets SIGTERM at the same time as the app, which
// goes on writing while it shuts down: the operator gives it --drain-quiet-period, and the agent
// reads on until the files are quiet.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTAINER_MODE_DRAIN_QUIET_MS } from '../../../operator/inject.ts';
import { createTopic, readTopic } from '../../helpers/kafka.ts';
import { httpPort, startAgent, type RunningAgent } from '../../helpers/agent.ts';
import { ConfigMapDir } from '../../helpers/configmap-dir.ts';
import { uniqueName } from '../../helpers/env.ts';
import { multisetDiff } from '../../helpers/multiset.ts';
import { kafkaPipeline } from '../../helpers/pipeline.ts';

const DRAIN_MS = 5000;
/** Startup of the process aside, how late after the deadline the agent may exit. */
const EXIT_MARGIN_MS = 2500;

/** A line of the app: each begins with a timestamp, which the multiline start pattern matches. */
const STAMP = '2026-12-01T00:00:00';
// As written in the properties file, where a backslash is doubled.
const START_PATTERN = String.raw`multiline.startPattern = ^\\d{4}-\\d{2}-\\d{2}T`;

function taildirSource(logs: string, dir: string): string[] {
  return [
    'type = TAILDIR', 'filegroups = g', String.raw`filegroups.g = ${logs}/.*\\.log`, `positionFile = ${join(dir, 'positions.json')}`,
    START_PATTERN,
  ];
}

/** A log directory whose app.log (holding `text`) the agent's properties file ships to a new topic. */
async function shippingToKafka(topicPrefix: string, text = ''): Promise<{ file: string; topic: string; conf: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-termination-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const file = join(logs, 'app.log');
  writeFileSync(file, text);
  const topic = uniqueName(topicPrefix);
  await createTopic(topic);
  const conf = join(dir, 'agent.properties');
  writeFileSync(conf, kafkaPipeline({ topic, source: taildirSource(logs, dir) }));
  return { file, topic, conf };
}

/** A port nothing listens on (connection refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => {
    resolve();
  }));
  return port;
}

/** A "broker" that accepts connections and never answers: a kafkajs request hangs until its timeout (30 s). */
async function silentBroker(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port, close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** When the agent exited after the signal; one still running 30 s later is killed (code null). */
async function exitTime(agent: RunningAgent, signalledAt: number): Promise<{ code: number | null; ms: number }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(resolve, 30_000, 'hung');
  });
  const code = await Promise.race([agent.exited, hung]);
  clearTimeout(timer);
  const ms = Date.now() - signalledAt;
  if (code !== 'hung') return { code, ms };
  agent.process.kill('SIGKILL');
  await agent.exited;
  return { code: null, ms };
}

function stopLine(agent: RunningAgent): Record<string, unknown> | undefined {
  return agent.logs.find((line) => String(line['msg']).startsWith('agent stopped'));
}

describe('pod termination (SIGTERM right after the app exited)', () => {
  it('a burst of 100,000 lines, a Java stack trace and an unterminated last line: all delivered before exit 0, three times', { timeout: 300_000 }, async () => {
    const results: { repetition: number; expected: number; shipped: number; missing: number; extra: number; code: number | null; ms: number }[] = [];
    for (let repetition = 1; repetition <= 3; repetition++) {
      const { file, topic, conf } = await shippingToKafka('termination-burst');
      const agent = startAgent(conf, 'a', ['--drain-timeout', '20000']);
      await agent.waitForLog((line) => line['msg'] === 'agent started');

      const lines = Array.from({ length: 100_000 }, (_, i) => `${STAMP} burst ${repetition} line ${i}`);
      const trace = [
        `${STAMP} ERROR request failed`,
        'java.lang.IllegalStateException: boom',
        '\tat com.example.Handler.handle(Handler.java:42)',
        '\tat com.example.Server.run(Server.java:7)',
        'Caused by: java.io.IOException: closed',
        '\t... 2 more',
      ];
      const last = `${STAMP} last line of repetition ${repetition}, without newline`;
      // The app writes in chunks as it goes, then exits.
      for (let i = 0; i < lines.length; i += 10_000) appendFileSync(file, lines.slice(i, i + 10_000).join('\n') + '\n');
      appendFileSync(file, trace.join('\n') + '\n' + last);
      const signalledAt = Date.now();
      agent.process.kill('SIGTERM');
      const { code, ms } = await exitTime(agent, signalledAt);

      const expected = [...lines, trace.join('\n'), last];
      const shipped = (await readTopic(topic)).map((record) => record.value);
      const { missing, extra } = multisetDiff(expected, shipped);
      results.push({ repetition, expected: expected.length, shipped: shipped.length, missing, extra, code, ms });
      console.log(`burst repetition ${repetition}: shipped ${shipped.length} of ${expected.length} (missing ${missing}, extra ${extra}), exit ${String(code)} ${ms} ms after SIGTERM, trace as one event: ${String(shipped.includes(trace.join('\n')))}, last line: ${String(shipped.includes(last))}`);
      if (repetition === 1 && (missing > 0 || code !== 0)) console.log(agent.logs.filter((line) => line['level'] !== 30 || String(line['msg']).includes('stop')).map((line) => JSON.stringify(line)).join('\n'));
    }
    const clean = results.filter((r) => r.missing === 0 && r.extra === 0 && r.code === 0).length;
    console.log(`burst: ${clean} of ${results.length} repetitions clean`);
    assert.deepEqual(results.map((r) => ({ missing: r.missing, extra: r.extra, code: r.code })), results.map(() => ({ missing: 0, extra: 0, code: 0 })));
  });

  it('SIGTERM the moment the agent has started: it still drains, every line delivered, three times', { timeout: 120_000 }, async () => {
    const results: { missing: number; extra: number; code: number | null }[] = [];
    for (let repetition = 1; repetition <= 3; repetition++) {
      const lines = Array.from({ length: 2000 }, (_, i) => `${STAMP} early ${repetition} line ${i}`);
      const { topic, conf } = await shippingToKafka('termination-early', lines.join('\n') + '\n');
      const agent = startAgent(conf, 'a');
      await agent.waitForLog((line) => line['msg'] === 'agent started');
      const signalledAt = Date.now();
      agent.process.kill('SIGTERM');
      const { code, ms } = await exitTime(agent, signalledAt);
      const { missing, extra } = multisetDiff(lines, (await readTopic(topic)).map((record) => record.value));
      results.push({ missing, extra, code });
      console.log(`SIGTERM at start (repetition ${repetition}): missing ${missing}, extra ${extra}, exit ${String(code)} ${ms} ms after SIGTERM`);
    }
    console.log(`SIGTERM at start: ${results.filter((r) => r.missing === 0 && r.extra === 0 && r.code === 0).length} of ${results.length} repetitions clean`);
    assert.deepEqual(results, results.map(() => ({ missing: 0, extra: 0, code: 0 })), 'a signal during the start is not the default action (killed, code null)');
  });

  it('Kafka unreachable and the channel full: exits 1 at the drain deadline, counting what was not delivered', { timeout: 120_000 }, async () => {
    const results: { broker: string; ms: number; code: number | null; undelivered: unknown; files: unknown }[] = [];
    for (const kind of ['closed port', 'silent broker', 'closed port']) {
      const silent = kind === 'silent broker' ? await silentBroker() : undefined;
      const port = silent?.port ?? await closedPort();
      const dir = mkdtempSync(join(tmpdir(), 'logshipper-termination-'));
      const logs = join(dir, 'logs');
      mkdirSync(logs);
      const file = join(logs, 'app.log');
      writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `${STAMP} line ${i}`).join('\n') + '\n');
      const conf = join(dir, 'agent.properties');
      writeFileSync(conf, kafkaPipeline({ topic: 'unreachable', bootstrap: `127.0.0.1:${port}`, source: taildirSource(logs, dir), channel: ['keep-alive = 1'] }));
      const agent = startAgent(conf, 'a', ['--drain-timeout', String(DRAIN_MS)]);
      try {
        await agent.waitForLog((line) => String(line['msg']).startsWith('channel full'));
        const signalledAt = Date.now();
        agent.process.kill('SIGTERM');
        const { code, ms } = await exitTime(agent, signalledAt);
        const stopped = stopLine(agent);
        results.push({ broker: kind, ms, code, undelivered: stopped?.['undelivered'], files: stopped?.['files'] });
        console.log(`Kafka down (${kind}): exit ${String(code)} ${ms} ms after SIGTERM; ${JSON.stringify(stopped)}`);
      } finally {
        agent.process.kill('SIGKILL');
        silent?.close();
      }
    }
    for (const result of results) {
      assert.equal(result.code, 1, `${result.broker}: exit 1 when events were given up`);
      assert.ok(result.ms < DRAIN_MS + EXIT_MARGIN_MS, `${result.broker}: exited ${result.ms} ms after SIGTERM (deadline ${DRAIN_MS} ms)`);
      assert.ok(typeof result.undelivered === 'number' && result.undelivered >= 1000, `${result.broker}: the full channel is counted as undelivered (${String(result.undelivered)})`);
      assert.match(JSON.stringify(result.files), /app\.log/, `${result.broker}: the file not delivered is named`);
    }
  });

  it('SIGTERM during a reload: the stop and the reload share one deadline', { timeout: 120_000 }, async () => {
    const results: { ms: number; code: number | null }[] = [];
    for (let repetition = 1; repetition <= 2; repetition++) {
      const port = await closedPort();
      const dir = mkdtempSync(join(tmpdir(), 'logshipper-termination-'));
      const logs = join(dir, 'logs');
      mkdirSync(logs);
      writeFileSync(join(logs, 'app.log'), Array.from({ length: 5000 }, (_, i) => `${STAMP} line ${i}`).join('\n') + '\n');
      const before = kafkaPipeline({ topic: 'unreachable', bootstrap: `127.0.0.1:${port}`, source: taildirSource(logs, dir), channel: ['keep-alive = 1'] });
      // The channel is renamed: the reload drains the old one into its sink until its own deadline (Kafka is down).
      const after = before.replaceAll('a.channels = c', 'a.channels = d').replaceAll('a.channels.c.', 'a.channels.d.')
        .replace('a.sources.s.channels = c', 'a.sources.s.channels = d').replace('a.sinks.k.channel = c', 'a.sinks.k.channel = d');
      const configMap = new ConfigMapDir({ 'agent.properties': before });
      const agent = startAgent(configMap.path('agent.properties'), 'a', ['--drain-timeout', String(DRAIN_MS)]);
      try {
        await agent.waitForLog((line) => String(line['msg']).startsWith('channel full'));
        configMap.update({ 'agent.properties': after });
        await agent.waitForLog((line) => line['msg'] === 'reloading configuration');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const signalledAt = Date.now();
        agent.process.kill('SIGTERM');
        const { code, ms } = await exitTime(agent, signalledAt);
        results.push({ ms, code });
        console.log(`SIGTERM 1 s into a reload (repetition ${repetition}): exit ${String(code)} ${ms} ms after SIGTERM; ${JSON.stringify(stopLine(agent))}`);
      } finally {
        agent.process.kill('SIGKILL');
      }
    }
    for (const result of results) {
      assert.equal(result.code, 1);
      assert.ok(result.ms < DRAIN_MS + EXIT_MARGIN_MS, `exited ${result.ms} ms after SIGTERM: within one deadline (${DRAIN_MS} ms)`);
    }
  });
});

describe('pod termination in container mode (SIGTERM to the app and the agent at once)', () => {
  it('the app writes for ~1 s after SIGTERM: with the operator\'s --drain-quiet-period every line arrives, three times; without, its last lines are lost', { timeout: 180_000 }, async () => {
    const results: { quietMs: number; expected: number; shipped: number; missing: number; extra: number; code: number | null; writtenUntilMs: number; exitMs: number }[] = [];
    // The last run, without a quiet period, shows what the period is for (and that this test can fail).
    for (const quietMs of [CONTAINER_MODE_DRAIN_QUIET_MS, CONTAINER_MODE_DRAIN_QUIET_MS, CONTAINER_MODE_DRAIN_QUIET_MS, 0]) {
      const repetition = results.length + 1;
      const { file, topic, conf } = await shippingToKafka('termination-container');
      const agent = startAgent(conf, 'a', quietMs > 0 ? ['--drain-quiet-period', String(quietMs)] : []);
      await agent.waitForLog((line) => line['msg'] === 'agent started');

      const lines = Array.from({ length: 5000 }, (_, i) => `${STAMP} run ${repetition} line ${i}`);
      appendFileSync(file, lines.join('\n') + '\n');
      const signalledAt = Date.now();
      agent.process.kill('SIGTERM');
      const exiting = exitTime(agent, signalledAt);
      // The app's SIGTERM handler: a line every 20 ms for ~1 s, a stack trace, and its last line in two writes.
      const shutdown = Array.from({ length: 50 }, (_, i) => `${STAMP} run ${repetition} shutting down ${i}`);
      for (const line of shutdown) {
        await sleep(20);
        appendFileSync(file, `${line}\n`);
      }
      const trace = [`${STAMP} run ${repetition} ERROR flush failed`, 'java.io.IOException: closed', '\tat com.example.Flusher.flush(Flusher.java:12)'];
      appendFileSync(file, trace.join('\n') + '\n');
      const last = `${STAMP} run ${repetition} shutdown complete`;
      appendFileSync(file, last.slice(0, 20));
      await sleep(20);
      appendFileSync(file, `${last.slice(20)}\n`);
      const writtenUntilMs = Date.now() - signalledAt;
      const { code, ms } = await exiting;

      const expected = [...lines, ...shutdown, trace.join('\n'), last];
      const shipped = (await readTopic(topic)).map((record) => record.value);
      const { missing, extra } = multisetDiff(expected, shipped);
      results.push({ quietMs, expected: expected.length, shipped: shipped.length, missing, extra, code, writtenUntilMs, exitMs: ms });
      if (quietMs > 0 && (missing > 0 || code !== 0)) console.log(agent.logs.map((line) => JSON.stringify(line)).join('\n'), agent.stderr.join('\n'));
      console.log(`container mode, --drain-quiet-period ${quietMs}: shipped ${shipped.length} of ${expected.length} (missing ${missing}, extra ${extra}), app wrote until ${writtenUntilMs} ms, agent exit ${String(code)} ${ms} ms after SIGTERM; ${JSON.stringify(agent.logs.find((line) => String(line['msg']).startsWith('every open file read') || String(line['msg']).startsWith('drain deadline')))}`);
    }
    const withPeriod = results.filter((r) => r.quietMs > 0);
    const clean = withPeriod.filter((r) => r.missing === 0 && r.extra === 0 && r.code === 0).length;
    console.log(`container mode: ${clean} of ${withPeriod.length} repetitions clean with the quiet period; without it ${String(results.at(-1)?.missing)} lines lost`);
    assert.deepEqual(withPeriod.map((r) => ({ missing: r.missing, extra: r.extra, code: r.code })), withPeriod.map(() => ({ missing: 0, extra: 0, code: 0 })));
    assert.ok((results.at(-1)?.missing ?? 0) > 0, 'without a quiet period the lines written after the drain read the file are lost');
  });

  it('a Job\'s app ends the sidecar with POST /stop: drained, exit 0, every line delivered; refused from another host', { timeout: 120_000 }, async () => {
    const { file, topic, conf } = await shippingToKafka('termination-stop');
    const agent = startAgent(conf, 'a', ['--drain-quiet-period', String(CONTAINER_MODE_DRAIN_QUIET_MS)]);
    try {
      const port = await httpPort(agent);
      await agent.waitForLog((line) => line['msg'] === 'agent started');
      const lines = Array.from({ length: 3000 }, (_, i) => `${STAMP} job line ${i}`);
      appendFileSync(file, lines.join('\n') + '\n' + `${STAMP} job done, no newline`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/stop`)).status, 405, 'GET does not stop');
      // This host's own non-loopback address: a peer outside the pod.
      const outside = Object.values(networkInterfaces()).flat().find((a) => a?.family === 'IPv4' && !a.internal)?.address;
      if (outside === undefined) console.log('POST /stop from a non-loopback peer: not checked (no such interface here)');
      else assert.equal((await fetch(`http://${outside}:${port}/stop`, { method: 'POST' })).status, 403, `refused from ${outside}`);
      assert.equal(agent.process.exitCode, null, 'still running after the refused requests');
      const requestedAt = Date.now();
      assert.equal((await fetch(`http://127.0.0.1:${port}/stop`, { method: 'POST' })).status, 202);
      const { code, ms } = await exitTime(agent, requestedAt);
      const { missing, extra } = multisetDiff([...lines, `${STAMP} job done, no newline`], (await readTopic(topic)).map((record) => record.value));
      console.log(`POST /stop: missing ${missing}, extra ${extra}, exit ${String(code)} ${ms} ms after the request; ${JSON.stringify(agent.logs.find((line) => String(line['msg']).startsWith('stopping')))}`);
      assert.deepEqual({ missing, extra, code }, { missing: 0, extra: 0, code: 0 });
    } finally {
      agent.process.kill('SIGKILL');
    }
  });
});
