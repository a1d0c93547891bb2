// A plain-HTTP proxy in front of the real kube-apiserver, for an operator whose API calls a test
// wants to slow down: the operator gets a kubeconfig for http://127.0.0.1:PORT (no credentials); the
// proxy forwards each request over HTTPS with the test env's admin credentials, streams the answer
// (watches included), and holds the requests `hold` picks for `holdMs` before forwarding them (or
// until the caller gives up).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';

export interface ApiProxy {
  /** A kubeconfig file for the proxy. */
  kubeconfig: string;
  /** Requests held so far (method and path). */
  held: string[];
  close: () => Promise<void>;
}

export async function startApiProxy(kc: KubeConfig, hold: (method: string, path: string) => boolean, holdMs: number): Promise<ApiProxy> {
  const upstream = new URL(kc.getCurrentCluster()?.server ?? '');
  const tls: RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const held: string[] = [];
  const forward = (req: IncomingMessage, res: import('node:http').ServerResponse): void => {
    const headers = { ...req.headers, host: upstream.host };
    const out = httpsRequest({ ...tls, hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => {
      res.destroy();
    });
    res.on('close', () => {
      out.destroy();
    });
    req.pipe(out);
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!hold(req.method ?? 'GET', path)) {
      forward(req, res);
      return;
    }
    held.push(`${req.method ?? ''} ${path}`);
    const timer = setTimeout(() => {
      forward(req, res);
    }, holdMs);
    res.on('close', () => {
      clearTimeout(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const kubeconfig = join(tmpdir(), `logshipper-api-proxy-${port}.kubeconfig`);
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'proxy',
    // client-node refuses plain HTTP unless told TLS is not verified (there is none to verify).
    clusters: [{ name: 'proxy', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'proxy', user: {} }],
    contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy' } }],
  }));
  return {
    kubeconfig, held,
    close: async () => new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    }),
  };
}
