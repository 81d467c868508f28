/**
 * Gradients that the random gradcheck properties (gradients.test.ts) cannot see, pinned by a mutation audit
 * of core/ops and core/backends/js.ts: each test here failed on a wrong formula that the rest of the core
 * suite let through. The checks are independent of the code under test: finite differences (gradcheck),
 * hand-derived numbers, or PyTorch's documented convention at a kink or a tie.
 */
import { describe, expect, it } from 'vitest';
import { Rng, erf, gelu, gradcheck, layerNormalize, linear, logSoftmax, matmulT, softmax, tensor, where, zeros, type Tensor } from '../../core/index.js';
import { jsKernels } from '../../core/backends/js.js';
import { valuesTensor } from './helpers.js';

const f64 = (data: number[] | number[][], requiresGrad = false): Tensor =>
  tensor(data, { dtype: 'float64', backend: 'js', requiresGrad });

function expectGrad(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const r = gradcheck(fn, inputs);
  expect(r.maxRelErr, JSON.stringify(r.perInput)).toBeLessThanOrEqual(1e-6);
}

/** d(sum(w ⊙ f(x)))/dx for a fixed weight w, so every element of the VJP is seen. */
function gradOf(f: (x: Tensor) => Tensor, x: number[] | number[][], w?: number[]): number[] {
  const t = f64(x, true);
  const y = f(t);
  const seed = w ? f64(w).reshape(y.shape) : undefined;
  if (seed) y.backward(seed);
  else y.sum().backward();
  return t.grad!.toFlatArray();
}

describe('matmulT: the VJP of every transpose layout (the flags, not a transposed copy)', () => {
  // gradients.test.ts differentiates a.transpose().matmul(b): a transpose op then an untransposed product,
  // so MatMul's backward with transA / transB set was never run by a gradcheck.
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`transA=${tA}, transB=${tB}: 2-D and batched, against finite differences`, () => {
      const [m, k, n] = [3, 4, 2];
      const aShape = tA ? [k, m] : [m, k];
      const bShape = tB ? [n, k] : [k, n];
      expectGrad((a, b) => matmulT(a, b, tA, tB), [valuesTensor(aShape, 11), valuesTensor(bShape, 12)]);
      expectGrad((a, b) => matmulT(a, b, tA, tB), [valuesTensor([2, ...aShape], 13), valuesTensor([2, ...bShape], 14)]);
      // A matrix shared by the batch (its gradient sums over the batch).
      expectGrad((a, b) => matmulT(a, b, tA, tB), [valuesTensor(aShape, 15), valuesTensor([3, ...bShape], 16)]);
    });
  }
});

describe('transpose: the VJP uses the inverse permutation', () => {
  it('a 3-cycle (its own inverse is the other 3-cycle) and a 4-axis permutation, against finite differences', () => {
    // gradients.test.ts only uses the reversal and [1, 0, 2], both their own inverses, so inv[i] = p passed.
    const w = valuesTensor([3, 4, 2], 21);
    expectGrad((t) => t.transpose([1, 2, 0]).mul(w), [valuesTensor([2, 3, 4], 22)]);
    const w4 = valuesTensor([5, 2, 3, 4], 23);
    expectGrad((t) => t.transpose([3, 1, 0, 2]).mul(w4), [valuesTensor([3, 2, 4, 5], 24)]);
  });
});

describe('max / min over axes: ties share the gradient evenly (as torch.amax / amin)', () => {
  it('by hand', () => {
    expect(gradOf((x) => x.max(), [1, 3, 3, 2])).toEqual([0, 0.5, 0.5, 0]);
    expect(gradOf((x) => x.min(), [-1, 4, -1, -1])).toEqual([1 / 3, 0, 1 / 3, 1 / 3]);
    // Per row, with a weighted seed: row 0 ties three ways, row 1 has one maximum.
    expect(gradOf((x) => x.max(1), [[2, 2, 2], [0, 5, 1]], [3, 7])).toEqual([1, 1, 1, 0, 7, 0]);
  });
});

describe('maximum / minimum at a tie: the whole gradient goes to the first operand', () => {
  it('by hand (the documented convention; the gradient is not split and not doubled)', () => {
    const a = f64([1, 2, 3], true);
    const b = f64([1, 0, 5], true);
    a.maximum(b).backward(f64([10, 20, 30]));
    expect(a.grad!.toFlatArray()).toEqual([10, 20, 0]);
    expect(b.grad!.toFlatArray()).toEqual([0, 0, 30]);
    const c = f64([1, 2, 3], true);
    const d = f64([1, 0, 5], true);
    c.minimum(d).backward(f64([10, 20, 30]));
    expect(c.grad!.toFlatArray()).toEqual([10, 0, 30]);
    expect(d.grad!.toFlatArray()).toEqual([0, 20, 0]);
  });
});

describe('the gradient at a kink (PyTorch conventions)', () => {
  it("relu'(0) = 0, |x|'(0) = 0, and clamp passes the gradient at its bounds", () => {
    expect(gradOf((x) => x.relu(), [-1, 0, 2])).toEqual([0, 0, 1]);
    expect(gradOf((x) => x.abs(), [-1, 0, 2])).toEqual([-1, 0, 1]);
    expect(gradOf((x) => x.clamp(-0.5, 0.5), [-1, -0.5, 0, 0.5, 1])).toEqual([0, 1, 1, 1, 0]);
    expect(gradOf((x) => x.sign(), [-1, 0, 2])).toEqual([0, 0, 0]);
  });
});

describe('gelu near 0 (the VJP computes Φ(x) directly there instead of gelu(x) / x)', () => {
  it("gelu'(x) = Φ(x) + x φ(x) ≈ 1/2 + 2 x φ(0) for |x| <= 1e-3, and gradcheck passes there", () => {
    const xs = [0, 5e-4, -5e-4, 1e-3, -9e-4];
    const phi0 = 1 / Math.sqrt(2 * Math.PI);
    const got = gradOf((x) => gelu(x), xs);
    // Φ(x) + x φ(x) = 1/2 + 2 x φ(0) - (2/3) x³ φ(0) + O(x⁵): the cubic term is below 1e-9 here.
    xs.forEach((x, i) => expect(Math.abs(got[i] - (0.5 + 2 * x * phi0))).toBeLessThan(1e-9));
    expectGrad((x) => gelu(x), [f64([2e-4, -3e-4, 6e-4])]);
  });
});

describe('softmax / logSoftmax subtract the row maximum (large logits of either sign stay finite)', () => {
  it('[0, 1000] and [-1000, 0]: values and gradients', () => {
    expect(softmax(f64([[0, 1000], [-1000, 0]])).toFlatArray()).toEqual([0, 1, 0, 1]);
    expect(logSoftmax(f64([[0, 1000], [-1000, 0]])).toFlatArray()).toEqual([-1000, 0, -1000, 0]);
    // d logSoftmax / dx with seed [1, 0]: [1 - p0, -p1] = [1, -1].
    expect(gradOf((x) => logSoftmax(x), [0, 1000], [1, 0])).toEqual([1, -1]);
  });
});

describe('cast: the gradient comes back in the input dtype', () => {
  it('a float32 leaf cast to float64 gets a float32 gradient', () => {
    const x = tensor([1, 2], { dtype: 'float32', backend: 'js', requiresGrad: true });
    x.cast('float64').mul(f64([3, 4])).sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(x.grad!.toFlatArray()).toEqual([3, 4]);
  });
});

describe('reference kernels at the edges', () => {
  it('a sum over an empty axis is 0 (and its gradient flows as for any sum)', () => {
    expect(zeros([0, 3], { dtype: 'float64', backend: 'js' }).sum(0).toFlatArray()).toEqual([0, 0, 0]);
    expect(zeros([2, 0], { dtype: 'float64', backend: 'js' }).sum([0, 1]).toFlatArray()).toEqual([0]);
  });
  it('where treats every non-zero condition as true (numpy / torch), negative ones included', () => {
    const a = f64([1, 2, 3, 4], true);
    const b = f64([10, 20, 30, 40], true);
    const c = f64([-1, 0, 2, -0.5]);
    expect(where(c, a, b).toFlatArray()).toEqual([1, 20, 3, 4]);
    where(c, a, b).backward(f64([1, 1, 1, 1]));
    expect(a.grad!.toFlatArray()).toEqual([1, 0, 1, 1]);
    expect(b.grad!.toFlatArray()).toEqual([0, 1, 0, 0]);
  });
});

describe('erf in its tail (|x| from 3 to 6: the continued fraction, not 1)', () => {
  it('matches erf from the C library (Python math.erf) to 5e-16 from x = 3.5 to 5.5', () => {
    const table: [number, number][] = [
      [3.5, 0.9999992569016276], [4.5, 0.9999999998033839], [5, 0.9999999999984626], [5.5, 0.9999999999999927],
    ];
    for (const [x, v] of table) {
      expect(Math.abs(erf(x) - v), `erf(${x})`).toBeLessThan(5e-16);
      expect(Math.abs(erf(-x) + v), `erf(${-x})`).toBeLessThan(5e-16);
    }
  });
});

describe('linear on shapes outside the fused kernel (composed matmul + add + activation)', () => {
  it('x [2, 3, 4] with W [4, 5] and b [5]: values against a float64 loop, and gradcheck', () => {
    const x = valuesTensor([2, 3, 4], 31);
    const w = valuesTensor([4, 5], 32);
    const b = valuesTensor([5], 33);
    const xv = x.toFlatArray();
    const wv = w.toFlatArray();
    const bv = b.toFlatArray();
    const pre: number[] = [];
    for (let r = 0; r < 6; r++) {
      for (let j = 0; j < 5; j++) {
        let s = bv[j];
        for (let p = 0; p < 4; p++) s += xv[r * 4 + p] * wv[p * 5 + j];
        pre.push(s);
      }
    }
    const acts = { none: (v: number) => v, relu: (v: number) => Math.max(v, 0), tanh: Math.tanh, mish: (v: number) => v * Math.tanh(Math.log1p(Math.exp(v))) };
    for (const [act, fn] of Object.entries(acts)) {
      const y = linear(x, w, b, act as 'none').toFlatArray();
      y.forEach((v, i) => expect(v, `${act} element ${i}`).toBeCloseTo(fn(pre[i]), 12));
      if (act !== 'relu') expectGrad((xx, ww, bb) => linear(xx, ww, bb, act as 'none'), [x, w, b]);
    }
  });
});

describe("jsKernels.layerNorm / layerNormGrad (the float64 fallback a fused backend runs on another backend's buffers)", () => {
  it('biased variance and + eps, by hand: x = [1, 2, 3, 4], eps = 1 gives (x - 2.5) / sqrt(1.25 + 1)', () => {
    const x = f64([1, 2, 3, 4]);
    const y = f64([0, 0, 0, 0]);
    jsKernels.layerNorm(x.buffer, y.buffer, 1, 4, 1);
    y.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo([-1, -1 / 3, 1 / 3, 1][i], 14));
  });
  it('forward and VJP equal the composed op (mean, sub, square, pow, mul) on 3 rows of 5, eps 0.1', () => {
    const eps = 0.1;
    const x = valuesTensor([3, 5], 41);
    const g = valuesTensor([3, 5], 42);
    const xr = tensor(x.toFlatArray(), { shape: [3, 5], dtype: 'float64', backend: 'js', requiresGrad: true });
    const yRef = layerNormalize(xr, eps);
    yRef.backward(g);
    const y = f64(new Array(15).fill(0));
    const dx = f64(new Array(15).fill(0));
    jsKernels.layerNorm(x.buffer, y.buffer, 3, 5, eps);
    jsKernels.layerNormGrad(x.buffer, y.buffer, g.buffer, dx.buffer, 3, 5, eps);
    const yr = yRef.toFlatArray();
    const dr = xr.grad!.toFlatArray();
    y.toFlatArray().forEach((v, i) => expect(v, `y ${i}`).toBeCloseTo(yr[i], 12));
    dx.toFlatArray().forEach((v, i) => expect(v, `dx ${i}`).toBeCloseTo(dr[i], 12));
  });
});

describe('jsKernels.bernoulliMask (the mask fallback): a draw u is dropped exactly when u < threshold / 2^24', () => {
  it('a draw equal to the threshold is kept, one below it dropped; the state advances as Rng does', () => {
    const state = new Rng(5).getState();
    const d = new Rng(5).nextU32() >>> 8;
    for (const [threshold, want] of [[d, 2], [d + 1, 0]] as const) {
      const words = Uint32Array.from(state.slice(0, 4) as number[]);
      const out = f64([7]);
      jsKernels.bernoulliMask(out.buffer, words, threshold, 2);
      expect(out.toFlatArray(), `threshold ${threshold}, draw ${d}`).toEqual([want]);
      const after = new Rng(5);
      after.nextU32();
      expect(Array.from(words)).toEqual(after.getState().slice(0, 4));
    }
  });
});
