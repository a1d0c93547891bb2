// The checkpoint tracker advances only over a contiguous prefix of delivered batches.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CheckpointTracker } from '../../../sidecar/sources/taildir/checkpoint.ts';

describe('TAILDIR CheckpointTracker', () => {
  it('does not pass an undelivered batch when later ones are delivered first', () => {
    const tracker = new CheckpointTracker(10);
    const a = tracker.add(20);
    const b = tracker.add(30);
    const c = tracker.add(45);
    c();
    b();
    assert.equal(tracker.committed, 10, 'batch a (10..20) is not delivered yet');
    assert.equal(tracker.outstanding, 3);
    a();
    assert.equal(tracker.committed, 45);
    assert.equal(tracker.outstanding, 0);
    a();
    assert.equal(tracker.committed, 45, 'settling twice changes nothing');
  });

  it('skipTo moves over bytes without events, in order with the batches', () => {
    const tracker = new CheckpointTracker(0);
    const a = tracker.add(5);
    tracker.skipTo(6);
    assert.equal(tracker.committed, 0);
    a();
    assert.equal(tracker.committed, 6);
    assert.throws(() => tracker.add(3), /must not go back/);
  });

  it('property: for any delivery order, committed is the end of the longest delivered prefix', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 }).chain((sizes) => fc.tuple(fc.constant(sizes), fc.shuffledSubarray(sizes.map((_, i) => i), { minLength: 0, maxLength: sizes.length }))), ([sizes, order]) => {
      const tracker = new CheckpointTracker(0);
      const ends: number[] = [];
      let end = 0;
      const settles = sizes.map((size) => {
        end += size;
        ends.push(end);
        return tracker.add(end);
      });
      const delivered = new Set<number>();
      for (const index of order) {
        settles[index]?.();
        delivered.add(index);
        let prefix = 0;
        while (delivered.has(prefix)) prefix++;
        assert.equal(tracker.committed, prefix === 0 ? 0 : ends[prefix - 1]);
      }
    }), { seed: 7, numRuns: 300 });
  });

  it('a withdrawn batch (its put was given up) is where a successor resumes, and never commits', () => {
    const tracker = new CheckpointTracker(0);
    const first = tracker.add(100);
    tracker.add(250);
    tracker.withdrawLast();
    assert.equal(tracker.registered, 100);
    first();
    assert.equal(tracker.committed, 100);
    assert.equal(tracker.outstanding, 0);
    tracker.add(180);
    tracker.withdrawLast();
    assert.equal(tracker.registered, 100, 'back to the committed offset when nothing else is outstanding');
  });
});
