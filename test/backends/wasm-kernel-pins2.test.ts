/**
 * Pins of the wasm kernels (core/wasm/assembly) found by the third pass of the kernels' mutation audit
 * (see wasm-kernel-pins.test.ts and wasm-kernel-edges.test.ts for the earlier passes): code paths that
 * parity and the pinned FISOR bits reach only by chance or not at all.
 * - fill's scalar tail (n not a multiple of 4): before, only a two-thread mish-epilogue test saw it;
 * - tanh's switch point between its odd polynomial and the exp formula (TANH_SMALL = 0.625): 0.5 stayed
 *   within the 1.5-ulp bound of the grid test, but costs the polynomial's accuracy on [0.5, 0.625);
 * - pow's gradient at exponent 0 (the scalar kernel's `p0 == 0 ? 0 :` guard): x^0 has slope 0 at x = 0 too.
 */
import { describe, expect, it } from 'vitest';
import { WasmBackend } from '../../core/backends/wasm/index.js';
import { JsBackend } from '../../core/backends/js.js';
import { put, spelledZeros as spelled, worstUlp } from './helpers.js';

describe('wasm fill writes the value into every element, the SIMD body and the scalar tail', () => {
  const be = new WasmBackend({ threads: 1 });
  it('n = 1 .. 11 with values 2.5, -0 and NaN: every element is the value', () => {
    for (let n = 1; n <= 11; n++) {
      for (const value of [2.5, -0, NaN]) {
        const out = be.alloc(n, 'float32');
        be.write(out, new Array(n).fill(1));
        be.fill(out, value);
        expect(spelled(out.view()), `n ${n} value ${value}`).toEqual(spelled(new Array(n).fill(value)));
        be.free(out);
      }
    }
  });
});

describe('wasm tanh uses its odd polynomial on |x| < 0.625 (TANH_SMALL), where 1 - 2 / (e^{2|x|} + 1) would lose digits', () => {
  const be = new WasmBackend({ threads: 1 });
  it('on +-[0.3, 0.625): within 0.75 ulp of float64 tanh (the kernel measures 0.71; with the switch at 0.5 the exp branch exceeds this on [0.5, 0.625))', () => {
    const n = 20001;
    const xs = Float32Array.from({ length: 2 * n }, (_, i) => (i < n ? 1 : -1) * (0.3 + (0.325 * (i % n)) / n));
    const x = be.alloc(xs.length, 'float32');
    be.write(x, xs);
    const y = be.alloc(xs.length, 'float32');
    be.unary('tanh', x, y);
    const { worst, at } = worstUlp(y.view(), xs, Math.tanh);
    expect(worst, `${worst.toFixed(3)} ulp at x = ${at}`).toBeLessThanOrEqual(0.75);
    be.free(x);
    be.free(y);
  });
});

describe("wasm pow's gradient at exponent 0 is 0 (core/ops/unary.ts: p === 0 ? 0 : p x^(p-1)), not 0 * x^-1", () => {
  const js = new JsBackend();
  // x = 0 would give 0 * Inf = NaN, a negative x 0 * (1 / x) = -0.
  const xs = [0, -0, 1, -2, 3.5, -0.25, 0];
  const gs = [1, 1, 1, 1, 1, 1, 1];
  const run = (be: WasmBackend | JsBackend): (number | string)[] => {
    const x = put(be, xs);
    const y = put(be, xs.map(() => 1));
    const g = put(be, gs);
    const out = be.alloc(xs.length, 'float32');
    be.unaryGrad('pow', x, y, g, out, 0);
    const r = spelled(out.view());
    for (const d of [x, y, g, out]) be.free(d);
    return r;
  };
  for (const be of [new WasmBackend({ threads: 1 }), new WasmBackend({ threads: 1, fma: true })]) {
    it(`${be.name}: d/dx x^0 = 0 everywhere, x = 0 and x < 0 included (positive zeros, as the js reference)`, () => {
      expect(run(js)).toEqual(xs.map(() => 0));
      expect(run(be)).toEqual(xs.map(() => 0));
    });
  }
});
