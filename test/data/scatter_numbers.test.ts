/**
 * The numbers behind rl/data/scatter.ts's figures (not the SVG): which trajectory is a safe dot (cost <= kappa),
 * each dot at (episode cost, episode return), the kappa line, and the before/after panels' shared limits
 * (the extent over both datasets, 0 and kappa included, padded by 5 %). Pinned by a mutation audit.
 */
import { describe, expect, it } from 'vitest';
import { emptyDataset, type Dataset } from '../../rl/data/dataset.js';
import { beforeAfterScatterFigure, costReturnPanel, costReturnScatterFigure } from '../../rl/data/scatter.js';

/** One 2-row trajectory per (return, cost). */
function episodes(pairs: [number, number][]): Dataset {
  const ds = emptyDataset(2 * pairs.length, 1, 1);
  pairs.forEach(([r, c], k) => {
    ds.rewards.set([r, 0], 2 * k);
    ds.costs.set([0, c], 2 * k);
    ds.timeouts[2 * k + 1] = 1;
  });
  return ds;
}

const pts = (s: unknown): [number, number][] => {
  const p = s as { x: ArrayLike<number>; y: ArrayLike<number> };
  return Array.from(p.x).map((x, i) => [x, p.y[i]]);
};

describe('cost-return scatter numbers', () => {
  it('safe dots are cost <= kappa, at (cost, return); the line is at kappa', () => {
    const panel = costReturnPanel(episodes([[5, 0], [7, 10], [9, 11], [2, 30]]), 10);
    const [safe, unsafe, line] = panel.series;
    expect(pts(safe)).toEqual([[0, 5], [10, 7]]);
    expect(pts(unsafe)).toEqual([[11, 9], [30, 2]]);
    expect((line as { value: number }).value).toBe(10);
    expect(panel.title).toBe('4 trajectories, 2 with cost ≤ 10');
  });

  it('the single figure is 640 x 440 less its margins by default, or the given size', () => {
    const f = costReturnScatterFigure(episodes([[1, 1]]));
    expect([f.panelWidth, f.panelHeight]).toEqual([550, 330]);
    const g = costReturnScatterFigure(episodes([[1, 1]]), { width: 800, height: 500, kappa: 5 });
    expect([g.panelWidth, g.panelHeight]).toEqual([710, 390]);
    expect((g.panels[0].series[2] as { value: number }).value).toBe(5);
  });

  it('before/after panels share limits: the extent over both, with 0 and kappa, padded by 5 %', () => {
    // costs 4 .. 30 with 0 and kappa 10: x in [0, 30], pad 1.5; returns -2 .. 18: pad 1.
    const f = beforeAfterScatterFigure(episodes([[-2, 4], [6, 30]]), episodes([[18, 12]]), 10, 't');
    for (const p of f.panels) {
      expect(p.xlim![0]).toBeCloseTo(-1.5, 12);
      expect(p.xlim![1]).toBeCloseTo(31.5, 12);
      expect(p.ylim![0]).toBeCloseTo(-3, 12);
      expect(p.ylim![1]).toBeCloseTo(19, 12);
    }
    // kappa beyond every cost widens x; one return pads by 5 % of 1
    const g = beforeAfterScatterFigure(episodes([[3, 4]]), episodes([]), 50, 't');
    expect(g.panels[0].xlim![0]).toBeCloseTo(-2.5, 12);
    expect(g.panels[0].xlim![1]).toBeCloseTo(52.5, 12);
    expect(g.panels[0].ylim![0]).toBeCloseTo(2.95, 12);
    expect(g.panels[0].ylim![1]).toBeCloseTo(3.05, 12);
    expect([g.panels[0].title, g.panels[1].title]).toEqual(['before: 1 trajectories', 'after: 0 trajectories']);
  });
});
