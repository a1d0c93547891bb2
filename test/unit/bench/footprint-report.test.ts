import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, renderTargets, summarize, type Summary, type Window } from '../../../bench/lib/footprint-report.ts';

function window(overrides: Partial<Window> = {}): Window {
  return { idleRssMb: 50, medianRssMb: 60, peakRssMb: 70, cpuPercent: 1, p50Ms: 10, p99Ms: 100, written: 1000, received: 1000, duplicates: 0, ...overrides };
}

describe('footprint summaries', () => {
  it('take medians over runs, and the worst loss and duplicates of any run', () => {
    const s = summarize([window({ cpuPercent: 3, medianRssMb: 61 }), window({ cpuPercent: 1, received: 990, duplicates: 2 }), window({ cpuPercent: 2, medianRssMb: 59 })]);
    assert.equal(s.runs, 3);
    assert.equal(s.cpuPercent, 2);
    assert.equal(s.medianRssMb, 60);
    assert.equal(s.lost, 10);
    assert.equal(s.duplicates, 2);
  });
});

const summary = (overrides: Partial<Summary>): Summary => ({ ...summarize([window()]), ...overrides });

describe('the footprint table', () => {
  const results = new Map([
    ['logshipper', new Map([[0, summary({ medianRssMb: 80, cpuPercent: 0.5, written: 0 })], [1000, summary({ medianRssMb: 90, cpuPercent: 10, lost: 3 })]])],
    ['otelcol', new Map([[0, summary({ medianRssMb: 40, cpuPercent: 0.25, written: 0 })], [1000, summary({ medianRssMb: 45, cpuPercent: 1 })]])],
  ]);

  it('has a row per rate and contender with ratios against the Collector, and marks lost lines', () => {
    const rows = renderTable(['logshipper', 'otelcol'], [0, 1000], results, 'otelcol');
    assert.equal(rows.length, 2 + 4);
    assert.match(rows[2] ?? '', /^\| idle \| logshipper \| 50\.0 \| 80\.0 \| 70\.0 \| 0\.50 \| 10 \| 100 \| 0 \| 2\.00x \| 2\.00x \|$/);
    assert.match(rows[3] ?? '', /^\| idle \| otelcol \| .* \| {2}\| {2}\|$/);
    assert.match(rows[4] ?? '', /\| 1,000 lines\/s \| logshipper \| .* \| \*\*LOST 3\*\* of 1,000 \| 2\.00x \| 10\.00x \|$/);
    assert.match(rows[5] ?? '', /\| all 1,000 \|/);
  });

  it('marks each target met or NOT met, with the values, and says which were not measured', () => {
    const lines = renderTargets('logshipper', [0, 1000], results, 'otelcol');
    assert.deepEqual(lines, [
      '- idle: RSS 80.0 MB <= 55: NOT met; CPU 0.50 % <= 0.05: NOT met',
      '- 1,000 lines/s: RSS 90.0 MB <= 65: NOT met; CPU 10.0 % <= 1: NOT met; p99 100 ms <= 1000: met; lost 3 lines: NOT met',
      '- 10,000 lines/s: not measured',
      '- idle vs the Collector: CPU 0.50 % <= 0.25 %: NOT met; RSS 80.0 MB <= 1.4 x 40.0 MB: NOT met',
      '- 1,000 lines/s vs the Collector: CPU 10.0 % <= 1.0 %: NOT met; RSS 90.0 MB <= 1.4 x 45.0 MB: NOT met',
    ]);
    const good = new Map([
      ['logshipper', new Map([[0, summary({ medianRssMb: 50, cpuPercent: 0.01 })]])],
      ['otelcol', new Map([[0, summary({ medianRssMb: 40, cpuPercent: 0.25 })]])],
    ]);
    const met = renderTargets('logshipper', [0], good, 'otelcol');
    assert.equal(met[0], '- idle: RSS 50.0 MB <= 55: met; CPU 0.01 % <= 0.05: met');
    assert.equal(met[3], '- idle vs the Collector: CPU 0.01 % <= 0.25 %: met; RSS 50.0 MB <= 1.4 x 40.0 MB: met');
    assert.equal(renderTargets('logshipper', [0], new Map([['logshipper', new Map([[0, summary({})]])]]), 'otelcol')[3], '- idle vs the Collector: not measured');
  });
});
