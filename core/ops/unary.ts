/**
 * One-input elementwise ops. The forward is the backend's `unary` kernel; the VJP is its
 * `unaryGrad` kernel, g * f'(x), computed in one pass. The math of each (see core/backends/js.ts):
 *
 * | op | f(x) | f'(x) |
 * |---|---|---|
 * | neg | -x | -1 |
 * | exp | e^x | y |
 * | log | ln x | 1/x |
 * | sqrt | √x | 1/(2y) |
 * | square | x² | 2x |
 * | abs | abs(x) | sign(x) |
 * | sign | sign(x) | 0 |
 * | tanh | tanh x | 1 - y² |
 * | sigmoid | 1/(1+e^-x) | y(1-y) |
 * | softplus | ln(1+e^x) | sigmoid(x) |
 * | relu | max(x, 0) | [x > 0] |
 * | mish | x tanh(softplus x) | tanh(sp) + x sigmoid(x)(1 - tanh²(sp)) |
 * | sin / cos | sin x / cos x | cos x / -sin x |
 * | pow p | x^p | p x^(p-1) |
 * | clamp lo hi | min(max(x, lo), hi) | [lo <= x <= hi] |
 * | scale s / addScalar s | s x / x + s | s / 1 |
 * | reciprocal | 1/x | -y² |
 * | copy | x | 1 |
 */
import type { DType, UnaryOp } from '../backend.js';
import { backendFor } from '../backend.js';
import { apply, type OpDef } from '../autograd.js';
import { Tensor } from '../tensor.js';

interface UnaryAttrs {
  p0: number;
  p1: number;
}

const defs = new Map<UnaryOp, OpDef<UnaryAttrs>>();

function unaryDef(kernel: UnaryOp): OpDef<UnaryAttrs> {
  let def = defs.get(kernel);
  if (!def) {
    def = {
      name: kernel,
      forward: ([x], { p0, p1 }) => {
        const out = Tensor.empty(x.shape, x.dtype, x.backend);
        x.backend.unary(kernel, x.buffer, out.buffer, p0, p1);
        return out;
      },
      backward: (g, [x], y, { p0, p1 }) => {
        const gx = Tensor.empty(x.shape, x.dtype, x.backend);
        x.backend.unaryGrad(kernel, x.buffer, y.buffer, g.buffer, gx.buffer, p0, p1);
        return [gx];
      },
    };
    defs.set(kernel, def);
  }
  return def;
}

export function unaryOp(kernel: UnaryOp, x: Tensor, p0 = 0, p1 = 0): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${kernel}: expected a Tensor`);
  return apply(unaryDef(kernel), [x], { p0, p1 });
}

export function pow(x: Tensor, p: number): Tensor {
  if (typeof p !== 'number' || !Number.isFinite(p)) throw new Error(`pow: exponent must be a finite number, got ${p}`);
  return unaryOp('pow', x, p);
}

export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new Error(`clamp: lower bound ${lo} is above upper bound ${hi}`);
  return unaryOp('clamp', x, lo, hi);
}

/** Changes dtype; the gradient is cast back. Always returns a new tensor. */
export const Cast: OpDef<DType> = {
  name: 'cast',
  forward: ([x], dtype) => {
    const backend = backendFor(dtype, x.backend);
    const out = Tensor.empty(x.shape, dtype, backend);
    backend.write(out.buffer, x.buffer.view());
    return out;
  },
  backward: (g, [x]) => [g.cast(x.dtype)],
};

export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`cast: unknown dtype '${dtype}' (float32 or float64)`);
  return apply(Cast, [x], dtype);
}
