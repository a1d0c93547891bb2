import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { Source, SourceOutcome } from '../component.ts';
import type { Settings } from '../config/settings.ts';
import type { Event } from '../event.ts';
import type { Logger } from '../log.ts';
import type { ChannelProcessor } from '../channels/processor.ts';
import type { Deadline } from '../deadline.ts';
import { LineReader } from './line-reader.ts';

export const NETCAT_SOURCE_TYPES = ['netcat', 'org.apache.flume.source.NetcatSource'] as const;

/**
 * How long stop() lets clients close their connections after it ended its side (and the last
 * `OK`s went out): a client that keeps its half open would otherwise hold a reload or a
 * shutdown for as long as it stays connected.
 */
const CLOSE_GRACE_MS = 1000;

export interface NetcatSourceConfig {
  bind: string;
  port: number;
  maxLineLength: number;
  ackEveryEvent: boolean;
}

export function configureNetcatSource(settings: Settings): NetcatSourceConfig {
  return {
    bind: settings.required('bind', 'address to listen on, e.g. 127.0.0.1'),
    port: settings.int('port', -1, { min: 0, max: 65_535 }),
    maxLineLength: settings.int('max-line-length', 512, { min: 1 }),
    ackEveryEvent: settings.bool('ack-every-event', true),
  };
}

/**
 * Flume's netcat source: a TCP server making an event of each line received, answering
 * `OK` once the event is in the channel. The socket is paused while the channel is full.
 */
export class NetcatSource implements Source {
  private readonly config: NetcatSourceConfig;
  private readonly processor: ChannelProcessor;
  private readonly log: Logger;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  /** Aborted at the deadline of stop(): puts give up. */
  private readonly giveUp = new AbortController();
  /** Puts in progress (their sockets paused). */
  private readonly puts = new Set<Promise<void>>();

  constructor(config: NetcatSourceConfig, processor: ChannelProcessor, log: Logger) {
    this.config = config;
    this.processor = processor;
    this.log = log;
  }

  /** The port actually listened on (useful with port 0). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : this.config.port;
  }

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.serve(socket);
    });
    this.server = server;
    server.listen(this.config.port, this.config.bind);
    await once(server, 'listening');
    this.log.info({ bind: this.config.bind, port: this.port }, 'listening');
  }

  /** A server has no end of input. */
  finished(): Promise<SourceOutcome> {
    return new Promise(() => undefined);
  }

  /**
   * Accepts no more connections and ends every one, putting what clients sent until they close.
   * At `deadline` (without one: never) the puts give up and the connections are destroyed.
   */
  async stop(deadline?: Deadline): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => {
      resolve();
    }));
    for (const socket of this.sockets) socket.end();
    // A client that keeps its half of the connection open would hold the stop (and a reload) forever.
    const grace = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, CLOSE_GRACE_MS);
    const settled = (async () => {
      await closed;
      while (this.puts.size > 0) await Promise.all(this.puts);
    })();
    if (deadline !== undefined && !(await deadline.within(settled))) {
      this.giveUp.abort();
      this.log.warn({ connections: this.sockets.size, puts: this.puts.size }, 'drain deadline passed: client connections and puts still open, given up');
      for (const socket of this.sockets) socket.destroy();
    }
    await settled;
    clearTimeout(grace);
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    const lines = LineReader.forStream(this.config.maxLineLength);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (error) => {
      this.log.debug({ err: error }, 'client connection error');
    });
    socket.on('data', (chunk: Buffer) => {
      const batch: Event[] = [];
      const truncatedBefore = lines.counters.longLines;
      const timestamp = Date.now();
      lines.pushNext(chunk, (line) => batch.push({ body: line, headers: {}, timestamp }));
      if (lines.counters.longLines > truncatedBefore) this.log.warn({ maxLineLength: this.config.maxLineLength }, 'line longer than max-line-length truncated');
      if (batch.length === 0) return;
      socket.pause();
      const put = this.processor.put(batch, this.giveUp.signal).then(() => {
        if (this.config.ackEveryEvent && socket.writable) socket.write('OK\n'.repeat(batch.length));
        socket.resume();
      }, (error: unknown) => {
        if (this.giveUp.signal.aborted) this.log.warn({ events: batch.length }, 'drain deadline passed: events not put into the channel, given up');
        else this.log.error({ err: error }, 'cannot put events into the channel');
        socket.destroy();
      });
      this.puts.add(put);
      void put.then(() => this.puts.delete(put));
    });
  }
}
