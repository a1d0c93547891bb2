// The agent as users run it: a separate process, its exit code, stdout and stderr.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../../helpers/agent.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

function logshipper(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // A free HTTP port each: test files run in parallel.
  const withPort = args[0] === 'agent' && !args.includes('--http-port') ? [...args, '--http-port', '0'] : args;
  const result = spawnSync(process.execPath, ['cli/main.ts', ...withPort], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logshipper agent (CLI)', () => {
  it('runs the quickstart: every line of the sample log is printed as an event, then exits 0', () => {
    const result = logshipper('agent', '--conf-file', 'examples/quickstart.properties', '--name', 'quickstart');
    assert.equal(result.status, 0, result.stderr);
    const events = jsonLines(result.stdout).filter((line) => line['msg'] === 'event');
    assert.equal(events.length, 8);
    assert.match(String(events[0]?.['body']), /starting checkout-service/);
    assert.match(String(events[7]?.['body']), /health check ok/);
    const headers = events[0]?.['headers'] as Record<string, string>;
    assert.match(headers['timestamp'] ?? '', /^\d{13}$/);
    assert.ok(headers['host']);
  });

  it('accepts flume-ng style short flags and -D properties', () => {
    const result = logshipper('agent', '-Dflume.root.logger=INFO,console', '-c', 'conf', '-f', 'examples/quickstart.properties', '-n', 'quickstart', '--log-level', 'warn');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(jsonLines(result.stdout).length, 0, 'nothing logged at warn and above');
  });

  it('exits 2 on a configuration error, naming the file, line and key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-cli-'));
    const file = join(dir, 'bad.properties');
    writeFileSync(file, 'a.sources = s\na.channels = c\na.sources.s.type = exec\na.sources.s.command = true\na.sources.s.channels = c\na.channels.c.type = memory\na.channels.c.capacity = -5\n');
    const result = logshipper('agent', '-f', file, '-n', 'a');
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim(), `logshipper: configuration error: ${file}:7: a.channels.c.capacity: invalid value "-5": an integer >= 1 is allowed`);
  });

  it('exits 1 when a source fails, e.g. its command cannot run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-cli-'));
    const file = join(dir, 'fails.properties');
    writeFileSync(file, 'a.sources = s\na.channels = c\na.sinks = k\na.sources.s.type = exec\na.sources.s.command = /nonexistent/command\na.sources.s.channels = c\na.channels.c.type = memory\na.sinks.k.type = null\na.sinks.k.channel = c\n');
    const result = logshipper('agent', '-f', file, '-n', 'a');
    assert.equal(result.status, 1);
    assert.ok(jsonLines(result.stdout).some((line) => line['msg'] === 'cannot run command'));
  });

  it('waits for a missing file in a directory that exists, and stops cleanly on SIGTERM while waiting', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-cli-'));
    const file = join(dir, 'agent.properties');
    const agent = startAgent(file, 'a');
    const line = await agent.waitForLog((l) => String(l['msg']).startsWith('configuration file does not exist'));
    assert.equal(line['file'], file);
    assert.equal(line['level'], 40);
    agent.process.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 2 on a file in a directory that does not exist (a mistyped --conf-file) or usage errors, and 0 on --help', () => {
    const missing = logshipper('agent', '-f', '/nonexistent/agent.properties', '-n', 'a');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /configuration error: \/nonexistent\/agent\.properties: cannot read the configuration file/);
    assert.match(logshipper('agent', '-n', 'a').stderr, /--conf-file is required/);
    assert.equal(logshipper('agent', '--bogus').status, 2);
    const quiet = logshipper('agent', '-f', 'examples/quickstart.properties', '-n', 'quickstart', '--drain-timeout', '3000', '--drain-quiet-period', '3000');
    assert.equal(quiet.status, 2);
    assert.match(quiet.stderr, /--drain-quiet-period "3000": less than --drain-timeout \(3000\) is allowed/);
    assert.match(logshipper('agent', '-f', 'examples/quickstart.properties', '-n', 'quickstart', '--drain-quiet-period', '2s').stderr,
      /--drain-quiet-period "2s": a number of milliseconds is allowed/);
    assert.equal(logshipper('frobnicate').status, 2);
    const help = logshipper('agent', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--conf-file FILE/);
  });
});
