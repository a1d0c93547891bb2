// Prometheus and promtool are Debian's, unpacked by `up`: they report the version `up` recorded,
// and the test helper's server scrapes a target and answers queries about it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { testEnv } from '../env/testing.ts';
import { reportedVersion } from '../env/prometheus.ts';
import { startPrometheus } from '../helpers/prometheus.ts';

const execFileAsync = promisify(execFile);

describe('test environment: prometheus', () => {
  it('has the promtool and prometheus versions the env file records', async () => {
    for (const [tool, version] of [['PROMETHEUS', 'PROMETHEUS_VERSION'], ['PROMTOOL', 'PROMTOOL_VERSION']] as const) {
      const { stdout } = await execFileAsync(testEnv(tool), ['--version']);
      assert.equal(reportedVersion(stdout), testEnv(version));
    }
  });

  it('scrapes a target with the labels given, and a query returns its series', async (t) => {
    const exporter = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end('# TYPE probe_lines_total counter\nprobe_lines_total{file="a.log"} 42\n');
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => exporter.close(() => { resolve(); })));
    const address = `127.0.0.1:${String((exporter.address() as AddressInfo).port)}`;
    const prometheus = await startPrometheus({
      name: 'testenv',
      scrapeConfigs: [{ job_name: 'probe', static_configs: [{ targets: [address], labels: { namespace: 'ns-a' } }] }],
      cleanup: t,
    });
    const target = await prometheus.waitForTarget({ job: 'probe', namespace: 'ns-a' });
    assert.equal(target.scrapeUrl, `http://${address}/metrics`);
    const samples = await prometheus.waitForSeries('probe_lines_total');
    assert.deepEqual(samples.map((s) => [s.metric, s.value[1]]), [[{ __name__: 'probe_lines_total', file: 'a.log', instance: address, job: 'probe', namespace: 'ns-a' }, '42']]);
    const now = Date.now() / 1000;
    const range = await prometheus.queryRange('probe_lines_total', { start: now - 60, end: now, step: 1 });
    assert.equal(range.length, 1);
    assert.ok(range[0]?.values.every(([, v]) => v === '42'));
  });
});
