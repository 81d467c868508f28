/** Small hand-made datasets and batches for the algorithm tests. */
import { noGrad, Rng, tensor, type Tensor } from '../../core/index.js';
import type { BCQLag } from '../../rl/algos/bcq_lag.js';
import { criticValues } from '../../rl/algos/common.js';
import type { CPQ } from '../../rl/algos/cpq.js';
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

/** n N(0, 1) draws from a copy of `rng` (the draws the code under test will make next). */
export function peekNormals(rng: Rng, n: number): number[] {
  const r = new Rng(0);
  r.setState(rng.getState());
  return Array.from({ length: n }, () => r.normal());
}

/**
 * BCQ-Lag's critic target at s' (B x 3), recomputed from the target critic's four members on the same N candidate
 * draws: max over candidates of 0.75·min(m1, m2) + 0.25·max(m1, m2), m_g = min within group g. Returns the
 * algorithm's own value beside it; the noise stream is left where the algorithm's call left it.
 */
export function bcqTargetReference(algo: BCQLag, s2: Tensor, N: number): { got: number[]; want: number[] } {
  const B = s2.shape[0], S = s2.shape[1];
  const st = algo.rngs.noise.getState();
  const got = Array.from(noGrad(() => algo.targetValue(algo.criticTarget, s2)).toFlatArray());
  const after = algo.rngs.noise.getState();
  algo.rngs.noise.setState(st);
  const q = noGrad(() => {
    const rep = s2.reshape([B, 1, S]).expand([B, N, S]).reshape([B * N, S]);
    return criticValues(algo.criticTarget, rep, algo.perturb(algo.actorTarget, rep, algo.vae.decode(rep, algo.rngs.noise))).toArray() as number[][];
  });
  algo.rngs.noise.setState(after);
  return { got, want: softClippedMaxReference(q, B, N) };
}

/**
 * The BCQ / BEAR target value from the four critics' values at N candidates per state (rows of q, column b·N + k):
 * per state, the max over candidates of 0.75·min(m1, m2) + 0.25·max(m1, m2), m_g = min within group g.
 */
export function softClippedMaxReference(q: number[][], B: number, N: number): number[] {
  return Array.from({ length: B }, (_, b) => {
    let best = -Infinity;
    for (let k = 0; k < N; k++) {
      const j = b * N + k;
      const m1 = Math.min(q[0][j], q[1][j]), m2 = Math.min(q[2][j], q[3][j]);
      best = Math.max(best, 0.75 * Math.min(m1, m2) + 0.25 * Math.max(m1, m2));
    }
    return best;
  });
}

/**
 * CPQ's qc_ood(s) recomputed: N pre-tanh samples u = μ + σ·ε per state (ε peeked from the noise stream, sample k of
 * state i at row k·B + i), KL(s, u) of the VAE's encoder averaged over latent dims, the 0.75 quantile q75 of all N·B
 * KLs, and the mean over samples of 1[KL >= q75]·min_i Qc_targ,i(s, u). `s` holds the batch's states (B x S).
 */
export function cpqOodCostReference(algo: CPQ, s: Tensor, N: number): number[] {
  const B = s.shape[0], S = s.shape[1];
  const { mu, logStd } = noGrad(() => algo.actor.dist(s));
  const m = mu.toArray() as number[][], l = logStd.toArray() as number[][];
  const A = m[0].length;
  const eps = peekNormals(algo.rngs.noise, N * B * A);
  const states = s.toArray() as number[][];
  const u: number[] = [], sRep: number[] = [];
  for (let k = 0; k < N; k++) for (let i = 0; i < B; i++) {
    for (let d = 0; d < A; d++) u.push(m[i][d] + Math.exp(l[i][d]) * eps[(k * B + i) * A + d]);
    sRep.push(...states[i]);
  }
  const sT = tensor(sRep, { shape: [N * B, S], dtype: 'float64' }), uT = tensor(u, { shape: [N * B, A], dtype: 'float64' });
  const enc = noGrad(() => algo.vae.encode(sT, uT));
  const em = enc.mu.toArray() as number[][], el = enc.logStd.toArray() as number[][];
  const kl = em.map((r, j) => r.reduce((acc, x, d) => acc + 0.5 * (x * x + Math.exp(2 * el[j][d]) - 1 - 2 * el[j][d]), 0) / r.length);
  const qcRows = noGrad(() => criticValues(algo.costCriticTarget, sT, uT).toArray() as number[][]);
  const qc = qcRows[0].map((x, j) => Math.min(...qcRows.map((r) => r[j])));
  const sorted = [...kl].sort((a, b) => a - b);
  const pos = 0.75 * (sorted.length - 1), lo = Math.floor(pos);
  const q75 = sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - lo);
  return Array.from({ length: B }, (_, i) => {
    let acc = 0;
    for (let k = 0; k < N; k++) if (kl[k * B + i] >= q75) acc += qc[k * B + i];
    return acc / N;
  });
}
