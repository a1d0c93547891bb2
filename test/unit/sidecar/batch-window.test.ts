// The sink runner's batching window on a fake clock: a full batch (events or bytes) goes at once,
// a partial one when its linger is over, a trickle of puts within one window is one delivery,
// and a stop (drain) does not wait for the window.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { MemoryChannel } from '../../../sidecar/channels/memory.ts';
import { SinkRunner } from '../../../sidecar/sinks/runner.ts';
import type { WindowClock } from '../../../sidecar/sinks/batch-window.ts';
import { Deadline } from '../../../sidecar/deadline.ts';
import type { Sink } from '../../../sidecar/sinks/sink.ts';
import type { Event } from '../../../sidecar/event.ts';
import { eventSize } from '../../../sidecar/event.ts';
import { createLogger } from '../../../sidecar/log.ts';

const log = createLogger('silent');
const LINGER_MS = 10_000;

class FakeClock implements WindowClock {
  private ms = 0;
  private sleepers: { at: number; wake: () => void }[] = [];
  now(): number {
    return this.ms;
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = { at: this.ms + ms, wake: resolve };
      this.sleepers.push(sleeper);
      signal.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((other) => other !== sleeper);
        resolve();
      }, { once: true });
    });
  }
  /** Moves the clock on and lets what it woke run. */
  async advance(ms: number): Promise<void> {
    this.ms += ms;
    const due = this.sleepers.filter((sleeper) => sleeper.at <= this.ms);
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.at > this.ms);
    for (const sleeper of due) sleeper.wake();
    await settle();
  }
}

/** Lets the runner's promises run (the fake sink answers at once). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await tick();
}

class RecordingSink implements Sink {
  readonly batchSize = 4;
  readonly lingerMs = LINGER_MS;
  readonly maxInFlight: number;
  readonly batchBytes: number | undefined;
  readonly deliveries: string[][] = [];
  constructor(options: { batchBytes?: number; maxInFlight?: number } = {}) {
    this.batchBytes = options.batchBytes;
    this.maxInFlight = options.maxInFlight ?? 1;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  deliver(events: readonly Event[], written: () => void): Promise<void> {
    this.deliveries.push(events.map((event) => event.body.toString()));
    written();
    return Promise.resolve();
  }
}

function events(...bodies: string[]): Event[] {
  return bodies.map((body) => ({ body: Buffer.from(body), headers: {} }));
}

async function started(sink: RecordingSink, clock: FakeClock): Promise<{ channel: MemoryChannel; runner: SinkRunner }> {
  const channel = new MemoryChannel('c', { capacity: 100, transactionCapacity: 10, byteCapacity: 1 << 20, keepAliveSeconds: 3 }, log);
  const runner = new SinkRunner('k', sink, channel, log, undefined, clock);
  await runner.start();
  return { channel, runner };
}

async function stop(runner: SinkRunner): Promise<void> {
  const deadline = Deadline.after(5000);
  await runner.stop(deadline);
  deadline.dispose();
}

describe('batching window (linger bounded by events and bytes)', () => {
  for (const maxInFlight of [1, 4]) {
    it(`puts within one window are one delivery, sent when the linger is over (maxInFlight ${maxInFlight})`, async () => {
      const clock = new FakeClock();
      const sink = new RecordingSink({ maxInFlight });
      const { channel, runner } = await started(sink, clock);
      await channel.put(events('a'));
      await settle();
      await clock.advance(LINGER_MS / 2);
      await channel.put(events('b'));
      await channel.put(events('c'));
      await clock.advance(LINGER_MS / 2 - 1);
      assert.deepEqual(sink.deliveries, [], 'nothing sent before the window is over');
      await clock.advance(1);
      assert.deepEqual(sink.deliveries, [['a', 'b', 'c']]);
      // The next window opens with the next event, not at the last send.
      await clock.advance(LINGER_MS * 3);
      await channel.put(events('d'));
      await settle();
      await clock.advance(LINGER_MS - 1);
      assert.equal(sink.deliveries.length, 1);
      await clock.advance(1);
      assert.deepEqual(sink.deliveries, [['a', 'b', 'c'], ['d']]);
      assert.equal(runner.counters.batchesUnderflow, 2);
      await stop(runner);
    });
  }

  it('a full batch (batchSize events) goes at once, without waiting for the window', async () => {
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const { channel, runner } = await started(sink, clock);
    await channel.put(events('a', 'b'));
    await settle();
    assert.deepEqual(sink.deliveries, []);
    await channel.put(events('c', 'd', 'e'));
    await settle();
    assert.deepEqual(sink.deliveries, [['a', 'b', 'c', 'd']], 'sent with the clock standing still');
    assert.equal(runner.counters.batchesComplete, 1);
    await clock.advance(LINGER_MS);
    assert.deepEqual(sink.deliveries, [['a', 'b', 'c', 'd'], ['e']]);
    await stop(runner);
  });

  it('a batch of batchBytes goes at once, without waiting for the window', async () => {
    const clock = new FakeClock();
    const body = 'x'.repeat(60);
    const size = eventSize(events(body)[0] ?? { body: Buffer.alloc(0), headers: {} });
    const sink = new RecordingSink({ batchBytes: size * 2 });
    const { channel, runner } = await started(sink, clock);
    await channel.put(events(body));
    await settle();
    assert.deepEqual(sink.deliveries, []);
    await channel.put(events(body));
    await settle();
    assert.deepEqual(sink.deliveries, [[body, body]], 'sent with the clock standing still');
    await stop(runner);
  });

  it('a stop (drain) sends what waits at once instead of waiting for the window', async () => {
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const { channel, runner } = await started(sink, clock);
    await channel.put(events('a'));
    await settle();
    const began = performance.now();
    await stop(runner);
    assert.deepEqual(sink.deliveries, [['a']]);
    assert.equal(channel.held, 0);
    assert.ok(performance.now() - began < 2000, `stop took ${Math.round(performance.now() - began)} ms`);
  });

  it('window after window, each is one delivery of what came in it', async () => {
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const { channel, runner } = await started(sink, clock);
    for (let round = 0; round < 3; round++) {
      await channel.put(events(`r${round}`));
      await settle();
      await clock.advance(LINGER_MS);
    }
    assert.deepEqual(sink.deliveries, [['r0'], ['r1'], ['r2']]);
    await stop(runner);
  });
});
