// kcat -P: librdkafka's producer fed the file on stdin, the practical raw producer limit here.
import { execFileSync } from 'node:child_process';
import type { Contender } from '../lib/contender.ts';
import { measure } from '../lib/measure.ts';

const KCAT = process.env['KCAT'] ?? 'kcat';

export const kcat: Contender = {
  name: 'kcat',
  describe: 'kcat -P (librdkafka), the raw producer limit',
  async prepare() {
    // `kcat -V` prints e.g. "kcat - Apache Kafka producer ... Version 1.7.1 (... librdkafka 2.0.2 ...)".
    const text = execFileSync(KCAT, ['-V'], { encoding: 'utf8' });
    const kcatVersion = /Version (\S+)/.exec(text)?.[1] ?? 'unknown';
    const librdkafka = /librdkafka (\S+)/.exec(text)?.[1] ?? 'unknown';
    return Promise.resolve(`kcat ${kcatVersion} (librdkafka ${librdkafka})`);
  },
  // From stdin: kcat sends each file argument as one message, but splits stdin on newlines.
  run: (c) => measure(KCAT, ['-P', '-b', c.brokers, '-t', c.topic, '-X', `acks=${c.acks}`], { stdin: c.file }),
};
