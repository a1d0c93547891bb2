// The delivery predicate (one function for /readyz and the reports) and the reporter: one report
// per state change, retried with capped exponential backoff until acknowledged, coalesced to the
// latest state, one log line per change (not per retry). A fake sender and mock timers.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { deliveryState, type Delivery, type SinkState } from '../../../sidecar/delivery.ts';
import { deliveryReport, fetchSender, HealthReporter, MAX_REASON_LENGTH, podIdentityFromEnv, type DeliveryReport } from '../../../sidecar/health-report.ts';
import { createLogger } from '../../../sidecar/log.ts';
import { parseAgentArgs } from '../../../sidecar/cli.ts';

const READY: SinkState = { status: 'READY', failingSince: undefined, lastError: undefined };
const failing = (since: number, error: string): SinkState => ({ status: 'BACKOFF', failingSince: since, lastError: error });
const ID = { namespace: 'shop', pod: 'web-1', uid: 'u-1' };

describe('deliveryState (the predicate of /readyz and the reports)', () => {
  it('a sink failing for less than the limit still delivers; at the limit it does not; the failing sinks are named', () => {
    assert.equal(deliveryState([['k', READY]], 1000, 60_000).delivering, true);
    assert.equal(deliveryState([], 1000, 60_000).delivering, true, 'no sinks: nothing undelivered');
    const young = deliveryState([['k', failing(1000, 'ECONNREFUSED')]], 60_999, 60_000);
    assert.deepEqual([young.delivering, young.failing, young.sinks['k']], [true, [], { status: 'BACKOFF', failingForMs: 59_999, lastError: 'ECONNREFUSED' }]);
    const old = deliveryState([['b', failing(0, 'x')], ['a', failing(500, 'y')], ['ok', READY]], 61_000, 60_000);
    assert.deepEqual([old.delivering, old.failing], [false, ['a', 'b']]);
  });
});

describe('deliveryReport', () => {
  it('not delivering: since the longest-failing sink began, each failing sink with its last error, clipped', () => {
    const state = deliveryState([['a', failing(0, 'E'.repeat(1000))], ['b', failing(30_000, 'broker down')]], 90_000, 60_000);
    const report = deliveryReport(ID, state, new Date('2026-01-01T00:01:30.000Z'));
    assert.equal(report.delivering, false);
    assert.equal(report.since, '2026-01-01T00:00:00.000Z');
    assert.match(report.reason, /^sink a: E{197}\.\.\.; sink b: broker down$/);
    assert.ok(report.reason.length <= MAX_REASON_LENGTH);
    const one = deliveryReport(ID, deliveryState([['k', failing(0, 'broker down')]], 70_000, 60_000), new Date('2026-01-01T00:01:10.000Z'));
    assert.deepEqual(one, { ...ID, delivering: false, since: '2026-01-01T00:00:00.000Z', reason: 'sink k: broker down' });
    assert.deepEqual(deliveryReport(ID, deliveryState([], 0, 1), new Date('2026-01-01T00:00:00.000Z')), { ...ID, delivering: true, since: '2026-01-01T00:00:00.000Z', reason: '' });
  });

  it('the pod identity comes from POD_NAMESPACE, POD_NAME, POD_UID; any missing: none', () => {
    assert.deepEqual(podIdentityFromEnv({ POD_NAMESPACE: 'shop', POD_NAME: 'web-1', POD_UID: 'u-1' }), ID);
    assert.equal(podIdentityFromEnv({ POD_NAMESPACE: 'shop', POD_NAME: 'web-1' }), undefined);
    assert.equal(podIdentityFromEnv({ POD_NAMESPACE: 'shop', POD_NAME: '', POD_UID: 'u' }), undefined);
  });

  it('--health-report-url: an http(s) URL, passed to the runtime; anything else a usage error', () => {
    const base = ['--conf-file', 'a.properties', '--name', 'a'];
    const parsed = parseAgentArgs([...base, '--health-report-url', 'http://op.ns.svc:8080/sidecar-reports']);
    assert.ok('run' in parsed);
    assert.equal(parsed.run.healthReportUrl, 'http://op.ns.svc:8080/sidecar-reports');
    const none = parseAgentArgs(base);
    assert.ok('run' in none && none.run.healthReportUrl === undefined);
    const bad = parseAgentArgs([...base, '--health-report-url', 'op:8080']);
    assert.ok('usageError' in bad && bad.usageError.includes('--health-report-url "op:8080"'));
  });
});

/** A reporter over a state the test sets, a sender the test answers, mock timers, and its log lines. */
function harness(t: TestContext, backoff = { baseMs: 1000, maxMs: 8000 }) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: Date.parse('2026-01-01T00:00:00.000Z') });
  let state: Delivery = deliveryState([], 0, 60_000);
  const sent: DeliveryReport[] = [];
  const answers: (number | Error)[] = [];
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter((l) => l !== '')) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }));
  const reporter = new HealthReporter({
    url: 'http://operator/sidecar-reports', identity: ID, log, checkIntervalMs: 1000, backoff,
    state: () => state,
    send: (_url, body) => {
      sent.push(JSON.parse(body) as DeliveryReport);
      const answer = answers.shift() ?? 200;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  });
  t.after(() => {
    reporter.stop();
  });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  const advance = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= 250) {
      t.mock.timers.tick(Math.min(250, left));
      await settle();
    }
  };
  const set = (next: Delivery): void => {
    state = next;
  };
  const changes = (): unknown[] => lines.filter((l) => String(l['msg']).startsWith('delivery state:')).map((l) => l['delivering']);
  return { reporter, sent, answers, set, advance, settle, changes, lines };
}

const down = (): Delivery => deliveryState([['k', failing(0, 'broker down')]], 60_000, 60_000);
const up = (): Delivery => deliveryState([['k', READY]], 0, 60_000);

describe('HealthReporter', () => {
  it('reports its first state at start and then only changes; a state that stays is not sent again', async (t) => {
    const h = harness(t);
    h.reporter.start();
    await h.settle();
    assert.deepEqual(h.sent.map((r) => r.delivering), [true]);
    await h.advance(5000);
    assert.equal(h.sent.length, 1, 'no change: nothing sent');
    h.set(down());
    await h.advance(1000);
    assert.deepEqual(h.sent.map((r) => r.delivering), [true, false]);
    assert.deepEqual(h.sent[1], { ...ID, delivering: false, since: new Date(Date.parse('2026-01-01T00:00:06.000Z') - 60_000).toISOString(), reason: 'sink k: broker down' });
    h.set(deliveryState([['k', failing(0, 'another error text')]], 70_000, 60_000));
    await h.advance(3000);
    assert.equal(h.sent.length, 2, 'the same sinks failing with another error text is the same state');
    h.set(up());
    await h.advance(1000);
    assert.deepEqual(h.sent.map((r) => r.delivering), [true, false, true]);
    assert.deepEqual(h.changes(), [true, false, true], 'one log line per state change');
    assert.equal(h.reporter.unacknowledged, false);
  });

  it('unacknowledged: retried with doubling delays up to the cap, one log line for the change, not per retry; acknowledged: no more sends', async (t) => {
    const h = harness(t);
    h.answers.push(503, new Error('ECONNREFUSED'), 403, 503, 503, 503);
    h.reporter.start();
    await h.settle();
    const times: number[] = [Date.now()];
    const before = h.sent.length;
    for (let i = 0; i < 200 && h.sent.length < 7; i++) {
      const count = h.sent.length;
      await h.advance(250);
      if (h.sent.length > count) times.push(Date.now());
    }
    assert.equal(before, 1);
    assert.equal(h.sent.length, 7, 'six failures, then acknowledged');
    const gaps = times.slice(1).map((time, i) => time - (times[i] ?? 0));
    assert.deepEqual(gaps, [1000, 2000, 4000, 8000, 8000, 8000], 'base 1 s, doubled, capped at 8 s');
    assert.equal(h.reporter.unacknowledged, false);
    await h.advance(30_000);
    assert.equal(h.sent.length, 7, 'acknowledged: nothing more');
    assert.deepEqual(h.changes(), [true]);
    assert.equal(h.lines.filter((l) => l['level'] !== 20 && String(l['msg']).includes('report')).length, 1, 'retries only at debug');
  });

  it('while unacknowledged, newer states replace the waiting one: only the latest is sent', async (t) => {
    const h = harness(t, { baseMs: 4000, maxMs: 8000 });
    h.answers.push(503);
    h.reporter.start();
    await h.settle();
    assert.deepEqual(h.sent.map((r) => r.delivering), [true]);
    // Within the 4 s backoff: two changes, each seen by a check.
    h.set(down());
    await h.advance(1000);
    h.set(deliveryState([['k', failing(0, 'x')], ['k2', failing(0, 'y')]], 60_000, 60_000));
    await h.advance(1000);
    assert.equal(h.sent.length, 1, 'waiting for the backoff');
    assert.equal(h.reporter.unacknowledged, true);
    await h.advance(2000);
    const [, second] = h.sent;
    assert.equal(h.sent.length, 2);
    assert.ok(second);
    assert.deepEqual([second.delivering, second.reason], [false, 'sink k: x; sink k2: y'], 'the latest state, not the one in between');
    assert.deepEqual(h.changes(), [true, false, false]);
    assert.equal(h.reporter.unacknowledged, false);
  });

  it('never sends after stop', async (t) => {
    const h = harness(t);
    h.answers.push(503);
    h.reporter.start();
    await h.settle();
    h.reporter.stop();
    h.set(down());
    await h.advance(20_000);
    assert.equal(h.sent.length, 1);
  });
});

describe('fetchSender', () => {
  it('POSTs the JSON body and resolves with the status', async (t) => {
    let received = '';
    const server = createServer((request, response) => {
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => { received += chunk; });
      request.on('end', () => { response.writeHead(202).end('ok'); });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => { server.close(); });
    const address = server.address();
    assert.ok(typeof address === 'object' && address !== null);
    assert.equal(await fetchSender(`http://127.0.0.1:${String(address.port)}/sidecar-reports`, '{"a":1}'), 202);
    assert.equal(received, '{"a":1}');
  });
});
