import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const FACTORY = join(import.meta.dirname, '..', '..', '..', 'sidecar', 'sinks', 'socket-factory.ts');

describe("the Kafka sink's socket factory", () => {
  it('connects without TLS settings and without loading node:tls, with keep-alive', () => {
    // A fresh process: this test runner has loaded node:tls itself.
    const script = `
      import { createServer } from 'node:net';
      import { socketFactory } from ${JSON.stringify(FACTORY)};
      const server = createServer((peer) => peer.end('ok')).listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        let data = '';
        const socket = socketFactory({ host: '127.0.0.1', port, ssl: undefined, onConnect: () => {} });
        socket.on('data', (chunk) => { data += chunk; });
        socket.on('end', () => {
          server.close();
          console.log(JSON.stringify({ data, tls: process.moduleLoadList.includes('NativeModule tls') }));
        });
      });`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), { data: 'ok', tls: false });
  });
});
