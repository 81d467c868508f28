/** Small hand-made datasets and batches for the algorithm tests. */
import { Rng } from '../../core/index.js';
import { emptyDataset, type Batch, type Dataset } from '../../rl/data/dataset.js';

/**
 * `episodes` episodes of `len` steps, obs size S, act size A, seeded values; episode k's per-step cost is
 * costs[k] (so its episode cost is len * costs[k]); the last step of each episode is a timeout.
 */
export function toyDataset(opts: { S?: number; A?: number; len?: number; costs?: number[]; seed?: number } = {}): Dataset {
  const S = opts.S ?? 3, A = opts.A ?? 2, len = opts.len ?? 5, costs = opts.costs ?? [0, 1, 0, 3];
  const n = len * costs.length;
  const ds = emptyDataset(n, S, A);
  const rng = new Rng(opts.seed ?? 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < S; j++) {
      ds.observations[i * S + j] = rng.uniformRange(-1, 1);
      ds.nextObservations[i * S + j] = rng.uniformRange(-1, 1);
    }
    for (let j = 0; j < A; j++) ds.actions[i * A + j] = rng.uniformRange(-0.9, 0.9);
    ds.rewards[i] = rng.uniformRange(0, 1);
    ds.costs[i] = costs[Math.floor(i / len)];
    ds.timeouts[i] = i % len === len - 1 ? 1 : 0;
  }
  return ds;
}

/** A batch holding the rows of `ds` in order. */
export function wholeBatch(ds: Dataset): Batch {
  return {
    size: ds.size, observations: ds.observations, nextObservations: ds.nextObservations, actions: ds.actions,
    rewards: ds.rewards, costs: ds.costs, terminals: ds.terminals, timeouts: ds.timeouts,
    dones: ds.terminals.map((t, i) => (t > 0 || ds.timeouts[i] > 0 ? 1 : 0)),
  };
}
