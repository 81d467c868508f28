/**
 * Pins the numbers of rl/data/dataset.ts that test/data/dataset.test.ts leaves free (found by a mutation audit):
 * truncation, the sampler's range (the last row and the last batch slot), every column of a gathered batch,
 * per-trajectory sums, the summary's quantiles and safe fraction (cost <= kappa), and validation's bounds.
 * Expected values are hand-derived in the comments.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import {
  allocBatch, checkDatasetTask, datasetHash, emptyDataset, gatherBatch, MAX_ABS_VALUE, sampleIndices, splitTrajectories, summarizeDataset,
  truncateDataset, validateDataset, type Dataset,
} from '../../rl/data/dataset.js';

/** N rows, O = 3, A = 2, every value distinct and recognisable: obs 10 i + c, next obs -(10 i + c), action (i A + c) / (N A). */
function rows(N: number, withH = true): Dataset {
  const O = 3, A = 2;
  const ds = emptyDataset(N, O, A, withH);
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < O; c++) {
      ds.observations[i * O + c] = 10 * i + c;
      ds.nextObservations[i * O + c] = -(10 * i + c) - 0.5;
    }
    for (let c = 0; c < A; c++) ds.actions[i * A + c] = (i * A + c) / (N * A);
    ds.rewards[i] = i + 0.25;
    ds.costs[i] = (i * 7) % 3;
    if (ds.h) ds.h[i] = 0.5 - i;
  }
  return ds;
}

describe('truncateDataset', () => {
  it('keeps the first n rows of every key, rows of width O and A', () => {
    const ds = rows(6);
    ds.terminals[1] = 1;
    ds.timeouts[3] = 1;
    const t = truncateDataset(ds, 4);
    expect([t.size, t.observationSize, t.actionSize]).toEqual([4, 3, 2]);
    expect(Array.from(t.observations)).toEqual(Array.from(ds.observations.subarray(0, 12)));
    expect(Array.from(t.nextObservations)).toEqual(Array.from(ds.nextObservations.subarray(0, 12)));
    expect(Array.from(t.actions)).toEqual(Array.from(ds.actions.subarray(0, 8)));
    for (const k of ['rewards', 'costs', 'terminals', 'timeouts', 'h'] as const) expect(Array.from(t[k]!), k).toEqual(Array.from(ds[k]!.subarray(0, 4)));
    validateDataset(t);
  });
});

describe('sampleIndices', () => {
  it('fills every slot of the batch with rows drawn uniformly from all of [0, size), the last row included', () => {
    const size = 5, batch = 4000;
    const idx = sampleIndices(size, batch, new Rng(3));
    const count = new Array(size).fill(0);
    for (const i of idx) count[i]++;
    for (const c of count) expect(Math.abs(c - batch / size)).toBeLessThan(4 * Math.sqrt(batch * 0.2 * 0.8)); // 4 sd
    // the last slot is drawn too (a batch of one, many seeds: not always row 0)
    const last = new Set<number>();
    for (let s = 0; s < 50; s++) last.add(sampleIndices(size, 3, new Rng(s))[2]);
    expect([...last].sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('gatherBatch', () => {
  it('copies every column of the sampled rows; dones = terminals OR timeouts', () => {
    const ds = rows(4);
    ds.terminals[1] = 1; // row 1: terminal only, row 2: timeout only, row 3: both, row 0: neither
    ds.timeouts[2] = 1;
    ds.terminals[3] = 1;
    ds.timeouts[3] = 1;
    const b = gatherBatch(ds, [3, 0, 2, 1, 3], allocBatch(ds, 5));
    const src = [3, 0, 2, 1, 3];
    src.forEach((j, i) => {
      expect(Array.from(b.observations.subarray(3 * i, 3 * i + 3))).toEqual([10 * j, 10 * j + 1, 10 * j + 2]);
      expect(Array.from(b.nextObservations.subarray(3 * i, 3 * i + 3))).toEqual([-10 * j - 0.5, -10 * j - 1.5, -10 * j - 2.5]);
      expect(Array.from(b.actions.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(ds.actions.subarray(2 * j, 2 * j + 2)));
      expect([b.rewards[i], b.costs[i], b.terminals[i], b.timeouts[i], b.h![i]]).toEqual([j + 0.25, (j * 7) % 3, ds.terminals[j], ds.timeouts[j], 0.5 - j]);
    });
    expect(Array.from(b.dones)).toEqual([1, 0, 1, 1, 1]);
    // row `size` is past the end: refused, not read as undefined -> NaN
    expect(() => gatherBatch(ds, [0, 4], allocBatch(ds, 2))).toThrow(/gatherBatch: index 4 out of range \[0, 4\)/);
  });
});

describe('splitTrajectories and summarizeDataset', () => {
  it('sums rewards and costs per trajectory; quantiles and the safe fraction (cost <= kappa) by hand', () => {
    // Five trajectories of two rows: (return, cost) = (1, 4), (9, 10), (3, 11), (7, 0), (5, 12).
    const pairs = [[1, 4], [9, 10], [3, 11], [7, 0], [5, 12]];
    const ds = emptyDataset(10, 1, 1);
    pairs.forEach(([r, c], k) => {
      ds.rewards.set([r - 0.5, 0.5], 2 * k);
      ds.costs.set([c, 0], 2 * k);
      (k % 2 ? ds.terminals : ds.timeouts)[2 * k + 1] = 1;
    });
    expect(splitTrajectories(ds).map((t) => [t.start, t.end, t.length, t.ret, t.cost, t.terminated])).toEqual(
      pairs.map(([r, c], k) => [2 * k, 2 * k + 2, 2, r, c, k % 2 === 1]),
    );
    // returns sorted 1 3 5 7 9: median 5; costs sorted 0 4 10 11 12: median 10; safe (<= 10): 4, 10, 0 -> 3 of 5.
    expect(summarizeDataset(ds, 10)).toEqual({ transitions: 10, trajectories: 5, returns: { min: 1, median: 5, max: 9 }, costs: { min: 0, median: 10, max: 12 }, fractionSafe: 0.6 });
    // kappa defaults to 10; kappa 9 makes cost 10 unsafe.
    expect(summarizeDataset(ds).fractionSafe).toBe(0.6);
    expect(summarizeDataset(ds, 9).fractionSafe).toBe(0.4);
    // An even count: the median is the mean of the middle two. Drop the last trajectory: returns 1 3 7 9 -> 5;
    // costs 0 4 10 11 -> 7.
    const four = truncateDataset(ds, 8);
    expect(summarizeDataset(four)).toMatchObject({ returns: { min: 1, median: 5, max: 9 }, costs: { min: 0, median: 7, max: 11 }, fractionSafe: 0.75 });
    const two = truncateDataset(ds, 4);
    expect(summarizeDataset(two)).toMatchObject({ returns: { min: 1, median: 5, max: 9 }, costs: { min: 4, median: 7, max: 10 } });
    // none: NaN everywhere
    expect(summarizeDataset(emptyDataset(0, 1, 1))).toEqual({ transitions: 0, trajectories: 0, returns: { min: NaN, median: NaN, max: NaN }, costs: { min: NaN, median: NaN, max: NaN }, fractionSafe: NaN });
  });
});

describe('validateDataset bounds', () => {
  const valid = (): Dataset => {
    const ds = rows(4, true);
    ds.timeouts[3] = 1;
    return ds;
  };
  it('accepts values on the bounds, refuses them just beyond', () => {
    const on = valid();
    on.actions[0] = 1 + 1e-5 * 0.9;
    on.actions[1] = -1 - 1e-5 * 0.9;
    on.rewards[0] = MAX_ABS_VALUE;
    on.observations[0] = -MAX_ABS_VALUE;
    on.costs[0] = 0;
    expect(() => validateDataset(on)).not.toThrow();
    const hi = valid();
    hi.actions[3] = 1 + 3e-5;
    expect(() => validateDataset(hi)).toThrow(/'actions' row 1: value .* outside \[-1, 1\]/);
    const lo = valid();
    lo.actions[5] = -1 - 3e-5;
    expect(() => validateDataset(lo)).toThrow(/'actions' row 2: value .* outside \[-1, 1\]/);
    const big = valid();
    big.rewards[2] = -2 * MAX_ABS_VALUE;
    expect(() => validateDataset(big)).toThrow(/key 'rewards' row 2: value -2000000 exceeds the bound/);
    const rowsOff = valid();
    rowsOff.observations[3 * 2 + 1] = 2e6;
    expect(() => validateDataset(rowsOff)).toThrow(/key 'observations' row 2 column 1: value 2000000 exceeds/);
    const nan = valid();
    nan.nextObservations[3 * 3 + 2] = NaN;
    expect(() => validateDataset(nan)).toThrow(/key 'next_observations' row 3: non-finite value NaN/);
    const short = valid();
    short.actions = new Float32Array(6);
    expect(() => validateDataset(short)).toThrow(/key 'actions' has 3 rows, expected 4 \(length mismatch\)/);
    for (const k of ['terminals', 'timeouts'] as const) {
      const flag = valid();
      flag[k][1] = 0.5;
      expect(() => validateDataset(flag)).toThrow(new RegExp(`key '${k}' row 1: value 0.5 is not 0 or 1`));
    }
  });
});

describe('checkDatasetTask and datasetHash', () => {
  it("refuses a file of another task unless allowed; accepts its own task and a file that names none", () => {
    const ds = rows(2);
    ds.attrs = { task: 'BallRun' };
    expect(() => checkDatasetTask(ds, 'CarRun', 'f.hdf5')).toThrow(/dataset f\.hdf5 says task 'BallRun'/);
    expect(() => checkDatasetTask(ds, 'CarRun', 'f.hdf5', true)).not.toThrow();
    expect(() => checkDatasetTask(ds, 'BallRun', 'f.hdf5')).not.toThrow();
    expect(() => checkDatasetTask(rows(2), 'CarRun', undefined)).not.toThrow();
  });
  it('the hash tells apart datasets that differ only by which column a value sits in, or by h', () => {
    const a = rows(3), b = rows(3);
    b.rewards[0] = a.costs[0];
    b.costs[0] = a.rewards[0];
    expect(datasetHash(b)).not.toBe(datasetHash(a));
    const noH = rows(3, false);
    expect(datasetHash(noH)).not.toBe(datasetHash(a));
    expect(datasetHash(rows(3))).toBe(datasetHash(a));
  });
});
