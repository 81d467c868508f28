/**
 * Layer normalisation over the last axis, without the affine part (nn/layers.ts `LayerNorm`
 * adds scale and bias), as one graph op with its own VJP:
 *   y = (x - mu) r,  mu = mean(x),  r = (mean((x - mu)^2) + eps)^(-1/2)
 *   dx = r (g - mean(g) - y mean(g y))        (n = size of the last axis, means over it)
 */
import { apply, type OpDef } from '../autograd.js';
import { kindOf } from '../describe.js';
import { Tensor } from '../tensor.js';

interface NormAttrs {
  eps: number;
}

/** rstd = 1 / sqrt(var(x) + eps) over the last axis, keepdim; also returns x - mean. */
function centredAndRstd(x: Tensor, eps: number): { xc: Tensor; rstd: Tensor } {
  const mu = x.mean(-1, true);
  const xc = x.sub(mu);
  mu.dispose();
  const sq = xc.square();
  const variance = sq.mean(-1, true);
  sq.dispose();
  const ve = variance.add(eps);
  variance.dispose();
  const rstd = ve.pow(-0.5);
  ve.dispose();
  return { xc, rstd };
}

/** Rows and row length for the backend's fused kernels, or null where they do not apply (js, gpujs, float64). */
function fusedRows(x: Tensor, ...others: Tensor[]): { rows: number; n: number } | null {
  const be = x.backend;
  if (!be.layerNorm || !be.layerNormGrad || x.dtype !== 'float32' || x.ndim === 0) return null;
  if (others.some((t) => t.backend !== be || t.dtype !== 'float32')) return null;
  const n = x.shape[x.ndim - 1];
  return n > 0 ? { rows: x.size / n, n } : null;
}

/**
 * Normalisation over the last axis, without the affine part:
 *   y = (x - μ) · r,  μ = mean(x),  r = (mean((x - μ)²) + eps)^(-1/2)
 * VJP (n = size of the last axis, all means over it):
 *   dx = r · (g - mean(g) - y · mean(g · y))
 * One kernel per direction where the backend has `layerNorm` / `layerNormGrad` (wasm); composed of
 * mean, sub, square, pow, mul elsewhere (the js reference, gpu.js).
 */
export const LayerNormalize: OpDef<NormAttrs> = {
  name: 'layerNormalize',
  forward: ([x], { eps }) => {
    const f = fusedRows(x);
    if (f) {
      const y = Tensor.empty(x.shape, x.dtype, x.backend);
      x.backend.layerNorm!(x.buffer, y.buffer, f.rows, f.n, eps);
      return y;
    }
    const { xc, rstd } = centredAndRstd(x, eps);
    const y = xc.mul(rstd);
    xc.dispose();
    rstd.dispose();
    return y;
  },
  backward: (g, [x], y, { eps }) => {
    const f = fusedRows(x, y, g);
    if (f) {
      const dx = Tensor.empty(x.shape, x.dtype, x.backend);
      x.backend.layerNormGrad!(x.buffer, y.buffer, g.buffer, dx.buffer, f.rows, f.n, eps);
      return [dx];
    }
    const { xc, rstd } = centredAndRstd(x, eps);
    xc.dispose();
    const gm = g.mean(-1, true);
    const gy = g.mul(y);
    const gym = gy.mean(-1, true);
    gy.dispose();
    const t1 = g.sub(gm);
    gm.dispose();
    const t2 = y.mul(gym);
    gym.dispose();
    const t3 = t1.sub(t2);
    t1.dispose();
    t2.dispose();
    const dx = t3.mul(rstd);
    t3.dispose();
    rstd.dispose();
    return [dx];
  },
};

/**
 * (x - mean) / sqrt(var + eps) over the last axis (one graph op). eps must be a finite number >= 0:
 * a negative one gives NaN for constant rows, NaN or Infinity poisons every row.
 */
export function layerNormalize(x: Tensor, eps = 1e-6): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`layerNormalize: x must be a Tensor, got ${kindOf(x)}`);
  checkLayerNormEps('layerNormalize', eps);
  return apply(LayerNormalize, [x], { eps });
}

/** Throws unless eps is a finite number >= 0 (shared with nn's LayerNorm). */
export function checkLayerNormEps(what: string, eps: unknown): number {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new Error(`${what}: eps must be a finite number >= 0, got ${typeof eps === 'string' ? `'${eps}'` : String(eps)}`);
  }
  return eps;
}

