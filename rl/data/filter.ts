/**
 * Trajectory-level dataset filters, after DSRL's `OfflineEnv.pre_process_data` (dsrl/offline_env.py) and
 * FISOR's data-quantity runs (filter_data.py). Every filter acts on whole trajectories (split where
 * terminals or timeouts is set, see `splitTrajectories`), judged by their episode return R and cost C.
 * Applied in this order, each on what the previous one kept:
 *
 * 1. outliers (`outlierIqr = k`): drop trajectories whose R or C lies outside Tukey's fences
 *    [Q1 - k IQR, Q3 + k IQR] of the current set.
 * 2. density grid (`grid`): DSRL's `grid_filter` on the (C, R) plane: cbins x rbins cells spanning
 *    [Cmin, Cmax] x [Rmin, Rmax], cell index floor((C - Cmin) / step); a cell with more than maxPerBin
 *    trajectories keeps a random maxPerBin of them, a cell with at most minPerBin is dropped whole.
 *    DSRL turns this on with `density < 1` (defaults cbins 10, rbins 50, max_npb 5, min_npb 2).
 * 2b. outlier injection (`addOutliers = p`, DSRL's `outliers_percent`, a robustness test that ADDS
 *    corrupted data): max(floor(p n), 1) random trajectories with C >= Cmax / 2 and R >= Rmax / 2 (DSRL
 *    uses the env's max episode cost / reward; here the current set's maxima) are relabelled to look safe
 *    and better: costs zeroed, then c ~ U{0..ceil(kappa) - 1} random steps set to cost 1, rewards x 1.5.
 *    The continuous `h` no longer matches such costs, so the output drops `h` when outliers are injected.
 * 3. epsilon (DSRL's `epsilon`, needs the cost limit kappa): epsilon > 0 drops the safe trajectories
 *    (C <= kappa) with R >= max_safe R - epsilon (harder: the best safe behaviour is gone);
 *    epsilon < 0 drops the unsafe ones (C > kappa) with R >= max_unsafe R + epsilon (easier).
 * 4. fraction (FISOR's data ratio): keep floor(fraction x n) of the remaining n trajectories (at least one),
 *    drawn WITHOUT replacement (FISOR's filter_data.py uses np.random.randint, i.e. with replacement).
 *
 * All randomness comes from one seeded `Rng`, so a seed gives the same subset. Kept trajectories stay in
 * their original order.
 */
import { Rng } from '../../core/rng.js';
import { emptyDataset, splitTrajectories, type Dataset, type Trajectory } from './dataset.js';

export interface GridFilterOptions {
  cbins: number;
  rbins: number;
  maxPerBin: number;
  minPerBin: number;
}

export interface FilterOptions {
  /** Tukey fence multiplier k (e.g. 1.5); undefined = off. */
  outlierIqr?: number;
  /** DSRL density grid filter; undefined = off. */
  grid?: GridFilterOptions;
  /** DSRL outliers_percent: fraction of trajectories to corrupt into fake safe, high-return ones; undefined = off. */
  addOutliers?: number;
  /** DSRL epsilon; undefined = off. */
  epsilon?: number;
  /** Fraction of trajectories to keep, in (0, 1]; undefined = 1. */
  fraction?: number;
  /** Cost limit kappa (epsilon's safe / unsafe split). Default 10. */
  kappa?: number;
  seed?: number;
}

export const DSRL_GRID_DEFAULTS: GridFilterOptions = { cbins: 10, rbins: 50, maxPerBin: 5, minPerBin: 2 };

export interface FilterStep {
  name: 'outliers' | 'grid' | 'add-outliers' | 'epsilon' | 'fraction';
  before: number;
  removed: number;
}

export interface FilterResult {
  dataset: Dataset;
  /** Indices (into the input's trajectory list) of the kept trajectories, ascending. */
  kept: number[];
  /** Trajectories relabelled by `addOutliers` (indices into the input's list). */
  injected: number[];
  trajectoriesBefore: number;
  steps: FilterStep[];
}

/** Throws an Error naming the option when a filter argument is out of range. */
export function checkFilterOptions(o: FilterOptions): void {
  const bad = (option: FilterOptionPath, label: string, why: string, v: unknown): never => {
    throw new FilterOptionError(option, label, why, v);
  };
  if (o.outlierIqr !== undefined && !(Number.isFinite(o.outlierIqr) && o.outlierIqr > 0)) bad('outlierIqr', 'outlier IQR multiplier', 'must be a number > 0', o.outlierIqr);
  if (o.grid) {
    const g = o.grid;
    for (const k of ['cbins', 'rbins', 'maxPerBin'] as const) if (!(Number.isInteger(g[k]) && g[k] >= 1)) bad(`grid.${k}`, `grid ${k}`, 'must be an integer >= 1', g[k]);
    if (!(Number.isInteger(g.minPerBin) && g.minPerBin >= 0)) bad('grid.minPerBin', 'grid minPerBin', 'must be an integer >= 0', g.minPerBin);
    if (g.minPerBin >= g.maxPerBin) bad('grid.minPerBin', 'grid minPerBin', `must be < maxPerBin (${g.maxPerBin})`, g.minPerBin);
  }
  if (o.epsilon !== undefined && !Number.isFinite(o.epsilon)) bad('epsilon', 'epsilon', 'must be a finite number', o.epsilon);
  if (o.addOutliers !== undefined && !(o.addOutliers > 0 && o.addOutliers <= 1)) bad('addOutliers', 'add-outliers fraction', 'must be in (0, 1]', o.addOutliers);
  if (o.fraction !== undefined && !(o.fraction > 0 && o.fraction <= 1)) bad('fraction', 'fraction', 'must be in (0, 1]', o.fraction);
  if (o.kappa !== undefined && !(Number.isFinite(o.kappa) && o.kappa >= 0)) bad('kappa', 'cost limit kappa', 'must be a number >= 0', o.kappa);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) bad('seed', 'seed', 'must be an integer', o.seed);
}

/** Where an option sits in FilterOptions ('grid.cbins' for a grid field). */
export type FilterOptionPath = 'outlierIqr' | 'grid.cbins' | 'grid.rbins' | 'grid.maxPerBin' | 'grid.minPerBin' | 'epsilon' | 'addOutliers' | 'fraction' | 'kappa' | 'seed';

/**
 * A bad option, named by meaning in the message ('filter: grid cbins must be ...') and by its place in FilterOptions
 * (`option`), so that a caller can name it its own way (the CLI names the flag) from `why` and `value`.
 */
export class FilterOptionError extends Error {
  constructor(readonly option: FilterOptionPath, label: string, readonly why: string, readonly value: unknown) {
    super(`filter: ${label} ${why}, got ${JSON.stringify(value)}`);
  }
}

/** Linear-interpolated quantile of sorted values (numpy's default). */
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos), f = pos - i;
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * f : sorted[i];
}

/** Indices (into `idx`) inside Tukey's fences on both R and C. */
export function outlierKeep(trajs: Trajectory[], idx: number[], k: number): number[] {
  const fence = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    const q1 = quantile(s, 0.25), q3 = quantile(s, 0.75), iqr = q3 - q1;
    return [q1 - k * iqr, q3 + k * iqr];
  };
  const [rlo, rhi] = fence(idx.map((i) => trajs[i].ret));
  const [clo, chi] = fence(idx.map((i) => trajs[i].cost));
  return idx.filter((i) => trajs[i].ret >= rlo && trajs[i].ret <= rhi && trajs[i].cost >= clo && trajs[i].cost <= chi);
}

/** Random `k` of `v` without replacement (partial Fisher-Yates), in their original order. */
function sample(v: number[], k: number, rng: Rng): number[] {
  const a = [...v];
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(a.length - i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k).sort((x, y) => x - y);
}

/** DSRL's grid_filter on the (cost, return) plane; see the file comment. */
export function gridKeep(trajs: Trajectory[], idx: number[], g: GridFilterOptions, rng: Rng): number[] {
  const cs = idx.map((i) => trajs[i].cost), rs = idx.map((i) => trajs[i].ret);
  const cmin = Math.min(...cs), cmax = Math.max(...cs), rmin = Math.min(...rs), rmax = Math.max(...rs);
  const cstep = (cmax - cmin) / g.cbins, rstep = (rmax - rmin) / g.rbins;
  const cells = new Map<string, number[]>();
  for (const i of idx) {
    const cx = cstep > 0 ? Math.floor((trajs[i].cost - cmin) / cstep) : 0;
    const ry = rstep > 0 ? Math.floor((trajs[i].ret - rmin) / rstep) : 0;
    const key = `${cx},${ry}`;
    const l = cells.get(key);
    if (l) l.push(i);
    else cells.set(key, [i]);
  }
  const out: number[] = [];
  for (const v of cells.values()) {
    if (v.length > g.maxPerBin) out.push(...sample(v, g.maxPerBin, rng));
    else if (v.length > g.minPerBin) out.push(...v);
  }
  return out.sort((a, b) => a - b);
}

/** DSRL's epsilon filter; see the file comment. */
export function epsilonKeep(trajs: Trajectory[], idx: number[], epsilon: number, kappa: number): number[] {
  if (epsilon === 0) return idx;
  const group = idx.filter((i) => (epsilon > 0 ? trajs[i].cost <= kappa : trajs[i].cost > kappa));
  if (!group.length) {
    throw new Error(`filter: epsilon ${epsilon} drops the best ${epsilon > 0 ? `safe (cost <= ${kappa})` : `unsafe (cost > ${kappa})`} trajectories, but there are none`);
  }
  const best = Math.max(...group.map((i) => trajs[i].ret));
  const cut = epsilon > 0 ? best - epsilon : best + epsilon;
  const drop = new Set(group.filter((i) => trajs[i].ret >= cut));
  return idx.filter((i) => !drop.has(i));
}

/** The rows of trajectories `kept` of `ds`, concatenated in order, as a new dataset. */
export function selectTrajectories(ds: Dataset, trajs: Trajectory[], kept: number[]): Dataset {
  const size = kept.reduce((a, i) => a + trajs[i].length, 0);
  const O = ds.observationSize, A = ds.actionSize;
  const out = emptyDataset(size, O, A, !!ds.h);
  let o = 0;
  for (const i of kept) {
    const { start, end } = trajs[i];
    out.observations.set(ds.observations.subarray(start * O, end * O), o * O);
    out.nextObservations.set(ds.nextObservations.subarray(start * O, end * O), o * O);
    out.actions.set(ds.actions.subarray(start * A, end * A), o * A);
    for (const k of ['rewards', 'costs', 'terminals', 'timeouts'] as const) out[k].set(ds[k].subarray(start, end), o);
    if (ds.h && out.h) out.h.set(ds.h.subarray(start, end), o);
    o += end - start;
  }
  return out;
}

/**
 * DSRL's outlier injection (see the file comment): picks the trajectories to corrupt and, for each, the
 * step offsets that get cost 1. Returns the new per-trajectory (return, cost) too.
 */
export function injectOutliers(trajs: Trajectory[], idx: number[], p: number, kappa: number, rng: Rng): Map<number, number[]> {
  const maxC = Math.max(...idx.map((i) => trajs[i].cost)), maxR = Math.max(...idx.map((i) => trajs[i].ret));
  const cand = idx.filter((i) => trajs[i].cost >= maxC / 2 && trajs[i].ret >= maxR / 2);
  const num = Math.max(Math.floor(idx.length * p), 1);
  if (cand.length < num) {
    throw new Error(`filter: add-outliers ${p} needs ${num} trajectories with cost >= ${maxC / 2} and return >= ${maxR / 2} to corrupt, found ${cand.length}`);
  }
  const out = new Map<number, number[]>();
  for (const i of sample(cand, num, rng)) {
    const c = Math.min(rng.int(Math.max(1, Math.ceil(kappa))), trajs[i].length);
    const steps = sample(Array.from({ length: trajs[i].length }, (_, k) => k), c, rng);
    out.set(i, steps);
  }
  return out;
}

/** Applies the enabled filters in order (outliers, grid, add-outliers, epsilon, fraction). Throws if nothing is left. */
export function filterDataset(ds: Dataset, opts: FilterOptions): FilterResult {
  checkFilterOptions(opts);
  const trajs = splitTrajectories(ds);
  if (!trajs.length) throw new Error('filter: the dataset has no trajectories');
  const rng = new Rng(opts.seed ?? 0);
  const kappa = opts.kappa ?? 10;
  let idx = trajs.map((_, i) => i);
  const steps: FilterStep[] = [];
  const apply = (name: FilterStep['name'], f: (v: number[]) => number[]) => {
    const before = idx.length;
    idx = f(idx);
    steps.push({ name, before, removed: before - idx.length });
    if (!idx.length) throw new Error(`filter: the ${name} filter removed every trajectory (${before} before it); nothing written`);
  };
  if (opts.outlierIqr !== undefined) apply('outliers', (v) => outlierKeep(trajs, v, opts.outlierIqr!));
  if (opts.grid) apply('grid', (v) => gridKeep(trajs, v, opts.grid!, rng));
  let injected = new Map<number, number[]>();
  if (opts.addOutliers !== undefined) {
    injected = injectOutliers(trajs, idx, opts.addOutliers, kappa, rng);
    steps.push({ name: 'add-outliers', before: idx.length, removed: 0 });
    // later filters (epsilon) see the corrupted returns and costs, as in DSRL
    for (const [i, s] of injected) trajs[i] = { ...trajs[i], ret: 1.5 * trajs[i].ret, cost: s.length };
  }
  if (opts.epsilon !== undefined) apply('epsilon', (v) => epsilonKeep(trajs, v, opts.epsilon!, kappa));
  if (opts.fraction !== undefined && opts.fraction < 1) apply('fraction', (v) => sample(v, Math.max(1, Math.floor(v.length * opts.fraction!)), rng));
  const out = selectTrajectories(ds, trajs, idx);
  if (injected.size) {
    let o = 0;
    for (const i of idx) {
      const s = injected.get(i);
      if (s) {
        for (let k = 0; k < trajs[i].length; k++) {
          out.costs[o + k] = 0;
          out.rewards[o + k] *= 1.5;
        }
        for (const k of s) out.costs[o + k] = 1;
      }
      o += trajs[i].length;
    }
    out.h = undefined;
  }
  return { dataset: out, kept: idx, injected: [...injected.keys()].filter((i) => idx.includes(i)).sort((a, b) => a - b), trajectoriesBefore: trajs.length, steps };
}
