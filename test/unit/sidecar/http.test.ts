// The agent's HTTP endpoints: who may POST /stop; /healthz after a stalled event loop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { Agent } from '../../../sidecar/agent.ts';
import { isLoopback, startHttpServer } from '../../../sidecar/http.ts';
import { createLogger } from '../../../sidecar/log.ts';
import type { ReloadState } from '../../../sidecar/metrics.ts';

describe('POST /stop peers (isLoopback)', () => {
  it('accepts loopback addresses only: a container of the same pod, never another pod', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(address), true, address);
    for (const address of [undefined, '', '10.0.0.7', '::ffff:10.0.0.7', 'fe80::1', '::', '0.0.0.0', '1.127.0.0', '::ffff:1.127.0.0']) {
      assert.equal(isLoopback(address), false, String(address));
    }
  });
});

describe('/healthz', () => {
  it('answers 200 while the loop runs, 503 stalled right after a block of the event loop over 5 s', { timeout: 30_000 }, async () => {
    const reloads: ReloadState = { loadedAt: new Date(), configHash: '', successes: 0, failures: 0, lastError: undefined, file: 'loaded' };
    const agent = (): Agent => assert.fail('/healthz reads no agent');
    const server = await startHttpServer(agent, new Registry(), reloads, { host: '127.0.0.1', port: 0, readyBackoffLimitMs: 60_000, stop: () => undefined }, createLogger('silent'));
    try {
      const address = server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/healthz`;
      const ok = await fetch(url);
      assert.equal(ok.status, 200);
      const until = performance.now() + 5500;
      while (performance.now() < until) {
        // blocked: nothing else runs
      }
      const stalled = await fetch(url);
      const body = await stalled.json() as { status: string; eventLoopDelayMaxMs: number };
      assert.equal(stalled.status, 503);
      assert.equal(body.status, 'stalled');
      assert.ok(body.eventLoopDelayMaxMs >= 5000, `reported ${body.eventLoopDelayMaxMs} ms`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
