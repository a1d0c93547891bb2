import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { V1ObjectReference } from '@kubernetes/client-node';
import { EventQueue } from '../../../operator/event-queue.ts';

function logLines(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

const ref = (name: string): V1ObjectReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, namespace: 'shop' });

describe('EventQueue', () => {
  it('enqueue returns at once while the Events API hangs; at most `capacity` wait, the rest are dropped', async () => {
    const release: (() => void)[] = [];
    const sent: string[] = [];
    const recorder = {
      send: async (object: V1ObjectReference): Promise<void> => {
        await new Promise<void>((resolve) => release.push(resolve));
        sent.push(object.name ?? '');
      },
    };
    const queue = new EventQueue({ recorder, log: logLines().log, capacity: 3, repeatMs: 60_000, timeoutMs: 2000 });
    const results = Array.from({ length: 6 }, (_, i) => queue.enqueue(ref(`rs-${i}`), 'SidecarInjectionFailed', 'm'));
    // The first is being sent (taken off the queue), three wait, two are dropped.
    assert.deepEqual(results, ['queued', 'queued', 'queued', 'queued', 'dropped', 'dropped']);
    assert.equal(queue.length, 3);
    while (sent.length < 4) {
      release.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(sent, ['rs-0', 'rs-1', 'rs-2', 'rs-3']);
  });

  it('the same object and reason once per repeatMs; a failing Events API is logged once, and once when it works again', async () => {
    let now = 0;
    let failing = true;
    let calls = 0;
    const recorder = {
      send: async (): Promise<void> => {
        calls++;
        await Promise.resolve();
        if (failing) throw new Error('events is forbidden');
      },
    };
    const { log, lines } = logLines();
    const queue = new EventQueue({ recorder, log, capacity: 100, repeatMs: 60_000, timeoutMs: 2000, now: () => now });
    assert.equal(queue.enqueue(ref('rs'), 'SidecarInjectionFailed', 'm'), 'queued');
    assert.equal(queue.enqueue(ref('rs'), 'SidecarInjectionFailed', 'm'), 'repeated');
    for (let i = 0; i < 5; i++) queue.enqueue(ref(`other-${i}`), 'SidecarInjectionFailed', 'm');
    await queue.drain(1000);
    assert.equal(calls, 6);
    assert.equal(lines.filter((l) => String(l['msg']).startsWith('cannot record events')).length, 1);
    now = 60_000;
    failing = false;
    assert.equal(queue.enqueue(ref('rs'), 'SidecarInjectionFailed', 'm'), 'queued', 'after repeatMs the same Event is recorded again');
    await queue.drain(1000);
    assert.equal(lines.filter((l) => l['msg'] === 'events recorded again').length, 1);
  });
});
