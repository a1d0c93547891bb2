// /healthz (the process runs), /readyz (the standby is ready; the leader once its caches synced),
// /metrics (Prometheus text) and the POST endpoints given (the sidecars' delivery reports) on one port.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Probes {
  healthy: () => boolean;
  ready: () => boolean;
}

/** A POST endpoint: the answer to a request (its body is the handler's to read). */
export type PostHandler = (request: IncomingMessage) => Promise<{ status: number; body: string }>;

export async function startHttpServer(
  host: string, port: number, probes: Probes, registry: Registry, posts: Readonly<Record<string, PostHandler>> = {},
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    const post = path === undefined ? undefined : posts[path];
    if (post !== undefined && request.method === 'POST') {
      post(request).then(({ status, body }) => {
        answer(status, body);
      }, (error: unknown) => {
        answer(500, `${String(error)}\n`);
      });
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
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
      answer(404, `not found: /healthz, /readyz, /metrics${Object.keys(posts).map((p) => `, POST ${p}`).join('')}\n`);
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
