/**
 * Data for the transition-based algorithms (all but CDT), OSRL's TransitionDataset: one transition drawn
 * uniformly with replacement per row, into the project's single minibatch structure (rl/data/dataset.ts
 * `Batch`: s, s', a, r, c, done = terminal OR timeout). Also BC's trajectory filter and the per-step cost
 * threshold of the Q-based methods.
 */
import { Rng, tensor, type Tensor } from '../../core/index.js';
import { allocBatch, copyRow, gatherBatch, sampleIndices, splitTrajectories, type Batch, type Dataset } from '../data/dataset.js';
import { taskReference } from '../envs/reference.js';

/** Draws uniform minibatches of `size` rows from a dataset into one reused Batch. */
export class TransitionSampler {
  private readonly batch: Batch;
  /** Dataset rows of the last batch drawn. */
  readonly idx: Int32Array;

  constructor(readonly dataset: Dataset, readonly size: number) {
    if (dataset.size < 1) throw new Error('TransitionSampler: the dataset is empty');
    this.batch = allocBatch(dataset, size);
    this.idx = new Int32Array(size);
  }

  sample(rng: Rng): Batch {
    sampleIndices(this.dataset.size, this.size, rng, this.idx);
    return gatherBatch(this.dataset, this.idx, this.batch);
  }
}

/**
 * The rows of every trajectory for which `keep(trajectory)` holds, as a new dataset (OSRL process_bc_dataset:
 * whole episodes are kept or dropped). Throws if nothing is left.
 */
export function selectTrajectories(ds: Dataset, keep: (t: { ret: number; cost: number }) => boolean, what: string): Dataset {
  const rows: number[] = [];
  for (const t of splitTrajectories(ds)) if (keep(t)) for (let i = t.start; i < t.end; i++) rows.push(i);
  if (rows.length === 0) throw new Error(`${what}: no trajectory of the dataset qualifies`);
  const O = ds.observationSize, A = ds.actionSize;
  const out: Dataset = {
    observations: new Float32Array(rows.length * O), nextObservations: new Float32Array(rows.length * O),
    actions: new Float32Array(rows.length * A), rewards: new Float32Array(rows.length), costs: new Float32Array(rows.length),
    terminals: new Float32Array(rows.length), timeouts: new Float32Array(rows.length), h: ds.h ? new Float32Array(rows.length) : undefined,
    size: rows.length, observationSize: O, actionSize: A,
  };
  rows.forEach((j, i) => {
    copyRow(ds.observations, j, out.observations, i, O);
    copyRow(ds.nextObservations, j, out.nextObservations, i, O);
    copyRow(ds.actions, j, out.actions, i, A);
    out.rewards[i] = ds.rewards[j];
    out.costs[i] = ds.costs[j];
    out.terminals[i] = ds.terminals[j];
    out.timeouts[i] = ds.timeouts[j];
    if (out.h && ds.h) out.h[i] = ds.h[j];
  });
  return out;
}

/**
 * Per-step cost threshold (OSRL bcql/cpq/coptidice): qc = κ (1 - γ^T) / ((1 - γ) T), the per-step cost whose
 * discounted sum over T steps equals the discounted sum of a cost κ/T spread evenly over the episode.
 */
export function qcThreshold(costLimit: number, gamma: number, episodeLen: number): number {
  if (!(gamma > 0 && gamma < 1)) throw new Error(`qcThreshold: gamma must be in (0, 1), got ${gamma}`);
  if (!(Number.isInteger(episodeLen) && episodeLen > 0)) throw new Error(`qcThreshold: episode length must be a positive integer, got ${episodeLen}`);
  return (costLimit * (1 - gamma ** episodeLen)) / ((1 - gamma) * episodeLen);
}

/** The task's episode length (OSRL's per-task episode_len; here the env's time limit). */
export function episodeLength(task: string): number {
  return taskReference(task).maxEpisodeSteps;
}

/** A batch's arrays as tensors of `dtype`, rewards and costs scaled (OSRL reward_scale / cost_scale). */
export interface BatchTensors {
  s: Tensor;
  s2: Tensor;
  a: Tensor;
  r: Tensor;
  c: Tensor;
  done: Tensor;
}

export function batchTensors(b: Batch, obsDim: number, actDim: number, dtype: 'float32' | 'float64', rewardScale = 1, costScale = 1): BatchTensors {
  const B = b.size;
  const t = (d: Float32Array | Float64Array, shape: number[]) => tensor(d, { shape, dtype });
  const scale = (d: Float32Array, k: number) => (k === 1 ? d : Float64Array.from(d, (v) => v * k));
  return {
    s: t(b.observations, [B, obsDim]), s2: t(b.nextObservations, [B, obsDim]), a: t(b.actions, [B, actDim]),
    r: t(scale(b.rewards, rewardScale), [B]), c: t(scale(b.costs, costScale), [B]), done: t(b.dones, [B]),
  };
}

/** The acting stream's state for evaluation seed `seed`, as rl/cli/eval.ts seeds FISOR's (Algorithm.seedActing). */
export function actingRngState(seed: number) {
  return new Rng(seed ^ 0x5eed).getState();
}

/** A child generator seeded from `parent` (as FISOR's deriveRng). */
export function deriveRng(parent: Rng): Rng {
  return new Rng(parent.nextU32());
}
