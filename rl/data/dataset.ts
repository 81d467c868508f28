/**
 * In-memory offline RL dataset in DSRL's flat layout (one row per transition) plus helpers:
 * seeded minibatch sampling, trajectory splitting and per-trajectory return / cost.
 *
 * On disk (see hdf5.ts) the keys are DSRL's: observations, next_observations, actions, rewards, costs,
 * terminals, timeouts, plus `h` (continuous constraint value) where the task defines one.
 */
import type { Rng } from '../../core/rng.js';

export interface Dataset {
  /** size x observationSize, row-major. */
  observations: Float32Array;
  nextObservations: Float32Array;
  /** size x actionSize, row-major, within [-1, 1]. */
  actions: Float32Array;
  rewards: Float32Array;
  costs: Float32Array;
  /** 1 where the episode truly ended (goal, out of bounds), else 0. */
  terminals: Float32Array;
  /** 1 where the episode was cut by the time limit (or the end of collection), else 0. */
  timeouts: Float32Array;
  /** Continuous constraint value per transition (h(s') > 0 iff violating), where the task defines one. */
  h?: Float32Array;
  size: number;
  observationSize: number;
  actionSize: number;
  /** Root attributes of the file it was read from (DSRL files written here carry `task`, `seed`). */
  attrs?: Record<string, string | number>;
}

/**
 * Content hash of a dataset: FNV-1a 32-bit over the bytes of every key in a fixed order, twice with two
 * offset bases (64 bits in all), written 'fnv1a64x2:xxxxxxxxxxxxxxxx'. Resume compares it, so a different
 * file of the same size is refused.
 */
export function datasetHash(ds: Dataset): string {
  let h1 = 0x811c9dc5, h2 = 0x01000193 ^ 0x5bd1e995;
  const cols = [ds.observations, ds.nextObservations, ds.actions, ds.rewards, ds.costs, ds.terminals, ds.timeouts, ds.h ?? new Float32Array(0)];
  for (const c of cols) {
    const b = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
    for (let i = 0; i < b.length; i++) {
      h1 = Math.imul(h1 ^ b[i], 0x01000193);
      h2 = Math.imul(h2 ^ b[i], 0x01000193);
    }
    h1 = Math.imul(h1 ^ 0xff, 0x01000193); // column separator
    h2 = Math.imul(h2 ^ 0xfe, 0x01000193);
  }
  const hex = (h: number) => (h >>> 0).toString(16).padStart(8, '0');
  return `fnv1a64x2:${hex(h1)}${hex(h2)}`;
}

/**
 * Largest magnitude accepted for observations, rewards and h (and the largest cost). Real task data is
 * many orders of magnitude below it; a value above it is a unit or export error that would otherwise
 * train to exit 0 with losses ~1e20 (1e12 observation) or scale every other reward to ~0 (1e30 reward).
 */
export const MAX_ABS_VALUE = 1e6;

/** Allocate an all-zero dataset. */
export function emptyDataset(size: number, observationSize: number, actionSize: number, withH = false): Dataset {
  return {
    observations: new Float32Array(size * observationSize),
    nextObservations: new Float32Array(size * observationSize),
    actions: new Float32Array(size * actionSize),
    rewards: new Float32Array(size),
    costs: new Float32Array(size),
    terminals: new Float32Array(size),
    timeouts: new Float32Array(size),
    h: withH ? new Float32Array(size) : undefined,
    size,
    observationSize,
    actionSize,
  };
}

/** First `n` rows of `ds` as a new dataset (copies). */
export function truncateDataset(ds: Dataset, n: number): Dataset {
  const O = ds.observationSize, A = ds.actionSize;
  return {
    observations: ds.observations.slice(0, n * O),
    nextObservations: ds.nextObservations.slice(0, n * O),
    actions: ds.actions.slice(0, n * A),
    rewards: ds.rewards.slice(0, n),
    costs: ds.costs.slice(0, n),
    terminals: ds.terminals.slice(0, n),
    timeouts: ds.timeouts.slice(0, n),
    h: ds.h?.slice(0, n),
    size: n,
    observationSize: O,
    actionSize: A,
  };
}

/** `batch` indices drawn uniformly with replacement from [0, size), written into `out` if given. */
export function sampleIndices(size: number, batch: number, rng: Rng, out?: Int32Array): Int32Array {
  if (!(size > 0)) throw new Error(`sampleIndices: dataset size must be > 0, got ${size}`);
  const idx = out ?? new Int32Array(batch);
  if (idx.length < batch) throw new Error(`sampleIndices: out has length ${idx.length} < batch ${batch}`);
  for (let i = 0; i < batch; i++) idx[i] = rng.int(size);
  return idx;
}

/** A minibatch in preallocated buffers (row-major like Dataset). `dones` = terminals OR timeouts. */
export interface Batch {
  size: number;
  observations: Float32Array;
  nextObservations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  costs: Float32Array;
  terminals: Float32Array;
  timeouts: Float32Array;
  dones: Float32Array;
  h?: Float32Array;
}

export function allocBatch(ds: Pick<Dataset, 'observationSize' | 'actionSize' | 'h'>, size: number): Batch {
  return {
    size,
    observations: new Float32Array(size * ds.observationSize),
    nextObservations: new Float32Array(size * ds.observationSize),
    actions: new Float32Array(size * ds.actionSize),
    rewards: new Float32Array(size),
    costs: new Float32Array(size),
    terminals: new Float32Array(size),
    timeouts: new Float32Array(size),
    dones: new Float32Array(size),
    h: ds.h ? new Float32Array(size) : undefined,
  };
}

/**
 * dst[i w, (i + 1) w) = src[j w, (j + 1) w): one row copied by a loop, because `dst.set(src.subarray(...))`
 * allocates a view per row, and batch sampling copies three rows per sample every update (a 1024-row FISOR
 * batch took ~480 us that way, most of it in the views).
 */
export function copyRow(src: Float32Array, j: number, dst: Float32Array, i: number, width: number): void {
  const s = j * width, d = i * width;
  for (let c = 0; c < width; c++) dst[d + c] = src[s + c];
}

/** Copy rows `idx[0..out.size)` of `ds` into `out` (no allocation). Returns `out`. */
export function gatherBatch(ds: Dataset, idx: ArrayLike<number>, out: Batch): Batch {
  const O = ds.observationSize, A = ds.actionSize;
  if (idx.length < out.size) throw new Error(`gatherBatch: ${idx.length} indices for a batch of ${out.size}`);
  for (let i = 0; i < out.size; i++) {
    const j = idx[i];
    if (!(j >= 0 && j < ds.size)) throw new Error(`gatherBatch: index ${j} out of range [0, ${ds.size})`);
    copyRow(ds.observations, j, out.observations, i, O);
    copyRow(ds.nextObservations, j, out.nextObservations, i, O);
    copyRow(ds.actions, j, out.actions, i, A);
    out.rewards[i] = ds.rewards[j];
    out.costs[i] = ds.costs[j];
    out.terminals[i] = ds.terminals[j];
    out.timeouts[i] = ds.timeouts[j];
    out.dones[i] = ds.terminals[j] > 0 || ds.timeouts[j] > 0 ? 1 : 0;
    if (out.h && ds.h) out.h[i] = ds.h[j];
  }
  return out;
}

export interface Trajectory {
  /** First row. */
  start: number;
  /** One past the last row. */
  end: number;
  length: number;
  /** Undiscounted sums. */
  ret: number;
  cost: number;
  /** Ended by a terminal (not a timeout). */
  terminated: boolean;
}

/**
 * Split into trajectories at rows where terminals or timeouts is set. Rows after the last such row end no episode
 * and form none, as in DSRL (`pre_process_data`) and OSRL (`process_bc_dataset`, `process_sequence_dataset`): their
 * partial return and cost used to count as one more episode's (a low R_min, a 'safe' short stub). A dataset with
 * rows but no flag at all holds no episode and is refused, naming the keys.
 */
export function splitTrajectories(ds: Dataset): Trajectory[] {
  const out: Trajectory[] = [];
  let start = 0, ret = 0, cost = 0;
  for (let i = 0; i < ds.size; i++) {
    ret += ds.rewards[i];
    cost += ds.costs[i];
    const term = ds.terminals[i] > 0;
    if (term || ds.timeouts[i] > 0) {
      out.push({ start, end: i + 1, length: i + 1 - start, ret, cost, terminated: term });
      start = i + 1;
      ret = 0;
      cost = 0;
    }
  }
  if (ds.size > 0 && out.length === 0) {
    throw new Error(`dataset: none of its ${ds.size} rows has 'terminals' or 'timeouts' set, so no episode ends in it (DSRL ends an episode at such a row)`);
  }
  return out;
}

export interface DatasetSummary {
  transitions: number;
  trajectories: number;
  returns: { min: number; median: number; max: number };
  costs: { min: number; median: number; max: number };
  /** Fraction of trajectories with episode cost <= kappa. */
  fractionSafe: number;
}

function quantiles(v: number[]): { min: number; median: number; max: number } {
  if (v.length === 0) return { min: NaN, median: NaN, max: NaN };
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, max: s[s.length - 1] };
}

export function summarizeDataset(ds: Dataset, kappa = 10): DatasetSummary {
  const trajs = splitTrajectories(ds);
  return {
    transitions: ds.size,
    trajectories: trajs.length,
    returns: quantiles(trajs.map((t) => t.ret)),
    costs: quantiles(trajs.map((t) => t.cost)),
    fractionSafe: trajs.length ? trajs.filter((t) => t.cost <= kappa).length / trajs.length : NaN,
  };
}

/** A dataset whose `task` attribute (written by collect and filter) names another task is refused unless `allowMismatch`. */
export function checkDatasetTask(ds: Dataset, task: string, path: string | undefined, allowMismatch = false): void {
  const fileTask = ds.attrs?.task;
  if (fileTask !== undefined && fileTask !== task && !allowMismatch) {
    throw new Error(`dataset ${path ?? '(given)'} says task '${fileTask}' (its 'task' attribute), not ${task}; pass --allow-task-mismatch to train on it anyway`);
  }
}

/**
 * Check a dataset's invariants; throws an Error naming the key and the first bad row:
 * equal lengths, finite values, magnitudes <= MAX_ABS_VALUE, costs >= 0, actions within [-1, 1]
 * (tolerance 1e-5), terminals/timeouts in {0, 1}.
 */
export function validateDataset(ds: Dataset, source = 'dataset'): void {
  const N = ds.size, O = ds.observationSize, A = ds.actionSize;
  const expect: [string, Float32Array | undefined, number][] = [
    ['observations', ds.observations, O],
    ['next_observations', ds.nextObservations, O],
    ['actions', ds.actions, A],
    ['rewards', ds.rewards, 1],
    ['costs', ds.costs, 1],
    ['terminals', ds.terminals, 1],
    ['timeouts', ds.timeouts, 1],
  ];
  if (ds.h) expect.push(['h', ds.h, 1]);
  for (const [key, arr, w] of expect) {
    if (!arr) throw new Error(`${source}: missing key '${key}'`);
    if (arr.length !== N * w) {
      throw new Error(`${source}: key '${key}' has ${Math.floor(arr.length / w)} rows, expected ${N} (length mismatch)`);
    }
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (!Number.isFinite(v)) throw new Error(`${source}: key '${key}' row ${Math.floor(i / w)}: non-finite value ${v}`);
      if (Math.abs(v) > MAX_ABS_VALUE) {
        throw new Error(`${source}: key '${key}' row ${Math.floor(i / w)}${w > 1 ? ` column ${i % w}` : ''}: value ${v} exceeds the bound ${MAX_ABS_VALUE} on magnitudes (a unit or export error?)`);
      }
      if (key === 'costs' && v < 0) throw new Error(`${source}: key 'costs' row ${i}: negative cost ${v} (costs must be >= 0)`);
      if (key === 'actions' && (v > 1 + 1e-5 || v < -1 - 1e-5)) {
        throw new Error(`${source}: key '${key}' row ${Math.floor(i / w)}: value ${v} outside [-1, 1]`);
      }
      if ((key === 'terminals' || key === 'timeouts') && v !== 0 && v !== 1) {
        throw new Error(`${source}: key '${key}' row ${i}: value ${v} is not 0 or 1`);
      }
    }
  }
}
