/**
 * FISOR's formulas as tensor functions (no networks here): Bellman targets, expectile losses, the
 * policy-extraction weights, and the constraint value h of each transition. The agent (agent.ts) calls them.
 */
import { where, type Tensor } from '../../core/index.js';
import type { WeightConfig } from './config.js';

/**
 * Feasible (reachability) Bellman target for Q_h (Fisac et al. 2019 discounted form):
 *   qc_nonterminal = (1 - g) h + g max(h, V_h(s'))
 *   target         = qc_nonterminal * mask + h * (1 - mask),   mask = 1 - (terminal OR timeout)
 * All [B] (or [B, 1]) tensors; no gradient is meant to flow.
 */
export function feasibleTarget(h: Tensor, nextVh: Tensor, mask: Tensor, discount: number): Tensor {
  const nonterminal = h.mul(1 - discount).add(h.maximum(nextVh).mul(discount));
  return nonterminal.mul(mask).add(h.mul(mask.neg().add(1)));
}

/** Reward Bellman target for Q_r: r + g mask V_r(s'). */
export function rewardTarget(r: Tensor, nextV: Tensor, mask: Tensor, discount: number): Tensor {
  return r.add(nextV.mul(mask).mul(discount));
}

/** Expectile loss (IQL), elementwise: |tau - 1[d < 0]| d^2, i.e. weight tau where d > 0, else 1 - tau. */
export function expectile(d: Tensor, tau: number): Tensor {
  return where(d.gt(0), tau, 1 - tau).mul(d.square());
}

/** FISOR's reversed expectile (for V_h), elementwise: weight tau where d < 0, else 1 - tau. */
export function reversedExpectile(d: Tensor, tau: number): Tensor {
  return where(d.lt(0), tau, 1 - tau).mul(d.square());
}

/**
 * Policy-extraction weights (actor_objective "feasibility"):
 *   unsafe = [vc > 0], safe = [vc <= 0][qc <= 0]
 *   w = unsafe * clip(exp((vc - qc) * costTemperature), costLb, costUb)
 *     + safe   * clip(exp((q - v) * rewardTemperature), 0, rewardUb)
 * q = min over target Q_r, v = V_r(s), qc = max over target Q_h, vc = V_h(s). Feasible states whose action
 * leads out of the feasible region (vc <= 0 < qc) get weight 0.
 */
export function fisorWeights(q: Tensor, v: Tensor, qc: Tensor, vc: Tensor, w: WeightConfig): Tensor {
  const unsafe = vc.gt(0);
  const safe = vc.le(0).mul(qc.le(0));
  const costW = vc.sub(qc).mul(w.costTemperature).exp().clamp(w.costLb, w.costUb);
  const rewardW = q.sub(v).mul(w.rewardTemperature).exp().clamp(0, w.rewardUb);
  return unsafe.mul(costW).add(safe.mul(rewardW));
}

/**
 * Ablation 'reward' (config actorWeights; not the paper): plain IQL advantage weights on every row,
 * w = clip(exp((q - v) * rewardTemperature), 0, rewardUb), with no feasibility term.
 */
export function advantageWeights(q: Tensor, v: Tensor, w: WeightConfig): Tensor {
  return q.sub(v).mul(w.rewardTemperature).exp().clamp(0, w.rewardUb);
}

/**
 * The constraint value h of every transition, as a Float32Array: from the dataset's continuous `h`
 * (PointRobot: 0.8 - distance to the nearest hazard centre of s') or from costs (+costScale where cost > 0, else -1).
 */
export function constraintValues(costs: Float32Array, continuous: Float32Array | undefined, source: 'cost' | 'continuous', costScale: number): Float32Array {
  if (source === 'continuous') {
    if (!continuous) throw new Error("hSource 'continuous' needs the dataset key 'h' (this dataset has none)");
    return Float32Array.from(continuous);
  }
  const h = new Float32Array(costs.length);
  for (let i = 0; i < costs.length; i++) h[i] = costs[i] > 0 ? costScale : -1;
  return h;
}
