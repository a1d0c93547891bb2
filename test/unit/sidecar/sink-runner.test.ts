import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryChannel } from '../../../sidecar/channels/memory.ts';
import { monotonicMs } from '../../../sidecar/clock.ts';
import { SinkRunner } from '../../../sidecar/sinks/runner.ts';
import type { Sink } from '../../../sidecar/sinks/sink.ts';
import type { Event } from '../../../sidecar/event.ts';
import { createLogger } from '../../../sidecar/log.ts';

const log = createLogger('silent');

/** A sink that fails the deliveries listed in `failures` (by attempt number) and records the rest. */
class FlakySink implements Sink {
  readonly batchSize = 4;
  readonly lingerMs = 0;
  readonly maxInFlight: number;
  readonly delivered: string[] = [];
  attempts = 0;
  /** Most deliveries seen running at once. */
  concurrency = 0;
  private running = 0;
  private readonly failures: Set<number>;
  constructor(failures: number[], maxInFlight = 1) {
    this.failures = new Set(failures);
    this.maxInFlight = maxInFlight;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async deliver(events: readonly Event[], written: () => void): Promise<void> {
    const attempt = ++this.attempts;
    const fails = this.failures.has(attempt);
    this.running++;
    this.concurrency = Math.max(this.concurrency, this.running);
    // Like kafkajs: a request is written a moment after the call, and concurrent calls may
    // overtake each other (this delay varies); records land in the order requests are written.
    await new Promise((resolve) => setTimeout(resolve, (attempt * 7) % 3));
    if (!fails) this.delivered.push(...events.map((event) => event.body.toString()));
    written();
    // Answers may come back in any order.
    await new Promise((resolve) => setTimeout(resolve, attempt % 3));
    this.running--;
    if (fails) throw new Error(`broker unavailable (attempt ${attempt})`);
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
    await runner.stop(monotonicMs() + 10_000);
    assert.deepEqual(sink.delivered, sent);
    assert.equal(channel.held, 0);
    assert.ok(sink.attempts > 3);
  });

  it('with several batches in flight: in order while deliveries succeed, nothing lost or duplicated when some fail', async () => {
    for (const failures of [[], [2, 5, 6, 11]]) {
      const channel = new MemoryChannel('c', { capacity: 40, transactionCapacity: 4, byteCapacity: 1 << 20, keepAliveSeconds: 3 }, log);
      const sink = new FlakySink(failures, 3);
      const runner = new SinkRunner('k', sink, channel, log);
      await runner.start();
      const sent = Array.from({ length: 200 }, (_, i) => String(i));
      for (let i = 0; i < sent.length; i += 4) {
        await channel.put(sent.slice(i, i + 4).map((body) => ({ body: Buffer.from(body), headers: {} })));
      }
      await runner.stop(monotonicMs() + 10_000);
      assert.equal(channel.held, 0);
      assert.ok(sink.concurrency > 1, 'batches overlapped');
      if (failures.length === 0) assert.deepEqual(sink.delivered, sent, 'in order');
      else assert.deepEqual([...sink.delivered].sort((a, b) => Number(a) - Number(b)), sent, 'each exactly once');
    }
  });

  it('reports BACKOFF while deliveries fail and stops at the deadline leaving events in the channel', async () => {
    const channel = new MemoryChannel('c', { capacity: 8, transactionCapacity: 4, byteCapacity: 1 << 20, keepAliveSeconds: 3 }, log);
    const sink = new FlakySink(Array.from({ length: 100 }, (_, i) => i + 1));
    const runner = new SinkRunner('k', sink, channel, log);
    await runner.start();
    await channel.put([{ body: Buffer.from('x'), headers: {} }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(runner.status, 'BACKOFF');
    await runner.stop(monotonicMs() + 200);
    assert.equal(channel.held, 1, 'the undelivered event is still accounted for');
  });
});
