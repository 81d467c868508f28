/**
 * Pins the numbers of rl/data/filter.ts that test/data/filter.test.ts leaves free (found by a mutation audit):
 * Tukey's fences (numpy's linear quantile, the multiplier k, inclusive bounds, R and C each on its own column),
 * the grid filter's cells (cbins on cost, rbins on return, floor((x - min) / step)), the sampler's uniformity,
 * epsilon's unsafe group (C > kappa, strictly), DSRL's outlier injection (who is a candidate, how many, how many
 * cost steps, every row relabelled) and the row copy of the kept trajectories (every column).
 * Expected values are derived by hand in the comments, not by calling the code under test.
 */
import { describe, expect, it } from 'vitest';
import { emptyDataset, splitTrajectories, type Dataset } from '../../rl/data/dataset.js';
import { filterDataset } from '../../rl/data/filter.js';

/** One trajectory per (return, cost) pair, `len` rows; return and cost spread evenly over the rows; obs[0] = index. */
function spread(pairs: [number, number][], len = 4): Dataset {
  const ds = emptyDataset(pairs.length * len, 2, 2, true);
  pairs.forEach(([ret, cost], k) => {
    for (let j = 0; j < len; j++) {
      const i = k * len + j;
      ds.observations[2 * i] = k;
      ds.observations[2 * i + 1] = j;
      ds.rewards[i] = ret / len;
      ds.costs[i] = cost / len;
    }
    ds.timeouts[k * len + len - 1] = 1;
  });
  return ds;
}

const kept = (pairs: [number, number][], opts: Parameters<typeof filterDataset>[1]): number[] => filterDataset(spread(pairs), opts).kept;

describe('outlier filter: Tukey fences on R and C', () => {
  // Returns sorted: -7 4 8 12 16 20 24 35. numpy linear quantile, n = 8: Q1 at position 7 x 0.25 = 1.75:
  // 4 + 0.75 (8 - 4) = 7; Q3 at 5.25: 20 + 0.25 (24 - 20) = 21; IQR 14; k = 1: fences [-7, 35], both hit exactly.
  // Costs sorted: 10 21 25 29 33 37 41 52: Q1 = 21 + 0.75 x 4 = 24, Q3 = 37 + 0.25 x 4 = 38, IQR 14; fences [10, 52].
  // Returns and costs are paired in another order, so that the R and C boundaries fall on different trajectories.
  const rets = [-7, 4, 8, 12, 16, 20, 24, 35];
  const costs = [29, 10, 33, 21, 52, 25, 37, 41];
  const pairs = (r = rets, c = costs): [number, number][] => r.map((x, i) => [x, c[i]]);
  const with_ = (v: number[], i: number, x: number): number[] => v.map((y, j) => (j === i ? x : y));

  it('a trajectory exactly on a fence is kept; just beyond it, it is dropped (each side, each column)', () => {
    expect(kept(pairs(), { outlierIqr: 1 })).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Moving the extreme point does not move the quartiles (they use positions 1, 2 and 5, 6 only).
    expect(kept(pairs(with_(rets, 0, -7.5)), { outlierIqr: 1 })).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(kept(pairs(with_(rets, 7, 35.5)), { outlierIqr: 1 })).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(kept(pairs(rets, with_(costs, 1, 9.5)), { outlierIqr: 1 })).toEqual([0, 2, 3, 4, 5, 6, 7]);
    expect(kept(pairs(rets, with_(costs, 4, 52.5)), { outlierIqr: 1 })).toEqual([0, 1, 2, 3, 5, 6, 7]);
  });

  it('the fence is k IQR from the quartile', () => {
    // k = 0.5: return fences [0, 28] drop returns -7 (index 0) and 35 (index 7); cost fences [17, 45] drop 10 and 52.
    expect(kept(pairs(), { outlierIqr: 0.5 })).toEqual([2, 3, 5, 6]);
    // k = 1.5: return fences [-14, 42], cost fences [3, 59]: return 41 and cost 58 stay, 43 and 60 go.
    expect(kept(pairs(with_(rets, 7, 41), with_(costs, 4, 58)), { outlierIqr: 1.5 })).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(kept(pairs(with_(rets, 7, 43), with_(costs, 4, 60)), { outlierIqr: 1.5 })).toEqual([0, 1, 2, 3, 5, 6]);
  });

  it('a single trajectory is inside its own fences', () => {
    expect(kept([[5, 3]], { outlierIqr: 1.5 })).toEqual([0]);
  });
});

describe('grid filter: the cells', () => {
  it('cbins split cost, rbins split return; a cell is floor((x - min) / step); the maximum gets a cell of its own', () => {
    // Costs span [5, 45]: cbins 4, step 10. Returns span [50, 250]: rbins 2, step 100.
    // (cost, return) -> cell: p0 (5, 50) -> (0, 0); p1 (14.9, 149) -> (0, 0); p2 (15, 60) -> (1, 0) (10 / 10 = 1);
    // p3 (24, 100) -> (1, 0); p4 (45, 250) -> (4, 2) alone; p5 (30, 200) -> (2, 1) alone; p6 (40, 151) -> (3, 1);
    // p7 (44, 249) -> (3, 1); p8 (6, 240) -> (0, 1) alone (cell (0, *) by cost only would hold it with p0, p1).
    // minPerBin 1 drops the cells of one; maxPerBin 5 samples none.
    const pairs: [number, number][] = [[50, 5], [149, 14.9], [60, 15], [100, 24], [250, 45], [200, 30], [151, 40], [249, 44], [240, 6]];
    const g = { cbins: 4, rbins: 2, maxPerBin: 5, minPerBin: 1 };
    expect(kept(pairs, { grid: g })).toEqual([0, 1, 2, 3, 6, 7]);
    // minPerBin 2 drops the cells of two as well: none is left.
    expect(() => kept(pairs, { grid: { ...g, minPerBin: 2 } })).toThrow(/grid filter removed every trajectory/);
  });
});

describe('the sampler (fraction, grid, outliers) draws uniformly without replacement', () => {
  it('each of 4 trajectories is in half of 400 seeded draws of 2 (within 4 standard deviations)', () => {
    const ds = spread([[1, 0], [2, 0], [3, 0], [4, 0]]);
    const count = [0, 0, 0, 0];
    for (let seed = 0; seed < 400; seed++) {
      const k = filterDataset(ds, { fraction: 0.5, seed }).kept;
      expect(new Set(k).size).toBe(2);
      for (const i of k) count[i]++;
    }
    for (const c of count) expect(Math.abs(c - 200)).toBeLessThan(40);
  });
});

describe('epsilon < 0: the unsafe group is C > kappa, strictly', () => {
  it('a trajectory at cost kappa is safe: not the best unsafe one, and not dropped', () => {
    // Unsafe: returns 20 (C 11), 18 (C 12); best 20, epsilon -3 drops returns >= 17. Trajectory 1 (C = kappa = 10,
    // return 30) is safe and stays; counted as unsafe it would be the best and the only one dropped.
    expect(kept([[5, 0], [30, 10], [20, 11], [18, 12]], { epsilon: -3, kappa: 10 })).toEqual([0, 1]);
  });
});

describe('add-outliers (DSRL outliers_percent)', () => {
  // maxR 20, maxC 40: candidates have return >= 10 and cost >= 20. Trajectory 1 is on both bounds; 2 is below on
  // cost, 3 on return; 4 (7, 14) is a candidate only with thresholds at a third; 5 has cost 40 but return 0.
  const pairs: [number, number][] = [[20, 40], [10, 20], [10, 19.5], [9.5, 30], [7, 14], [0, 40], [15, 0], [1, 1], [2, 2], [3, 3]];

  it('the candidates are exactly C >= maxC / 2 and R >= maxR / 2; all of them may be taken', () => {
    // p = 0.2 of 10: 2 = every candidate, whatever the seed.
    for (let seed = 0; seed < 5; seed++) expect(filterDataset(spread(pairs), { addOutliers: 0.2, seed }).injected).toEqual([0, 1]);
  });

  it('max(floor(p n), 1) trajectories are corrupted', () => {
    expect(filterDataset(spread(pairs), { addOutliers: 0.25 }).injected).toHaveLength(2); // floor(2.5)
    expect(filterDataset(spread(pairs), { addOutliers: 0.05 }).injected).toHaveLength(1); // floor(0.5) = 0 -> 1
    expect(() => filterDataset(spread(pairs), { addOutliers: 0.3 })).toThrow(/needs 3 trajectories .* found 2/);
  });

  it('every row is relabelled: rewards x 1.5, costs 0 but for c ~ U{0..ceil(kappa) - 1} steps at 1', () => {
    const ds = spread(pairs, 8);
    const seen = (kappa: number): Set<number> => {
      const cs = new Set<number>();
      for (let seed = 0; seed < 60; seed++) {
        const r = filterDataset(ds, { addOutliers: 0.2, kappa, seed });
        for (const t of splitTrajectories(r.dataset)) {
          const i = r.dataset.observations[2 * t.start];
          for (let k = t.start; k < t.end; k++) {
            const src = i * 8 + (k - t.start);
            if (r.injected.includes(i)) {
              expect(r.dataset.rewards[k]).toBeCloseTo(1.5 * ds.rewards[src], 5);
              expect([0, 1]).toContain(r.dataset.costs[k]);
            } else {
              expect([r.dataset.rewards[k], r.dataset.costs[k]]).toEqual([ds.rewards[src], ds.costs[src]]);
            }
          }
          if (r.injected.includes(i)) cs.add(t.cost);
        }
      }
      return cs;
    };
    expect([...seen(3)].sort()).toEqual([0, 1, 2]);
    expect([...seen(2.5)].sort()).toEqual([0, 1, 2]); // ceil(2.5) = 3 values, all < kappa
    expect([...seen(1)]).toEqual([0]);
  });

  it('later filters see the corrupted return (1.5 R); injected lists only kept trajectories, ascending; trajectoriesBefore is the input count', () => {
    // Corrupted: trajectories 0 and 1 get returns 30 and 15 and costs < kappa 10. Safe then: 30 (0), 15 (1), 15 (6),
    // 1, 2, 3. epsilon 12 drops safe returns >= 18: index 0 only (uncorrupted, its 20 would also drop 1 and 6).
    const r = filterDataset(spread(pairs), { addOutliers: 0.2, epsilon: 12, kappa: 10 });
    expect(r.kept).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.injected).toEqual([1]);
    expect(r.trajectoriesBefore).toBe(10);
    // epsilon 15.5 drops safe returns >= 14.5: indices 0, 1 and 6 (with returns doubled, 40 and 20, only index 0).
    const e = filterDataset(spread(pairs), { addOutliers: 0.2, epsilon: 15.5, kappa: 10 });
    expect([e.kept, e.injected]).toEqual([[2, 3, 4, 5, 7, 8, 9], []]);
    // with a fraction after it, the injected ones are those kept, in ascending order
    for (let seed = 0; seed < 20; seed++) {
      const f = filterDataset(spread(pairs), { addOutliers: 0.2, fraction: 0.5, seed });
      expect(f.injected).toEqual([0, 1].filter((i) => f.kept.includes(i)));
    }
  });
});

describe('kept trajectories are copied row by row, every column', () => {
  it('observations, next observations, actions, rewards, costs, flags and h of each kept row are its source row', () => {
    const n = 6, len = 3, O = 3, A = 2;
    const ds = emptyDataset(n * len, O, A, true);
    for (let i = 0; i < ds.size; i++) {
      for (let c = 0; c < O; c++) {
        ds.observations[i * O + c] = 100 * i + c;
        ds.nextObservations[i * O + c] = -(100 * i + c) - 0.5;
      }
      for (let c = 0; c < A; c++) ds.actions[i * A + c] = (i * A + c) / (n * len * A);
      ds.rewards[i] = i + 0.25;
      ds.costs[i] = i % 2;
      ds.h![i] = -i;
      if (i % len === len - 1) (i % 2 ? ds.terminals : ds.timeouts)[i] = 1;
    }
    const r = filterDataset(ds, { fraction: 0.5, seed: 7 });
    expect(r.kept).toHaveLength(3);
    let o = 0;
    for (const t of r.kept) {
      for (let j = 0; j < len; j++, o++) {
        const s = t * len + j;
        expect(Array.from(r.dataset.observations.subarray(o * O, o * O + O))).toEqual(Array.from(ds.observations.subarray(s * O, s * O + O)));
        expect(Array.from(r.dataset.nextObservations.subarray(o * O, o * O + O))).toEqual(Array.from(ds.nextObservations.subarray(s * O, s * O + O)));
        expect(Array.from(r.dataset.actions.subarray(o * A, o * A + A))).toEqual(Array.from(ds.actions.subarray(s * A, s * A + A)));
        expect([r.dataset.rewards[o], r.dataset.costs[o], r.dataset.terminals[o], r.dataset.timeouts[o], r.dataset.h![o]]).toEqual([
          ds.rewards[s], ds.costs[s], ds.terminals[s], ds.timeouts[s], ds.h![s],
        ]);
      }
    }
    expect(o).toBe(r.dataset.size);
  });
});
