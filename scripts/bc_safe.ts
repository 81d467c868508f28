/**
 * BC-Safe reference for the results script (issue 9's "rewards do not collapse" check, until the baselines
 * engineer's BC-Safe lands): behaviour cloning, MSE on tanh(MLP(s)), on the transitions of trajectories
 * whose episode cost is <= kappa. Deterministic per seed.
 */
import { Rng, noGrad, tensor, tidy } from '../core/index.js';
import { Adam, MLP, mse } from '../nn/index.js';
import { splitTrajectories, type Dataset } from '../rl/data/dataset.js';
import { taskReference } from '../rl/envs/reference.js';
import type { Policy } from '../rl/fisor/evaluate.js';

export interface BcSafeOptions {
  steps: number;
  batchSize: number;
  hidden: number[];
  lr: number;
  /** Episode-cost threshold of the imitated trajectories (default: the task's kappa, BC-Safe); 0 = violation-free only. */
  maxCost?: number;
}

export const BC_SAFE_DEFAULTS: BcSafeOptions = { steps: 3000, batchSize: 256, hidden: [128, 128], lr: 1e-3 };

export function trainBcSafe(task: string, ds: Dataset, seed: number, o: BcSafeOptions = BC_SAFE_DEFAULTS): Policy & { safeTransitions: number } {
  const kappa = o.maxCost ?? taskReference(task).kappa;
  if (!(kappa >= 0)) throw new Error(`BC-Safe: maxCost must be >= 0, got ${kappa}`);
  const rows: number[] = [];
  for (const t of splitTrajectories(ds)) if (t.cost <= kappa) for (let i = t.start; i < t.end; i++) rows.push(i);
  if (rows.length === 0) throw new Error(`BC-Safe: no trajectory of ${task} has cost <= ${kappa}`);
  const S = ds.observationSize, A = ds.actionSize;
  const rng = new Rng(seed);
  const net = new MLP({ inputSize: S, hiddenSizes: o.hidden, outputSize: A, activation: 'relu', rng });
  const opt = new Adam(net.parameters(), { lr: o.lr });
  const bs = new Float32Array(o.batchSize * S), ba = new Float32Array(o.batchSize * A);
  const c = 1 - 1e-5;
  for (let k = 0; k < o.steps; k++) {
    for (let i = 0; i < o.batchSize; i++) {
      const j = rows[rng.int(rows.length)];
      bs.set(ds.observations.subarray(j * S, j * S + S), i * S);
      for (let d = 0; d < A; d++) ba[i * A + d] = Math.max(-c, Math.min(c, ds.actions[j * A + d]));
    }
    tidy(() => {
      const loss = mse(net.forward(tensor(bs, { shape: [o.batchSize, S] })).tanh(), tensor(ba, { shape: [o.batchSize, A] }));
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  }
  return {
    safeTransitions: rows.length,
    act(observations: Float32Array): Float32Array {
      const B = observations.length / S;
      return tidy(() => noGrad(() => Float32Array.from(net.forward(tensor(observations, { shape: [B, S] })).tanh().dataSync())));
    },
  };
}
