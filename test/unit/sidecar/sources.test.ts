// The exec and netcat sources against a real channel (no external service: a child process, a loopback socket).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryChannel } from '../../../sidecar/channels/memory.ts';
import { ChannelProcessor } from '../../../sidecar/channels/processor.ts';
import { ExecSource } from '../../../sidecar/sources/exec.ts';
import { NetcatSource } from '../../../sidecar/sources/netcat.ts';
import { createLogger } from '../../../sidecar/log.ts';
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

describe('exec source', () => {
  it('restarts its command after restartThrottle when restart = true', async () => {
    const c = channel();
    const source = new ExecSource({
      command: 'echo run', shell: '/bin/sh -c', restart: true, restartThrottleMs: 50, logStdErr: false, batchSize: 20, batchTimeoutMs: 20, maxLineLength: 1 << 20,
    }, new ChannelProcessor([], [c]), log);
    await source.start();
    await until(() => c.size >= 3);
    await source.stop();
    assert.ok(drain(c).every((line) => line === 'run'));
  });

  it('reports a command that exits non-zero without restart as failed, keeping its output', async () => {
    const c = channel();
    const source = new ExecSource({
      command: 'printf "a\\nb\\npartial"; exit 3', shell: '/bin/sh -c', restart: false, restartThrottleMs: 0, logStdErr: true, batchSize: 20, batchTimeoutMs: 20, maxLineLength: 1 << 20,
    }, new ChannelProcessor([], [c]), log);
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
    const source = new ExecSource({
      command: "head -c 67108864 /dev/zero | tr '\\0' x; printf '\\nafter\\n'", shell: '/bin/sh -c', restart: false, restartThrottleMs: 0,
      logStdErr: false, batchSize: 20, batchTimeoutMs: 20, maxLineLength: 1000,
    }, new ChannelProcessor([], [c]), log);
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
    const source = new ExecSource({
      command: `for i in $(seq ${lines}); do head -c ${lineBytes} /dev/zero | tr '\\0' y; echo; done`, shell: '/bin/sh -c', restart: false,
      restartThrottleMs: 0, logStdErr: false, batchSize: 1000, batchTimeoutMs: 60_000, maxLineLength: 1 << 20,
    }, processor, log);
    await source.start();
    assert.equal(await source.finished(), 'completed');
    assert.equal(c.size, lines);
    // A put holds at most BATCH_BYTES plus one pipe read and one line: at least this many puts.
    const atLeast = Math.floor((lines * lineBytes) / (BATCH_BYTES + 65_536 + lineBytes));
    assert.ok(processor.counters.batchesReceived >= atLeast, `${processor.counters.batchesReceived} puts for ${lines * lineBytes} bytes (at least ${atLeast})`);
  });
});

describe('netcat source', () => {
  it('makes an event of each line, answers OK per event once it is in the channel, and cuts long lines', async () => {
    const c = channel(2);
    const source = new NetcatSource({ bind: '127.0.0.1', port: 0, maxLineLength: 8, ackEveryEvent: true }, new ChannelProcessor([], [c]), log);
    await source.start();
    const socket = connect(source.port, '127.0.0.1');
    await once(socket, 'connect');
    let replies = '';
    socket.on('data', (chunk: Buffer) => {
      replies += chunk.toString();
    });
    socket.write('one\ntwo\n');
    await until(() => replies === 'OK\nOK\n');
    // The channel (capacity 2) is full: the next line is not acknowledged until there is room.
    socket.write('a-much-longer-line\n');
    await sleep(200);
    assert.equal(replies, 'OK\nOK\n');
    assert.deepEqual(drain(c), ['one', 'two']);
    await until(() => replies === 'OK\nOK\nOK\n');
    assert.deepEqual(drain(c), ['a-much-l'], 'cut at max-line-length');
    socket.end();
    await source.stop();
  });
});
