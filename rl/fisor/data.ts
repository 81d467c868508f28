/**
 * From a DSRL dataset to FISOR's training arrays (as the official code prepares them):
 * actions clipped to +-actionClip; masks = 1 - (terminal OR timeout); constraint values h from costs
 * (+costScale / -1) or the continuous key `h`; rewards scaled by maxEpisodeSteps / (maxR - minR) over the
 * dataset's episode returns (DSRL tasks). No observation normalisation.
 */
import type { Rng } from '../../core/index.js';
import { copyRow, splitTrajectories, type Dataset } from '../data/dataset.js';
import { taskReference } from '../envs/reference.js';
import type { FisorBatch } from './agent.js';
import type { FisorConfig } from './config.js';
import { constraintValues } from './critics.js';

/** The whole prepared dataset: the same arrays as a minibatch, over every transition. */
export interface FisorData extends FisorBatch {
  obsDim: number;
  actDim: number;
  /** What was applied (recorded in checkpoints and RESULTS). */
  hSource: 'cost' | 'continuous';
  rewardScale: number;
}

/** Resolves 'auto': PointRobot uses its continuous h and unscaled rewards (FISOR's toy task); DSRL tasks use costs and scaling. */
export function resolveDataOptions(task: string, cfg: FisorConfig): { hSource: 'cost' | 'continuous'; scaleRewards: boolean } {
  const isToy = task === 'PointRobot';
  return {
    hSource: cfg.hSource === 'auto' ? (isToy ? 'continuous' : 'cost') : cfg.hSource,
    scaleRewards: cfg.rewardScale === 'auto' ? !isToy : cfg.rewardScale === 'dsrl',
  };
}

export function prepareData(ds: Dataset, task: string, cfg: FisorConfig): FisorData {
  if (ds.size < cfg.batchSize) throw new Error(`dataset has ${ds.size} transitions, fewer than batchSize ${cfg.batchSize}`);
  const { hSource, scaleRewards } = resolveDataOptions(task, cfg);
  const c = cfg.actionClip;
  const actions = ds.actions.map((a) => (a > c ? c : a < -c ? -c : a));
  const masks = new Float32Array(ds.size);
  for (let i = 0; i < ds.size; i++) masks[i] = ds.terminals[i] > 0 || ds.timeouts[i] > 0 ? 0 : 1;
  let rewardScale = 1;
  if (scaleRewards) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of splitTrajectories(ds)) {
      if (t.ret < lo) lo = t.ret;
      if (t.ret > hi) hi = t.ret;
    }
    const span = hi - lo;
    if (span > 0) rewardScale = taskReference(task).maxEpisodeSteps / span;
  }
  const rewards = ds.rewards.map((r) => r * rewardScale);
  return {
    size: ds.size, obsDim: ds.observationSize, actDim: ds.actionSize,
    observations: ds.observations, nextObservations: ds.nextObservations, actions, rewards,
    h: constraintValues(ds.costs, ds.h, hSource, cfg.costScale), masks, hSource, rewardScale,
  };
}

export function allocFisorBatch(d: Pick<FisorData, 'obsDim' | 'actDim'>, size: number): FisorBatch {
  return {
    size,
    observations: new Float32Array(size * d.obsDim),
    nextObservations: new Float32Array(size * d.obsDim),
    actions: new Float32Array(size * d.actDim),
    rewards: new Float32Array(size),
    h: new Float32Array(size),
    masks: new Float32Array(size),
  };
}

/** Draws out.size indices uniformly with replacement from `rng` and copies the rows into `out`. */
export function sampleBatch(d: FisorData, rng: Rng, out: FisorBatch): FisorBatch {
  const S = d.obsDim, A = d.actDim;
  for (let i = 0; i < out.size; i++) {
    const j = rng.int(d.size);
    copyRow(d.observations, j, out.observations, i, S);
    copyRow(d.nextObservations, j, out.nextObservations, i, S);
    copyRow(d.actions, j, out.actions, i, A);
    out.rewards[i] = d.rewards[j];
    out.h[i] = d.h[j];
    out.masks[i] = d.masks[j];
  }
  return out;
}
