// Peak RSS of the TAILDIR source while it tails many files: N files of M lines each are shipped
// to a fresh Kafka topic, then every file gets more lines while all stay open; the agent runs
// under GNU time and is stopped with SIGTERM once Kafka holds every line.
//   node bench/taildir-files.ts [--files 100] [--lines 5000] [--bytes 200]
// Uses KAFKA_BROKERS (e.g. from .testenv/env).
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { countRecords, createTopic } from './lib/kafka.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const { values } = parseArgs({ options: { files: { type: 'string', default: '100' }, lines: { type: 'string', default: '5000' }, bytes: { type: 'string', default: '200' } } });
const files = Number(values.files);
const lines = Number(values.lines);
const bytes = Number(values.bytes);
const brokers = process.env['KAFKA_BROKERS'];
if (brokers === undefined) throw new Error('KAFKA_BROKERS is not set: npm run testenv:up, then set -a; . .testenv/env; set +a');

function content(file: number, from: number, count: number): string {
  let text = '';
  for (let i = from; i < from + count; i++) {
    const head = `2026-11-24T10:00:00.000Z INFO [file-${file}] line ${i} `;
    text += head.padEnd(bytes - 1, 'x').slice(0, bytes - 1) + '\n';
  }
  return text;
}

const dir = mkdtempSync(join(tmpdir(), 'logshipper-bench-files-'));
const logs = join(dir, 'logs');
mkdirSync(logs);
for (let f = 0; f < files; f++) writeFileSync(join(logs, `app-${f}.log`), content(f, 0, lines));
const topic = `bench-taildir-files-${Date.now().toString(36)}`;
await createTopic(brokers, topic);
const conf = join(dir, 'agent.properties');
writeFileSync(conf, [
  'bench.sources = s', 'bench.channels = c', 'bench.sinks = k',
  'bench.sources.s.type = TAILDIR', 'bench.sources.s.channels = c', 'bench.sources.s.filegroups = f',
  `bench.sources.s.filegroups.f = ${logs}/*.log`, `bench.sources.s.positionFile = ${dir}/positions.json`, 'bench.sources.s.batchSize = 2000',
  'bench.channels.c.type = memory', 'bench.channels.c.capacity = 20000', 'bench.channels.c.transactionCapacity = 2000',
  'bench.sinks.k.type = kafka', 'bench.sinks.k.channel = c', `bench.sinks.k.kafka.bootstrap.servers = ${brokers}`,
  `bench.sinks.k.kafka.topic = ${topic}`, 'bench.sinks.k.flumeBatchSize = 2000',
].join('\n'));

const timeFile = join(dir, 'time.txt');
const started = performance.now();
const time = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', process.execPath, 'cli/main.ts', 'agent', '-f', conf, '-n', 'bench', '--log-level', 'warn'], { cwd: ROOT, stdio: 'ignore' });
const exited = new Promise<number | null>((resolve) => time.on('exit', resolve));
const agentPid = async (): Promise<number> => {
  for (;;) {
    const child = readFileSync(`/proc/${time.pid ?? 0}/task/${time.pid ?? 0}/children`, 'utf8').trim().split(/\s+/)[0];
    if (child !== undefined && child !== '') return Number(child);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
const waitFor = async (count: number): Promise<void> => {
  while ((await countRecords(brokers, topic).catch(() => 0)) < count) {
    if (time.exitCode !== null) throw new Error(`the agent exited ${String(time.exitCode)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
const pid = await agentPid();
await waitFor(files * lines);
const firstPass = (performance.now() - started) / 1000;
// All files live: a second round of lines to every file.
const more = Math.ceil(lines / 10);
for (let f = 0; f < files; f++) appendFileSync(join(logs, `app-${f}.log`), content(f, lines, more));
await waitFor(files * (lines + more));
const open = readdirSync(`/proc/${pid}/fd`).filter((fd) => {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(logs);
  } catch {
    return false;
  }
}).length;
process.kill(pid, 'SIGTERM');
const code = await exited;
if (code !== 0) throw new Error(`the agent exited ${String(code)} after SIGTERM`);
const [, user = 0, sys = 0, rssKb = 0] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
const total = files * (lines + more);
console.log([
  `# TAILDIR tailing ${files} files: ${files} x ${lines} lines x ${bytes} bytes, then ${more} more lines to each`,
  '',
  '| files | lines shipped | MB | first pass s | CPU s | peak RSS MB | files open at the end |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  `| ${files} | ${total.toLocaleString('en-US')} | ${((total * bytes) / 1e6).toFixed(0)} | ${firstPass.toFixed(2)} | ${(user + sys).toFixed(2)} | ${(rssKb / 1024).toFixed(0)} | ${open} |`,
].join('\n'));
