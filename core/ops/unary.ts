/**
 * One-input elementwise ops: each op's f and f' in one place (`UNARY_MATH`), the op itself
 * (`unaryOp`: forward = the backend's `unary` kernel, VJP = its `unaryGrad` kernel g * f'(x)).
 *
 * `UNARY_MATH` is the reference: the js backend runs it as written; the wasm (SIMD) and gpu.js
 * kernels are specialised rewrites of the same formulas, and the kernel-parity suite
 * (test/backends/parity.test.ts) checks every backend against it. Its type is keyed by every
 * `UnaryOp`, so adding an op to the union without its math here does not compile.
 *
 * NaN propagates (IEEE, as PyTorch): f(NaN) is NaN for every op (pow(NaN, 0) = 1, as IEEE pow).
 * See docs/ARCHITECTURE.md, "NaN".
 */
import type { DType, UnaryOp } from '../backend.js';
import { backendFor } from '../backend.js';
import { apply, type OpDef } from '../autograd.js';
import { Tensor } from '../tensor.js';

/** f(x; p0, p1) and f'(x) given y = f(x). p0 / p1: pow exponent, clamp bounds, scale. */
export interface UnaryMath {
  f(x: number, p0: number, p1: number): number;
  df(x: number, y: number, p0: number, p1: number): number;
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + e^x), computed without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** The math of every unary op (the compiler rejects a missing one). */
export const UNARY_MATH: { readonly [op in UnaryOp]: UnaryMath } = {
  copy: { f: (x) => x, df: () => 1 },
  neg: { f: (x) => -x, df: () => -1 },
  exp: { f: (x) => Math.exp(x), df: (_x, y) => y },
  log: { f: (x) => Math.log(x), df: (x) => 1 / x },
  sqrt: { f: (x) => Math.sqrt(x), df: (_x, y) => 0.5 / y },
  square: { f: (x) => x * x, df: (x) => 2 * x },
  abs: { f: (x) => Math.abs(x), df: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0) },
  /** sign(NaN) = NaN. */
  sign: { f: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x), df: () => 0 },
  tanh: { f: (x) => Math.tanh(x), df: (_x, y) => 1 - y * y },
  sigmoid: { f: sigmoid, df: (_x, y) => y * (1 - y) },
  softplus: { f: softplus, df: (x) => sigmoid(x) },
  /** relu(NaN) = NaN, as torch.relu. */
  relu: { f: (x) => (x > 0 ? x : x === x ? 0 : x), df: (x) => (x > 0 ? 1 : 0) },
  /** x tanh(sp(x)); f' = tanh(sp) + x sigmoid(x) (1 - tanh²(sp)). */
  mish: {
    f: (x) => x * Math.tanh(softplus(x)),
    df: (x) => {
      const t = Math.tanh(softplus(x));
      return t + x * sigmoid(x) * (1 - t * t);
    },
  },
  sin: { f: (x) => Math.sin(x), df: (x) => Math.cos(x) },
  cos: { f: (x) => Math.cos(x), df: (x) => -Math.sin(x) },
  // d/dx x^p = p x^(p-1); for p = 0 exactly 0 (the formula gives 0 * x^-1 = NaN at x = 0; PyTorch gives 0)
  pow: { f: (x, p) => Math.pow(x, p), df: (x, _y, p) => (p === 0 ? 0 : p * Math.pow(x, p - 1)) },
  /** The gradient passes where lo <= x <= hi. */
  clamp: { f: (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x), df: (x, _y, lo, hi) => (x >= lo && x <= hi ? 1 : 0) },
  scale: { f: (x, s) => x * s, df: (_x, _y, s) => s },
  addScalar: { f: (x, s) => x + s, df: () => 1 },
  reciprocal: { f: (x) => 1 / x, df: (_x, y) => -y * y },
  /** Heaviside [x > 0]; step(NaN) = NaN. */
  step: { f: (x) => (x > 0 ? 1 : x === x ? 0 : x), df: () => 0 },
};

export const UNARY_OPS = Object.keys(UNARY_MATH) as UnaryOp[];

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
