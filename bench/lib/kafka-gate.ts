// A Kafka connection a benchmark can cut: a TCP proxy in front of one broker that rewrites the
// broker's address in Metadata responses to its own, so that the client's every connection (not
// only its bootstrap, as test/helpers/broker-gate.ts) goes through it. cut() refuses new
// connections and destroys the open ones, as a network partition would; open() restores it.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

const METADATA = 3;
const FIND_COORDINATOR = 10;
/** Metadata v9 and later are "flexible" (compact strings, tagged fields): kafkajs sends at most v6. */
const FIRST_FLEXIBLE_METADATA = 9;

/**
 * A Metadata response frame (size prefix, correlation id, body) with every broker's host and port
 * replaced by `to`, the rest of the frame byte for byte, and how many brokers it lists. Versions
 * 0 to 8 (non-flexible).
 */
export function rewriteMetadata(frame: Buffer, version: number, to: { host: string; port: number }): { frame: Buffer; brokers: number } {
  if (version >= FIRST_FLEXIBLE_METADATA) throw new Error(`kafka gate: Metadata v${version} is not supported (non-flexible versions 0-${FIRST_FLEXIBLE_METADATA - 1} only)`);
  let at = 8 + (version >= 3 ? 4 : 0); // size, correlation id, throttle_time_ms
  const count = frame.readInt32BE(at);
  at += 4;
  const host = Buffer.from(to.host);
  const brokers: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = frame.readInt32BE(at);
    at += 4;
    at += 2 + frame.readInt16BE(at) + 4; // host, port
    let rack: Buffer = Buffer.alloc(0);
    if (version >= 1) {
      const length = frame.readInt16BE(at);
      rack = frame.subarray(at, at + 2 + Math.max(0, length));
      at += rack.length;
    }
    const entry = Buffer.alloc(4 + 2 + host.length + 4);
    entry.writeInt32BE(nodeId, 0);
    entry.writeInt16BE(host.length, 4);
    host.copy(entry, 6);
    entry.writeInt32BE(to.port, 6 + host.length);
    brokers.push(entry, rack);
  }
  const head = Buffer.from(frame.subarray(0, 12 + (version >= 3 ? 4 : 0)));
  const out = Buffer.concat([head, ...brokers, frame.subarray(at)]);
  out.writeInt32BE(out.length - 4, 0);
  return { frame: out, brokers: count };
}

/** Splits a Kafka byte stream into whole frames (int32 size prefix included). */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = 4 + pending.readInt32BE(0);
      if (pending.length < size) break;
      onFrame(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
  };
}

export interface KafkaGate {
  /** The gate's address, to give the client as its bootstrap server. */
  readonly address: string;
  /** True while connections go through. */
  readonly isOpen: boolean;
  open(): Promise<void>;
  /** Refuses new connections and destroys the open ones. */
  cut(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A gate on a free port in front of `broker` (host:port of a single-broker cluster), open once
 * started. A client that asks for a group coordinator (a consumer) is refused: the gate rewrites
 * Metadata only, and a coordinator's address would lead around it.
 */
export async function startKafkaGate(broker: string): Promise<KafkaGate> {
  const [targetHost = '', targetPort = ''] = broker.split(':');
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | undefined;

  const relay = (client: Socket): void => {
    const upstream = connect(Number(targetPort), targetHost);
    sockets.add(client).add(upstream);
    const requests = new Map<number, { apiKey: number; version: number }>();
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', frames((frame) => {
      const apiKey = frame.readInt16BE(4);
      if (apiKey === FIND_COORDINATOR) {
        console.error('kafka gate: a client asked for a group coordinator; the gate serves producers only');
        drop();
        return;
      }
      requests.set(frame.readInt32BE(8), { apiKey, version: frame.readInt16BE(6) });
      upstream.write(frame);
    }));
    upstream.on('data', frames((frame) => {
      const correlationId = frame.readInt32BE(4);
      const request = requests.get(correlationId);
      requests.delete(correlationId);
      if (request?.apiKey !== METADATA) {
        client.write(frame);
        return;
      }
      try {
        const rewritten = rewriteMetadata(frame, request.version, { host: '127.0.0.1', port });
        if (rewritten.brokers !== 1) throw new Error(`kafka gate: the cluster has ${rewritten.brokers} brokers; the gate fronts a single broker`);
        client.write(rewritten.frame);
      } catch (error) {
        console.error((error as Error).message);
        drop();
      }
    }));
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  };

  const listen = async (): Promise<void> => {
    server = createServer(relay);
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('kafka gate: no TCP address');
    port = address.port;
  };
  const shut = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (closing !== undefined) await new Promise((resolve) => closing.close(resolve));
  };

  await listen();
  return {
    get address() {
      return `127.0.0.1:${port}`;
    },
    get isOpen() {
      return server !== undefined;
    },
    async open() {
      if (server === undefined) await listen();
    },
    cut: shut,
    close: shut,
  };
}
