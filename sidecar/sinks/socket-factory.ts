import { connect, isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { ISocketFactory, ISocketFactoryArgs } from 'kafkajs';

/** As kafkajs's default: TCP keep-alive probes after a minute idle, so a dead broker is noticed. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * kafkajs's connections, plain or TLS. The same sockets as kafkajs's default factory, which loads
 * node:tls (and with it OpenSSL's TLS code, ~1.5 MB of the agent's RSS) for every client: here only
 * for a sink that has TLS settings.
 */
export const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }: Omit<ISocketFactoryArgs, 'ssl'> & { ssl?: ConnectionOptions | null }) => {
  // kafkajs passes its `ssl` setting through, undefined without one (its types say otherwise).
  const socket = ssl === undefined || ssl === null
    ? connect({ host, port }, onConnect)
    : process.getBuiltinModule('node:tls').connect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...ssl }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  return socket;
};
