import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { collect } from '../../rl/data/collect.js';
import { allocBatch, copyRow, emptyDataset, gatherBatch, sampleIndices, splitTrajectories, summarizeDataset, validateDataset } from '../../rl/data/dataset.js';
import { costReturnScatterSvg } from '../../rl/data/scatter.js';
import { TASK_NAMES, TASK_REFERENCE } from '../../rl/envs/reference.js';
import { runScript } from '../helpers/run_script.js';

describe('collect', () => {
  it('PointRobot default: exactly 100k transitions with h, deterministic', () => {
    const a = collect('PointRobot', { seed: 0 });
    expect(a.size).toBe(100_000);
    expect(a.h).toBeDefined();
    validateDataset(a);
    // cost == [h > 0]
    for (let i = 0; i < a.size; i++) expect(a.costs[i]).toBe(a.h![i] > 0 ? 1 : 0);
    const last = a.size - 1;
    expect(a.terminals[last] + a.timeouts[last]).toBe(1);
    const b = collect('PointRobot', { seed: 0, transitions: 2000 });
    const c = collect('PointRobot', { seed: 0, transitions: 2000 });
    expect(b.observations).toEqual(c.observations);
    expect(b.actions).toEqual(c.actions);
  });
  it.each(TASK_NAMES)('%s default data spreads over cost and return; reference R_min/R_max match', (task) => {
    const ds = collect(task, { seed: 0 });
    validateDataset(ds);
    expect(ds.size).toBeGreaterThanOrEqual(50_000);
    expect(ds.size).toBeLessThanOrEqual(200_000);
    const trajs = splitTrajectories(ds);
    const costs = trajs.map((t) => t.cost);
    expect(costs.filter((c) => c === 0).length).toBeGreaterThan(trajs.length * 0.1);
    expect(costs.filter((c) => c > 10).length).toBeGreaterThan(trajs.length * 0.1);
    const s = summarizeDataset(ds);
    const ref = TASK_REFERENCE[task];
    expect(s.returns.max).toBeGreaterThan(s.returns.median);
    // reference table was derived from exactly this data (rounded outward to 2 decimals)
    expect(ref.rMin).toBe(Math.floor(s.returns.min * 100) / 100);
    expect(ref.rMax).toBe(Math.ceil(s.returns.max * 100) / 100);
    // next_observations continue observations inside a trajectory
    const O = ds.observationSize;
    const t0 = trajs[0];
    for (let i = t0.start; i < t0.end - 1; i++) {
      expect(ds.nextObservations.subarray(i * O, i * O + O)).toEqual(ds.observations.subarray((i + 1) * O, (i + 2) * O));
    }
  });
  it('episodes option gives that many trajectories', () => {
    const ds = collect('CarRun', { seed: 3, episodes: 4 });
    expect(splitTrajectories(ds).length).toBe(4);
    expect(ds.size).toBe(4 * 200);
  });
});

describe('dataset helpers', () => {
  it('splits trajectories at terminals/timeouts with sums', () => {
    const ds = emptyDataset(6, 1, 1);
    ds.rewards.set([1, 2, 3, 4, 5, 6]);
    ds.costs.set([0, 1, 1, 0, 0, 1]);
    ds.terminals[1] = 1;
    ds.timeouts[4] = 1;
    const t = splitTrajectories(ds);
    // Row 5 follows the last flag: it ends no episode and forms none (DSRL, OSRL); it used to count as a third.
    expect(t.map((x) => [x.start, x.end, x.ret, x.cost, x.terminated])).toEqual([
      [0, 2, 3, 1, true],
      [2, 5, 12, 1, false],
    ]);
    const s = summarizeDataset(ds);
    expect([s.trajectories, s.returns.min, s.fractionSafe]).toEqual([2, 3, 1]);
    ds.timeouts[5] = 1;
    expect(splitTrajectories(ds).map((x) => [x.start, x.end, x.ret])).toEqual([[0, 2, 3], [2, 5, 12], [5, 6, 6]]);
  });
  it('summarize.ts refuses a --seed that is not a whole number (an empty one summarised seed 0)', async () => {
    const script = fileURLToPath(new URL('../../rl/data/summarize.ts', import.meta.url));
    for (const [args, shown] of [[['--seed'], 'nothing'], [['--seed', 'abc'], "'abc'"]] as const) {
      const r = await runScript(script, [...args]);
      expect([r.status, r.stderr.trim()]).toEqual([2, `summarize.ts: --seed must be a whole number >= 0, got ${shown}`]);
    }
  });
  it('refuses rows in which no episode ends (no terminals or timeouts flag), and splits an empty dataset into none', () => {
    const ds = emptyDataset(4, 1, 1);
    ds.rewards.set([1, 2, 3, 4]);
    expect(() => splitTrajectories(ds)).toThrow(/none of its 4 rows has 'terminals' or 'timeouts' set/);
    expect(() => summarizeDataset(ds)).toThrow(/no episode ends in it/);
    expect(splitTrajectories(emptyDataset(0, 1, 1))).toEqual([]);
  });
  it('sampleIndices is seeded and in range; gatherBatch copies rows (property)', () => {
    const ds = collect('BallRun', { seed: 1, episodes: 3 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 2 ** 31 }), (batch, seed) => {
        const i1 = sampleIndices(ds.size, batch, new Rng(seed));
        const i2 = sampleIndices(ds.size, batch, new Rng(seed));
        expect(i1).toEqual(i2);
        for (const i of i1) expect(i >= 0 && i < ds.size).toBe(true);
        const b = gatherBatch(ds, i1, allocBatch(ds, batch));
        const O = ds.observationSize;
        for (let k = 0; k < batch; k++) {
          const j = i1[k];
          expect(b.observations.subarray(k * O, k * O + O)).toEqual(ds.observations.subarray(j * O, j * O + O));
          expect(b.rewards[k]).toBe(ds.rewards[j]);
          expect(b.dones[k]).toBe(ds.terminals[j] || ds.timeouts[j] ? 1 : 0);
        }
      }),
      { numRuns: 50 },
    );
  });
  it('validateDataset names key and first bad row', () => {
    const ds = emptyDataset(5, 2, 2);
    ds.actions[7] = 1.5;
    expect(() => validateDataset(ds)).toThrow(/'actions' row 3/);
    ds.actions[7] = 1 + 5e-6; // within tolerance
    expect(() => validateDataset(ds)).not.toThrow();
    ds.rewards[2] = NaN;
    expect(() => validateDataset(ds)).toThrow(/'rewards' row 2/);
  });
});

describe('scatter', () => {
  it('draws one dot per trajectory and marks kappa', () => {
    const ds = collect('BallCircle', { seed: 0, episodes: 20 });
    const svg = costReturnScatterSvg(ds, { kappa: 10, title: 'a < b' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect((svg.match(/<circle /g) ?? []).length).toBe(20);
    expect(svg).toContain('kappa = 10');
    expect(svg).toContain('a &lt; b');
  });
});

describe('value validation (magnitudes, signs)', () => {
  const small = () => collect('BallRun', { episodes: 2, seed: 1 });
  it('huge finite values are refused with the key, row and column', () => {
    const a = small();
    a.observations[5 * a.observationSize + 3] = 1e12;
    expect(() => validateDataset(a, 'f.hdf5')).toThrow("f.hdf5: key 'observations' row 5 column 3: value 999999995904 exceeds the bound 1000000 on magnitudes");
    const b = small();
    b.rewards[7] = 1e30;
    expect(() => validateDataset(b, 'f.hdf5')).toThrow(/key 'rewards' row 7: value 1\.0000000150474662e\+30 exceeds the bound 1000000/);
    const c = small();
    c.nextObservations[0] = -2e6;
    expect(() => validateDataset(c)).toThrow(/key 'next_observations' row 0 column 0: value -2000000 exceeds/);
  });
  it('negative costs are refused', () => {
    const a = small();
    a.costs[11] = -1;
    expect(() => validateDataset(a, 'f.hdf5')).toThrow("f.hdf5: key 'costs' row 11: negative cost -1 (costs must be >= 0)");
  });
  it('the dataset hash changes with any value and not otherwise', async () => {
    const { datasetHash } = await import('../../rl/data/dataset.js');
    const a = small(), b = small();
    expect(datasetHash(a)).toBe(datasetHash(b));
    b.actions[3] = -b.actions[3] || 0.5;
    expect(datasetHash(b)).not.toBe(datasetHash(a));
  });
});

describe('copyRow', () => {
  it('copies row j of width w into row i and touches nothing else (as set(subarray) did)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.nat(), fc.nat(),
      (w, rowsSrc, rowsDst, js, is) => {
        const j = js % rowsSrc, i = is % rowsDst;
        const src = Float32Array.from({ length: rowsSrc * w }, (_, k) => k + 0.5);
        const dst = new Float32Array(rowsDst * w).fill(-1);
        const ref = dst.slice();
        ref.set(src.subarray(j * w, j * w + w), i * w);
        copyRow(src, j, dst, i, w);
        expect(Array.from(dst)).toEqual(Array.from(ref));
      },
    ));
  });
});
