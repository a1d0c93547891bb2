import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { percentile } from '../../../bench/lib/stats.ts';

describe('percentile', () => {
  it('takes the nearest rank of a sorted list', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile(values, 100), 100);
    assert.equal(percentile(values, 0), 1);
    assert.equal(percentile([7], 99), 7);
    assert.equal(percentile([1, 2, 3], 50), 2);
  });

  it('is NaN for no values', () => {
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});
