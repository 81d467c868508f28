/**
 * Edges of the wasm kernels (core/wasm/assembly) that the parity and thread tests reach only by chance or
 * only within a tolerance (found by a mutation audit):
 * - a product split between the threads by batch items whose B is broadcast (bBS = 0): each thread must pack
 *   B for its first batch item (matmulPart's `t == t0`), not only for item 0, or a worker starting at item
 *   t0 > 0 multiplies by whatever its pack scratch held from an earlier product;
 * - the piecewise unary ops and their gradients at the break points (signed zeros, the clamp bounds), which
 *   tolerance-based parity cannot see: the same values as the js reference, signed zeros included.
 */
import { describe, expect, it } from 'vitest';
import type { DataBuffer } from '../../core/backend.js';
import { WasmBackend } from '../../core/backends/wasm/index.js';
import { JsBackend } from '../../core/backends/js.js';
import type { UnaryOp } from '../../core/backend.js';
import { data, put as putOn, spelledZeros as spelled } from './helpers.js';

const w1 = new WasmBackend({ threads: 1 });
const w2 = new WasmBackend({ threads: 2, threadMinMacs: 0 });

function put(b: WasmBackend, xs: Float32Array): DataBuffer {
  const buf = b.alloc(xs.length, 'float32');
  b.write(buf, xs);
  return buf;
}

/** `reps` times: a product with B `other`, then the one with B `xb` (broadcast over the batch); the latter's results. */
function products(
  b: WasmBackend, xa: Float32Array, xb: Float32Array, other: Float32Array,
  batch: number, m: number, n: number, k: number, reps: number,
): Float32Array[] {
  const a = put(b, xa);
  const bb = put(b, xb);
  const ob = put(b, other);
  const c = b.alloc(batch * m * n, 'float32');
  const out: Float32Array[] = [];
  for (let rep = 0; rep < reps; rep++) {
    b.matmul(a, ob, c, batch, m, n, k, false, false, m * k, 0);
    b.matmul(a, bb, c, batch, m, n, k, false, false, m * k, 0);
    out.push((c.view() as Float32Array).slice());
  }
  for (const x of [a, bb, ob, c]) b.free(x);
  return out;
}

describe('wasm two-thread split: batch items with a broadcast B', () => {
  it('every batch chunk packs B itself (a worker starting at item t0 > 0 does not reuse a stale pack)', () => {
    expect(w2.threadsActive).toBe(true);
    // m < 8 and n <= 8: one column panel and no row groups, so the product is split by batch items; k <= KC
    // (one K block, where B is packed once per chunk), many items so that the worker takes some.
    const [batch, m, n, k] = [128, 7, 8, 256];
    const xa = data(batch * m * k, -1, 1, 5);
    const xb = data(k * n, -1, 1, 6);
    const other = data(k * n, 2, 3, 7); // another B, whose panels stay in both threads' pack scratch
    const [one] = products(w1, xa, xb, other, batch, m, n, k, 1);
    // The single-thread result is the product (float64 reference, float32 rounding).
    for (let t = 0; t < batch; t++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += xa[(t * m + i) * k + p] * xb[p * n + j];
          expect(Math.abs(one[(t * m + i) * n + j] - s)).toBeLessThan(1e-4);
        }
      }
    }
    const two = products(w2, xa, xb, other, batch, m, n, k, 20);
    two.forEach((r, rep) => {
      for (let i = 0; i < r.length; i++) {
        if (r[i] !== one[i]) expect.fail(`repetition ${rep}: element ${i}: 2 threads ${r[i]} vs 1 thread ${one[i]}`);
      }
    });
    expect(two.length).toBe(20);
  });
});

describe('wasm piecewise unary ops at their break points (signed zeros, clamp bounds)', () => {
  const js = new JsBackend();
  // 11 values: two SIMD vectors and a scalar tail of 3.
  const xs = [-0, 0, -1, 1, NaN, 0.25, -0.25, 0.5, -0.5, -0, 0];
  const gs = [1, -1, 2, -2, 1, 3, -3, 1, -1, -1, 1];
  const cases: [UnaryOp, number, number][] = [
    ['relu', 0, 0], ['step', 0, 0], ['abs', 0, 0], ['sign', 0, 0], ['neg', 0, 0], ['clamp', -0.25, 0.5], ['clamp', 0, 0.25],
  ];
  for (const be of [new WasmBackend({ threads: 1 }), new WasmBackend({ threads: 1, fma: true })]) {
    for (const [op, p0, p1] of cases) {
      it(`${be.name}: ${op}(${p0}, ${p1}) and its gradient equal the js reference, signed zeros included`, () => {
        const run = (b: WasmBackend | JsBackend): { y: (number | string)[]; dx: (number | string)[] } => {
          const x = putOn(b, xs);
          const g = putOn(b, gs);
          const y = b.alloc(xs.length, 'float32');
          const dx = b.alloc(xs.length, 'float32');
          b.unary(op, x, y, p0, p1);
          b.unaryGrad(op, x, y, g, dx, p0, p1);
          const r = { y: spelled(y.view()), dx: spelled(dx.view()) };
          for (const d of [x, g, y, dx]) b.free(d);
          return r;
        };
        expect(run(be)).toEqual(run(js));
      });
    }
  }
});

describe('wasm max / min reductions keep the first of equal values (signed zeros), as the js reference', () => {
  const js = new JsBackend();
  // Each column and each row holds 0 and -0 in both orders, with NaN-free ties: [outer, mid, inner] layouts
  // through the contiguous (inner = 1), 16-column, 4-column and scalar-column paths.
  const shapes: [number, number, number][] = [[3, 9, 1], [2, 4, 21], [1, 5, 3]];
  for (const be of [new WasmBackend({ threads: 1 }), new WasmBackend({ threads: 1, fma: true })]) {
    for (const op of ['max', 'min'] as const) {
      it(`${be.name}: ${op} over ties of 0 and -0`, () => {
        for (const [outer, mid, inner] of shapes) {
          const xs = Array.from({ length: outer * mid * inner }, (_, i) => ((i * 7 + (i >> 2)) % 3 === 0 ? -0 : 0));
          const run = (b: WasmBackend | JsBackend): (number | string)[] => {
            const x = putOn(b, xs);
            const out = b.alloc(outer * inner, 'float32');
            b.reduce(op, x, out, outer, mid, inner);
            const r = spelled(out.view());
            b.free(x);
            b.free(out);
            return r;
          };
          const ref = run(js);
          expect(ref).toContain('-0');
          expect(ref).toContain(0);
          expect(run(be), `${op} [${outer}, ${mid}, ${inner}]`).toEqual(ref);
        }
      });
    }
  }
});

describe('wasm log and softplus where float32 loses digits (vs float64 formulas)', () => {
  for (const be of [new WasmBackend({ threads: 1 }), new WasmBackend({ threads: 1, fma: true })]) {
    it(`${be.name}: log at its specials: log(+Inf) = +Inf, log(0) = -Inf, log(-1) = NaN, log(denormal) finite`, () => {
      const xs = [Infinity, 0, -0, -1, 1e-40, 1, Math.E, 3.4e38];
      const x = putOn(be, xs);
      const y = be.alloc(xs.length, 'float32');
      be.unary('log', x, y);
      const v = Array.from(y.view());
      expect(v.slice(0, 4)).toEqual([Infinity, -Infinity, -Infinity, NaN]);
      const f32 = Float32Array.from(xs);
      for (let i = 4; i < xs.length; i++) expect(Math.abs(v[i] - Math.log(f32[i]))).toBeLessThan(1e-5 * Math.max(1, Math.abs(Math.log(f32[i]))));
      be.free(x);
      be.free(y);
    });

    it(`${be.name}: softplus(x) = log1p(e^x) to float32 precision far left, where 1 + e^x rounds (log1p, not log(1 + u))`, () => {
      const xs = [-5, -8, -10, -12, -14, -15, -16, -17, -30, 5, 10, 15];
      const x = putOn(be, xs);
      const y = be.alloc(xs.length, 'float32');
      be.unary('softplus', x, y);
      const v = y.view();
      xs.forEach((t, i) => {
        const ref = Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
        expect(Math.abs(v[i] - ref), `softplus(${t}) = ${v[i]}, float64 ${ref}`).toBeLessThan(1e-5 * ref);
      });
      be.free(x);
      be.free(y);
    });
  }
});
