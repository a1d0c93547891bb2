// Free TCP ports on 127.0.0.1 for the daemons. Asked from the kernel (bind to port 0) rather
// than fixed, so the environment never collides with a developer's own Kafka/etcd/apiserver on
// the default ports, nor with a second checkout's environment. The small window between closing
// the probe socket and the daemon binding is acceptable: a lost race fails loudly at start.
import net from 'node:net';

/** Several distinct free ports (all probe sockets held open together, so none repeats). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port: 0 }, resolve);
      });
      const address = server.address();
      if (address === null || typeof address !== 'object') throw new Error('could not read the port of a probe socket');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => { resolve(); }))));
  }
}
