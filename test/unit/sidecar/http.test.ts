// The agent's HTTP endpoints: who may POST /stop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback } from '../../../sidecar/http.ts';

describe('POST /stop peers (isLoopback)', () => {
  it('accepts loopback addresses only: a container of the same pod, never another pod', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(address), true, address);
    for (const address of [undefined, '', '10.0.0.7', '::ffff:10.0.0.7', 'fe80::1', '::', '0.0.0.0', '1.127.0.0', '::ffff:1.127.0.0']) {
      assert.equal(isLoopback(address), false, String(address));
    }
  });
});
