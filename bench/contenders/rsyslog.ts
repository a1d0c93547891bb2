// rsyslog: imfile -> ruleset queue -> omkafka (librdkafka), with the bench's sizes. A private
// rsyslogd in the foreground with its own config, work folder and pid file: never the system one.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Contender } from '../lib/contender.ts';
import { measureTailer } from '../lib/measure.ts';
import { BATCH, CAPACITY } from './logshipper.ts';

const RSYSLOGD = '/usr/sbin/rsyslogd';
const PACKAGES = ['rsyslog', 'rsyslog-kafka'];

function installed(pkg: string): string | undefined {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg], { encoding: 'utf8' });
  const [status = '', version] = result.stdout.split('\t');
  return result.status === 0 && status.endsWith(' installed') ? version : undefined;
}

/** Installs Debian's rsyslog and rsyslog-kafka when missing and we are root (services are not started by us). */
function ensurePackages(): void {
  const missing = PACKAGES.filter((pkg) => installed(pkg) === undefined);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`rsyslog: ${missing.join(', ')} missing and we are not root: run apt-get install -y ${missing.join(' ')}`);
  console.error(`bench: installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'ignore', env });
}

export const rsyslog: Contender = {
  name: 'rsyslog',
  describe: 'rsyslog: imfile -> ruleset queue -> omkafka',
  prepare() {
    ensurePackages();
    return Promise.resolve(`rsyslog ${installed('rsyslog') ?? '?'}, rsyslog-kafka ${installed('rsyslog-kafka') ?? '?'}`);
  },
  run(c) {
    const conf = join(c.work, 'rsyslog.conf');
    writeFileSync(conf, [
      `global(workDirectory="${c.work}" maxMessageSize="64k")`,
      'module(load="imfile" mode="inotify")',
      'module(load="omkafka")',
      // The line as read, and nothing else, like the other contenders' records.
      'template(name="line" type="list") { property(name="msg" droplastlf="on") }',
      `input(type="imfile" file="${c.file}" tag="bench" ruleset="ship" freshStartTail="off" maxSubmitAtOnce="${BATCH}")`,
      // The ruleset's queue plays the memory channel: 20,000 messages, dequeued in batches of 2,000.
      `ruleset(name="ship" queue.type="LinkedList" queue.size="${CAPACITY}" queue.dequeueBatchSize="${BATCH}") {`,
      `  action(type="omkafka" broker=["${c.brokers}"] topic="${c.topic}" template="line" topicConfParam=["request.required.acks=${c.acks}"])`,
      '}',
      '',
    ].join('\n'));
    return measureTailer(RSYSLOGD, ['-n', '-f', conf, '-i', join(c.work, 'rsyslogd.pid')], {
      log: join(c.work, 'rsyslogd.log'), brokers: c.brokers, topic: c.topic, records: c.lines, cwd: c.work,
    });
  },
};
