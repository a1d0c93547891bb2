// Every compression codec against the real broker: the agent ships a file (short, long,
// non-ASCII and repeated lines) to a topic that keeps the producer's batches
// (compression.type=producer) and to one whose compression.type makes the broker decompress
// and recompress them; kcat (librdkafka, an independent reader with all four codecs) reads both
// back, line for line. The producer topic's log, smaller than the lines, shows the batches
// were compressed; the broker accepted them (it validates every record of a compressed batch).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokers, createTopic, deleteTopics, topicLogBytes, waitForRecords } from '../../helpers/kafka.ts';
import { startAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { multisetDiff } from '../../helpers/multiset.ts';

/** 3,000 lines, ~0.5 MB: log-like lines, lines of 40-65 KB (several snappy-java blocks, an LZ4 block), non-ASCII, repeats. */
function testLines(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    if (i % 500 === 7) lines.push(`long ${String(i)} ${'abcdefghij'.repeat(4000 + i)}`);
    else if (i % 10 === 3) lines.push(`ünïcödé ✓ 日本語 🚀 ${String(i)} — Ζεύς`);
    else if (i % 10 === 5) lines.push('the same line, again and again');
    else lines.push(`2026-12-02T04:00:00.${String(i).padStart(3, '0')}Z INFO request id=${String(i * 7919)} path=/api/v1/items/${String(i % 97)} status=200`);
  }
  return lines;
}

/** What the broker recompresses to: another codec than the producer's. */
const RECOMPRESS: Record<string, string> = { gzip: 'zstd', snappy: 'gzip', lz4: 'zstd', zstd: 'gzip' };
const CASES: { codec: string; keys: string[] }[] = [
  { codec: 'gzip', keys: ['kafka.producer.compression.gzip.level = 9'] },
  { codec: 'snappy', keys: [] },
  { codec: 'lz4', keys: [] },
  { codec: 'zstd', keys: ['kafka.producer.compression.zstd.level = 7'] },
];

describe('compression codecs -> real Kafka -> kcat', () => {
  const lines = testLines();
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-compression-'));
  const file = join(dir, 'app.log');
  writeFileSync(file, lines.join('\n') + '\n');
  const rawBytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0);

  for (const { codec, keys } of CASES) {
    it(`${codec}${keys.length === 0 ? '' : ` (${keys.join(', ')})`}: kcat reads every line back from a producer-compressed topic and from a topic the broker recompresses to ${RECOMPRESS[codec] ?? ''}`, { timeout: 90_000 }, async (t) => {
      const kept = uniqueName(`codec-${codec}`);
      const recompressed = uniqueName(`codec-${codec}-to-${RECOMPRESS[codec] ?? ''}`);
      await createTopic(kept, 1, { 'compression.type': 'producer' });
      await createTopic(recompressed, 1, { 'compression.type': RECOMPRESS[codec] ?? '' });
      const sink = (name: string, topic: string): string[] => [
        `a.sinks.${name}.type = kafka`, `a.sinks.${name}.channel = ${name}`, `a.sinks.${name}.kafka.bootstrap.servers = ${brokers()}`,
        `a.sinks.${name}.kafka.topic = ${topic}`, `a.sinks.${name}.kafka.producer.acks = all`, `a.sinks.${name}.flumeBatchSize = 500`,
        `a.sinks.${name}.kafka.producer.compression.type = ${codec}`, ...keys.map((key) => `a.sinks.${name}.${key}`),
      ];
      const conf = join(dir, `${codec}.properties`);
      writeFileSync(conf, [
        'a.sources = s', 'a.channels = kept recompressed', 'a.sinks = kept recompressed',
        'a.sources.s.type = exec', `a.sources.s.command = cat ${file}`, 'a.sources.s.channels = kept recompressed', 'a.sources.s.batchSize = 500',
        ...['kept', 'recompressed'].flatMap((name) => [`a.channels.${name}.type = memory`, `a.channels.${name}.capacity = 5000`, `a.channels.${name}.transactionCapacity = 500`]),
        ...sink('kept', kept), ...sink('recompressed', recompressed),
      ].join('\n') + '\n');

      // The source's command ends: the agent drains both channels and exits by itself.
      const agent = startAgent(conf, 'a');
      assert.equal(await agent.exited, 0, [...agent.stderr, ...agent.logs.map((line) => JSON.stringify(line))].join('\n'));
      for (const topic of [kept, recompressed]) {
        const records = await waitForRecords(topic, lines.length);
        assert.deepEqual(multisetDiff(lines, records.map((record) => record.value)), { missing: 0, extra: 0 }, topic);
      }
      const keptBytes = await topicLogBytes(kept);
      t.diagnostic(`${codec}: ${String(rawBytes)} bytes of lines, ${String(keptBytes)} in the producer-compressed topic's log, ${String(await topicLogBytes(recompressed))} recompressed to ${RECOMPRESS[codec] ?? ''}`);
      assert.ok(keptBytes > 0 && keptBytes < rawBytes / 3, `${codec}: the producer's batches take ${String(keptBytes)} bytes on the broker for ${String(rawBytes)} bytes of lines`);
      await deleteTopics([kept, recompressed]);
    });
  }
});
