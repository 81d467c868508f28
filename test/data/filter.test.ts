import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyDataset, splitTrajectories, type Dataset } from '../../rl/data/dataset.js';
import { checkFilterOptions, filterDataset, type FilterOptions } from '../../rl/data/filter.js';
import { readDsrlHdf5, writeDsrlHdf5 } from '../../rl/data/hdf5.js';
import { fisorFixtureColumns, writeFisorLayout } from './filter_fixtures/make_fisor_fixture.js';
import { runCli as run } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-filter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Hand-made dataset: one trajectory per (return, cost) pair, each `len` rows long; row values encode the
 * trajectory index (observation = index) so that a kept trajectory can be recognised row by row.
 */
function handMade(pairs: [number, number][], len = 3): Dataset {
  const ds = emptyDataset(pairs.length * len, 2, 1, true);
  pairs.forEach(([ret, cost], k) => {
    for (let j = 0; j < len; j++) {
      const i = k * len + j;
      ds.observations[2 * i] = k;
      ds.observations[2 * i + 1] = j;
      ds.nextObservations[2 * i] = k;
      ds.actions[i] = (k % 10) / 10;
      ds.rewards[i] = j === 0 ? ret : 0;
      ds.costs[i] = j === 0 ? cost : 0;
      ds.h![i] = -k;
    }
    ds.timeouts[k * len + len - 1] = 1;
  });
  return ds;
}

const keptIds = (ds: Dataset): number[] => splitTrajectories(ds).map((t) => ds.observations[2 * t.start]);

describe('trajectory filters on a hand-made dataset', () => {
  it('outliers: Tukey fences drop the trajectory far from the others (return or cost)', () => {
    const ds = handMade([[1, 0], [2, 1], [3, 2], [4, 3], [100, 2], [2.5, 50]]);
    const r = filterDataset(ds, { outlierIqr: 1.5 });
    expect(keptIds(r.dataset)).toEqual([0, 1, 2, 3]);
    expect(r.steps).toEqual([{ name: 'outliers', before: 6, removed: 2 }]);
    // rows of kept trajectories are copied unchanged, h included
    expect(r.dataset.size).toBe(12);
    expect(Array.from(r.dataset.h!.subarray(9, 12))).toEqual([-3, -3, -3]);
    expect(r.dataset.timeouts[11]).toBe(1);
  });

  it('grid: a crowded cell keeps maxPerBin random ones, a sparse cell is dropped, seeded', () => {
    // 2 x 2 grid over [0, 10]^2: 8 trajectories near (0, 0), 3 near (9.8, 9.9), 1 alone at (0.1, 9.9).
    // The point at the maximum (10, 10) gets cell index 2 (DSRL's floor((x - min) / step)): a cell of its own.
    const pairs: [number, number][] = [...Array.from({ length: 8 }, (_, i): [number, number] => [i * 0.01, i * 0.01]), [9.7, 9.8], [9.9, 9.9], [9.8, 9.95], [0.1, 9.9], [10, 10]];
    const ds = handMade(pairs);
    const g = { cbins: 2, rbins: 2, maxPerBin: 3, minPerBin: 1 };
    const r = filterDataset(ds, { grid: g, seed: 1 });
    const ids = keptIds(r.dataset);
    expect(ids.filter((i) => i < 8)).toHaveLength(3); // crowded cell sampled down to 3
    expect(ids.filter((i) => i >= 8 && i <= 10)).toEqual([8, 9, 10]); // 3 <= maxPerBin: kept whole
    expect(ids).not.toContain(11); // alone in its cell (1 <= minPerBin): dropped
    expect(ids).not.toContain(12);
    expect(keptIds(filterDataset(ds, { grid: g, seed: 1 }).dataset)).toEqual(ids);
    const subsets = new Set([1, 2, 3, 4, 5, 6].map((seed) => keptIds(filterDataset(ds, { grid: g, seed }).dataset).join(',')));
    expect(subsets.size).toBeGreaterThan(1);
  });

  it('epsilon > 0 drops the best safe trajectories, epsilon < 0 the best unsafe ones', () => {
    const ds = handMade([[5, 0], [9, 3], [10, 10], [20, 11], [15, 30], [18, 12]]);
    // safe (cost <= 10): returns 5, 9, 10; best 10, epsilon 2 drops returns >= 8
    expect(keptIds(filterDataset(ds, { epsilon: 2, kappa: 10 }).dataset)).toEqual([0, 3, 4, 5]);
    // unsafe: returns 20, 15, 18; best 20, epsilon -3 drops returns >= 17
    expect(keptIds(filterDataset(ds, { epsilon: -3, kappa: 10 }).dataset)).toEqual([0, 1, 2, 4]);
    // the cost limit moves the split: with kappa 11, trajectory 3 (return 20) is the best safe one
    expect(keptIds(filterDataset(ds, { epsilon: 2, kappa: 11 }).dataset)).toEqual([0, 1, 2, 4, 5]);
    expect(() => filterDataset(handMade([[1, 50]]), { epsilon: 1 })).toThrow(/best safe \(cost <= 10\) trajectories, but there are none/);
  });

  it("add-outliers (DSRL outliers_percent) relabels high-cost, high-return trajectories as safe and 1.5x better", () => {
    // 10 trajectories of 20 rows; max cost 40, max return 10: candidates have cost >= 20 and return >= 5
    const pairs: [number, number][] = [[1, 0], [2, 1], [3, 2], [4, 5], [6, 10], [7, 25], [8, 30], [9, 35], [10, 40], [5.5, 20]];
    const ds = handMade(pairs, 20);
    const r = filterDataset(ds, { addOutliers: 0.3, kappa: 10, seed: 2 });
    expect(r.injected).toHaveLength(3);
    for (const i of r.injected) expect([5, 6, 7, 8, 9]).toContain(i);
    const after = splitTrajectories(r.dataset);
    expect(after).toHaveLength(10);
    after.forEach((t, i) => {
      if (r.injected.includes(i)) {
        expect(t.ret).toBeCloseTo(1.5 * pairs[i][0], 5);
        expect(t.cost).toBeLessThan(10);
        for (let k = t.start; k < t.end; k++) expect([0, 1]).toContain(r.dataset.costs[k]);
      } else {
        expect([t.ret, t.cost]).toEqual(pairs[i]);
      }
    });
    expect(r.dataset.h).toBeUndefined(); // costs no longer match h
    expect(filterDataset(ds, { addOutliers: 0.3, kappa: 10, seed: 2 }).injected).toEqual(r.injected);
    // later filters see the corrupted values: epsilon > 0 now finds the fake safe ones among the best
    const e = filterDataset(ds, { addOutliers: 0.3, kappa: 10, seed: 2, epsilon: 0.5 });
    const best = Math.max(...r.injected.map((i) => 1.5 * pairs[i][0]));
    expect(e.kept).not.toContain(r.injected.find((i) => 1.5 * pairs[i][0] === best));
    expect(() => filterDataset(ds, { addOutliers: 0.9 })).toThrow(/add-outliers 0\.9 needs 9 trajectories with cost >= 20 and return >= 5 to corrupt, found 5/);
    expect(() => checkFilterOptions({ addOutliers: 0 })).toThrow(/add-outliers fraction must be in \(0, 1\]/);
  });

  it('fraction keeps floor(f n) distinct trajectories, the same for the same seed', () => {
    const ds = handMade(Array.from({ length: 10 }, (_, i): [number, number] => [i, i]));
    const a = keptIds(filterDataset(ds, { fraction: 0.5, seed: 3 }).dataset);
    expect(a).toHaveLength(5);
    expect(new Set(a).size).toBe(5);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(keptIds(filterDataset(ds, { fraction: 0.5, seed: 3 }).dataset)).toEqual(a);
    expect(keptIds(filterDataset(ds, { fraction: 0.01 }).dataset)).toHaveLength(1);
    expect(keptIds(filterDataset(ds, { fraction: 1 }).dataset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('filters compose in order and report what each removed', () => {
    const ds = handMade([[1, 0], [2, 1], [3, 2], [4, 3], [100, 2], [3.5, 1]]);
    const r = filterDataset(ds, { outlierIqr: 1.5, epsilon: 0.6, fraction: 0.5, seed: 0 });
    expect(r.steps.map((s) => [s.name, s.before, s.removed])).toEqual([['outliers', 6, 1], ['epsilon', 5, 2], ['fraction', 3, 2]]);
    expect(r.kept).toHaveLength(1);
  });

  it('bad arguments get errors naming the option', () => {
    expect(() => checkFilterOptions({ fraction: 0 })).toThrow(/fraction must be in \(0, 1\], got 0/);
    expect(() => checkFilterOptions({ fraction: 1.5 })).toThrow(/fraction must be in \(0, 1\]/);
    expect(() => checkFilterOptions({ outlierIqr: -1 })).toThrow(/outlier IQR multiplier must be a number > 0/);
    expect(() => checkFilterOptions({ epsilon: NaN })).toThrow(/epsilon must be a finite number/);
    expect(() => checkFilterOptions({ grid: { cbins: 0, rbins: 5, maxPerBin: 5, minPerBin: 2 } })).toThrow(/grid cbins must be an integer >= 1, got 0/);
    expect(() => checkFilterOptions({ grid: { cbins: 2, rbins: 5, maxPerBin: 2, minPerBin: 2 } })).toThrow(/grid minPerBin must be < maxPerBin \(2\)/);
    expect(() => checkFilterOptions({ kappa: -1 })).toThrow(/cost limit kappa/);
    expect(() => filterDataset(handMade([[1, 0], [1.01, 0]]), { grid: { cbins: 1, rbins: 1, maxPerBin: 5, minPerBin: 2 } })).toThrow(/grid filter removed every trajectory \(2 before it\)/);
  });
});

describe('FISOR PointRobot file layout', () => {
  const fixture = fileURLToPath(new URL('./filter_fixtures/fisor-pointrobot-mini.hdf5', import.meta.url));

  it('reads the committed fixture: keys mapped, h kept, done -> terminals', async () => {
    const ds = await readDsrlHdf5(fixture);
    const cols = fisorFixtureColumns();
    const N = cols.reward.shape[0];
    expect(ds.size).toBe(N);
    expect([ds.observationSize, ds.actionSize]).toEqual([11, 2]);
    expect(Array.from(ds.observations)).toEqual(Array.from(cols.state.data));
    expect(Array.from(ds.nextObservations)).toEqual(Array.from(cols.next_state.data));
    expect(Array.from(ds.actions)).toEqual(Array.from(cols.action.data));
    expect(Array.from(ds.rewards)).toEqual(Array.from(cols.reward.data));
    expect(Array.from(ds.costs)).toEqual(Array.from(cols.cost.data));
    expect(Array.from(ds.h!)).toEqual(Array.from(cols.h.data));
    expect(Array.from(ds.terminals)).toEqual(Array.from(cols.done.data));
    expect(ds.timeouts.every((v) => v === 0)).toBe(true);
    expect(splitTrajectories(ds)).toHaveLength(3);
  });

  it('same validation as DSRL files, errors naming the file and its own keys', async () => {
    const write = async (name: string, edit: (c: ReturnType<typeof fisorFixtureColumns>) => void) => {
      const c = fisorFixtureColumns();
      edit(c);
      const p = join(dir, name);
      await writeFisorLayout(p, c as unknown as Parameters<typeof writeFisorLayout>[1]);
      return p;
    };
    const noH = await write('noh.hdf5', (c) => delete (c as Partial<typeof c>).h);
    await expect(readDsrlHdf5(noH)).rejects.toThrow(/noh\.hdf5: missing key 'h'/);
    const badDone = await write('done.hdf5', (c) => (c.done.data[2] = 2));
    await expect(readDsrlHdf5(badDone)).rejects.toThrow(/done\.hdf5: key 'done' row 2: value 2 is not 0 or 1/);
    const badAct = await write('act.hdf5', (c) => (c.action.data[5] = 3));
    await expect(readDsrlHdf5(badAct)).rejects.toThrow(/act\.hdf5: key 'action' row 2: value 3 outside \[-1, 1\] \(FISOR PointRobot layout\)/);
    const short = await write('short.hdf5', (c) => {
      c.cost = { data: c.cost.data.slice(1), shape: [c.cost.shape[0] - 1], dtype: '<f' };
    });
    await expect(readDsrlHdf5(short)).rejects.toThrow(/key 'cost' has \d+ rows but state has \d+ \(length mismatch\)/);
  });
});


describe('fisor filter CLI', () => {
  it('writes a filtered DSRL file and a before/after scatter; refuses bad arguments and overwrites', async () => {
    const input = join(dir, 'in.hdf5');
    await writeDsrlHdf5(input, handMade(Array.from({ length: 10 }, (_, i): [number, number] => [i, i * 3])));
    const out = join(dir, 'out.hdf5');
    const r = await run('filter', '--data', input, '--out', out, '--fraction', '0.5', '--epsilon', '1', '--seed', '4');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/epsilon\s+removed 2 of 10/); // safe: cost <= 10 -> returns 0..3; best 3, drops >= 2
    expect(r.out).toMatch(/fraction\s+removed 4 of 8/);
    expect((await readDsrlHdf5(out)).size).toBe(4 * 3);
    expect(readFileSync(join(dir, 'out.filter.svg'), 'utf8')).toContain('before: 10 trajectories');
    expect(Array.from(readFileSync(join(dir, 'out.filter.png')).subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);

    const again = await run('filter', '--data', input, '--out', out, '--fraction', '0.5');
    expect(again.code).toBe(2); // a usage error, before reading the input
    expect(again.err).toMatch(/out\.hdf5 already exists; pass --force/);
    expect((await run('filter', '--data', input, '--out', out, '--fraction', '0.3', '--force')).code).toBe(0);
    expect((await readDsrlHdf5(out)).size).toBe(3 * 3);

    // Rows after the last episode end are not a trajectory: the filter says it drops them.
    const tailed = handMade(Array.from({ length: 10 }, (_, i): [number, number] => [i, i * 3]));
    tailed.timeouts[tailed.size - 1] = 0; // the last 3 rows end no episode
    const tailIn = join(dir, 'tail.hdf5');
    await writeDsrlHdf5(tailIn, tailed);
    const t = await run('filter', '--data', tailIn, '--out', join(dir, 'tail-out.hdf5'), '--fraction', '1');
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/before\s+9 trajectories, 30 transitions/);
    expect(t.out).toMatch(/dropped\s+3 rows after the last terminal or timeout flag/);
    expect(r.out).not.toMatch(/dropped/);

    const none = await run('filter', '--data', input, '--out', join(dir, 'x.hdf5'));
    expect([none.code, none.err]).toEqual([2, expect.stringMatching(/no filter given/)]);
    const frac = await run('filter', '--data', input, '--out', join(dir, 'x.hdf5'), '--fraction', '2');
    expect([frac.code, frac.err]).toEqual([2, expect.stringMatching(/error: --fraction must be in \(0, 1\], got 2/)]);
    // Errors name the flag the user typed, not the library's option.
    const gridBins = await run('filter', '--data', input, '--out', join(dir, 'bins.hdf5'), '--grid', '--cbins', '0');
    expect([gridBins.code, gridBins.err]).toEqual([2, expect.stringMatching(/error: --cbins must be an integer >= 1, got 0/)]);
    const perBin = await run('filter', '--data', input, '--out', join(dir, 'bins.hdf5'), '--grid', '--min-per-bin', '3', '--max-per-bin', '3');
    expect(perBin.err).toMatch(/error: --min-per-bin must be < --max-per-bin \(3\), got 3/);
    const bins = await run('filter', '--data', input, '--out', join(dir, 'x.hdf5'), '--cbins', '4');
    expect([bins.code, bins.err]).toEqual([2, expect.stringMatching(/--cbins only applies with --grid/)]);
    const same = await run('filter', '--data', input, '--out', input, '--fraction', '0.5');
    expect([same.code, same.err]).toEqual([2, expect.stringMatching(/--out must differ from --data/)]);
    expect(existsSync(join(dir, 'x.hdf5'))).toBe(false);
  });

  it('reads the FISOR layout and writes DSRL keys (h carried over)', async () => {
    const fixture = fileURLToPath(new URL('./filter_fixtures/fisor-pointrobot-mini.hdf5', import.meta.url));
    const out = join(dir, 'fisor-out.hdf5');
    const r = await run('filter', '--data', fixture, '--out', out, '--fraction', '0.67', '--seed', '1');
    expect(r.code, r.err).toBe(0);
    const ds = await readDsrlHdf5(out);
    expect(splitTrajectories(ds)).toHaveLength(2);
    expect(ds.h).toBeDefined();
    writeFileSync(join(dir, 'not.hdf5'), 'plain text');
    const bad = await run('filter', '--data', join(dir, 'not.hdf5'), '--out', join(dir, 'y.hdf5'), '--fraction', '0.5');
    expect([bad.code, bad.err]).toEqual([1, expect.stringMatching(/not an HDF5 file/)]);
  });
});

describe('fisor filter CLI: each flag reaches the filter', () => {
  // [return, cost]: 40 trajectories over the plane (costs 0, 0.5, ..., 19.5), the best safe returns at cost limits 9, 10
  // and 11 each a different trajectory (so --epsilon keeps a different set at each), two far outliers, both unsafe, and
  // three high-cost, high-return ones for --add-outliers. The CLI's defaults are --cost-limit 10 and --seed 0.
  const pairs: [number, number][] = [...Array.from({ length: 40 }, (_, i): [number, number] => [(i * 7) % 40, i / 2]), [60, 10], [70, 10.5], [500, 30], [3, 90], [300, 50], [320, 60], [400, 70]];
  const ds = handMade(pairs);
  const input = join(dir, 'wiring.hdf5');
  let n = 0;
  const cli = async (...flags: string[]) => {
    const out = join(dir, `wiring-${n++}.hdf5`);
    const r = await run('filter', '--data', input, '--out', out, ...flags);
    expect(r.code, r.err).toBe(0);
    return { data: await readDsrlHdf5(out), out: r.out };
  };
  const lib = (o: Partial<FilterOptions>) => filterDataset(ds, { kappa: 10, seed: 0, ...o }).dataset;
  /** Trajectories with episode cost <= kappa, in percent with one decimal (counted here, not by summarizeDataset). */
  const safePct = (d: typeof ds, kappa: number) => {
    const t = splitTrajectories(d);
    return (100 * t.filter((x) => x.cost <= kappa).length / t.length).toFixed(1);
  };

  it('grid bins and per-bin counts, --epsilon with --cost-limit and its default 10, --fraction with --seed, --outlier-iqr, --add-outliers', async () => {
    await writeDsrlHdf5(input, ds);
    const grid = { cbins: 2, rbins: 7, maxPerBin: 3, minPerBin: 1 };
    const g = await cli('--grid', '--cbins', '2', '--rbins', '7', '--max-per-bin', '3', '--min-per-bin', '1', '--seed', '5');
    expect(keptIds(g.data)).toEqual(keptIds(lib({ grid, seed: 5 })));
    expect(keptIds(lib({ grid, seed: 5 }))).not.toEqual(keptIds(lib({ grid: { ...grid, cbins: 7, rbins: 2 }, seed: 5 })));

    const e5 = await cli('--epsilon', '2', '--cost-limit', '5');
    expect(keptIds(e5.data)).toEqual(keptIds(lib({ epsilon: 2, kappa: 5 })));
    expect(keptIds(lib({ epsilon: 2, kappa: 5 }))).not.toEqual(keptIds(lib({ epsilon: 2, kappa: 10 })));
    // The summary's safe shares are at the given cost limit, before and after.
    expect(e5.out).toMatch(new RegExp(`before +47 trajectories, 141 transitions, ${safePct(ds, 5)}% with cost <= 5\n`));
    expect(e5.out).toMatch(new RegExp(`after +${keptIds(e5.data).length} trajectories, ${e5.data.size} transitions, ${safePct(e5.data, 5)}% with cost <= 5\n`));
    expect(safePct(e5.data, 5)).not.toBe(safePct(ds, 5));

    const e = await cli('--epsilon', '2');
    expect(keptIds(e.data)).toEqual(keptIds(lib({ epsilon: 2, kappa: 10 })));
    for (const k of [9, 11]) expect(keptIds(lib({ epsilon: 2, kappa: k })), `kappa ${k}`).not.toEqual(keptIds(e.data));
    expect(e.out).toMatch(new RegExp(`${safePct(ds, 10)}% with cost <= 10\n`));

    const f = await cli('--fraction', '0.5', '--seed', '4');
    expect(keptIds(f.data)).toEqual(keptIds(lib({ fraction: 0.5, seed: 4 })));
    expect(keptIds(f.data)).not.toEqual(keptIds(lib({ fraction: 0.5, seed: 0 })));

    const o = await cli('--outlier-iqr', '1');
    expect(keptIds(o.data)).toEqual(keptIds(lib({ outlierIqr: 1 })));
    expect(keptIds(o.data)).not.toContain(42); // the return-500 trajectory
    expect(o.out).toMatch(/removed [1-9]\d* of 47/);

    const a = await cli('--add-outliers', '0.05', '--seed', '2');
    const want = lib({ addOutliers: 0.05, seed: 2 });
    expect(Array.from(a.data.costs)).toEqual(Array.from(want.costs));
    expect(Array.from(a.data.rewards)).toEqual(Array.from(want.rewards));
    expect(Array.from(want.costs)).not.toEqual(Array.from(ds.costs));
    // The summary counts the relabelled trajectories (those whose episode cost changed) of the 47.
    const before = splitTrajectories(ds), after = splitTrajectories(a.data);
    const changed = before.filter((t, i) => t.cost !== after[i].cost).length;
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(47);
    expect(a.out).toContain(`add-outliers  relabelled ${changed} of 47 as safe`);
  });
});
