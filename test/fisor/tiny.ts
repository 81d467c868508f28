import type { LoadedCheckpoint } from '../../nn/index.js';
import type { FisorAgent } from '../../rl/fisor/agent.js';
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

/** The agent's state with the final bias of the target Q_h ensemble shifted by `shift` (every action's Q_h moves with it). */
export function shiftQh(agent: FisorAgent, shift: number): void {
  const tensors: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(agent.stateTensors())) {
    tensors[k] = Float32Array.from(t.dataSync());
    shapes[k] = [...t.shape];
  }
  const last = Object.keys(tensors).filter((k) => k.startsWith('qhTarget.') && k.endsWith('.bias')).sort().at(-1)!;
  tensors[last] = tensors[last].map((b) => b + shift);
  agent.loadState({ tensors, shapes, step: 0, metadata: {} } as LoadedCheckpoint);
}
