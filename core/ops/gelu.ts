/**
 * GELU, the exact (erf) form that PyTorch's nn.GELU uses by default (CDT's feed-forward blocks):
 *   gelu(x) = x Φ(x) = ½ x (1 + erf(x / √2)),    gelu'(x) = Φ(x) + x φ(x),  φ(x) = e^(-x²/2) / √(2π).
 * Forward and VJP run elementwise over the buffers (any backend that exposes a host view).
 */
import { apply, type OpDef } from '../autograd.js';
import { Tensor } from '../tensor.js';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf to about 1e-15 in float64: the Maclaurin series Σ (-1)^n x^(2n+1) / (n! (2n+1)) for |x| < 3 (terms
 * stay below ~1e4, so cancellation costs at most ~4 digits of 16), and for |x| >= 3 the continued fraction
 * erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) evaluated bottom-up.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (ax > 6) return Math.sign(x); // erfc(6) ≈ 2e-17
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const Gelu: OpDef<null> = {
  name: 'gelu',
  forward: ([x]) => {
    const out = Tensor.empty(x.shape, x.dtype, x.backend);
    const xv = x.buffer.view();
    const res = new Float64Array(xv.length);
    for (let i = 0; i < xv.length; i++) res[i] = 0.5 * xv[i] * (1 + erf(xv[i] * INV_SQRT2));
    out.backend.write(out.buffer, res);
    return out;
  },
  backward: (g, [x], y) => {
    const gx = Tensor.empty(x.shape, x.dtype, x.backend);
    const xv = x.buffer.view();
    const yv = y.buffer.view();
    const gv = g.buffer.view();
    const res = new Float64Array(xv.length);
    for (let i = 0; i < xv.length; i++) {
      const v = xv[i];
      // Φ(x) = y / x from the forward's output (no second erf), except near 0 where the quotient is unstable.
      const cdf = Math.abs(v) > 1e-3 ? yv[i] / v : 0.5 * (1 + erf(v * INV_SQRT2));
      res[i] = gv[i] * (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
    }
    gx.backend.write(gx.buffer, res);
    return [gx];
  },
};

/** Exact GELU, elementwise. */
export function gelu(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new Error('gelu: expected a Tensor');
  return apply(Gelu, [x], null);
}
