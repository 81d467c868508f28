/**
 * Pins optimizer formulas that the broader optimizer tests let through (found by a mutation audit):
 * the default hyper-parameters (every other test passes them explicitly), SGD without momentum over
 * several steps, and softUpdate between parameters of different dtypes (the cast path).
 */
import { describe, expect, it } from 'vitest';
import { Rng, tensor, Tensor } from '../../core/index.js';
import { Adam, AdamW, Linear, SGD, softUpdate } from '../../nn/index.js';

const f64 = { dtype: 'float64' as const };

function param(values: number[]): Tensor {
  return tensor(values, { ...f64, requiresGrad: true }).keep();
}

/** Adam(W) over plain numbers, written from Kingma & Ba (bias-corrected moments, eps outside the root). */
function adamRef(p0: number[], grads: number[][], h: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean }): number[] {
  const x = [...p0];
  const m = x.map(() => 0);
  const v = x.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < x.length; i++) {
      const gi = h.decoupled ? g[i] : g[i] + h.wd * x[i];
      m[i] = h.b1 * m[i] + (1 - h.b1) * gi;
      v[i] = h.b2 * v[i] + (1 - h.b2) * gi * gi;
      const step = (h.lr * (m[i] / (1 - h.b1 ** t))) / (Math.sqrt(v[i] / (1 - h.b2 ** t)) + h.eps);
      x[i] = (h.decoupled ? x[i] * (1 - h.lr * h.wd) : x[i]) - step;
    }
  });
  return x;
}

// Gradients small enough (1e-8 .. 1e-7) that eps = 1e-8 is a visible part of the denominator.
const P0 = [0.3, -1.2, 2, 0.05];
const GRADS = [[1e-8, -3e-8, 0.5, 2], [4e-8, 1e-7, -0.25, 1], [-2e-8, 5e-8, 0.75, -3], [3e-8, -1e-8, 0.1, 0.5]];

describe('optimizer defaults', () => {
  it('Adam without options is lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay', () => {
    const p = param(P0);
    const opt = new Adam([p]);
    expect(opt.lr).toBe(1e-3);
    for (const g of GRADS) {
      p.grad = tensor(g, f64).keep();
      opt.step();
    }
    const want = adamRef(P0, GRADS, { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false });
    p.toFlatArray().forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(want[i], 14));
  });

  it('AdamW without options is Adam\'s defaults with decoupled weight decay 1e-2', () => {
    const p = param(P0);
    const opt = new AdamW([p]);
    for (const g of GRADS) {
      p.grad = tensor(g, f64).keep();
      opt.step();
    }
    const want = adamRef(P0, GRADS, { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 1e-2, decoupled: true });
    p.toFlatArray().forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(want[i], 14));
  });

  it('SGD without momentum: each step is p -= lr g of that step alone (no momentum buffer)', () => {
    const p = param([0, 1]);
    const opt = new SGD([p], { lr: 0.1 });
    expect(opt.momentum).toBe(0);
    expect(Object.keys(opt.stateDict())).toEqual(['step']);
    for (const g of [[1, 2], [-1, 0.5], [3, -4]]) {
      p.grad = tensor(g, f64).keep();
      opt.step();
    }
    // 0 - 0.1 (1 - 1 + 3) = -0.3; 1 - 0.1 (2 + 0.5 - 4) = 1.15 (momentum 0.9 would give -0.381 and 0.763)
    expect(p.toFlatArray()[0]).toBeCloseTo(-0.3, 14);
    expect(p.toFlatArray()[1]).toBeCloseTo(1.15, 14);
  });
});

describe('softUpdate across dtypes', () => {
  it('a float32 source into a float64 target is target <- (1 - tau) target + tau source', () => {
    const src = new Linear(3, 2, { rng: new Rng(1), init: 'torch', dtype: 'float32' });
    const tgt = new Linear(3, 2, { rng: new Rng(2), init: 'torch', ...f64 });
    const t0 = tgt.parameters().map((p) => p.toFlatArray());
    const s0 = src.parameters().map((p) => p.toFlatArray());
    softUpdate(tgt, src, 0.1);
    tgt.parameters().forEach((p, k) => p.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo(0.9 * t0[k][i] + 0.1 * s0[k][i], 14)));
    // and the other way round: float64 source into a float32 target
    const back = new Linear(3, 2, { rng: new Rng(3), init: 'torch', dtype: 'float32' });
    const b0 = back.parameters().map((p) => p.toFlatArray());
    const g0 = tgt.parameters().map((p) => p.toFlatArray());
    softUpdate(back, tgt, 0.3);
    back.parameters().forEach((p, k) => p.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo(0.7 * b0[k][i] + 0.3 * g0[k][i], 6)));
  });
});
