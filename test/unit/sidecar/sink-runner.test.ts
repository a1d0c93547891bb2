import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryChannel } from '../../../sidecar/channels/memory.ts';
import { SinkRunner } from '../../../sidecar/sinks/runner.ts';
import type { Sink } from '../../../sidecar/sinks/sink.ts';
import type { Event } from '../../../sidecar/event.ts';
import { createLogger } from '../../../sidecar/log.ts';

const log = createLogger('silent');

/** A sink that fails the deliveries listed in `failures` (by attempt number) and records the rest. */
class FlakySink implements Sink {
  readonly batchSize = 4;
  readonly lingerMs = 0;
  readonly delivered: string[] = [];
  attempts = 0;
  private readonly failures: Set<number>;
  constructor(failures: number[]) {
    this.failures = new Set(failures);
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async deliver(events: readonly Event[]): Promise<void> {
    this.attempts++;
    if (this.failures.has(this.attempts)) throw new Error(`broker unavailable (attempt ${this.attempts})`);
    this.delivered.push(...events.map((event) => event.body.toString()));
    return Promise.resolve();
  }
}

describe('SinkRunner', () => {
  it('retries failed batches until delivered: nothing lost, order kept, channel emptied', async () => {
    const channel = new MemoryChannel('c', { capacity: 8, transactionCapacity: 4, byteCapacity: 1 << 20, keepAliveSeconds: 3 }, log);
    const sink = new FlakySink([1, 2, 5]);
    const runner = new SinkRunner('k', sink, channel, log);
    await runner.start();
    const sent: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const events = Array.from({ length: 3 }, (_, i) => ({ body: Buffer.from(String(batch * 3 + i)), headers: {} }));
      sent.push(...events.map((event) => event.body.toString()));
      await channel.put(events);
    }
    await runner.stop(Date.now() + 10_000);
    assert.deepEqual(sink.delivered, sent);
    assert.equal(channel.held, 0);
    assert.ok(sink.attempts > 3);
  });

  it('reports BACKOFF while deliveries fail and stops at the deadline leaving events in the channel', async () => {
    const channel = new MemoryChannel('c', { capacity: 8, transactionCapacity: 4, byteCapacity: 1 << 20, keepAliveSeconds: 3 }, log);
    const sink = new FlakySink(Array.from({ length: 100 }, (_, i) => i + 1));
    const runner = new SinkRunner('k', sink, channel, log);
    await runner.start();
    await channel.put([{ body: Buffer.from('x'), headers: {} }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(runner.status, 'BACKOFF');
    await runner.stop(Date.now() + 200);
    assert.equal(channel.held, 1, 'the undelivered event is still accounted for');
  });
});
