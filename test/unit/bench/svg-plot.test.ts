import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compact, layout, niceCeil, niceStep, niceTicks, pathData, renderPlot, scale, yDomain, type Plot } from '../../../bench/lib/svg-plot.ts';

const plot = (panels: number): Plot => ({
  title: 't', start: 0, end: 300, xLabel: 's', width: 800, panelHeight: 100,
  phases: [{ label: 'healthy', start: 0, end: 60, color: '#eee' }, { label: 'cut', start: 60, end: 150, color: '#fdd' }],
  panels: Array.from({ length: panels }, (_, i) => ({ title: `p${i}`, series: [{ name: 'a', color: '#f00', points: [[0, 0], [150, 50], [300, 100]] }] })),
});

describe('svg plot geometry', () => {
  it('scale maps the domain onto the range, reversed ranges too', () => {
    const y = scale([0, 100], [200, 100]);
    assert.equal(y(0), 200);
    assert.equal(y(100), 100);
    assert.equal(y(25), 175);
    assert.equal(scale([5, 5], [10, 20])(5), 10, 'a flat domain maps to the range start');
  });

  it('ticks are multiples of 1, 2 or 5 times a power of ten, inside the range', () => {
    assert.equal(niceStep(300, 10), 20);
    assert.equal(niceStep(1, 4), 0.2);
    assert.equal(niceStep(97, 4), 20);
    assert.deepEqual(niceTicks(0, 300, 10), [0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220, 240, 260, 280, 300]);
    assert.deepEqual(niceTicks(0, 1, 4), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(13, 97, 4), [20, 40, 60, 80]);
    assert.deepEqual(niceTicks(0, 0.003, 3), [0, 0.001, 0.002, 0.003]);
  });

  it('the y axis ends at the data maximum rounded up to a tick, or where the panel says', () => {
    assert.equal(niceCeil(97, 4), 100);
    assert.equal(niceCeil(1234, 4), 1400);
    assert.equal(niceCeil(0, 4), 1, 'a flat zero series still gets an axis');
    assert.deepEqual(yDomain({ title: '', series: [{ name: '', color: '', points: [[0, 3], [1, Number.NaN], [2, 17]] }] }), [0, 20]);
    assert.deepEqual(yDomain({ title: '', yMax: 1, series: [{ name: '', color: '', points: [[0, 0.4]] }] }), [0, 1]);
  });

  it('panels stack top to bottom without overlapping and share the x extent', () => {
    const boxes = layout(plot(3));
    assert.equal(boxes.length, 3);
    for (let i = 1; i < boxes.length; i++) {
      const [above, below] = [boxes[i - 1], boxes[i]];
      assert.ok(above !== undefined && below !== undefined);
      assert.ok(below.y > above.y + above.height, 'the next panel starts below the previous one');
      assert.equal(below.x, above.x);
      assert.equal(below.width, above.width);
    }
    assert.equal(boxes[0]?.height, 100);
  });

  it('paths start a new subpath after a gap', () => {
    const id = (n: number): number => n;
    assert.equal(pathData([[0, 1], [1, 2], [2, Number.NaN], [3, 4]], id, id), 'M0.0 1.0L1.0 2.0M3.0 4.0');
    assert.equal(pathData([[0, Number.NaN]], id, id), '');
  });

  it('the rendered points lie in their panel: first at the left bottom, last at the right top', () => {
    const svg = renderPlot(plot(2));
    const boxes = layout(plot(2));
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.equal(paths.length, 2, 'one path per series');
    paths.forEach((d, i) => {
      const box = boxes[i];
      assert.ok(box !== undefined);
      const coords = [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
      assert.deepEqual(coords[0], [box.x, box.y + box.height]);
      assert.deepEqual(coords[2], [box.x + box.width, box.y]);
      assert.deepEqual(coords[1], [box.x + box.width / 2, box.y + box.height / 2]);
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/>healthy</g) ?? []).length, 1, 'each phase labelled once');
    assert.equal((svg.match(/fill="#fdd"/g) ?? []).length, 2, 'each phase shaded in every panel');
  });

  it('points outside the time axis are left out, values beyond the y axis drawn at its edge', () => {
    const svg = renderPlot({ ...plot(1), panels: [{ title: 'p', yMax: 10, series: [{ name: 'a', color: '#f00', points: [[-5, 1], [0, 20], [300, 5], [301, 1]] }] }] });
    const box = layout(plot(1))[0];
    assert.ok(box !== undefined);
    const d = /<path d="([^"]+)"/.exec(svg)?.[1] ?? '';
    assert.equal(d, `M${box.x.toFixed(1)} ${box.y.toFixed(1)}L${(box.x + box.width).toFixed(1)} ${(box.y + box.height / 2).toFixed(1)}`);
  });

  it('tick labels are short', () => {
    assert.equal(compact(1500), '1.5k');
    assert.equal(compact(2_000_000), '2M');
    assert.equal(compact(0.25), '0.25');
    assert.equal(compact(0), '0');
  });
});
