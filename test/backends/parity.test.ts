/**
 * Kernel parity: every backend over every kernel of the Backend interface, against the js
 * reference (whose unary kernels run core/ops/unary.ts `UNARY_MATH` as written), within float32
 * tolerance. One suite, `describe.each` over ALL_BACKENDS (like TF.js's ALL_ENVS): adding a
 * backend means adding it to that list. Backend-specific behaviour (memory pool, threads, modes,
 * kernel cache) stays in wasm.test.ts, wasm-threads.test.ts and gpujs.test.ts.
 *
 * gpu.js compiles one kernel per (op, sizes, strides), so its backends run a fraction of the
 * property runs (`runs`).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Backend, BinaryOp, DataBuffer, UnaryOp } from '../../core/backend.js';
import { JsBackend } from '../../core/backends/js.js';
import { WasmBackend } from '../../core/backends/wasm/index.js';
import { GpujsBackend } from '../../core/backends/gpujs/index.js';
import { broadcastStrides } from '../../core/shape.js';
import { UNARY_MATH } from '../../core/ops/unary.js';
import { ALL_BACKENDS, data, expectClose as closeWithin, operand, put, release, rowMajor } from './helpers.js';

const SIZES = [1, 3, 7, 17, 255, 257];
const RTOL = 1e-5;
const ATOL = 1e-7;
const RUNS = 12;

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
const BINARY_OPS: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq'];



const dimArb = fc.constantFrom(1, 2, 3, 4, 7, 17);
const shapeArb = fc.array(dimArb, { minLength: 1, maxLength: 4 }).filter((s) => s.reduce((a: number, b: number) => a * b, 1) <= 5000);

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const floats = (n: number, lo: number, hi: number) =>
  fc.array(fc.float({ min: Math.fround(lo), max: Math.fround(hi), noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

const FIXED_SIZES = [1, 3, 7, 17, 257];
const POSITIVE: UnaryOp[] = ['log', 'sqrt', 'reciprocal', 'pow'];
/** [out shape, a shape, b shape] (numpy broadcasting), plus a transposed-a case below. */
const BROADCASTS: [number[], number[], number[]][] = [
  [[17], [17], [17]],
  [[257], [257], [1]],
  [[3, 7], [3, 7], [7]],
  [[3, 7], [3, 1], [3, 7]],
  [[2, 3, 7], [2, 3, 7], [3, 1]],
  [[7, 3, 17], [7, 1, 17], [1, 3, 1]],
  [[1], [1], [1]],
  [[257, 300], [257, 1], [300]],
];

// Let the event loop run between tests: this file is long and synchronous, and vitest's worker
// answers its RPC (60 s timeout) only from the event loop, which awaiting a test does not reach.
afterEach(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));

describe.each(ALL_BACKENDS)('kernel parity: $name', ({ make, share }) => {
  const w = make();
  const g = w;
  const j = new JsBackend();
  const jsb = j;
  afterAll(() => {
    if (w instanceof GpujsBackend) w.destroy();
    if (w instanceof WasmBackend) w.closeThreads();
  });
  const runs = (n: number): number => Math.max(2, Math.round(n * share));

  /** The backend's and the reference's buffers holding the same numbers. */
  function pair(xs: ArrayLike<number>): [DataBuffer, DataBuffer] {
    return [put(w, xs), put(j, xs)];
  }
  function outs(n: number, init?: ArrayLike<number>): [DataBuffer, DataBuffer] {
    return init ? pair(init) : [w.alloc(n, 'float32'), j.alloc(n, 'float32')];
  }
  function bufs(_b: Backend, xs: readonly number[]): [DataBuffer, DataBuffer] {
    return pair(xs);
  }
  function expectClose(
    a: DataBuffer, b: DataBuffer, rtol = 1e-5, atol = 1e-6, what = '', scale?: ArrayLike<number>,
  ): void {
    closeWithin(a, b, rtol, atol, what, scale, [w.name, 'js']);
  }
  function closeTo(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
    closeWithin(got, want, RTOL, ATOL, what, undefined, [w.name, 'js']);
  }

  it('the js reference runs UNARY_MATH as written (bit for bit, float32 storage)', () => {
    for (const op of UNARY_OPS) {
      const [lo, hi] = UNARY_DOMAIN[op];
      for (const [p0, p1] of PARAMS[op] ?? [[0, 0]]) {
        const xs = data(64, lo, hi, 5);
        const [, jx] = pair(xs);
        const [, jo] = outs(64);
        j.unary(op, jx, jo, p0, p1);
        const want = Float32Array.from(xs, (x) => UNARY_MATH[op].f(x, p0, p1));
        expect(Array.from(jo.view())).toEqual(Array.from(want));
        const gs = data(64, -2, 2, 6);
        const [, jg] = pair(gs);
        const [, jd] = outs(64);
        j.unaryGrad(op, jx, jo, jg, jd, p0, p1);
        const dwant = Float32Array.from(xs, (x, i) => gs[i] * UNARY_MATH[op].df(x, jo.view()[i], p0, p1));
        expect(Array.from(jd.view())).toEqual(Array.from(dwant));
      }
    }
  });

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
        { numRuns: runs(300) },
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
        { numRuns: runs(150) },
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
        { numRuns: runs(250) },
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
        { numRuns: runs(120) },
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
        { numRuns: runs(300) },
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
        { numRuns: runs(300) },
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
        { numRuns: runs(150) },
      );
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

  describe('fixed shapes (as gpu.js compiles one kernel per shape)', () => {
    it('unary matches js for every op', () => {
      const before = g instanceof GpujsBackend ? g.stats.native : 0;
      fc.assert(fc.property(
        fc.constantFrom(...UNARY_OPS), fc.constantFrom(...FIXED_SIZES), fc.integer({ min: 0, max: 1000 }),
        (op, n, seed) => {
          const lo = POSITIVE.includes(op) ? 0.25 : -4;
          const hi = op === 'pow' ? 2 : 4;
          const xs = fc.sample(floats(n, lo, hi), { seed, numRuns: 1 })[0];
          const p0 = op === 'pow' ? [2, 3, 5, -1, -3, 0.5][seed % 6] : op === 'clamp' ? -1.5 : 1.75;
          const p1 = 0.75;
          const [gx, jx] = bufs(g, xs);
          const go = g.alloc(n, 'float32');
          const jo = jsb.alloc(n, 'float32');
          g.unary(op, gx, go, p0, p1);
          jsb.unary(op, jx, jo, p0, p1);
          closeTo(go.view(), jo.view(), `unary ${op} p0=${p0} n=${n}`);
        },
      ), { numRuns: runs(60) });
      // Every op, including all pow exponents above, ran natively.
      for (const op of UNARY_OPS) {
        const [gx, jx] = bufs(g, [0.5, 1.5, 2.5]);
        const go = g.alloc(3, 'float32');
        const jo = jsb.alloc(3, 'float32');
        g.unary(op, gx, go, op === 'pow' ? 4 : 1, 2);
        jsb.unary(op, jx, jo, op === 'pow' ? 4 : 1, 2);
        closeTo(go.view(), jo.view(), `unary ${op}`);
      }
      if (g instanceof GpujsBackend) expect(g.stats.native - before).toBeGreaterThanOrEqual(runs(60) + UNARY_OPS.length);
    });

    it('unaryGrad matches js for every op', () => {
      fc.assert(fc.property(
        fc.constantFrom(...UNARY_OPS), fc.constantFrom(...FIXED_SIZES), fc.integer({ min: 0, max: 1000 }),
        (op, n, seed) => {
          const lo = POSITIVE.includes(op) ? 0.25 : -4;
          const hi = op === 'pow' ? 2 : 4;
          const [xs, gs] = fc.sample(fc.tuple(floats(n, lo, hi), floats(n, -2, 2)), { seed, numRuns: 1 })[0];
          const p0 = op === 'pow' ? [2, 3, 5, -1, -3][seed % 5] : op === 'clamp' ? -1.5 : 1.75;
          const p1 = 0.75;
          const [gx, jx] = bufs(g, xs);
          const jy = jsb.alloc(n, 'float32');
          jsb.unary(op, jx, jy, p0, p1);
          const [gy] = bufs(g, Array.from(jy.view()));
          const [gg, jg] = bufs(g, gs);
          const go = g.alloc(n, 'float32');
          const jo = jsb.alloc(n, 'float32');
          const fb = g instanceof GpujsBackend ? g.stats.fallback : 0;
          g.unaryGrad(op, gx, gy, gg, go, p0, p1);
          jsb.unaryGrad(op, jx, jy, jg, jo, p0, p1);
          if (g instanceof GpujsBackend) expect(g.stats.fallback).toBe(fb);
          closeTo(go.view(), jo.view(), `unaryGrad ${op} p0=${p0} n=${n}`);
        },
      ), { numRuns: runs(60) });
    });

    it('binary matches js, with broadcasting and strided inputs', () => {
      fc.assert(fc.property(
        fc.constantFrom(...BINARY_OPS), fc.integer({ min: 0, max: BROADCASTS.length }), fc.integer({ min: 0, max: 1000 }),
        (op, which, seed) => {
          let shape: number[];
          let aStrides: number[];
          let bStrides: number[];
          let aLen: number;
          let bLen: number;
          if (which === BROADCASTS.length) {
            // a stored as [7, 3] read transposed: out[3, 7] = aᵀ (op) b.
            shape = [3, 7];
            aStrides = [1, 3];
            bStrides = [7, 1];
            aLen = bLen = 21;
          } else {
            const [o, as, bs] = BROADCASTS[which];
            shape = o;
            aStrides = broadcastStrides(as, o);
            bStrides = broadcastStrides(bs, o);
            aLen = prod(as);
            bLen = prod(bs);
          }
          const n = prod(shape);
          // Small integers in halves make equalities and ties common for the comparisons.
          const [ad, bd] = fc.sample(fc.tuple(
            fc.array(fc.integer({ min: -6, max: 6 }).map((v) => v / 2), { minLength: aLen, maxLength: aLen }),
            fc.array(fc.integer({ min: -6, max: 6 }).map((v) => (v === 0 ? 0.25 : v / 2)), { minLength: bLen, maxLength: bLen }),
          ), { seed, numRuns: 1 })[0];
          const [ga, ja] = bufs(g, ad);
          const [gb, jb] = bufs(g, bd);
          const go = g.alloc(n, 'float32');
          const jo = jsb.alloc(n, 'float32');
          g.binary(op, ga, gb, go, shape, aStrides, bStrides);
          jsb.binary(op, ja, jb, jo, shape, aStrides, bStrides);
          closeTo(go.view(), jo.view(), `binary ${op} shape=${shape} a=${aStrides} b=${bStrides}`);
        },
      ), { numRuns: runs(40) });
    });

    it('binary on random floats matches js', () => {
      fc.assert(fc.property(
        fc.constantFrom<BinaryOp>('add', 'sub', 'mul', 'div', 'maximum'), fc.constantFrom(17, 257), fc.integer({ min: 0, max: 1000 }),
        (op, n, seed) => {
          const [ad, bd] = fc.sample(fc.tuple(floats(n, -4, 4), floats(n, 0.5, 4)), { seed, numRuns: 1 })[0];
          const [ga, ja] = bufs(g, ad);
          const [gb, jb] = bufs(g, bd);
          const go = g.alloc(n, 'float32');
          const jo = jsb.alloc(n, 'float32');
          g.binary(op, ga, gb, go, [n], [1], [1]);
          jsb.binary(op, ja, jb, jo, [n], [1], [1]);
          closeTo(go.view(), jo.view(), `binary ${op}`);
        },
      ), { numRuns: runs(RUNS) });
    });

    it('where matches js, with broadcasting', () => {
      fc.assert(fc.property(
        fc.integer({ min: 0, max: BROADCASTS.length - 1 }), fc.integer({ min: 0, max: 1000 }),
        (which, seed) => {
          const [o, cs, as] = BROADCASTS[which];
          const bs = which % 2 === 0 ? [1] : o;
          const n = prod(o);
          const [cd, ad, bd] = fc.sample(fc.tuple(
            fc.array(fc.constantFrom(0, 1, -2), { minLength: prod(cs), maxLength: prod(cs) }),
            floats(prod(as), -4, 4), floats(prod(bs), -4, 4),
          ), { seed, numRuns: 1 })[0];
          const [gc, jc] = bufs(g, cd);
          const [ga, ja] = bufs(g, ad);
          const [gb, jb] = bufs(g, bd);
          const go = g.alloc(n, 'float32');
          const jo = jsb.alloc(n, 'float32');
          const st = [broadcastStrides(cs, o), broadcastStrides(as, o), broadcastStrides(bs, o)] as const;
          g.where(gc, ga, gb, go, o, ...st);
          jsb.where(jc, ja, jb, jo, o, ...st);
          closeTo(go.view(), jo.view(), `where shape=${o}`);
        },
      ), { numRuns: runs(RUNS) });
    });

    // [batch, m, n, k, aBatchStride is 0?, bBatchStride is 0?]
    const MATMULS: [number, number, number, number, boolean, boolean][] = [
      [1, 1, 1, 1, false, false],
      [1, 3, 7, 17, false, false],
      [2, 7, 3, 17, false, true],
      [3, 3, 1, 7, true, false],
      [1, 17, 3, 257, false, false],
      [1, 7, 257, 3, false, false],
    ];

    it('matmul matches js: every layout, batching, broadcast batch, accumulate', () => {
      const before = g instanceof GpujsBackend ? g.stats.native : 0;
      fc.assert(fc.property(
        fc.constantFrom(...MATMULS), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 1000 }),
        ([batch, m, n, k, aShared, bShared], transA, transB, accumulate, seed) => {
          const aLen = (aShared ? 1 : batch) * m * k;
          const bLen = (bShared ? 1 : batch) * k * n;
          const cLen = batch * m * n;
          // Positive entries keep every dot product well-conditioned.
          const [ad, bd, cd] = fc.sample(fc.tuple(floats(aLen, 0.5, 2), floats(bLen, 0.5, 2), floats(cLen, -1, 1)), { seed, numRuns: 1 })[0];
          const [ga, ja] = bufs(g, ad);
          const [gb, jb] = bufs(g, bd);
          const [gc, jc] = bufs(g, cd);
          const aStride = aShared ? 0 : m * k;
          const bStride = bShared ? 0 : k * n;
          g.matmul(ga, gb, gc, batch, m, n, k, transA, transB, aStride, bStride, accumulate);
          jsb.matmul(ja, jb, jc, batch, m, n, k, transA, transB, aStride, bStride, accumulate);
          closeTo(gc.view(), jc.view(), `matmul ${batch}x${m}x${n}x${k} tA=${transA} tB=${transB} acc=${accumulate}`);
        },
      ), { numRuns: runs(40) });
      if (g instanceof GpujsBackend) expect(g.stats.native - before).toBe(runs(40));
    });
  });
});
