/**
 * Pins for the gpu.js backend's generated kernels (core/backends/gpujs/codegen.ts, backend.ts)
 * that the randomised parity suite reaches only by chance or not at all: every integer
 * exponent class of pow (and its gradient) on negative inputs, the boundary points of the
 * piecewise gradients, kernel-cache keys that differ only in a layout flag, the LRU order of
 * the cache, and the float index division of GL kernels under an inexact division. Expected
 * values are float64 formulas written here, not the js backend's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { GpujsBackend } from '../../core/backends/gpujs/index.js';
import { divmod, stridedIndexSource, unaryBody, unaryGradBody } from '../../core/backends/gpujs/codegen.js';
import { data, expectClose, put } from './helpers.js';

const MODES: [string, { mode?: string }][] = [['cpu', { mode: 'cpu' }], ['default', {}]];

describe.each(MODES)('gpujs kernels pinned (mode %s)', (_name, opts) => {
  const g = new GpujsBackend(opts);
  afterAll(() => g.destroy());
  const run = (xs: readonly number[], f: (x: DataBufferLike, o: DataBufferLike) => void): number[] => {
    const x = put(g, xs);
    const o = g.alloc(xs.length, 'float32');
    f(x, o);
    return Array.from(o.view());
  };

  it('pow: every integer exponent class, negative bases included, and its gradient p x^(p-1), natively', () => {
    const xs = [-2.5, -1.5, -1, -0.75, 0.5, 1, 1.25, 2];
    const gs = [0.5, -1, 2, 1.5, -0.25, 1, -2, 0.75];
    for (const p of [0, 1, 2, 3, 4, 5, 6, 7, -1, -2, -3, -4]) {
      const fb = g.stats.fallback;
      const y = run(xs, (x, o) => g.unary('pow', x, o, p));
      expectClose(y, xs.map((x) => x ** p), 1e-5, 0, `pow ${p}`);
      const x = put(g, xs);
      const yb = put(g, y);
      const gb = put(g, gs);
      const d = g.alloc(xs.length, 'float32');
      g.unaryGrad('pow', x, yb, gb, d, p);
      const want = xs.map((v, i) => (p === 0 ? 0 : gs[i] * p * v ** (p - 1)));
      expectClose(d, want, 1e-5, 0, `pow' ${p}`);
      expect(g.stats.fallback, `pow ${p} ran a kernel`).toBe(fb);
    }
    // x^0 = 1 and its gradient 0 at x = 0 (p x^(p-1) would be 0 * Inf = NaN).
    expect(run([0, -0, 3], (x, o) => g.unary('pow', x, o, 0))).toEqual([1, 1, 1]);
    const z = put(g, [0, 2]);
    const d = g.alloc(2, 'float32');
    g.unaryGrad('pow', z, put(g, [1, 1]), put(g, [3, 3]), d, 0);
    expect(Array.from(d.view())).toEqual([0, 0]);
    // sqrt for p = 0.5, natively too.
    const fb = g.stats.fallback;
    expectClose(run([0.25, 4, 9], (x, o) => g.unary('pow', x, o, 0.5)), [0.5, 2, 3], 1e-6, 0, 'pow 0.5');
    expect(g.stats.fallback).toBe(fb);
  });

  it('piecewise gradients at their boundary points: clamp (closed interval), relu, abs, step, sign', () => {
    const grad = (op: 'clamp' | 'relu' | 'abs' | 'step' | 'sign', xs: number[], p0 = 0, p1 = 0): number[] => {
      const x = put(g, xs);
      const y = g.alloc(xs.length, 'float32');
      g.unary(op, x, y, p0, p1);
      const d = g.alloc(xs.length, 'float32');
      g.unaryGrad(op, x, y, put(g, xs.map(() => 2)), d, p0, p1);
      return Array.from(d.view());
    };
    // d clamp(x; -1, 0.5) / dx = 1 on the closed interval [-1, 0.5] (UNARY_MATH.clamp.df).
    expect(grad('clamp', [-1.5, -1, 0, 0.5, 0.75], -1, 0.5)).toEqual([0, 2, 2, 2, 0]);
    expect(grad('relu', [-1, 0, 1])).toEqual([0, 0, 2]);
    expect(grad('abs', [-1, 0, 1])).toEqual([-2, 0, 2]);
    expect(grad('step', [-1, 0, 1])).toEqual([0, 0, 0]);
    expect(grad('sign', [-1, 0, 1])).toEqual([0, 0, 0]);
    expect(run([-1, 0, 1], (x, o) => g.unary('step', x, o))).toEqual([0, 0, 1]);
    expect(run([-3, 0, 2], (x, o) => g.unary('sign', x, o))).toEqual([-1, 0, 1]);
    expect(run([-3, -1, 0.5, 1, 2], (x, o) => g.unary('clamp', x, o, -1, 1))).toEqual([-1, -1, 0.5, 1, 1]);
  });

  it('binary and where read strided rank-1 and doubly transposed rank-2 operands at their strides', () => {
    const A = Array.from(data(40, -2, 2, 21));
    const B = Array.from(data(40, 0.5, 2, 22));
    const C = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    // [shape, a strides, b strides]: every offset computed here as sum index * stride.
    const cases: [number[], number[], number[]][] = [
      [[7], [2], [3]], // rank 1, neither contiguous
      [[7], [2], [1]],
      [[3, 5], [1, 3], [1, 3]], // both operands transposed
      [[3, 5], [1, 4], [1, 3]],
    ];
    for (const [shape, sa, sb] of cases) {
      const n = shape.reduce((x, y) => x * y, 1);
      const off = (idx: number, st: number[]): number =>
        (shape.length === 1 ? idx * st[0] : Math.floor(idx / shape[1]) * st[0] + (idx % shape[1]) * st[1]);
      const o = g.alloc(n, 'float32');
      g.binary('sub', put(g, A), put(g, B), o, shape, sa, sb);
      const want = Array.from({ length: n }, (_, i) => Math.fround(A[off(i, sa)]) - Math.fround(B[off(i, sb)]));
      expectClose(o, want, 1e-6, 0, `sub shape=${shape} a=${sa} b=${sb}`);
      const w = g.alloc(n, 'float32');
      g.where(put(g, C), put(g, A), put(g, B), w, shape, sb, sa, sb);
      const wantW = Array.from({ length: n }, (_, i) => Math.fround(C[off(i, sb)] !== 0 ? A[off(i, sa)] : B[off(i, sb)]));
      expectClose(w, wantW, 0, 0, `where shape=${shape}`);
    }
  });

  it('binary and where kernels that differ only in one operand\'s strides or in the shape each get their own kernel', () => {
    const A = Array.from(data(12, -2, 2, 31));
    const B = Array.from(data(12, 0.5, 2, 32));
    const C = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 0 : 1));
    const at = (xs: number[], shape: number[], st: number[], i: number): number =>
      xs[Math.floor(i / shape[1]) * st[0] + (i % shape[1]) * st[1]];
    // Run in sequence on one backend: each pair shares every other part of the cache key.
    const cases: [number[], number[], number[]][] = [
      [[3, 4], [1, 3], [4, 1]], [[3, 4], [1, 3], [1, 3]], // b's strides differ
      [[3, 4], [4, 1], [1, 3]], // a's strides differ from the one before
      [[2, 6], [1, 2], [0, 1]], [[6, 2], [1, 2], [0, 1]], // the shape differs
    ];
    for (const [shape, sa, sb] of cases) {
      const o = g.alloc(12, 'float32');
      g.binary('sub', put(g, A), put(g, B), o, shape, sa, sb);
      expectClose(o, A.map((_, i) => at(A, shape, sa, i) - at(B, shape, sb, i)), 1e-6, 0, `sub ${shape} ${sa} ${sb}`);
      const w = g.alloc(12, 'float32');
      g.where(put(g, C), put(g, A), put(g, B), w, shape, sb, sa, sb);
      expectClose(w, A.map((_, i) => (at(C, shape, sb, i) !== 0 ? at(A, shape, sa, i) : at(B, shape, sb, i))), 0, 0, `where ${shape}`);
    }
  });

  it('matmul kernels that differ only in a layout flag, accumulate or batch stride give each its own product', () => {
    const [batch, m, n, k] = [2, 3, 4, 5];
    const A = data(batch * m * k, -1, 1, 11);
    const B = data(batch * k * n, -1, 1, 12);
    const C0 = data(batch * m * n, -1, 1, 13);
    const at = (M: Float32Array, base: number, r: number, c: number, rows: number, cols: number, t: boolean): number =>
      (t ? M[base + c * rows + r] : M[base + r * cols + c]);
    for (const acc of [false, true]) {
      for (const [sa, sb] of [[m * k, k * n], [0, k * n], [m * k, 0]]) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const c = put(g, C0);
            g.matmul(put(g, A), put(g, B), c, batch, m, n, k, tA, tB, sa, sb, acc);
            const want: number[] = [];
            for (let t = 0; t < batch; t++) {
              for (let i = 0; i < m; i++) {
                for (let j = 0; j < n; j++) {
                  let s = acc ? C0[(t * m + i) * n + j] : 0;
                  for (let p = 0; p < k; p++) s += at(A, t * sa, i, p, m, k, tA) * at(B, t * sb, p, j, k, n, tB);
                  want.push(s);
                }
              }
            }
            expectClose(c, want, 1e-5, 1e-6, `matmul tA=${tA} tB=${tB} strides=${sa},${sb} acc=${acc}`);
          }
        }
      }
    }
    // batch 1 on the same buffers: a kernel of its own (its output has half the size).
    const c1 = put(g, C0.subarray(0, m * n));
    g.matmul(put(g, A), put(g, B), c1, 1, m, n, k, false, false, m * k, k * n, false);
    const want1: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
        want1.push(s);
      }
    }
    expectClose(c1, want1, 1e-5, 1e-6, 'matmul batch 1');
  });
});

type DataBufferLike = Parameters<GpujsBackend['free']>[0];

describe('gpujs kernel cache order', () => {
  it('a cache hit makes a kernel the most recently used: the least recently used one is evicted', () => {
    const g = new GpujsBackend({ mode: 'cpu', cacheSize: 2 });
    const run = (n: number): void => {
      const o = g.alloc(n, 'float32');
      g.unary('scale', put(g, new Array(n).fill(1)), o, 3);
      expect(Array.from(o.view())).toEqual(new Array(n).fill(3));
    };
    run(1);
    run(2);
    run(1); // hit: 1 is now newer than 2
    run(3); // evicts 2
    expect(g.stats.compiled).toBe(3);
    run(1); // still cached
    expect(g.stats.compiled).toBe(3);
    run(2); // was evicted: compiled again
    expect(g.stats.compiled).toBe(4);
    // The cpu kernel's destroy() leaves it in gpu.js's own list: eviction must drop it there too.
    expect((g as unknown as { gpu: { kernels: unknown[] } }).gpu.kernels.length).toBeLessThanOrEqual(2);
    g.destroy();
  });
});

// -------------------------------------------------------------------------------------------
// The float index arithmetic of GL kernels, run here with a division that is off by up to
// 2.5 float32 ulps (GLSL's bound) and rounds its numerator to float32 (as a GPU would).

/** One float32 ulp of |v| (v a normal float32). */
const ulp32 = (v: number): number => 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);

/**
 * A float32 division a / b wrong by `e` ulps (|e| <= 2.5, GLSL's bound): the float32 value
 * farthest from the exact quotient in that direction that stays within |e| ulps of it.
 */
function inexactDiv(e: number): (a: number, b: number) => number {
  return (a, b) => {
    const x = Math.fround(a) / b;
    if (x === 0 || e === 0) return Math.fround(x);
    const y = x + e * ulp32(x);
    const u = ulp32(y);
    return e > 0 ? Math.floor(y / u) * u : Math.ceil(y / u) * u;
  };
}
const ERRORS = [-2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5];

/** The generated statements with `(num) / den` routed through `div`, which must match once. */
function withDiv(src: string): string {
  let hits = 0;
  const out = src.replace(/\(([^()]+)\) \/ ([\w.]+)/g, (_m, num: string, den: string) => {
    hits++;
    return `div(${num}, ${den})`;
  });
  expect(hits).toBeGreaterThan(0);
  return out;
}

describe('gpujs index arithmetic under an inexact float division', () => {
  // Above a quotient of 2^21, 2.5 ulps plus the float32 rounding of rem + 0.5 put the quotient off
  // by up to 5 (divmod(12582911, 3) with the division 2 ulps high gave [4194304, -1] with one
  // correction each way; divmod(16777215, 1) still failed with four): divmod corrects five times
  // each way, so every rem < 2^24 is exact.
  it('divmod gives floor(rem / den) and rem mod den (rem < 2^24) for any division within 2.5 ulps', () => {
    const src = withDiv(divmod('q', 'rem', 'den'));
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const f = new Function('rem', 'den', 'div', `${src} return [q, rem];`) as
      (rem: number, den: number, div: (a: number, b: number) => number) => [number, number];
    let checked = 0;
    for (const den of [1, 2, 3, 7, 255, 257, 4096, 65535, 1_000_003, 4_194_305, 6_291_455, 8_388_607, 8_388_611, 16_777_215]) {
      const top = Math.floor((2 ** 24 - 1) / den);
      const qs = new Set([0, 1, 2, 2 ** 21 - 1, 2 ** 21, 3 * 2 ** 21, 2 ** 23, Math.floor(top / 2), top - 1, top].filter((q) => q >= 0 && q <= top));
      for (const q of qs) {
        for (const r of [-1, 0, 1, den - 1]) {
          const rem = q * den + r;
          if (rem < 0 || rem >= 2 ** 24) continue;
          for (const e of ERRORS) {
            const [gq, gr] = f(rem, den, inexactDiv(e));
            if (gq !== Math.floor(rem / den) || gr !== rem % den) {
              expect.fail(`divmod(${rem}, ${den}) with the division off by ${e} ulp: got [${gq}, ${gr}], want [${Math.floor(rem / den)}, ${rem % den}]`);
            }
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('stridedIndexSource decodes the flat index into each operand offset (rank 3, broadcast and transposed operands)', () => {
    const shape = [5, 3, 7];
    const strides = [[21, 7, 1], [0, 1, 0], [1, 0, 5]];
    const constants: Record<string, number> = {};
    const src = withDiv(stridedIndexSource(shape, ['a', 'b', 'c'], strides, constants));
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const f = new Function('div', `${src} return [aOff, bOff, cOff];`) as (div: (a: number, b: number) => number) => number[];
    for (const e of ERRORS) {
      const div = inexactDiv(e);
      for (let idx = 0; idx < 105; idx++) {
        const [i0, i1, i2] = [Math.floor(idx / 21), Math.floor(idx / 7) % 3, idx % 7];
        const want = strides.map((s) => i0 * s[0] + i1 * s[1] + i2 * s[2]);
        expect(f.call({ thread: { x: idx }, constants }, div), `idx ${idx}, division off by ${e} ulp`).toEqual(want);
      }
    }
  });
});

describe('gpujs pow kernel bodies under GLSL semantics', () => {
  it('integer exponents never hand a negative base to pow (undefined in GLSL): the sign comes from the parity of the exponent', () => {
    // GLSL pow(x, y) is undefined for x < 0; model it as NaN.
    const glslMath = Object.assign(Object.create(Math) as typeof Math, { pow: (a: number, b: number): number => (a < 0 ? NaN : Math.pow(a, b)) });
    const xs = [-2.5, -1.5, -0.5, 0.5, 2];
    for (const e of [4, 5, 6, 7, -3, -4, -5, 8, 9]) {
      const body = unaryBody('pow', e);
      const grad = unaryGradBody('pow', e);
      expect(body, `pow ${e} has a kernel body`).not.toBeNull();
      expect(grad, `pow' ${e} has a kernel body`).not.toBeNull();
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const f = new Function('xv', 'p0', 'Math', body!) as (x: number, p0: number, m: typeof Math) => number;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const df = new Function('xv', 'gv', 'p0', 'Math', grad!) as (x: number, g: number, p0: number, m: typeof Math) => number;
      for (const x of xs) {
        const want = x ** e;
        expect(Math.abs(f(x, e, glslMath) - want), `pow(${x}, ${e})`).toBeLessThanOrEqual(1e-12 * Math.abs(want));
        const dwant = 3 * e * x ** (e - 1);
        expect(Math.abs(df(x, 3, e, glslMath) - dwant), `pow'(${x}, ${e})`).toBeLessThanOrEqual(1e-12 * Math.abs(dwant));
      }
    }
  });
});
