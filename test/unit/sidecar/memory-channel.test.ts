import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryChannel, ChannelError, byteSized, type MemoryChannelConfig } from '../../../sidecar/channels/memory.ts';
import type { Event } from '../../../sidecar/event.ts';
import { createLogger } from '../../../sidecar/log.ts';

const log = createLogger('silent');

function channel(config: Partial<MemoryChannelConfig> = {}): MemoryChannel {
  return new MemoryChannel('c', { capacity: 10, transactionCapacity: 10, byteCapacity: 1 << 20, keepAliveSeconds: 3, ...config }, log);
}

function events(...bodies: string[]): Event[] {
  return bodies.map((body) => ({ body: Buffer.from(body), headers: {} }));
}

function bodies(list: readonly Event[]): string[] {
  return list.map((event) => event.body.toString());
}

describe('MemoryChannel', () => {
  it('is FIFO across put and take transactions', async () => {
    const c = channel();
    await c.put(events('1', '2', '3'));
    await c.put(events('4'));
    const first = c.take(2);
    assert.deepEqual(bodies(first.events), ['1', '2']);
    first.commit();
    assert.deepEqual(bodies(c.take(10).events), ['3', '4']);
  });

  it('rollback returns events to the head, in order', async () => {
    const c = channel();
    await c.put(events('1', '2', '3', '4'));
    const taken = c.take(2);
    taken.rollback();
    assert.deepEqual(bodies(c.take(10).events), ['1', '2', '3', '4']);
  });

  it('a delivery in flight when a reload replaced the channel rolls back into the replacement, at its head', async () => {
    const old = channel();
    await old.put(events('a', 'b', 'c', 'd'));
    const inFlight = old.take(2);
    const replacement = channel();
    old.transferTo(replacement);
    const last = channel();
    replacement.transferTo(last);
    await last.put(events('e'));
    inFlight.rollback();
    assert.deepEqual(bodies(last.take(10).events), ['a', 'b', 'c', 'd', 'e'], 'nothing stranded in a replaced channel');
    assert.equal(old.size + replacement.size, 0);
  });

  it('a full channel makes put wait (back-pressure) instead of failing or dropping', async () => {
    const c = channel({ capacity: 3, transactionCapacity: 3 });
    await c.put(events('1', '2', '3'));
    let done = false;
    const blocked = c.put(events('4')).then(() => (done = true));
    await tick();
    assert.equal(done, false, 'put waits while the channel is full');
    const taken = c.take(1);
    await tick();
    assert.equal(done, false, 'taken events keep their room until commit');
    taken.commit();
    await blocked;
    assert.deepEqual(bodies(c.take(10).events), ['2', '3', '4']);
  });

  it('counts bytes too, and still admits a lone event bigger than byteCapacity', async () => {
    const c = channel({ byteCapacity: 10 });
    await c.put(events('0123456789abc'));
    let done = false;
    const blocked = c.put(events('x')).then(() => (done = true));
    await tick();
    assert.equal(done, false);
    c.take(1).commit();
    await blocked;
    assert.equal(c.size, 1);
  });

  it('holds at most byteCapacity bytes, first batch included: a bigger batch goes in as pieces that fit', async () => {
    const c = channel({ byteCapacity: 10 });
    let done = false;
    const put = c.put(events('aaaa', 'bbbb', 'cccc', 'dddd', 'eeeeeeeeeeeeeeee', 'f')).then(() => (done = true));
    const isDone = (): boolean => done;
    await tick();
    assert.equal(isDone(), false, 'the empty channel takes 8 of the 30 bytes, not all of them');
    assert.equal(c.size, 2);
    const taken: string[] = [];
    const held: { bytes: number; events: number }[] = [];
    while (!isDone()) {
      const transaction = c.take(10);
      held.push({ bytes: transaction.events.reduce((sum, event) => sum + event.body.length, 0), events: transaction.events.length });
      taken.push(...bodies(transaction.events));
      transaction.commit();
      await tick();
    }
    await put;
    taken.push(...bodies(c.take(10).events));
    assert.deepEqual(taken, ['aaaa', 'bbbb', 'cccc', 'dddd', 'eeeeeeeeeeeeeeee', 'f'], 'in order, none lost');
    // Each take empties the channel: what it took is what the channel held.
    assert.ok(held.every(({ bytes, events: count }) => bytes <= 10 || count === 1), `held: ${JSON.stringify(held)}`);
  });

  it('keeps no committed event alive (a taken slot held its body until the queue was compacted)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const c = channel();
    const bodiesPut = (): WeakRef<Buffer>[] => {
      const batch = events('x'.repeat(1000), 'y'.repeat(1000));
      void c.put(batch);
      c.take(10).commit();
      return batch.map((event) => new WeakRef(event.body));
    };
    const refs = bodiesPut();
    await c.put(events('still queued'));
    await tick();
    gc();
    assert.deepEqual(refs.map((ref) => ref.deref() === undefined), [true, true]);
  });

  it('take stops at maxBytes (at least one event), and its commit frees what it took', async () => {
    const c = channel({ byteCapacity: 20 });
    await c.put(events('aaaaaaaaaa', 'bbbb', 'cccc'));
    const first = c.take(10, 9);
    assert.deepEqual(bodies(first.events), ['aaaaaaaaaa'], 'one event larger than maxBytes goes alone');
    const second = c.take(10, 9);
    assert.deepEqual(bodies(second.events), ['bbbb', 'cccc']);
    let done = false;
    const put = c.put(events('ddddddddddd')).then(() => (done = true));
    second.commit();
    await tick();
    assert.equal(done, false, 'only 8 bytes were freed: 10 + 11 > 20');
    first.commit();
    await put;
  });

  it('byteSized cuts a batch into runs of at most maxBytes, a larger event alone', () => {
    const pieces = byteSized(events('aa', 'bb', 'c', 'dddddd', 'e'), 5);
    assert.deepEqual(pieces.map(bodies), [['aa', 'bb', 'c'], ['dddddd'], ['e']]);
  });

  it('serves waiting putters in arrival order', async () => {
    const c = channel({ capacity: 2, transactionCapacity: 2 });
    await c.put(events('a', 'b'));
    const order: string[] = [];
    const big = c.put(events('c', 'd')).then(() => order.push('big'));
    const small = c.put(events('e')).then(() => order.push('small'));
    c.take(1).commit();
    await tick();
    assert.deepEqual(order, [], 'the small put does not overtake the big one');
    c.take(1).commit();
    await big;
    c.take(2).commit();
    await small;
    assert.deepEqual(order, ['big', 'small']);
  });

  it('rejects a put larger than transactionCapacity', async () => {
    await assert.rejects(channel({ transactionCapacity: 2 }).put(events('1', '2', '3')), ChannelError);
  });

  it('waitForEvents resolves on the next put, or on abort', async () => {
    const c = channel();
    const waiting = c.waitForEvents();
    await c.put(events('x'));
    await waiting;
    const controller = new AbortController();
    const empty = channel().waitForEvents(controller.signal);
    controller.abort();
    await empty;
  });
});

describe('abortable put (a stop gives up at its deadline)', () => {
  it('a put waiting on a full channel rejects when its signal aborts, reserving nothing', async () => {
    const c = channel({ capacity: 2, transactionCapacity: 2 });
    await c.put(events('1', '2'));
    const controller = new AbortController();
    const blocked = c.put(events('3'), controller.signal);
    await tick();
    controller.abort(new Error('deadline'));
    await assert.rejects(blocked, /deadline/);
    assert.equal(c.held, 2, 'the aborted batch took no room');
    c.take(2).commit();
    assert.equal(c.held, 0);
    await c.put(events('4', '5'));
    assert.deepEqual(bodies(c.take(10).events), ['4', '5'], 'the aborted batch never entered the queue');
  });

  it('an aborted putter at the head lets the one behind it in', async () => {
    const c = channel({ capacity: 3, transactionCapacity: 3 });
    await c.put(events('1', '2'));
    const controller = new AbortController();
    const big = c.put(events('a', 'b'), controller.signal);
    let small = false;
    const behind = c.put(events('x')).then(() => (small = true));
    await tick();
    assert.equal(small, false, 'putters are served in order: the small one waits behind the big one');
    controller.abort();
    await assert.rejects(big);
    await behind;
    assert.equal(small, true);
    assert.deepEqual(bodies(c.take(10).events), ['1', '2', 'x']);
  });

  it('an already aborted signal fails the put even with room; an abort after the put has no effect', async () => {
    const c = channel();
    await assert.rejects(c.put(events('1'), AbortSignal.abort()));
    assert.equal(c.held, 0);
    const controller = new AbortController();
    await c.put(events('2'), controller.signal);
    controller.abort();
    assert.deepEqual(bodies(c.take(10).events), ['2']);
  });

  it('through ChannelProcessor.put: the source waiting on a full channel is released', async () => {
    const { ChannelProcessor } = await import('../../../sidecar/channels/processor.ts');
    const c = channel({ capacity: 2, transactionCapacity: 2 });
    const processor = new ChannelProcessor([], [c]);
    await processor.put(events('1', '2'));
    const controller = new AbortController();
    const blocked = processor.put(events('3', '4', '5'), controller.signal);
    setTimeout(() => {
      controller.abort();
    }, 20);
    await assert.rejects(blocked);
    assert.equal(processor.counters.eventsReceived - processor.counters.eventsAccepted, 3, 'counted as received, not accepted');
    assert.equal(c.held, 2);
  });
});

describe('receipts (end-to-end acknowledgement)', () => {
  it('settle only when every event of the batch, in every channel, is committed', async () => {
    const { Receipt } = await import('../../../sidecar/event.ts');
    const { ChannelProcessor } = await import('../../../sidecar/channels/processor.ts');
    const a = channel({ transactionCapacity: 2 });
    const b = channel({ transactionCapacity: 10 });
    let settled = 0;
    const receipt = new Receipt(3, () => settled++);
    await new ChannelProcessor([], [a, b]).put(events('1', '2', '3').map((event) => ({ ...event, receipt })));
    a.take(2).commit();
    const rolledBack = a.take(2);
    rolledBack.rollback();
    assert.equal(settled, 0, 'a rollback is no delivery');
    a.take(2).commit();
    assert.equal(receipt.settled, false, 'the copies in channel b are still out');
    b.take(10).commit();
    assert.equal(settled, 1);
    assert.equal(receipt.settled, true);
  });
});
