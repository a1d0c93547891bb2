// A pino logger whose JSON lines a unit test reads back as objects.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../sidecar/log.ts';

export function capturedLogger(): { log: Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('info', stream), logs };
}
