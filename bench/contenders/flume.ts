// Apache Flume 1.11.0: TAILDIR -> memory channel -> its KafkaSink, with the bench's sizes.
// The jars come from Maven (bench/flume/pom.xml) into .cache/testenv/bench-flume-<version>/libs;
// the agent runs straight from that classpath (no tarball, no flume-ng script), on the machine's Java.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedDir } from '../../test/env/cache.ts';
import { run } from '../../test/env/process.ts';
import { ROOT } from '../lib/agent.ts';
import type { Contender, Tailer } from '../lib/contender.ts';
import { tailerContender } from '../lib/measure.ts';
import { BATCH, CAPACITY } from './logshipper.ts';

export const FLUME_VERSION = '1.11.0';
const POM = join(ROOT, 'bench', 'flume', 'pom.xml');

/**
 * The JVM's options. flume-ng's built-in default is -Xmx20m, too small for a 20,000-event channel
 * plus the Kafka producer's 32 MB buffer; conf/flume-env.sh.template suggests -Xms100m -Xmx2000m.
 * We give it -Xmx512m (G1, Java's default here): room enough, without inviting a huge heap.
 */
const JAVA_OPTS = (process.env['FLUME_JAVA_OPTS'] ?? '-Xms100m -Xmx512m').split(/\s+/).filter((o) => o !== '');

let libs: string | undefined;

function java(): string {
  const home = process.env['JAVA_HOME'];
  return home !== undefined && home !== '' ? join(home, 'bin', 'java') : 'java';
}

async function prepare(): Promise<string> {
  const pomVersion = /<flume\.version>([^<]+)<\/flume\.version>/.exec(readFileSync(POM, 'utf8'))?.[1];
  if (pomVersion !== FLUME_VERSION) throw new Error(`bench/flume/pom.xml has flume.version ${String(pomVersion)}, bench/contenders/flume.ts says ${FLUME_VERSION}`);
  const dir = await cachedDir(`bench-flume-${FLUME_VERSION}`, async (out) => {
    await run('flume-download', 'mvn', [
      '-B', '-q', '-f', POM,
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
      '-DincludeScope=runtime', `-DoutputDirectory=${join(out, 'libs')}`,
    ], { timeoutMs: 20 * 60_000 });
  });
  libs = join(dir, 'libs');
  // `java -version` prints e.g. openjdk version "17.0.15" 2025-04-15 on stderr.
  const shown = /version "([^"]+)"/.exec(spawnSync(java(), ['-version'], { encoding: 'utf8' }).stderr)?.[1] ?? 'unknown';
  return `Flume ${FLUME_VERSION} on Java ${shown} (${JAVA_OPTS.join(' ')})`;
}

/** Flume's TAILDIR on `file`, channel `capacity` events, batches of `batchSize` (source, channel transaction, sink). */
export function flumeTailer(name: string, sizes: { capacity: number; batchSize: number }): Tailer {
  return {
    name,
    describe: `Apache Flume ${FLUME_VERSION}: TAILDIR -> memory channel (${sizes.capacity.toLocaleString('en-US')}) -> KafkaSink, batches of ${sizes.batchSize}`,
    prepare,
    launch(c) {
      if (libs === undefined) throw new Error('flume: prepare() first');
      const conf = join(c.work, 'flume.conf');
      writeFileSync(conf, [
        'a.sources = s', 'a.channels = c', 'a.sinks = k',
        'a.sources.s.type = TAILDIR', 'a.sources.s.filegroups = f', `a.sources.s.filegroups.f = ${c.file}`,
        `a.sources.s.positionFile = ${join(c.work, 'taildir_position.json')}`, `a.sources.s.batchSize = ${sizes.batchSize}`, 'a.sources.s.channels = c',
        'a.channels.c.type = memory', `a.channels.c.capacity = ${sizes.capacity}`, `a.channels.c.transactionCapacity = ${sizes.batchSize}`,
        'a.sinks.k.type = org.apache.flume.sink.kafka.KafkaSink', 'a.sinks.k.channel = c',
        `a.sinks.k.kafka.bootstrap.servers = ${c.brokers}`, `a.sinks.k.kafka.topic = ${c.topic}`,
        `a.sinks.k.kafka.producer.acks = ${c.acks}`, `a.sinks.k.flumeBatchSize = ${sizes.batchSize}`,
        // Like ours: the body is the record, no Flume event headers on the wire.
        'a.sinks.k.useFlumeEventFormat = false',
        '',
      ].join('\n'));
      const log4j = join(c.work, 'log4j2.xml');
      writeFileSync(log4j, '<Configuration status="warn"><Appenders><Console name="out" target="SYSTEM_OUT"><PatternLayout pattern="%d %p %c{1} %m%n"/></Console></Appenders>'
        + '<Loggers><Root level="warn"><AppenderRef ref="out"/></Root></Loggers></Configuration>\n');
      return {
        command: java(),
        args: [...JAVA_OPTS, `-Dlog4j.configurationFile=${log4j}`, '-cp', join(libs, '*'), 'org.apache.flume.node.Application', '-n', 'a', '-f', conf, '--no-reload-conf'],
        cwd: c.work,
      };
    },
  };
}

export const flume: Contender = tailerContender(flumeTailer('flume', { capacity: CAPACITY, batchSize: BATCH }));
