import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { Registry } from 'prom-client';
import type { Agent } from './agent.ts';
import { monotonicMs } from './clock.ts';
import { deliveryState } from './delivery.ts';
import type { ConfigFileState, ReloadState } from './metrics.ts';
import { flumeJson } from './metrics.ts';
import type { Logger } from './log.ts';
import { LoopStallWatch } from './loop-stall.ts';
import { loopLagMetrics } from './process-metrics.ts';

/**
 * The agent's HTTP port (probes, /metrics) unless --http-port says otherwise; the injector's default
 * for the sidecar too. Outside 9100-9999, the Prometheus exporters' range, which is fully allocated
 * (9464, the former default, is the OpenTelemetry Prometheus exporter's, so an instrumented app
 * clashed with its sidecar); not the default of any common server or proxy we know of (Istio's
 * 15000-15090, Envoy's 9901, Linkerd's 4191, Vector's 8686, Fluent Bit's 2020 are all elsewhere);
 * and below the Linux ephemeral range (32768-60999), so no outgoing connection of the app holds it.
 */
export const DEFAULT_HTTP_PORT = 18464;

export interface HttpOptions {
  host: string;
  /** 0 picks a free port (tests); the port used is logged and returned. */
  port: number;
  /** A sink failing for longer than this makes /readyz answer 503. */
  readyBackoffLimitMs: number;
  /** POST /stop: stop the agent as SIGTERM does. */
  stop: (reason: string) => void;
}

/**
 * Whether a peer is on this host's loopback: in a pod, another container of the same pod (they
 * share the network namespace); never another pod, whatever the NetworkPolicy.
 */
export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

/** What /readyz says about the configuration file when it is not simply loaded. */
export function configFileReason(state: ConfigFileState, file: string): string | undefined {
  if (state === 'waiting') return `configuration file ${file} does not exist: waiting for it, nothing runs until it appears`;
  if (state === 'gone') return `configuration file ${file} was removed: the last loaded configuration keeps running`;
  return undefined;
}

/** An event-loop delay above this over the last 10-20 s makes /healthz answer 503 (see LoopStallWatch). */
const STALL_MS = 5000;

/**
 * The agent's HTTP endpoints:
 * - /metrics       Prometheus text
 * - /metrics/json  Flume's JSON monitoring shape
 * - /healthz       liveness: the process answers and its event loop is not stalled
 * - /readyz        readiness: configuration loaded (not waiting for its file), every sink delivering or failing for less than the limit
 * - POST /stop     stops the agent (drain, exit) as SIGTERM does, from a loopback peer only: how an
 *                  app ends a plain-container sidecar that would keep its Job's pod running
 */
export async function startHttpServer(agent: () => Agent, registry: Registry, reloads: ReloadState, options: HttpOptions, log: Logger): Promise<Server> {
  // Created with the endpoints: without them nothing reads it, and it would wake the process for nothing.
  const loop = new LoopStallWatch();
  loopLagMetrics(registry, loop);

  let refusedBefore = false;
  const server = createServer((request, response) => {
    const reply = (status: number, type: string, body: string): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    const url = (request.url ?? '/').split('?')[0];
    if (url === '/metrics') {
      registry.metrics().then((text) => {
        reply(200, registry.contentType, text);
      }, (error: unknown) => {
        reply(500, 'text/plain', String(error));
      });
    } else if (url === '/metrics/json') {
      reply(200, 'application/json', JSON.stringify(flumeJson(agent())));
    } else if (url === '/healthz') {
      const delayMs = loop.maxDelayMs();
      reply(delayMs > STALL_MS ? 503 : 200, 'application/json', JSON.stringify({ status: delayMs > STALL_MS ? 'stalled' : 'ok', eventLoopDelayMaxMs: Math.round(delayMs) }));
    } else if (url === '/readyz') {
      const { delivering, sinks } = deliveryState(agent().sinks, monotonicMs(), options.readyBackoffLimitMs);
      const ready = reloads.file !== 'waiting' && delivering;
      const file = agent().config.file;
      reply(ready ? 200 : 503, 'application/json', JSON.stringify({
        ready,
        config: {
          file, state: reloads.file, reason: configFileReason(reloads.file, file) ?? null,
          hash: reloads.configHash, loadedAt: reloads.loadedAt.toISOString(), lastReloadError: reloads.lastError ?? null,
        },
        sinks,
      }));
    } else if (url === '/stop') {
      const peer = request.socket.remoteAddress;
      if (request.method !== 'POST') {
        reply(405, 'text/plain', 'POST /stop stops the agent as SIGTERM does\n');
      } else if (!isLoopback(peer)) {
        // Once at warn: anyone who reaches the port could otherwise fill the log.
        log[refusedBefore ? 'debug' : 'warn']({ peer }, 'POST /stop refused: only a loopback peer (a container of the same pod) may stop the agent');
        refusedBefore = true;
        reply(403, 'text/plain', 'POST /stop is accepted from a loopback address only (a container of the same pod)\n');
      } else {
        reply(202, 'application/json', JSON.stringify({ stopping: true }));
        options.stop('POST /stop');
      }
    } else {
      reply(404, 'text/plain', 'not found: try /metrics, /metrics/json, /healthz, /readyz, POST /stop\n');
    }
  });
  server.on('close', () => {
    loop.close();
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  log.info({ host: options.host, port }, 'http endpoints listening: /metrics /metrics/json /healthz /readyz, POST /stop (loopback only)');
  return server;
}
