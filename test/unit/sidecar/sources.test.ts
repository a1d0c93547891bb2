// The exec and netcat sources against a real channel (no external service: a child process, a loopback socket).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryChannel } from '../../../sidecar/channels/memory.ts';
import { ChannelProcessor } from '../../../sidecar/channels/processor.ts';
import { ExecSource, type ExecSourceConfig } from '../../../sidecar/sources/exec.ts';
import { NetcatSource } from '../../../sidecar/sources/netcat.ts';
import { createLogger } from '../../../sidecar/log.ts';
import { Deadline } from '../../../sidecar/deadline.ts';
import { BATCH_BYTES } from '../../../sidecar/sources/batch-bytes.ts';

const log = createLogger('silent');

function channel(capacity = 1000): MemoryChannel {
  return new MemoryChannel('c', { capacity, transactionCapacity: capacity, byteCapacity: 1 << 20, keepAliveSeconds: 3 }, log);
}

function drain(c: MemoryChannel): string[] {
  const taken = c.take(c.size);
  taken.commit();
  return taken.events.map((event) => event.body.toString());
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function execSource(processor: ChannelProcessor, config: Partial<ExecSourceConfig> & { command: string }): ExecSource {
  return new ExecSource({ shell: '/bin/sh -c', restart: false, restartThrottleMs: 0, logStdErr: false, batchSize: 20, batchTimeoutMs: 20, maxLineLength: 1 << 20, ...config }, processor, log);
}

/** Stops the source with a deadline `ms` away; how long the stop took. */
async function stopWithin(source: { stop(deadline?: Deadline): Promise<void> }, ms: number): Promise<number> {
  const deadline = Deadline.after(ms);
  const started = Date.now();
  await source.stop(deadline);
  deadline.dispose();
  return Date.now() - started;
}

describe('exec source', () => {
  it('restarts its command after restartThrottle when restart = true', async () => {
    const c = channel();
    const source = execSource(new ChannelProcessor([], [c]), { command: 'echo run', restart: true, restartThrottleMs: 50 });
    await source.start();
    await until(() => c.size >= 3);
    await source.stop();
    assert.ok(drain(c).every((line) => line === 'run'));
  });

  it('reports a command that exits non-zero without restart as failed, keeping its output', async () => {
    const c = channel();
    const source = execSource(new ChannelProcessor([], [c]), { command: 'printf "a\\nb\\npartial"; exit 3', logStdErr: true });
    await source.start();
    assert.equal(await source.finished(), 'failed');
    assert.deepEqual(drain(c), ['a', 'b', 'partial'], 'a last line without newline still becomes an event');
  });

  it('stops reading while the channel is full, and reads on when there is room (nothing lost)', async () => {
    const c = channel(10);
    const source = new ExecSource({
      command: 'seq 1 5000', shell: undefined, restart: false, restartThrottleMs: 0, logStdErr: false, batchSize: 10, batchTimeoutMs: 20, maxLineLength: 1 << 20,
    }, new ChannelProcessor([], [c]), log);
    await source.start();
    await until(() => c.held === 10);
    await sleep(100);
    assert.equal(c.held, 10, 'the source waits: the channel never holds more than its capacity');
    const got: string[] = [];
    while (got.length < 5000) {
      got.push(...drain(c));
      await sleep(1);
    }
    assert.equal(await source.finished(), 'completed');
    assert.deepEqual(got, Array.from({ length: 5000 }, (_, i) => String(i + 1)));
  });

  it('truncates a line longer than maxLineLength instead of holding it whole (a 64 MB line from tail -F)', async () => {
    const c = new MemoryChannel('c', { capacity: 10, transactionCapacity: 10, byteCapacity: 128 << 20, keepAliveSeconds: 3 }, log);
    const source = execSource(new ChannelProcessor([], [c]), { command: "head -c 67108864 /dev/zero | tr '\\0' x; printf '\\nafter\\n'", maxLineLength: 1000 });
    await source.start();
    assert.equal(await source.finished(), 'completed');
    const got = drain(c);
    assert.deepEqual(got.map((line) => line.length), [1000, 5]);
    assert.deepEqual(got, ['x'.repeat(1000), 'after']);
  });

  it('puts at BATCH_BYTES of lines as well as at batchSize', async () => {
    const c = new MemoryChannel('c', { capacity: 1000, transactionCapacity: 1000, byteCapacity: 64 << 20, keepAliveSeconds: 3 }, log);
    const processor = new ChannelProcessor([], [c]);
    const lineBytes = 100_000;
    const lines = 60;
    const source = execSource(processor, { command: `for i in $(seq ${lines}); do head -c ${lineBytes} /dev/zero | tr '\\0' y; echo; done`, batchSize: 1000, batchTimeoutMs: 60_000 });
    await source.start();
    assert.equal(await source.finished(), 'completed');
    assert.equal(c.size, lines);
    // A put holds at most BATCH_BYTES plus one pipe read and one line: at least this many puts.
    const atLeast = Math.floor((lines * lineBytes) / (BATCH_BYTES + 65_536 + lineBytes));
    assert.ok(processor.counters.batchesReceived >= atLeast, `${processor.counters.batchesReceived} puts for ${lines * lineBytes} bytes (at least ${atLeast})`);
  });
});

describe('exec source stop (agent termination)', () => {
  it('reads the output the command printed before the stop, its unterminated last line too', async () => {
    const c = channel();
    const source = execSource(new ChannelProcessor([], [c]), { command: 'printf "a\\nb\\nlast"; exec sleep 30', batchTimeoutMs: 60_000 });
    await source.start();
    await sleep(300);
    await stopWithin(source, 5000);
    assert.deepEqual(drain(c), ['a', 'b', 'last']);
  });

  it('with the channel full and a command that ignores SIGTERM, gives up at the deadline', async () => {
    const c = channel(10);
    const processor = new ChannelProcessor([], [c]);
    const source = execSource(processor, { command: 'trap "" TERM; seq 1 100000; sleep 30', batchSize: 10 });
    await source.start();
    await until(() => c.held === 10);
    const took = await stopWithin(source, 300);
    assert.ok(took >= 250 && took < 3000, `stopped at the deadline (${took} ms)`);
    assert.ok(processor.counters.eventsGivenUp > 0, 'the batch waiting for room is counted as given up');
    assert.equal(c.held, 10);
  });
});

describe('netcat source stop (agent termination)', () => {
  it('a client that keeps its connection open and a full channel: closed at the deadline', async () => {
    const c = channel(1);
    const processor = new ChannelProcessor([], [c]);
    const source = new NetcatSource({ bind: '127.0.0.1', port: 0, maxLineLength: 100, ackEveryEvent: true }, processor, log);
    await source.start();
    const socket = connect(source.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    socket.write('one\ntwo\n');
    await until(() => c.held === 1);
    const took = await stopWithin(source, 300);
    assert.ok(took >= 250 && took < 3000, `stopped at the deadline (${took} ms)`);
    assert.equal(processor.counters.eventsGivenUp, 2, 'the batch waiting for room is counted as given up');
    socket.destroy();
  });
});

/** A client of a netcat source, and everything the source answered it so far. */
async function netcatClient(port: number, allowHalfOpen = false): Promise<{ socket: Socket; replies: () => string }> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
  await once(socket, 'connect');
  let replies = '';
  socket.on('data', (chunk: Buffer) => {
    replies += chunk.toString();
  });
  return { socket, replies: () => replies };
}

describe('netcat source', () => {
  it('makes an event of each line, answers OK per event once it is in the channel, and cuts long lines', async () => {
    const c = channel(2);
    const source = new NetcatSource({ bind: '127.0.0.1', port: 0, maxLineLength: 8, ackEveryEvent: true }, new ChannelProcessor([], [c]), log);
    await source.start();
    const { socket, replies } = await netcatClient(source.port);
    socket.write('one\ntwo\n');
    await until(() => replies() === 'OK\nOK\n');
    // The channel (capacity 2) is full: the next line is not acknowledged until there is room.
    socket.write('a-much-longer-line\n');
    await sleep(200);
    assert.equal(replies(), 'OK\nOK\n');
    assert.deepEqual(drain(c), ['one', 'two']);
    await until(() => replies() === 'OK\nOK\nOK\n');
    assert.deepEqual(drain(c), ['a-much-l'], 'cut at max-line-length');
    socket.end();
    await source.stop();
  });

  it('stops (for a reload or a shutdown) although a client keeps its half of the connection open; its lines so far are in the channel, answered', async () => {
    const c = channel();
    const source = new NetcatSource({ bind: '127.0.0.1', port: 0, maxLineLength: 64, ackEveryEvent: true }, new ChannelProcessor([], [c]), log);
    await source.start();
    const { socket, replies } = await netcatClient(source.port, true);
    socket.write('one\ntwo\n');
    await until(() => replies() === 'OK\nOK\n');
    const stopped = source.stop().then(() => true);
    const inTime = await Promise.race([stopped, sleep(5000).then(() => false)]);
    socket.destroy();
    await stopped;
    assert.ok(inTime, 'stop() does not wait for the client');
    assert.deepEqual(drain(c), ['one', 'two']);
  });
});
