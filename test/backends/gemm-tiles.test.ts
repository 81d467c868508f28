/**
 * The GEMM's tile height must never change a bit: every element sums its k terms in order from
 * zero, whether its row is computed in a 6 x 8 tile (wasm-fma), a 4 x 8 tile or alone (1 x 8).
 * So each row of a product equals the same row computed as a 1-row product, bit for bit, in every
 * layout, across K blocks (k > 256), with accumulation and with the fused bias + activation.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DataBuffer, FusedActivation } from '../../core/backend.js';
import { WasmBackend, relaxedSimdAvailable } from '../../core/backends/wasm/index.js';
import { data as seeded, put as putOn } from './helpers.js';

/** Deterministic data in [-1, 1) from a seed. */
const data = (n: number, seed: number): Float32Array => seeded(n, -1, 1, seed);

const backends: WasmBackend[] = [new WasmBackend({ threads: 1 })];
if (relaxedSimdAvailable()) backends.push(new WasmBackend({ threads: 1, fma: true }));

/** op(A) (m x k) op(B) (k x n) [+ C0] [+ bias, act]: the whole product, then each row alone. */
function rowsMatch(
  be: WasmBackend, m: number, n: number, k: number, tA: boolean, tB: boolean, acc: boolean, bias: boolean, act: FusedActivation | null,
): string | null {
  const xa = data(m * k, m * 31 + k + (tA ? 7 : 0)); // A stored (k x m) when tA
  const xb = data(k * n, n * 17 + k + 1);
  const xc = data(m * n, 5);
  const xbias = data(n, n + 3);
  const put = (xs: Float32Array): DataBuffer => putOn(be, xs);
  const run = (aData: Float32Array, rows: number, transA: boolean, c0: Float32Array): Float32Array => {
    const a = put(aData), b = put(xb), c = put(c0), bb = bias ? put(xbias) : null;
    if (act === null) be.matmul(a, b, c, 1, rows, n, k, transA, tB, 0, 0, acc);
    else be.matmulBiasAct(a, b, bb, c, 1, rows, n, k, transA, tB, 0, 0, 0, act);
    const r = (c.view() as Float32Array).slice();
    for (const x of [a, b, c]) be.free(x);
    if (bb) be.free(bb);
    return r;
  };
  const whole = run(xa, m, tA, xc);
  for (let i = 0; i < m; i++) {
    const row = new Float32Array(k);
    for (let p = 0; p < k; p++) row[p] = tA ? xa[p * m + i] : xa[i * k + p];
    const one = run(row, 1, false, xc.slice(i * n, (i + 1) * n));
    const u1 = new Uint32Array(one.buffer), uw = new Uint32Array(whole.buffer, i * n * 4, n);
    for (let j = 0; j < n; j++) {
      if (u1[j] !== uw[j]) return `${be.name} ${m}x${n}x${k} tA=${tA} tB=${tB} acc=${acc} bias=${bias} act=${act}: row ${i} col ${j}: ${whole[i * n + j]} vs ${one[j]} alone`;
    }
  }
  return null;
}

describe('GEMM tiles', () => {
  it('has the relaxed-SIMD build to test where the engine validates it (Node >= 20)', () => {
    expect(backends.map((b) => b.name)).toContain('wasm-fma');
  });

  for (const be of backends) {
    it(`${be.name}: each row of a product equals that row computed alone, bit for bit`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 27 }), fc.constantFrom(1, 6, 8, 9, 17, 40), fc.constantFrom(1, 5, 13, 64, 257, 300),
          fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.constantFrom<FusedActivation | null>(null, 'none', 'relu', 'tanh', 'mish'),
          (m, n, k, tA, tB, acc, bias, act) => {
            const msg = rowsMatch(be, m, n, k, tA, tB, acc && act === null, bias && act !== null, act);
            if (msg !== null) expect.fail(msg);
          },
        ),
        { numRuns: 150 },
      );
    });

    it(`${be.name} on two threads: stripes that start inside the product (row chunks) keep every row's bits`, () => {
      // threadMinMacs 0 splits every product; k <= 64 with m >= 8 goes by 4-row groups, so a thread's 6-row stripes
      // start at rows that are not multiples of 6. Held to the one-thread rows computed alone, as above.
      const be2 = new WasmBackend({ threads: 2, threadMinMacs: 0, fma: be.name === 'wasm-fma' });
      try {
        expect(be2.threadsActive, 'the worker thread should be running').toBe(true);
        for (const [m, k] of [[40, 13], [61, 64], [141, 17], [30, 300]] as const) {
          for (const tA of [false, true]) {
            const xa = data(m * k, m + k), xb = data(k * 24, k + 5);
            const run = (b: WasmBackend): Float32Array => {
              const a = putOn(b, xa), bb = putOn(b, xb), c = b.alloc(m * 24, 'float32');
              b.matmulBiasAct(a, bb, null, c, 1, m, 24, k, tA, false, 0, 0, 0, 'relu');
              const r = (c.view() as Float32Array).slice();
              for (const x of [a, bb, c]) b.free(x);
              return r;
            };
            const one = run(be), two = run(be2);
            const i = Array.from(new Uint32Array(two.buffer)).findIndex((u, j) => u !== new Uint32Array(one.buffer)[j]);
            expect(i, `${m}x24x${k} tA=${tA}: element ${i}`).toBe(-1);
            expect(rowsMatch(be, m, 24, k, tA, false, false, false, 'relu')).toBeNull();
          }
        }
      } finally {
        be2.closeThreads();
      }
    });

    it(`${be.name}: training-sized row counts (6-row stripes with 4-row and 1-row tails)`, () => {
      for (const m of [141, 256, 260, 261]) {
        for (const tA of [false, true]) {
          const msg = rowsMatch(be, m, 24, 260, tA, false, false, true, 'mish');
          expect(msg).toBeNull();
        }
      }
    });
  }
});
