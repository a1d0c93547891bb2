// Flume Avro events read back independently of the agent: kcat reads the records, Apache Avro's
// own decoder (test/env/avro/FlumeEventDump.java, on Avro's jars from Maven, cached) decodes
// each value as Flume's AvroFlumeEvent.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cachedDir } from '../env/cache.ts';
import { run } from '../env/process.ts';
import { logFile, PROJECT_ROOT } from '../env/paths.ts';
import { brokers } from './kafka.ts';
import { requireEnv } from './env.ts';

const execFileAsync = promisify(execFile);
const AVRO_DIR = path.join(PROJECT_ROOT, 'test', 'env', 'avro');
const POM = path.join(AVRO_DIR, 'pom.xml');
export const AVRO_VERSION = '1.12.2';

export interface DecodedFlumeEvent {
  /** The Kafka record timestamp (epoch ms). */
  timestamp: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Avro's runtime jars (fetched once into the test-environment cache). */
async function avroClasspath(): Promise<string> {
  const pomVersion = /<avro\.version>([^<]+)<\/avro\.version>/.exec(fs.readFileSync(POM, 'utf8'))?.[1];
  if (pomVersion !== AVRO_VERSION) throw new Error(`test/env/avro/pom.xml has avro.version ${String(pomVersion)}, test/helpers/avro.ts says ${AVRO_VERSION}: make them agree`);
  const dir = await cachedDir(`avro-${AVRO_VERSION}`, async (out) => {
    await run('avro-download', 'mvn', ['-B', '-q', '-f', POM, 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
      '-DincludeScope=runtime', `-DoutputDirectory=${path.join(out, 'libs')}`], { log: logFile('avro-download'), timeoutMs: 10 * 60_000 });
  });
  return `${path.join(dir, 'libs')}/*`;
}

/** Every record of `topic`, its value decoded as an AvroFlumeEvent by Apache Avro. */
export async function readFlumeEvents(topic: string): Promise<DecodedFlumeEvent[]> {
  const { stdout: framed } = await execFileAsync(requireEnv('KCAT'), [
    '-C', '-b', brokers(), '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'fetch.wait.max.ms=5', '-f', '%T %S\n%s\n',
  ], { maxBuffer: 1 << 30, timeout: 60_000, killSignal: 'SIGKILL', encoding: 'buffer' });
  const classpath = await avroClasspath();
  const decoder = spawn('java', ['-cp', classpath, path.join(AVRO_DIR, 'FlumeEventDump.java')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  decoder.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  decoder.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  decoder.stdin.end(framed);
  const code = await new Promise<number | null>((resolve) => decoder.on('close', resolve));
  if (code !== 0) throw new Error(`FlumeEventDump exited ${String(code)}: ${Buffer.concat(err).toString()}`);
  return Buffer.concat(out).toString('utf8').split('\n').filter((line) => line !== '').map((line) => {
    const [timestamp = '', body = '', headers = ''] = line.split(' ');
    return {
      timestamp: Number(timestamp),
      body: Buffer.from(body, 'base64'),
      headers: Object.fromEntries(headers === '' ? [] : headers.split(',').map((pair) => {
        const [name = '', value = ''] = pair.split(':').map((part) => Buffer.from(part, 'base64').toString('utf8'));
        return [name, value];
      })),
    };
  });
}
