/**
 * Losses. Per-element losses return a tensor of the input's shape; `mse` and `weightedMean`
 * return a scalar (rank 0). Weights that depend on a sign are built with comparisons, which carry
 * no gradient, so d/d diff of w(diff)·diff² is 2·w·diff (w is piecewise constant; at diff = 0 both
 * sides give 0).
 */
import { Tensor } from '../core/index.js';

function checkTensor(what: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${what}: expected a Tensor`);
}

function checkTau(what: string, tau: number): void {
  if (typeof tau !== 'number' || !(tau > 0 && tau < 1)) throw new Error(`${what}: tau must be in (0, 1), got ${tau}`);
}

function checkSameShape(what: string, a: Tensor, b: Tensor): void {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${what}: shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}] (broadcasting here is almost always a bug)`);
  }
}

/** mse(pred, target) = mean((pred - target)²) over all elements (a scalar). Shapes must match. */
export function mse(pred: Tensor, target: Tensor): Tensor {
  checkTensor('mse', pred);
  checkTensor('mse', target);
  checkSameShape('mse', pred, target);
  return pred.sub(target).square().mean();
}

/**
 * Expectile loss, elementwise (IQL / FISOR `expectile_loss`):
 *   L_τ(d) = |τ - 1[d < 0]| · d²  =  τ d² if d > 0, (1 - τ) d² otherwise.
 * With d = q - v, minimising E[L_τ] over v gives the τ-expectile of q (τ = 0.5: half the MSE).
 */
export function expectileLoss(diff: Tensor, tau: number): Tensor {
  checkTensor('expectileLoss', diff);
  checkTau('expectileLoss', tau);
  // weight = τ + (1 - 2τ)·1[d < 0]
  const w = diff.lt(0).mul(1 - 2 * tau).add(tau);
  return w.mul(diff.square());
}

/**
 * Reversed expectile loss, elementwise (FISOR `safe_expectile_loss`, used for V_h):
 *   L'_τ(d) = τ d² if d < 0, (1 - τ) d² otherwise  =  L_τ(-d)  =  L_{1-τ}(d).
 */
export function reversedExpectileLoss(diff: Tensor, tau: number): Tensor {
  checkTensor('reversedExpectileLoss', diff);
  checkTau('reversedExpectileLoss', tau);
  // weight = τ + (1 - 2τ)·1[d > 0]
  const w = diff.gt(0).mul(1 - 2 * tau).add(tau);
  return w.mul(diff.square());
}

/**
 * weightedMean(v, w) = Σ_i w_i v_i / N, N = number of elements of w·v (the mean of the weighted
 * values, as FISOR's actor loss does; not divided by Σ w). w broadcasts against v.
 */
export function weightedMean(values: Tensor, weights: Tensor): Tensor {
  checkTensor('weightedMean', values);
  checkTensor('weightedMean', weights);
  return values.mul(weights).mean();
}
