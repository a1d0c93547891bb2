// kafkajs's request queue without idle timers (sinks/kafkajs-idle.ts): an idle connection's queue
// runs no timer at all (kafkajs's own spins a 1 ms loop and a 100 ms interval, counted here on an
// unpatched copy of the class), while requests are still sent, answered and timed out as kafkajs does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { kafkajsIdlePatched } from '../../../sidecar/sinks/kafkajs-idle.ts';

const require = createRequire(import.meta.url);
const root = require.resolve('kafkajs/package.json').slice(0, -'package.json'.length);
const queueModule = require.resolve(`${root}src/network/requestQueue/index.js`);

interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  scheduleRequestTimeoutCheck(): void;
  checkPendingRequests(): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  push(request: object): void;
  destroy(): void;
  maybeThrottle(ms: number): void;
}
type QueueClass = new (options: object) => Queue;

const patched = require(queueModule) as QueueClass;
// A second, unpatched copy of the module, to count what kafkajs itself does.
Reflect.deleteProperty(require.cache, queueModule);
const original = require(queueModule) as QueueClass;

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A connected queue (as Connection makes one at connect), counting its pending checks and its timeout-check ticks. */
function connectedQueue(Class: QueueClass, requestTimeout = 30_000): { queue: Queue; counts: { pendingChecks: number; timeoutTicks: number } } {
  const counts = { pendingChecks: 0, timeoutTicks: 0 };
  const queue = new Class({
    maxInFlightRequests: 5, requestTimeout, enforceRequestTimeout: true, clientId: 'test', broker: 'b:1', logger: silent,
    isConnected: () => {
      counts.timeoutTicks++;
      return true;
    },
  });
  const check = queue.checkPendingRequests.bind(queue);
  queue.checkPendingRequests = () => {
    counts.pendingChecks++;
    check();
  };
  queue.scheduleRequestTimeoutCheck();
  return { queue, counts };
}

function request(correlationId: number, sent: number[], rejected: unknown[]): object {
  return {
    entry: { correlationId, apiKey: 0, apiName: 'Produce', apiVersion: 3, resolve: () => undefined, reject: (error: unknown) => rejected.push(error) },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('kafkajs request queue while idle', () => {
  it('is patched (kafkajs 2.2.4)', () => {
    assert.equal(kafkajsIdlePatched, true);
  });

  it('an idle connection runs no timer; kafkajs spins one every millisecond', async () => {
    const before = connectedQueue(original);
    const after = connectedQueue(patched);
    // What starts kafkajs's loop: the first response on the connection (a metadata answer, say).
    const sent: number[] = [];
    for (const { queue } of [before, after]) {
      queue.push(request(1, sent, []));
      queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    }
    try {
      // The patched timeout check ends at its first tick after the answer.
      await sleep(150);
      const start = { ...before.counts };
      const startPatched = { ...after.counts };
      await sleep(500);
      const spun = before.counts.pendingChecks - start.pendingChecks;
      const ticked = before.counts.timeoutTicks - start.timeoutTicks;
      console.log(`idle 500 ms: kafkajs ${spun} pending checks and ${ticked} timeout checks; patched ${after.counts.pendingChecks - startPatched.pendingChecks} and ${after.counts.timeoutTicks - startPatched.timeoutTicks}`);
      assert.ok(spun > 50, `kafkajs's own queue checked ${spun} times (the loop this replaces)`);
      assert.ok(ticked >= 3, `kafkajs's own timeout check ran ${ticked} times`);
      assert.equal(after.counts.pendingChecks - startPatched.pendingChecks, 0, 'pending checks while idle');
      assert.equal(after.counts.timeoutTicks - startPatched.timeoutTicks, 0, 'timeout checks while idle');
    } finally {
      before.queue.destroy();
      after.queue.destroy();
    }
  });

  it('still sends queued requests in order once in-flight ones are answered, and while throttled', async () => {
    const { queue } = connectedQueue(patched);
    const sent: number[] = [];
    for (let id = 1; id <= 8; id++) queue.push(request(id, sent, []));
    assert.deepEqual(sent, [1, 2, 3, 4, 5], 'maxInFlightRequests 5');
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    queue.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
    assert.deepEqual(sent, [1, 2, 3, 4, 5, 6, 7]);
    queue.maybeThrottle(60);
    for (const id of [3, 4, 5, 6, 7]) queue.fulfillRequest({ correlationId: id, payload: Buffer.alloc(0), size: 0 });
    assert.deepEqual(sent, [1, 2, 3, 4, 5, 6, 7], 'throttled: 8 waits');
    await sleep(150);
    assert.deepEqual(sent, [1, 2, 3, 4, 5, 6, 7, 8], 'sent once the throttle ended');
    queue.destroy();
  });

  it('still times out a request that gets no answer, then stops checking', async () => {
    const { queue, counts } = connectedQueue(patched, 50);
    const sent: number[] = [];
    const rejected: unknown[] = [];
    queue.push(request(1, sent, rejected));
    await sleep(300);
    assert.equal(rejected.length, 1, 'timed out');
    assert.match((rejected[0] as Error).name, /Timeout/);
    assert.equal(queue.inflight.size, 0);
    const ticks = counts.timeoutTicks;
    await sleep(200);
    assert.equal(counts.timeoutTicks, ticks, 'no timeout checks once nothing is in flight');
    queue.destroy();
  });
});
