/**
 * The fused layer-normalisation kernels (Backend.layerNorm / layerNormGrad; the wasm-fma backend uses them):
 * against the composed float64 reference (the js backend's layerNormalize op: mean, sub, square, pow, mul) for
 * the values and the vector-Jacobian product, at row lengths around the SIMD width; through the graph op, with
 * one and two threads (a row split between threads gives the single-thread bits). The plain 'wasm' backend has
 * no fused kernels: its op is the composed one, so its numbers are those before the kernels existed.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backendByName, layerNormalize, registerBackend, tensor, tidy, type Tensor } from '../../core/index.js';
import { WasmBackend } from '../../core/backends/wasm/index.js';
import { jsKernels } from '../../core/backends/js.js';
import { data, expectClose, put, release } from './helpers.js';

// Node 20 gets relaxed SIMD from the in-process flag (test/backends/wasm-threads.test.ts holds it to that).
const fmaOne = new WasmBackend({ threads: 1, fma: true });
const fmaTwo = new WasmBackend({ threads: 2, threadMinElements: 1, fma: true });
const BACKENDS: [string, WasmBackend][] = [['wasm-fma, 1 thread', fmaOne], ['wasm-fma, 2 threads', fmaTwo]];
// Tensors name their backend: register each instance under its label.
for (const [name, be] of BACKENDS) registerBackend(`layernorm-test ${name}`, () => be);

/** y and dx of the composed op on js (float64) for rows x n inputs. */
function reference(xs: Float32Array, gs: Float32Array, rows: number, n: number, eps: number): { y: number[]; dx: number[] } {
  return tidy(() => {
    const x = tensor(Float64Array.from(xs), { shape: [rows, n], dtype: 'float64', backend: 'js', requiresGrad: true });
    const y = layerNormalize(x, eps);
    y.backward(tensor(Float64Array.from(gs), { shape: [rows, n], dtype: 'float64', backend: 'js' }));
    return { y: y.toFlatArray(), dx: (x.grad as Tensor).toFlatArray() };
  });
}

describe.each(BACKENDS)('fused layerNorm: %s', (name, be) => {
  it('values and VJP equal the composed float64 reference (rows x n around the SIMD width)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 13, 64, 256, 257), fc.constantFrom(1e-6, 1e-5), (rows, n, eps) => {
        const xs = data(rows * n, -3, 3, rows * 131 + n);
        const gs = data(rows * n, -1, 1, rows * 7 + n + 5);
        const ref = reference(xs, gs, rows, n, eps);
        const x = put(be, xs);
        const g = put(be, gs);
        const y = be.alloc(rows * n, 'float32');
        const dx = be.alloc(rows * n, 'float32');
        be.layerNorm!(x, y, rows, n, eps);
        be.layerNormGrad!(x, y, g, dx, rows, n, eps);
        // n = 1: y = 0 exactly and dx = 0; otherwise float32 rounding of O(1) values.
        expectClose(y, ref.y, 1e-4, 1e-4, `y rows ${rows} n ${n}`);
        expectClose(dx, ref.dx, 1e-3, 2e-4 * Math.sqrt(n), `dx rows ${rows} n ${n}`);
        release(x, g, y, dx);
      }),
      { numRuns: 60 },
    );
  });

  it('the op uses the kernel: same bits as calling it, through forward and backward', () => {
    const rows = 37;
    const n = 19;
    const xs = data(rows * n, -2, 2, 3);
    const gs = data(rows * n, -1, 1, 4);
    const x = tensor(xs, { shape: [rows, n], backend: `layernorm-test ${name}`, requiresGrad: true });
    const y = layerNormalize(x, 1e-6);
    y.backward(tensor(gs, { shape: [rows, n], backend: `layernorm-test ${name}` }));
    const bx = put(be, xs);
    const bg = put(be, gs);
    const by = be.alloc(rows * n, 'float32');
    const bd = be.alloc(rows * n, 'float32');
    be.layerNorm!(bx, by, rows, n, 1e-6);
    be.layerNormGrad!(bx, by, bg, bd, rows, n, 1e-6);
    expect(Array.from(y.toFlatArray())).toEqual(Array.from(by.view()));
    expect(Array.from((x.grad as Tensor).toFlatArray())).toEqual(Array.from(bd.view()));
    release(bx, bg, by, bd);
  });
});

describe('fused layerNorm across threads', () => {
  it('rows split between two threads give the one-thread bits', () => {
    const one = fmaOne;
    const two = new WasmBackend({ threads: 2, threadMinElements: 1, fma: true });
    expect(two.threadsActive).toBe(true);
    for (const [rows, n] of [[2, 3], [9, 64], [513, 256], [1000, 7]]) {
      const xs = data(rows * n, -3, 3, rows + n);
      const gs = data(rows * n, -1, 1, rows + n + 1);
      const out: Float32Array[] = [];
      for (const be of [one, two]) {
        const x = put(be, xs);
        const g = put(be, gs);
        const y = be.alloc(rows * n, 'float32');
        const dx = be.alloc(rows * n, 'float32');
        be.layerNorm!(x, y, rows, n, 1e-6);
        be.layerNormGrad!(x, y, g, dx, rows, n, 1e-6);
        out.push(Float32Array.from([...y.view(), ...dx.view()]));
        release(x, g, y, dx);
      }
      expect(new Uint32Array(out[1].buffer)).toEqual(new Uint32Array(out[0].buffer));
    }
  });

  it('a foreign buffer falls back to the float64 loop on views (jsKernels.layerNorm)', () => {
    const be = fmaOne;
    const js = backendByName('js');
    const xs = data(12, -1, 1, 9);
    const x = put(js, xs);
    const y = be.alloc(12, 'float32');
    be.layerNorm!(x, y, 3, 4, 1e-6);
    const want = js.alloc(12, 'float32');
    jsKernels.layerNorm(x, want, 3, 4, 1e-6);
    expectClose(y, want, 1e-6, 1e-7, 'fallback');
  });
});

describe("the plain 'wasm' backend: the composed op", () => {
  it('has no fused kernels, and its layerNormalize is mean, sub, square, pow, mul on wasm, bit for bit (forward and VJP)', () => {
    for (const threads of [1, 2]) {
      const be = new WasmBackend({ threads, threadMinElements: 1 });
      expect(be.name).toBe('wasm');
      expect(be.layerNorm).toBeUndefined();
      expect(be.layerNormGrad).toBeUndefined();
      registerBackend(`layernorm-test plain ${threads}`, () => be);
      const on = `layernorm-test plain ${threads}`;
      const [rows, n, eps] = [37, 19, 1e-6];
      const xs = data(rows * n, -2, 2, 3), gs = data(rows * n, -1, 1, 4);
      tidy(() => {
        const x = tensor(xs, { shape: [rows, n], backend: on, requiresGrad: true });
        const y = layerNormalize(x, eps);
        y.backward(tensor(gs, { shape: [rows, n], backend: on }));
        // By hand, as the op's comment writes it: y = (x - mu) r; dx = r (g - mean(g) - y mean(g y)).
        const xp = tensor(xs, { shape: [rows, n], backend: on });
        const g = tensor(gs, { shape: [rows, n], backend: on });
        const xc = xp.sub(xp.mean(-1, true));
        const r = xc.square().mean(-1, true).add(eps).pow(-0.5);
        const yy = xc.mul(r);
        const dx = g.sub(g.mean(-1, true)).sub(yy.mul(g.mul(yy).mean(-1, true))).mul(r);
        expect(new Uint32Array(new Float32Array(y.toFlatArray()).buffer)).toEqual(new Uint32Array(new Float32Array(yy.toFlatArray()).buffer));
        expect(new Uint32Array(new Float32Array((x.grad as Tensor).toFlatArray()).buffer)).toEqual(new Uint32Array(new Float32Array(dx.toFlatArray()).buffer));
      });
    }
  });
});
