// /healthz (the process runs), /readyz (the standby is ready; the leader once its caches synced)
// and /metrics (Prometheus text) on one port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Probes {
  healthy: () => boolean;
  ready: () => boolean;
}

export async function startHttpServer(host: string, port: number, probes: Probes, registry: Registry): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(405, 'method not allowed\n');
    } else if (path === '/healthz' || path === '/livez') {
      if (probes.healthy()) answer(200, 'ok\n');
      else answer(503, 'unhealthy\n');
    } else if (path === '/readyz') {
      if (probes.ready()) answer(200, 'ok\n');
      else answer(503, 'not ready\n');
    } else if (path === '/metrics') {
      registry.metrics().then((text) => {
        answer(200, text, registry.contentType);
      }, (error: unknown) => {
        answer(500, `${String(error)}\n`);
      });
    } else {
      answer(404, 'not found: /healthz, /readyz, /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
