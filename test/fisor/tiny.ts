import { resolveConfig, type FisorConfig } from '../../rl/fisor/config.js';

/**
 * A tiny FISOR config for tests: every process and formula, with small networks and batches. `extra` are
 * `--set` entries applied after these (so they win); `critic` sizes the critic batch and both hidden layers.
 */
export function tinyConfig(extra: string[] = [], { task = 'PointRobot', critic = 8, numSamples = 3 }: { task?: string; critic?: number; numSamples?: number } = {}): FisorConfig {
  return resolveConfig({
    preset: 'cpu', task,
    set: [`batchSize=16`, `criticBatchSize=${critic}`, `criticHidden=${critic},${critic}`, 'actor.hidden=8', 'actor.blocks=1', 'actor.timeFeatures=4', 'actor.timeHidden=8',
      `numSamples=${numSamples}`, 'evalEpisodes=2', 'logEvery=5', 'checkpointEvery=0', 'evalEvery=0', ...extra],
  });
}
