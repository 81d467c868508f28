/**
 * The reference backend: plain TypeScript loops over typed arrays, float32 and float64.
 *
 * Every kernel reads and writes through `buf.view()`, so the same functions also serve as the
 * fallback for any kernel another backend leaves out (see `jsKernels`). The unary kernels run
 * each op's math as written in core/ops/unary.ts (`UNARY_MATH`).
 */
import type {
  AdamParams, Backend, BinaryOp, DataBuffer, DType, ReduceOp, TypedArray, UnaryOp,
} from '../backend.js';
import { adamCoefficients } from '../backend.js';
import { UNARY_MATH } from '../ops/unary.js';
import { Rng } from '../rng.js';

class JsBuffer implements DataBuffer {
  constructor(readonly backend: Backend, readonly data: TypedArray) {}
  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }
  get length(): number {
    return this.data.length;
  }
  view(): TypedArray {
    return this.data;
  }
}

export function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return (a, b) => a / b;
    // NaN on either side gives NaN, as torch.maximum / torch.minimum.
    case 'maximum': return (a, b) => (a >= b || a !== a ? a : b);
    case 'minimum': return (a, b) => (a <= b || a !== a ? a : b);
    case 'gt': return (a, b) => (a > b ? 1 : 0);
    case 'ge': return (a, b) => (a >= b ? 1 : 0);
    case 'lt': return (a, b) => (a < b ? 1 : 0);
    case 'le': return (a, b) => (a <= b ? 1 : 0);
    case 'eq': return (a, b) => (a === b ? 1 : 0);
  }
}

/**
 * Walks a multi-index over `shape` (row-major), calling `body(flat, offA, offB, offC)` with
 * offsets advanced by up to three stride vectors. Collapsing the innermost axis into a tight
 * loop keeps the reference reasonably fast for broadcasting.
 */
function forEachStrided(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  inner: (flat: number, len: number, offs: number[], innerStrides: number[]) => void,
): void {
  const nd = shape.length;
  const nS = strides.length;
  if (nd === 0) {
    inner(0, 1, new Array(nS).fill(0), new Array(nS).fill(0));
    return;
  }
  for (const d of shape) if (d === 0) return;
  const last = nd - 1;
  const len = shape[last];
  const innerStrides = strides.map((s) => s[last]);
  const idx = new Array(nd - 1).fill(0);
  const offs = new Array(nS).fill(0);
  let flat = 0;
  for (;;) {
    inner(flat, len, offs, innerStrides);
    flat += len;
    let ax = last - 1;
    while (ax >= 0) {
      idx[ax]++;
      for (let s = 0; s < nS; s++) offs[s] += strides[s][ax];
      if (idx[ax] < shape[ax]) break;
      for (let s = 0; s < nS; s++) offs[s] -= strides[s][ax] * shape[ax];
      idx[ax] = 0;
      ax--;
    }
    if (ax < 0) return;
  }
}

/** Mean and 1 / sqrt(variance + eps) of the row of n values at offset o (float64). */
function rowMeanRstd(xv: ArrayLike<number>, o: number, n: number, eps: number): [number, number] {
  let s = 0;
  for (let i = 0; i < n; i++) s += xv[o + i];
  const mu = s / n;
  let q = 0;
  for (let i = 0; i < n; i++) q += (xv[o + i] - mu) ** 2;
  return [mu, 1 / Math.sqrt(q / n + eps)];
}

/** The reference kernels, usable on any backend's buffers through `view()`. */
export const jsKernels = {
  fill(out: DataBuffer, value: number): void {
    out.view().fill(value);
  },

  write(out: DataBuffer, data: ArrayLike<number>, offset = 0): void {
    out.view().set(data, offset);
  },

  unary(op: UnaryOp, x: DataBuffer, out: DataBuffer, p0 = 0, p1 = 0): void {
    const { f } = UNARY_MATH[op];
    const xv = x.view();
    const ov = out.view();
    for (let i = 0; i < xv.length; i++) ov[i] = f(xv[i], p0, p1);
  },

  unaryGrad(op: UnaryOp, x: DataBuffer, y: DataBuffer, g: DataBuffer, out: DataBuffer, p0 = 0, p1 = 0): void {
    const { df } = UNARY_MATH[op];
    const xv = x.view();
    const yv = y.view();
    const gv = g.view();
    const ov = out.view();
    for (let i = 0; i < xv.length; i++) ov[i] = gv[i] * df(xv[i], yv[i], p0, p1);
  },

  binary(
    op: BinaryOp, a: DataBuffer, b: DataBuffer, out: DataBuffer,
    shape: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void {
    const f = binaryFn(op);
    const av = a.view();
    const bv = b.view();
    const ov = out.view();
    forEachStrided(shape, [aStrides, bStrides], (flat, len, [oa, ob], [sa, sb]) => {
      for (let i = 0; i < len; i++) ov[flat + i] = f(av[oa + i * sa], bv[ob + i * sb]);
    });
  },

  where(
    cond: DataBuffer, a: DataBuffer, b: DataBuffer, out: DataBuffer, shape: readonly number[],
    condStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void {
    const cv = cond.view();
    const av = a.view();
    const bv = b.view();
    const ov = out.view();
    forEachStrided(shape, [condStrides, aStrides, bStrides], (flat, len, [oc, oa, ob], [sc, sa, sb]) => {
      for (let i = 0; i < len; i++) ov[flat + i] = cv[oc + i * sc] !== 0 ? av[oa + i * sa] : bv[ob + i * sb];
    });
  },

  matmul(
    a: DataBuffer, b: DataBuffer, out: DataBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
    accumulate = false,
  ): void {
    const av = a.view();
    const bv = b.view();
    const cv = out.view();
    // A(i,p) and B(p,j) strides for the four layouts.
    const aRow = transA ? 1 : k;
    const aCol = transA ? m : 1;
    const bRow = transB ? 1 : n;
    const bCol = transB ? k : 1;
    for (let t = 0; t < batch; t++) {
      const ao = t * aBatchStride;
      const bo = t * bBatchStride;
      const co = t * m * n;
      if (!accumulate) cv.fill(0, co, co + m * n);
      // i-p-j order: the inner loop runs along a row of B and C.
      for (let i = 0; i < m; i++) {
        const cRow = co + i * n;
        for (let p = 0; p < k; p++) {
          const aip = av[ao + i * aRow + p * aCol];
          const bBase = bo + p * bRow;
          for (let j = 0; j < n; j++) cv[cRow + j] += aip * bv[bBase + j * bCol];
        }
      }
    }
  },

  reduce(op: ReduceOp, x: DataBuffer, out: DataBuffer, outer: number, mid: number, inner: number): void {
    const xv = x.view();
    const ov = out.view();
    for (let o = 0; o < outer; o++) {
      const base = o * mid * inner;
      const ob = o * inner;
      if (op === 'sum') {
        for (let i = 0; i < inner; i++) ov[ob + i] = 0;
        for (let r = 0; r < mid; r++) {
          const row = base + r * inner;
          for (let i = 0; i < inner; i++) ov[ob + i] += xv[row + i];
        }
      } else {
        for (let i = 0; i < inner; i++) ov[ob + i] = xv[base + i];
        for (let r = 1; r < mid; r++) {
          const row = base + r * inner;
          if (op === 'max') {
            for (let i = 0; i < inner; i++) if (xv[row + i] > ov[ob + i] || xv[row + i] !== xv[row + i]) ov[ob + i] = xv[row + i];
          } else {
            for (let i = 0; i < inner; i++) if (xv[row + i] < ov[ob + i] || xv[row + i] !== xv[row + i]) ov[ob + i] = xv[row + i];
          }
        }
      }
    }
  },

  copyStrided(
    src: DataBuffer, srcOffset: number, srcStrides: readonly number[],
    dst: DataBuffer, dstOffset: number, shape: readonly number[],
  ): void {
    const sv = src.view();
    const dv = dst.view();
    forEachStrided(shape, [srcStrides], (flat, len, [os], [ss]) => {
      const o = srcOffset + os;
      const d = dstOffset + flat;
      if (ss === 1) dv.set(sv.subarray(o, o + len), d);
      else for (let i = 0; i < len; i++) dv[d + i] = sv[o + i * ss];
    });
  },

  addStrided(
    src: DataBuffer, dst: DataBuffer, dstOffset: number, dstStrides: readonly number[], shape: readonly number[],
  ): void {
    const sv = src.view();
    const dv = dst.view();
    forEachStrided(shape, [dstStrides], (flat, len, [od], [sd]) => {
      const o = dstOffset + od;
      for (let i = 0; i < len; i++) dv[o + i * sd] += sv[flat + i];
    });
  },

  gatherRows(x: DataBuffer, index: Int32Array, out: DataBuffer, rowSize: number): void {
    const xv = x.view();
    const ov = out.view();
    for (let r = 0; r < index.length; r++) {
      const s = index[r] * rowSize;
      ov.set(xv.subarray(s, s + rowSize), r * rowSize);
    }
  },

  scatterAddRows(g: DataBuffer, index: Int32Array, out: DataBuffer, rowSize: number): void {
    const gv = g.view();
    const ov = out.view();
    for (let r = 0; r < index.length; r++) {
      const d = index[r] * rowSize;
      const s = r * rowSize;
      for (let i = 0; i < rowSize; i++) ov[d + i] += gv[s + i];
    }
  },

  /**
   * Adam (Kingma & Ba): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²;
   * p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
   * AdamW (Loshchilov & Hutter) first decays p *= 1 - lr wd; Adam adds wd p to g instead.
   */
  adam(p: DataBuffer, g: DataBuffer, m: DataBuffer, v: DataBuffer, h: AdamParams): void {
    const pv = p.view();
    const gv = g.view();
    const mv = m.view();
    const vv = v.view();
    const { bc1, bc2, decay, l2 } = adamCoefficients(h);
    for (let i = 0; i < pv.length; i++) {
      const gi = gv[i] + l2 * pv[i];
      const mi = h.beta1 * mv[i] + (1 - h.beta1) * gi;
      const vi = h.beta2 * vv[i] + (1 - h.beta2) * gi * gi;
      mv[i] = mi;
      vv[i] = vi;
      pv[i] = pv[i] * decay - (h.lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + h.eps);
    }
  },

  lerp(dst: DataBuffer, src: DataBuffer, t: number): void {
    const dv = dst.view();
    const sv = src.view();
    for (let i = 0; i < dv.length; i++) dv[i] += t * (sv[i] - dv[i]);
  },

  /**
   * A dropout mask on a view (Backend.bernoulliMask): Rng.fillBernoulliMask from the given state, with
   * p = threshold / 2^24 (exact, so (draw >>> 8) / 2^24 < p is (draw >>> 8) < threshold). The fallback of
   * a backend whose kernel gets another backend's buffer; JsBackend draws through Rng directly.
   */
  bernoulliMask(out: DataBuffer, state: Uint32Array, threshold: number, scale: number): void {
    const rng = new Rng(0);
    rng.setState([state[0], state[1], state[2], state[3], null]);
    rng.fillBernoulliMask(out.view(), threshold / 16777216, scale);
    const s = rng.getState();
    for (let i = 0; i < 4; i++) state[i] = s[i] as number;
  },

  /**
   * Fused layer normalisation on views (Backend.layerNorm), in float64: the fallback of a backend whose
   * kernel gets another backend's buffers. JsBackend itself does not install it: its layerNormalize
   * stays the composed reference that the fused kernels are tested against.
   */
  layerNorm(x: DataBuffer, out: DataBuffer, rows: number, n: number, eps: number): void {
    const xv = x.view();
    const yv = out.view();
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      const [mu, rs] = rowMeanRstd(xv, o, n, eps);
      for (let i = 0; i < n; i++) yv[o + i] = (xv[o + i] - mu) * rs;
    }
  },

  layerNormGrad(x: DataBuffer, y: DataBuffer, g: DataBuffer, out: DataBuffer, rows: number, n: number, eps: number): void {
    const xv = x.view();
    const yv = y.view();
    const gv = g.view();
    const dv = out.view();
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      const rs = rowMeanRstd(xv, o, n, eps)[1];
      let sg = 0;
      let sgy = 0;
      for (let i = 0; i < n; i++) {
        sg += gv[o + i];
        sgy += gv[o + i] * yv[o + i];
      }
      for (let i = 0; i < n; i++) dv[o + i] = rs * (gv[o + i] - sg / n - yv[o + i] * (sgy / n));
    }
  },
};

export class JsBackend implements Backend {
  readonly name: string = 'js';
  supports(_dtype: DType): boolean {
    return true;
  }
  alloc(length: number, dtype: DType): DataBuffer {
    return new JsBuffer(this, dtype === 'float64' ? new Float64Array(length) : new Float32Array(length));
  }
  free(_buf: DataBuffer): void {
    // Garbage collected.
  }
  fill = jsKernels.fill;
  write = jsKernels.write;
  unary = jsKernels.unary;
  unaryGrad = jsKernels.unaryGrad;
  binary = jsKernels.binary;
  where = jsKernels.where;
  matmul = jsKernels.matmul;
  reduce = jsKernels.reduce;
  copyStrided = jsKernels.copyStrided;
  addStrided = jsKernels.addStrided;
  gatherRows = jsKernels.gatherRows;
  scatterAddRows = jsKernels.scatterAddRows;
  adam = jsKernels.adam;
  lerp = jsKernels.lerp;
}
