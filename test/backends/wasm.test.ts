/**
 * Parity of the wasm backend's kernels with the js reference (float32 tolerance), called
 * directly through the Backend interface, plus the pool allocator's invariants.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Backend, BinaryOp, DataBuffer, UnaryOp } from '../../core/backend.js';
import { JsBackend } from '../../core/backends/js.js';
import { WasmBackend, wasmSimdAvailable } from '../../core/backends/wasm.js';

const w = new WasmBackend();
const j = new JsBackend();

const SIZES = [1, 3, 7, 17, 255, 257];

/** Deterministic pseudo-random float32 data in [lo, hi). */
function data(n: number, lo = -1, hi = 1, seed = n * 7919 + 17): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

function put(b: Backend, xs: ArrayLike<number>): DataBuffer {
  const buf = b.alloc(xs.length, 'float32');
  b.write(buf, xs);
  return buf;
}

/** Both backends' buffers holding the same numbers. */
function pair(xs: ArrayLike<number>): [DataBuffer, DataBuffer] {
  return [put(w, xs), put(j, xs)];
}

function outs(n: number, init?: ArrayLike<number>): [DataBuffer, DataBuffer] {
  return init ? pair(init) : [w.alloc(n, 'float32'), j.alloc(n, 'float32')];
}

/** Index of the first element where |a - b| > rtol |b| + atol (NaN must match NaN), or -1. */
function mismatch(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number, scale?: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(y)) {
      if (!Number.isNaN(x)) return i;
      continue;
    }
    if (x === y) continue;
    const s = scale ? scale[i] : Math.abs(y);
    if (!(Math.abs(x - y) <= rtol * s + atol)) return i;
  }
  return -1;
}

function expectClose(
  a: DataBuffer, b: DataBuffer, rtol = 1e-5, atol = 1e-6, what = '', scale?: ArrayLike<number>,
): void {
  const av = a.view();
  const bv = b.view();
  const i = mismatch(av, bv, rtol, atol, scale);
  if (i >= 0) {
    expect.fail(`${what}: element ${i} of ${bv.length}: wasm ${av[i]} vs js ${bv[i]}`);
  }
}

function release(...bufs: DataBuffer[]): void {
  for (const b of bufs) b.backend.free(b);
}

describe('wasm backend basics', () => {
  it('detects SIMD and reports float32 only', () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(w.supports('float32')).toBe(true);
    expect(w.supports('float64')).toBe(false);
    expect(() => w.alloc(4, 'float64')).toThrow();
  });

  it('write / fill / view', () => {
    for (const n of [0, ...SIZES]) {
      const b = w.alloc(n, 'float32');
      const xs = data(n);
      w.write(b, xs);
      expect(Array.from(b.view())).toEqual(Array.from(xs));
      w.fill(b, 2.5);
      expect(b.view().every((v) => v === 2.5)).toBe(true);
      if (n > 2) {
        w.write(b, [7, 8], 1);
        expect(b.view()[1]).toBe(7);
        expect(b.view()[2]).toBe(8);
      }
      w.free(b);
    }
  });
});

// Input domains where each op is well conditioned.
const UNARY_DOMAIN: Record<UnaryOp, [number, number]> = {
  copy: [-5, 5], neg: [-5, 5], exp: [-20, 20], log: [1e-3, 1e3], sqrt: [0, 100], square: [-5, 5],
  abs: [-5, 5], sign: [-5, 5], tanh: [-8, 8], sigmoid: [-30, 30], softplus: [-30, 30],
  relu: [-5, 5], mish: [-15, 15], sin: [-6, 6], cos: [-6, 6], pow: [0.1, 10], clamp: [-5, 5],
  scale: [-5, 5], addScalar: [-5, 5], reciprocal: [0.1, 10], step: [-5, 5],
};
const UNARY_OPS = Object.keys(UNARY_DOMAIN) as UnaryOp[];
const PARAMS: Partial<Record<UnaryOp, [number, number][]>> = {
  pow: [[2, 0], [3, 0], [0.5, 0], [-1.5, 0], [1, 0]],
  clamp: [[-1, 1], [0, 2.5]],
  scale: [[-2.5, 0], [0.3, 0]],
  addScalar: [[1.25, 0], [-3, 0]],
};

describe('unary and unaryGrad parity', () => {
  for (const op of UNARY_OPS) {
    it(op, () => {
      const [lo, hi] = UNARY_DOMAIN[op];
      for (const [p0, p1] of PARAMS[op] ?? [[0, 0]]) {
        for (const n of [...SIZES, 1024]) {
          const xs = data(n, lo, hi, n + op.length);
          // Make exact zeros / boundary points appear too.
          if (n > 4 && lo < 0) xs[1] = 0;
          const [wx, jx] = pair(xs);
          const [wo, jo] = outs(n);
          w.unary(op, wx, wo, p0, p1);
          j.unary(op, jx, jo, p0, p1);
          expectClose(wo, jo, 1e-5, 1e-6, `${op}(${p0},${p1}) n=${n}`);
          // Gradient: same y (the reference's) on both sides.
          const ys = jo.view();
          const gs = data(n, -2, 2, n * 3 + 1);
          const [wy, jy] = pair(ys);
          const [wg, jg] = pair(gs);
          const [wd, jd] = outs(n);
          w.unaryGrad(op, wx, wy, wg, wd, p0, p1);
          j.unaryGrad(op, jx, jy, jg, jd, p0, p1);
          expectClose(wd, jd, 1e-5, 2e-6, `grad ${op}(${p0},${p1}) n=${n}`);
          // In place (out === x).
          w.unary(op, wx, wx, p0, p1);
          expectClose(wx, jo, 1e-5, 1e-6, `${op} in place n=${n}`);
          release(wx, wo, wy, wg, wd);
        }
      }
    });
  }

  it('exp / log / tanh / sigmoid / softplus at the edges', () => {
    const xs = [0, -0, 1e-30, -1e-30, 1e-8, -1e-8, 88, 88.7, 89, 100, -87, -100, -104, -200, Infinity, -Infinity, NaN, 1e-40, 3e-39];
    for (const op of ['exp', 'tanh', 'sigmoid', 'softplus', 'mish', 'relu', 'abs', 'sign', 'step'] as UnaryOp[]) {
      const [wx, jx] = pair(xs);
      const [wo, jo] = outs(xs.length);
      w.unary(op, wx, wo);
      j.unary(op, jx, jo);
      expectClose(wo, jo, 1e-5, 1e-37, `${op} edges`);
    }
    const ls = [0, 1, 2, 0.5, 1e-38, 1e-40, 1e30, Infinity, -1, NaN, 1 + 2 ** -20];
    const [wx, jx] = pair(ls);
    const [wo, jo] = outs(ls.length);
    w.unary('log', wx, wo);
    j.unary('log', jx, jo);
    expectClose(wo, jo, 1e-5, 1e-6, 'log edges');
  });

  it('tanh near 0 keeps relative accuracy', () => {
    const xs = data(4096, -0.7, 0.7, 3);
    const [wx, jx] = pair(xs);
    const [wo, jo] = outs(xs.length);
    w.unary('tanh', wx, wo);
    j.unary('tanh', jx, jo);
    expectClose(wo, jo, 1e-5, 1e-9, 'tanh small');
  });
});

const BINARY_OPS: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq'];

function rowMajor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** An operand broadcast to `shape`: keeps the axes in `keep`, size 1 elsewhere. */
function operand(shape: readonly number[], keep: boolean[]): { len: number; strides: number[] } {
  const own = shape.map((s, d) => (keep[d] ? s : 1));
  const rm = rowMajor(own);
  return { len: own.reduce((a: number, b: number) => a * b, 1), strides: own.map((s, d) => (s === 1 ? 0 : rm[d])) };
}

const dimArb = fc.constantFrom(1, 2, 3, 4, 7, 17);
const shapeArb = fc.array(dimArb, { minLength: 1, maxLength: 4 }).filter((s) => s.reduce((a: number, b: number) => a * b, 1) <= 5000);

describe('binary parity (broadcasting)', () => {
  it('random shapes and broadcast patterns', () => {
    fc.assert(
      fc.property(
        shapeArb.chain((shape) => fc.tuple(
          fc.constant(shape),
          fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
          fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
          fc.constantFrom(...BINARY_OPS),
        )),
        ([shape, ka, kb, op]) => {
          const A = operand(shape, ka);
          const B = operand(shape, kb);
          const total = shape.reduce((a: number, b: number) => a * b, 1);
          // Small integers make comparisons hit equality too.
          const xa = data(A.len, -3, 3, A.len + 1).map(Math.round);
          const xb = data(B.len, 0.5, 3, B.len + 2).map((v, i) => (i % 2 ? Math.round(v) : v));
          const [wa, ja] = pair(xa);
          const [wb, jb] = pair(xb);
          const [wo, jo] = outs(total);
          w.binary(op, wa, wb, wo, shape, A.strides, B.strides);
          j.binary(op, ja, jb, jo, shape, A.strides, B.strides);
          expectClose(wo, jo, 1e-6, 0, `${op} ${JSON.stringify(shape)}`);
          release(wa, wb, wo);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fast paths: same shape, scalar, row broadcast, column broadcast at odd sizes', () => {
    for (const op of BINARY_OPS) {
      for (const m of [1, 3, 17, 255]) {
        for (const n of [1, 7, 257]) {
          const shape = [m, n];
          const cases: [number[], number[], number, number][] = [
            [[n, 1], [n, 1], m * n, m * n], // same shape
            [[n, 1], [0, 0], m * n, 1], // b scalar
            [[0, 0], [n, 1], 1, m * n], // a scalar
            [[n, 1], [0, 1], m * n, n], // bias row
            [[n, 1], [1, 0], m * n, m], // column
            [[0, 1], [1, 0], n, m], // outer
            [[1, m], [n, 1], m * n, m * n], // a transposed
          ];
          for (const [sa, sb, la, lb] of cases) {
            const [wa, ja] = pair(data(la, -2, 2, la));
            const [wb, jb] = pair(data(lb, 0.5, 2, lb + 5));
            const [wo, jo] = outs(m * n);
            w.binary(op, wa, wb, wo, shape, sa, sb);
            j.binary(op, ja, jb, jo, shape, sa, sb);
            expectClose(wo, jo, 1e-6, 0, `${op} [${m},${n}] ${sa}/${sb}`);
            release(wa, wb, wo);
          }
        }
      }
    }
  });

  it('NaN and signed-zero semantics of maximum / minimum / comparisons', () => {
    const a = [NaN, 1, NaN, -0, 0, Infinity, -Infinity, 2];
    const b = [1, NaN, NaN, 0, -0, 1, -1, 2];
    for (const op of BINARY_OPS) {
      const [wa, ja] = pair(a);
      const [wb, jb] = pair(b);
      const [wo, jo] = outs(a.length);
      w.binary(op, wa, wb, wo, [a.length], [1], [1]);
      j.binary(op, ja, jb, jo, [a.length], [1], [1]);
      expect(Array.from(wo.view()).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual(
        Array.from(jo.view()).map((v) => Object.is(v, -0) ? '-0' : v),
      );
    }
  });

  it('where with broadcasting', () => {
    fc.assert(
      fc.property(
        shapeArb.chain((shape) => fc.tuple(
          fc.constant(shape),
          fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
          fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
          fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
        )),
        ([shape, kc, ka, kb]) => {
          const C = operand(shape, kc);
          const A = operand(shape, ka);
          const B = operand(shape, kb);
          const total = shape.reduce((x: number, y: number) => x * y, 1);
          const xc = data(C.len, -1, 1, C.len + 9).map((v) => (v > 0 ? 1 : v < -0.5 ? NaN : 0));
          const [wc, jc] = pair(xc);
          const [wa, ja] = pair(data(A.len, -1, 1, 3));
          const [wb, jb] = pair(data(B.len, 5, 6, 4));
          const [wo, jo] = outs(total);
          w.where(wc, wa, wb, wo, shape, C.strides, A.strides, B.strides);
          j.where(jc, ja, jb, jo, shape, C.strides, A.strides, B.strides);
          expectClose(wo, jo, 0, 0, `where ${JSON.stringify(shape)}`);
          release(wc, wa, wb, wo);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('matmul parity', () => {
  function check(
    batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    bcA: boolean, bcB: boolean, acc: boolean,
  ): void {
    const aLen = m * k;
    const bLen = k * n;
    const xa = data(aLen * (bcA ? 1 : batch), -1, 1, aLen + 3);
    const xb = data(bLen * (bcB ? 1 : batch), -1, 1, bLen + 11);
    const [wa, ja] = pair(xa);
    const [wb, jb] = pair(xb);
    const c0 = data(batch * m * n, -1, 1, 5);
    const [wc, jc] = outs(batch * m * n, c0);
    const args = [batch, m, n, k, transA, transB, bcA ? 0 : aLen, bcB ? 0 : bLen, acc] as const;
    w.matmul(wa, wb, wc, ...args);
    j.matmul(ja, jb, jc, ...args);
    // Scale: sum |a||b| (+ |c0| when accumulating), from the reference on absolute values.
    const [, jaa] = pair(xa.map(Math.abs));
    const [, jba] = pair(xb.map(Math.abs));
    const [, js] = outs(batch * m * n, c0.map(Math.abs));
    j.matmul(jaa, jba, js, ...args);
    expectClose(wc, jc, 1e-5, 1e-6, `matmul b${batch} ${m}x${n}x${k} tA=${transA} tB=${transB} acc=${acc}`, js.view());
    release(wa, wb, wc);
  }

  it('random shapes, layouts, batch broadcast, accumulate', () => {
    const d = fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }), d, d, d, fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(),
        (batch, m, n, k, tA, tB, bcA, bcB, acc) => check(batch, m, n, k, tA, tB, bcA, bcB, acc),
      ),
      { numRuns: 250 },
    );
  });

  it('odd large sizes (255, 257) and K blocking (k > 256) in all layouts', () => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      check(1, 257, 255, 257, tA, tB, false, false, false);
      check(1, 255, 257, 300, tA, tB, false, false, true);
      check(2, 17, 255, 513, tA, tB, false, true, false);
    }
  });

  it('k = 0 gives zeros (or leaves C when accumulating)', () => {
    const [wa, wb] = [w.alloc(0, 'float32'), w.alloc(0, 'float32')];
    const wc = put(w, [1, 2, 3, 4]);
    w.matmul(wa, wb, wc, 1, 2, 2, 0, false, false, 0, 0, true);
    expect(Array.from(wc.view())).toEqual([1, 2, 3, 4]);
    w.matmul(wa, wb, wc, 1, 2, 2, 0, false, false, 0, 0);
    expect(Array.from(wc.view())).toEqual([0, 0, 0, 0]);
  });
});

describe('reduce parity', () => {
  it('random [outer, mid, inner]', () => {
    const d = fc.constantFrom(1, 2, 3, 4, 7, 16, 17, 33, 255, 257);
    fc.assert(
      fc.property(d, d, d, (outer, mid, inner) => {
        if (outer * mid * inner > 70000) return;
        const xs = data(outer * mid * inner, -1, 1, outer + mid * 3 + inner * 7);
        const abs = new Float32Array(outer * inner);
        for (let o = 0; o < outer; o++) {
          for (let r = 0; r < mid; r++) for (let i = 0; i < inner; i++) abs[o * inner + i] += Math.abs(xs[(o * mid + r) * inner + i]);
        }
        for (const op of ['sum', 'max', 'min'] as const) {
          const [wx, jx] = pair(xs);
          const [wo, jo] = outs(outer * inner);
          w.reduce(op, wx, wo, outer, mid, inner);
          j.reduce(op, jx, jo, outer, mid, inner);
          expectClose(wo, jo, op === 'sum' ? 1e-6 : 0, 0, `${op} ${outer}x${mid}x${inner}`, abs);
          release(wx, wo);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('max / min propagate NaN like the reference', () => {
    const xs = [1, NaN, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, NaN];
    for (const op of ['max', 'min'] as const) {
      for (const [outer, mid, inner] of [[1, 18, 1], [1, 1, 18], [2, 9, 1], [1, 2, 9], [1, 9, 2]]) {
        const [wx, jx] = pair(xs);
        const [wo, jo] = outs(outer * inner);
        w.reduce(op, wx, wo, outer, mid, inner);
        j.reduce(op, jx, jo, outer, mid, inner);
        expectClose(wo, jo, 0, 0, `${op} NaN`);
      }
    }
  });
});

describe('strided copies', () => {
  /** A random view of a base tensor: a permutation of its axes, maybe with expanded axes and a slice. */
  const viewArb = fc
    .array(fc.constantFrom(1, 2, 3, 4, 5, 7, 17), { minLength: 1, maxLength: 5 })
    .filter((s) => s.reduce((a: number, b: number) => a * b, 1) <= 6000)
    .chain((base) => fc.tuple(
      fc.constant(base),
      fc.shuffledSubarray(base.map((_, i) => i), { minLength: base.length, maxLength: base.length }),
      fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
      fc.integer({ min: 0, max: 5 }),
    ));

  it('copyStrided: transposes, expands, offsets', () => {
    fc.assert(
      fc.property(viewArb, ([base, perm, expand, off]) => {
        const rm = rowMajor(base);
        const shape = perm.map((p) => base[p]);
        const strides = perm.map((p, i) => (expand[i] ? 0 : rm[p]));
        const srcLen = off + base.reduce((a: number, b: number) => a * b, 1);
        const total = shape.reduce((a: number, b: number) => a * b, 1);
        const [ws, js] = pair(data(srcLen, -1, 1, srcLen));
        const dstOff = 3;
        const [wd, jd] = outs(total + dstOff + 2, new Float32Array(total + dstOff + 2).fill(-9));
        w.copyStrided(ws, off, strides, wd, dstOff, shape);
        j.copyStrided(js, off, strides, jd, dstOff, shape);
        expectClose(wd, jd, 0, 0, `copyStrided ${JSON.stringify(shape)} ${JSON.stringify(strides)}`);
        release(ws, wd);
      }),
      { numRuns: 300 },
    );
  });

  it('copyStrided: 2-D and batched transposes at odd sizes', () => {
    for (const [r, c] of [[1, 1], [3, 7], [4, 4], [17, 255], [257, 3], [64, 64], [255, 257]]) {
      for (const batch of [1, 3]) {
        const xs = data(batch * r * c, -1, 1, r + c);
        const [ws, js] = pair(xs);
        const [wd, jd] = outs(batch * r * c);
        // src is [batch, c, r]; dst is its transpose [batch, r, c].
        const shape = [batch, r, c];
        const strides = [r * c, 1, r];
        w.copyStrided(ws, 0, strides, wd, 0, shape);
        j.copyStrided(js, 0, strides, jd, 0, shape);
        expectClose(wd, jd, 0, 0, `transpose ${batch}x${r}x${c}`);
        release(ws, wd);
      }
    }
  });

  it('addStrided: permuted, sliced destinations', () => {
    fc.assert(
      fc.property(viewArb, ([base, perm, , off]) => {
        const rm = rowMajor(base);
        const shape = perm.map((p) => base[p]);
        const strides = perm.map((p) => rm[p]);
        const total = shape.reduce((a: number, b: number) => a * b, 1);
        const [ws, js] = pair(data(total, -1, 1, total));
        const init = data(total + off + 1, -1, 1, 99);
        const [wd, jd] = outs(total + off + 1, init);
        w.addStrided(ws, wd, off, strides, shape);
        j.addStrided(js, jd, off, strides, shape);
        expectClose(wd, jd, 0, 0, `addStrided ${JSON.stringify(shape)} ${JSON.stringify(strides)}`);
        release(ws, wd);
      }),
      { numRuns: 300 },
    );
  });
});

describe('rows, adam, lerp', () => {
  it('gatherRows / scatterAddRows with repeated indices', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, 3, 4, 7, 17, 255, 257),
        fc.array(fc.nat(), { minLength: 0, maxLength: 60 }),
        (rows, rowSize, raw) => {
          const index = Int32Array.from(raw.map((r) => r % rows));
          const xs = data(rows * rowSize, -1, 1, rows + rowSize);
          const [wx, jx] = pair(xs);
          const [wo, jo] = outs(index.length * rowSize);
          w.gatherRows(wx, index, wo, rowSize);
          j.gatherRows(jx, index, jo, rowSize);
          expectClose(wo, jo, 0, 0, 'gatherRows');
          const gs = data(index.length * rowSize, -1, 1, 5);
          const [wg, jg] = pair(gs);
          const init = data(rows * rowSize, -1, 1, 6);
          const [wa, ja] = outs(rows * rowSize, init);
          w.scatterAddRows(wg, index, wa, rowSize);
          j.scatterAddRows(jg, index, ja, rowSize);
          expectClose(wa, ja, 0, 0, 'scatterAddRows');
          release(wx, wo, wg, wa);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gatherRows rejects an out-of-range index', () => {
    const x = put(w, data(12));
    const out = w.alloc(4, 'float32');
    expect(() => w.gatherRows(x, Int32Array.from([3]), out, 4)).toThrow(RangeError);
    expect(() => w.gatherRows(x, Int32Array.from([-1]), out, 4)).toThrow(RangeError);
    release(x, out);
  });

  it('adam / adamw over several steps', () => {
    for (const n of SIZES) {
      for (const decoupled of [false, true]) {
        const [wp, jp] = pair(data(n, -1, 1, n));
        const [wm, jm] = pair(new Float32Array(n));
        const [wv, jv] = pair(new Float32Array(n));
        for (let step = 1; step <= 5; step++) {
          const [wg, jg] = pair(data(n, -1, 1, n * 31 + step));
          const h = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, step };
          w.adam(wp, wg, wm, wv, h);
          j.adam(jp, jg, jm, jv, h);
          release(wg);
        }
        expectClose(wp, jp, 1e-5, 1e-6, `adam p n=${n}`);
        expectClose(wm, jm, 1e-5, 1e-7, `adam m n=${n}`);
        expectClose(wv, jv, 1e-5, 1e-9, `adam v n=${n}`);
        release(wp, wm, wv);
      }
    }
  });

  it('lerp', () => {
    for (const n of SIZES) {
      const [wd, jd] = pair(data(n, -1, 1, n));
      const [ws, js] = pair(data(n, -1, 1, n + 1));
      w.lerp(wd, ws, 0.005);
      j.lerp(jd, js, 0.005);
      expectClose(wd, jd, 1e-6, 1e-7, `lerp n=${n}`);
      release(wd, ws);
    }
  });
});

describe('memory pool', () => {
  it('views stay right while memory grows under live buffers', () => {
    const b = new WasmBackend();
    const xs = data(1000);
    const live = put(b, xs);
    const before = b.memoryStats().memoryBytes;
    const oldView = live.view();
    const big = b.alloc(16 * 1024 * 1024, 'float32'); // 64 MiB: forces growth
    expect(b.memoryStats().memoryBytes).toBeGreaterThan(before);
    // A non-shared memory detaches its old ArrayBuffer; a shared one (2 threads) keeps the old
    // SharedArrayBuffer at its old length, still aliasing the same memory.
    if (b.threads === 1) expect(oldView.length).toBe(0);
    else expect(Array.from(oldView)).toEqual(Array.from(xs));
    expect(live.view() === oldView).toBe(false);
    expect(Array.from(live.view())).toEqual(Array.from(xs));
    // Kernels still see the right data after growth.
    const out = b.alloc(1000, 'float32');
    b.unary('neg', live, out);
    expect(Array.from(out.view())).toEqual(Array.from(xs, (v) => -v));
    b.fill(big, 1);
    expect(big.view()[16 * 1024 * 1024 - 1]).toBe(1);
    b.free(big);
    b.free(live);
    b.free(out);
  });

  it('free then alloc of the same size reuses the block; steady state does not grow the arena', () => {
    const b = new WasmBackend();
    const a1 = b.alloc(100, 'float32');
    const arena = b.memoryStats().arenaBytes;
    b.free(a1);
    const a2 = b.alloc(100, 'float32');
    expect(b.memoryStats().arenaBytes).toBe(arena);
    expect(b.memoryStats().pooledBlocks).toBe(0);
    b.free(a2);
    // A "training step" pattern.
    for (let step = 0; step < 3; step++) {
      const bufs = [17, 256, 256 * 17, 65536, 1].map((n) => b.alloc(n, 'float32'));
      for (const x of bufs) b.free(x);
      if (step === 0) continue;
    }
    const after = b.memoryStats().arenaBytes;
    for (let step = 0; step < 5; step++) {
      const bufs = [17, 256, 256 * 17, 65536, 1].map((n) => b.alloc(n, 'float32'));
      for (const x of bufs) b.free(x);
    }
    expect(b.memoryStats().arenaBytes).toBe(after);
  });

  it('double free and use after free are rejected', () => {
    const b = new WasmBackend();
    const x = b.alloc(8, 'float32');
    b.free(x);
    expect(() => b.free(x)).toThrow(/double free/);
    expect(() => x.view()).toThrow(/after free/);
    const y = b.alloc(8, 'float32');
    expect(() => b.unary('neg', x, y)).toThrow(/after free/);
    expect(() => b.free(j.alloc(8, 'float32'))).toThrow();
  });

  it('live blocks never overlap and are 16-byte aligned (random alloc / free sequences)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('alloc' as const), n: fc.constantFrom(0, 1, 3, 4, 5, 7, 16, 17, 255, 257, 4096) }),
            fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
          ),
          { minLength: 1, maxLength: 80 },
        ),
        (cmds) => {
          const b = new WasmBackend();
          const live: { buf: DataBuffer; id: number }[] = [];
          let nextId = 1;
          for (const c of cmds) {
            if (c.kind === 'alloc') {
              const buf = b.alloc(c.n, 'float32');
              const id = nextId++;
              b.fill(buf, id);
              live.push({ buf, id });
            } else if (live.length > 0) {
              const [x] = live.splice(c.pick % live.length, 1);
              b.free(x.buf);
            }
            for (const { buf, id } of live) {
              const v = buf.view();
              expect(v.byteOffset % 16).toBe(0);
              for (let i = 0; i < v.length; i++) if (v[i] !== id) expect.fail(`block ${id} was overwritten`);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('buffers of another backend fall back to the reference kernels', () => {
    const [wa, ja] = pair([1, 2, 3, 4]);
    const wo = w.alloc(4, 'float32');
    w.binary('add', wa, ja, wo, [4], [1], [1]);
    expect(Array.from(wo.view())).toEqual([2, 4, 6, 8]);
  });
});
