// The agent on the configuration `logshipper render` makes for a LogShipper (confined to the log
// volume), against real Kafka. The volume (reached through a symlink, as the kubelet's paths are)
// holds plain files, a symlink inside it (current.log), a symlinked subdirectory inside it, a
// symlink to a file outside it (evil.log), a symlinked directory leading outside, and a symlink
// re-pointed from an inside file to an outside one while the agent runs, three times. Every
// line in the topic is counted: the inside lines exactly once each, no outside line at all; each
// refused file is logged once and counted once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokers, createTopic, readTopic, waitForRecords } from '../../helpers/kafka.ts';
import { getText, httpPort, metric, startAgent } from '../../helpers/agent.ts';
import { uniqueName } from '../../helpers/env.ts';
import { multisetDiff } from '../../helpers/multiset.ts';
import { escapingVolume } from '../../helpers/escaping-volume.ts';
import { render } from '../../../operator/render.ts';
import { resolveSpec } from '../../../operator/spec.ts';
import { AGENT_NAME, LOG_VOLUME_MOUNT_PATH, SOURCE_NAME, STATE_MOUNT_PATH } from '../../../operator/sidecar-layout.ts';

const SWAPS = 3;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The rendered agent configuration, with the pod's mount paths moved to this test's directories. */
function renderedConfig(topic: string, volume: string, state: string): string {
  const { text } = render(resolveSpec({
    volume: 'logs',
    files: [{ path: '*.log' }, { path: 'sub/*.log' }, { path: 'outdir/*.log' }],
    kafka: { brokers: brokers().split(','), topic, batchSize: 100 },
    extraProperties: [{ name: 'source.pollInterval', value: '100' }, { name: 'source.rescanInterval', value: '200' }],
  }), { namespace: 'test', name: 'confine' });
  assert.ok(text.includes(`confineTo = ${LOG_VOLUME_MOUNT_PATH}\n`), 'the renderer confines the source to the volume');
  return text.replaceAll(LOG_VOLUME_MOUNT_PATH, volume).replaceAll(STATE_MOUNT_PATH, state);
}

describe('TAILDIR confined to the volume (rendered configuration) -> real Kafka', () => {
  it('ships every inside line once and no outside line; each refused file is logged and counted once', { timeout: 120_000 }, async () => {
    const { base, volume, mount, outside, state, insideFiles, outsideFiles: escaped } = escapingVolume();

    const inside: string[] = [];
    const outsideLines: string[] = [];
    const write = (file: string, lines: string[], into: string[]): void => {
      appendFileSync(file, lines.map((line) => `${line}\n`).join(''));
      into.push(...lines);
    };
    const batch = (what: string, round: number): string[] => Array.from({ length: 50 }, (_, i) => `${what} round ${round} line ${i}`);
    const outsideFiles = [...escaped, ...Array.from({ length: SWAPS }, (_, i) => join(outside, `swap-${i}.key`))];
    for (const file of outsideFiles) write(file, batch(`SECRET ${file}`, 0), outsideLines);
    for (const file of insideFiles) write(file, batch(file, 0), inside);

    const topic = uniqueName('taildir-confine');
    await createTopic(topic, 1);
    const conf = join(base, 'agent.properties');
    writeFileSync(conf, renderedConfig(topic, mount, state));
    const agent = startAgent(conf, AGENT_NAME);
    try {
      const port = await httpPort(agent);
      await agent.waitForLog((line) => line['msg'] === 'agent started');
      // A symlink pointing at an inside file, re-pointed (atomically, by rename) at an outside file once tailed.
      const swap = join(volume, 'swap.log');
      for (let round = 1; round <= SWAPS; round++) {
        symlinkSync('app.log', `${swap}.tmp`);
        renameSync(`${swap}.tmp`, swap);
        await sleep(400);
        for (const file of insideFiles) write(file, batch(file, round), inside);
        for (const file of outsideFiles) write(file, batch(`SECRET ${file}`, round), outsideLines);
        await sleep(400);
        symlinkSync(outsideFiles[1 + round] ?? '', `${swap}.tmp`);
        renameSync(`${swap}.tmp`, swap);
        await sleep(400);
        for (const file of [...insideFiles, ...outsideFiles]) write(file, batch(`${file.includes('/outside/') ? 'SECRET ' : ''}${file} after swap`, round), file.includes('/outside/') ? outsideLines : inside);
      }
      await waitForRecords(topic, inside.length, 30_000);
      // Rescans and polls go on: nothing more may arrive, nor be logged again.
      await sleep(1500);
      const values = (await readTopic(topic)).map((record) => record.value);
      const shippedOutside = values.filter((value) => value.startsWith('SECRET')).length;
      const diff = multisetDiff(inside, values.filter((value) => !value.startsWith('SECRET')));
      const metrics = await getText(port, '/metrics');
      const refused = metric(metrics, `logshipper_source_files_refused_total{source="${SOURCE_NAME}",reason="outside"}`);
      const logged = agent.logs.filter((line) => String(line['msg']).startsWith('file refused'));
      console.log(`confine: ${values.length} records; inside lines ${inside.length} (missing ${diff.missing}, extra ${diff.extra}); outside lines shipped ${shippedOutside} of ${outsideLines.length}; refused ${String(refused)}, logged ${logged.length}`);
      assert.equal(shippedOutside, 0, 'no line of a file outside the volume is shipped');
      assert.deepEqual(diff, { missing: 0, extra: 0 }, 'every inside line exactly once');
      // evil.log, outdir/x.log and one swap target per round.
      assert.equal(refused, 2 + SWAPS);
      assert.deepEqual(logged.map((line) => `${String(line['file'])} -> ${String(line['realPath'])}`).sort(), [
        `${join(mount, 'evil.log')} -> ${join(outside, 'client.key')}`,
        `${join(mount, 'outdir', 'x.log')} -> ${join(outside, 'dir', 'x.log')}`,
        ...Array.from({ length: SWAPS }, (_, i) => `${swap.replace(volume, mount)} -> ${join(outside, `swap-${i}.key`)}`),
      ].sort());
      assert.ok(logged.every((line) => line['level'] === 40 && line['root'] === volume), 'warn, with the resolved root');
    } finally {
      agent.process.kill('SIGTERM');
    }
    assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
    rmSync(base, { recursive: true, force: true });
  });
});
