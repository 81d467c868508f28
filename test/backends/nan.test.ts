/**
 * NaN propagates by IEEE semantics (as PyTorch) through every kernel on every backend: an
 * elementwise op of a NaN is NaN (relu, maximum, minimum, clamp, sign and step included),
 * comparisons with a NaN are false (0), a reduction over a slice holding a NaN is NaN (max and
 * min too), a matrix product row that reads a NaN is NaN. One property per op, over ALL_BACKENDS.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BinaryOp, ReduceOp, UnaryOp } from '../../core/backend.js';
import { GpujsBackend } from '../../core/backends/gpujs/index.js';
import { WasmBackend } from '../../core/backends/wasm/index.js';
import { UNARY_OPS } from '../../core/ops/unary.js';
import { ALL_BACKENDS, put, release } from './helpers.js';

const BINARY_OPS: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq'];
const COMPARISONS: BinaryOp[] = ['gt', 'ge', 'lt', 'le', 'eq'];
/** p0 / p1 per op; pow's exponent is not 0 (IEEE pow(NaN, 0) = 1). */
const PARAMS: Partial<Record<UnaryOp, [number, number]>> = {
  pow: [3, 0], clamp: [-1, 1], scale: [0, 0], addScalar: [2, 0],
};

/** Values with NaNs among them (fixed sizes: gpu.js compiles a kernel per size). */
const withNaN = (n: number) => fc.array(
  fc.oneof(fc.constant(NaN), fc.float({ min: -3, max: 3, noNaN: true }), fc.constantFrom(0, -0, Infinity, -Infinity)),
  { minLength: n, maxLength: n },
);

// Let the event loop run between tests: this file is long and synchronous, and vitest's worker
// answers its RPC (60 s timeout) only from the event loop, which awaiting a test does not reach.
afterEach(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));

describe.each(ALL_BACKENDS)('NaN propagation: $name', ({ make, share }) => {
  const b = make();
  afterAll(() => {
    if (b instanceof GpujsBackend) b.destroy();
    if (b instanceof WasmBackend) b.closeThreads();
  });
  const runs = Math.max(5, Math.round(60 * share));

  for (const op of UNARY_OPS) {
    it(`${op}(NaN) is NaN`, () => {
      const [p0, p1] = PARAMS[op] ?? [0, 0];
      fc.assert(fc.property(withNaN(9), (xs) => {
        const x = put(b, xs);
        const out = b.alloc(xs.length, 'float32');
        b.unary(op, x, out, p0, p1);
        const v = out.view();
        for (let i = 0; i < xs.length; i++) if (Number.isNaN(xs[i])) expect(v[i], `${op}(NaN) at ${i}`).toBeNaN();
        release(x, out);
      }), { numRuns: runs });
    });
  }

  for (const op of BINARY_OPS) {
    const cmp = COMPARISONS.includes(op);
    it(`${op} with a NaN on either side is ${cmp ? '0 (false)' : 'NaN'}`, () => {
      fc.assert(fc.property(withNaN(9), withNaN(9), fc.boolean(), (as, bs, broadcast) => {
        // b either elementwise or one broadcast scalar (both kernel paths).
        const bvals = broadcast ? bs.slice(0, 1) : bs;
        const a = put(b, as);
        const bb = put(b, bvals);
        const out = b.alloc(as.length, 'float32');
        b.binary(op, a, bb, out, [as.length], [1], [broadcast ? 0 : 1]);
        const v = out.view();
        for (let i = 0; i < as.length; i++) {
          const y = bvals[broadcast ? 0 : i];
          if (!Number.isNaN(as[i]) && !Number.isNaN(y)) continue;
          if (cmp) expect(v[i], `${op}(${as[i]}, ${y})`).toBe(0);
          else expect(v[i], `${op}(${as[i]}, ${y})`).toBeNaN();
        }
        release(a, bb, out);
      }), { numRuns: runs });
    });
  }

  for (const op of ['sum', 'max', 'min'] as ReduceOp[]) {
    it(`${op} over a slice holding a NaN is NaN`, () => {
      fc.assert(fc.property(withNaN(24), fc.constantFrom<[number, number, number]>([1, 24, 1], [2, 12, 1], [1, 6, 4], [2, 3, 4]), (xs, [outer, mid, inner]) => {
        const x = put(b, xs);
        const out = b.alloc(outer * inner, 'float32');
        b.reduce(op, x, out, outer, mid, inner);
        const v = out.view();
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            let nan = false;
            for (let r = 0; r < mid; r++) nan ||= Number.isNaN(xs[(o * mid + r) * inner + i]);
            if (nan) expect(v[o * inner + i], `${op} [${outer},${mid},${inner}] at ${o},${i}`).toBeNaN();
          }
        }
        release(x, out);
      }), { numRuns: runs });
    });
  }

  it('matmul: a row of A holding a NaN gives a NaN row of C; relu epilogue keeps it', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 11 }), (k) => {
      // A [3 x 4] with one NaN at flat k, B [4 x 5] finite.
      const as = Array.from({ length: 12 }, (_, i) => (i === k ? NaN : (i % 5) - 2));
      const bs = Array.from({ length: 20 }, (_, i) => (i % 7) - 3);
      const a = put(b, as);
      const bb = put(b, bs);
      const out = b.alloc(15, 'float32');
      b.matmul(a, bb, out, 1, 3, 5, 4, false, false, 0, 0);
      const row = Math.floor(k / 4);
      for (let j = 0; j < 5; j++) expect(out.view()[row * 5 + j]).toBeNaN();
      if (b.matmulBiasAct) {
        b.matmulBiasAct(a, bb, null, out, 1, 3, 5, 4, false, false, 0, 0, 0, 'relu');
        for (let j = 0; j < 5; j++) expect(out.view()[row * 5 + j]).toBeNaN();
      }
      release(a, bb, out);
    }), { numRuns: 12 });
  });
});
