// A broker address that is down until the test opens it: the agent's first connection (its
// bootstrap) goes through it, so a sink started behind a closed gate cannot deliver.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { brokers } from './kafka.ts';

/** A TCP port that refuses connections until `open()`, then forwards to the real broker. */
export async function brokerGate(): Promise<{ port: number; open(): Promise<void>; close(): Promise<void> }> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  assert.ok(typeof address === 'object' && address !== null);
  const port = address.port;
  await new Promise((resolve) => probe.close(resolve));
  const [host = '', target = ''] = brokers().split(',')[0]?.split(':') ?? [];
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    port,
    async open() {
      server = createServer((client) => {
        const upstream = connect(Number(target), host);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server !== undefined) await new Promise((resolve) => server?.close(resolve));
    },
  };
}
