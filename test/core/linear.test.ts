/**
 * The fused linear op act(x · W + b): gradcheck in float64 (js backend, composed kernels),
 * equality with the unfused ops, and bit-for-bit parity of the wasm fused kernel (bias and
 * activation in the GEMM epilogue) with wasm's own matmul + add + activation, forward and
 * backward, for plain and ensemble (batched) layers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { audit, gradcheck, linear, listBackends, noGrad, Rng, tensor, tidy, wasmMemoryInUse, type LinearActivation, type Tensor } from '../../core/index.js';
import { apply } from '../../core/autograd.js';
import { backendByName, matmulBiasActReference } from '../../core/backend.js';
import { LinearMish } from '../../core/ops/linear.js';

const ACTS: LinearActivation[] = ['none', 'relu', 'tanh', 'mish'];

interface Case {
  xShape: number[];
  wShape: number[];
  bShape: number[] | null;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    bsz: fc.constantFrom(1, 3, 5),
    inF: fc.constantFrom(1, 4, 7),
    outF: fc.constantFrom(1, 3, 9),
    ens: fc.constantFrom(0, 1, 2, 3),
    sharedX: fc.boolean(),
    bias: fc.constantFrom<'none' | 'row' | 'member'>('none', 'row', 'member'),
  })
  .map(({ bsz, inF, outF, ens, sharedX, bias }) => {
    if (ens === 0) return { xShape: [bsz, inF], wShape: [inF, outF], bShape: bias === 'none' ? null : [outF] };
    return {
      xShape: sharedX ? [bsz, inF] : [ens, bsz, inF],
      wShape: [ens, inF, outF],
      bShape: bias === 'none' ? null : bias === 'row' ? [outF] : [ens, 1, outF],
    };
  });

function values(shape: number[], rng: Rng, scale = 1): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => rng.normal() * scale);
}

function make(c: Case, seed: number, dtype: 'float32' | 'float64', backend: string): Tensor[] {
  const rng = new Rng(seed);
  const shapes = [c.xShape, c.wShape, ...(c.bShape ? [c.bShape] : [])];
  return shapes.map((s, i) => tensor(values(s, rng, i === 2 ? 0.5 : 1), { shape: s, dtype, backend, requiresGrad: true }));
}

function composed(xs: Tensor[], act: LinearActivation): Tensor {
  let y = xs[0].matmul(xs[1]);
  if (xs[2]) y = y.add(xs[2]);
  switch (act) {
    case 'relu': return y.relu();
    case 'tanh': return y.tanh();
    case 'mish': return y.mish();
    default: return y;
  }
}

function fused(xs: Tensor[], act: LinearActivation): Tensor {
  return linear(xs[0], xs[1], xs[2] ?? null, act);
}

/** Forward value and input gradients for a random cotangent. */
function run(f: (xs: Tensor[], act: LinearActivation) => Tensor, xs: Tensor[], act: LinearActivation, seed: number): number[][] {
  for (const x of xs) x.grad = null;
  const y = f(xs, act);
  const r = tensor(values([...y.shape], new Rng(seed + 99)), { shape: y.shape, dtype: y.dtype, backend: y.backend.name });
  y.mul(r).sum().backward();
  return [y.toFlatArray(), ...xs.map((x) => x.grad!.toFlatArray())];
}

describe('linear (fused matmul + bias + activation)', () => {
  it('gradcheck in float64 (random shapes, ensembles, bias kinds, activations)', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(...ACTS), fc.integer({ min: 1, max: 1e6 }), (c, act, seed) => {
        const xs = make(c, seed, 'float64', 'js');
        if (act === 'relu') {
          // Keep finite differences off the kink.
          const pre = composed(xs, 'none').toFlatArray();
          fc.pre(pre.every((v) => Math.abs(v) > 1e-2));
        }
        const r = gradcheck((...ts) => fused(ts, act), xs);
        expect(r.maxRelErr, JSON.stringify(r.perInput)).toBeLessThanOrEqual(1e-6);
      }),
      { numRuns: 120 },
    );
  });

  it('equals the composed ops in float64 (values and gradients)', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(...ACTS), fc.integer({ min: 1, max: 1e6 }), (c, act, seed) => {
        const a = run(fused, make(c, seed, 'float64', 'js'), act, seed);
        const b = run(composed, make(c, seed, 'float64', 'js'), act, seed);
        for (let i = 0; i < a.length; i++) {
          expect(a[i].length).toBe(b[i].length);
          for (let j = 0; j < a[i].length; j++) expect(Math.abs(a[i][j] - b[i][j])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(b[i][j])));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('wasm: the fused kernel equals wasm matmul + add + activation bit for bit (forward and backward)', () => {
    const sizes: Case[] = [
      { xShape: [256, 17], wShape: [17, 256], bShape: [256] },
      { xShape: [37, 33], wShape: [33, 13], bShape: [13] },
      { xShape: [5, 300], wShape: [300, 6], bShape: [6] },
      { xShape: [7, 9], wShape: [9, 5], bShape: null },
      { xShape: [64, 23], wShape: [2, 23, 64], bShape: [2, 1, 64] },
      { xShape: [2, 17, 40], wShape: [2, 40, 1], bShape: [2, 1, 1] },
    ];
    for (const c of sizes) {
      for (const act of ACTS) {
        const a = run(fused, make(c, 7, 'float32', 'wasm'), act, 7);
        const b = run(composed, make(c, 7, 'float32', 'wasm'), act, 7);
        for (let i = 0; i < a.length; i++) expect(a[i], `${JSON.stringify(c)} ${act} output ${i}`).toEqual(b[i]);
      }
    }
    fc.assert(
      fc.property(caseArb, fc.constantFrom(...ACTS), fc.integer({ min: 1, max: 1e6 }), (c, act, seed) => {
        const a = run(fused, make(c, seed, 'float32', 'wasm'), act, seed);
        const b = run(composed, make(c, seed, 'float32', 'wasm'), act, seed);
        for (let i = 0; i < a.length; i++) expect(a[i]).toEqual(b[i]);
      }),
      { numRuns: 100 },
    );
  });

  it("wasm builds: with a recorded graph mish runs as linearMish (the epilogue's slope), bit for bit the composed ops", () => {
    const backends = ['wasm', 'wasm-fma'].filter((b) => listBackends().includes(b));
    expect(backends).toContain('wasm');
    const sizes: Case[] = [
      { xShape: [256, 17], wShape: [17, 256], bShape: [256] },
      { xShape: [37, 33], wShape: [33, 13], bShape: [13] },
      { xShape: [7, 9], wShape: [9, 5], bShape: null },
      { xShape: [64, 23], wShape: [2, 23, 64], bShape: [2, 1, 64] },
      { xShape: [2, 17, 40], wShape: [2, 40, 3], bShape: [3] },
    ];
    for (const be of backends) {
      for (const c of sizes) {
        const xs = make(c, 11, 'float32', be);
        const y = fused(xs, 'mish');
        expect(y.node?.op.name, `${be} ${JSON.stringify(c)}`).toBe('linearMish');
        const a = run(fused, xs, 'mish', 11);
        const b = run(composed, make(c, 11, 'float32', be), 'mish', 11);
        for (let i = 0; i < a.length; i++) expect(a[i], `${be} ${JSON.stringify(c)} output ${i}`).toEqual(b[i]);
        // Only the weights want a gradient: the slope is still saved and dW still matches.
        const [x, w, bias] = make(c, 12, 'float32', be);
        x.requiresGrad = false;
        const [x2, w2, bias2] = make(c, 12, 'float32', be);
        x2.requiresGrad = false;
        const r = tensor(values([...y.shape], new Rng(5)), { shape: y.shape, dtype: 'float32', backend: be });
        const yw = linear(x, w, bias ?? null, 'mish');
        expect(yw.node?.op.name).toBe('linearMish');
        yw.mul(r).sum().backward();
        composed(bias2 ? [x2, w2, bias2] : [x2, w2], 'mish').mul(r).sum().backward();
        expect(w.grad!.toFlatArray(), `${be} dW`).toEqual(w2.grad!.toFlatArray());
      }
    }
  });

  it('without a recorded graph the epilogue applies mish alone (no separate mish pass), the composed bits', () => {
    for (const be of ['wasm', 'wasm-fma', 'js'].filter((b) => listBackends().includes(b))) {
      const c: Case = { xShape: [37, 33], wShape: [33, 13], bShape: [13] };
      const xs = make(c, 3, 'float32', be);
      // Count the backend's separate mish passes (wasm: the fused kernel has none; js composes it).
      const kernels = xs[0].backend as unknown as { unary: (op: string, ...a: unknown[]) => void };
      const unary = kernels.unary;
      let mishPasses = 0;
      kernels.unary = (op: string, ...a: unknown[]) => {
        if (op === 'mish') mishPasses++;
        return unary(op, ...a);
      };
      try {
        const y = noGrad(() => fused(xs, 'mish'));
        const fusedPasses = mishPasses;
        expect(y.toFlatArray(), be).toEqual(noGrad(() => composed(xs, 'mish')).toFlatArray());
        expect(mishPasses - fusedPasses, `${be}: the composed ops run one mish pass`).toBe(1);
        expect(fusedPasses, be).toBe(be === 'js' ? 1 : 0);
        for (const x of xs) x.requiresGrad = false;
        const before = mishPasses;
        expect(fused(xs, 'mish').toFlatArray(), `${be}, no input wants a gradient`).toEqual(noGrad(() => composed(xs, 'mish')).toFlatArray());
        expect(mishPasses - before, be).toBe(be === 'js' ? 2 : 1);
      } finally {
        kernels.unary = unary;
      }
    }
  });

  it("linearMish's slope lives with its output: returned from tidy or kept it still backpropagates, and it is freed with the output or by the backward", () => {
    const c: Case = { xShape: [40, 9], wShape: [9, 24], bShape: [24] };
    const wasmBe = make(c, 1, 'float32', 'wasm')[0].backend as unknown as { memoryStats(): { liveBytes: number } };
    const live = () => wasmBe.memoryStats().liveBytes;
    const want = run(composed, make(c, 31, 'float32', 'wasm'), 'mish', 31);
    const r = tensor(values([40, 24], new Rng(31 + 99)), { shape: [40, 24], dtype: 'float32', backend: 'wasm' });
    for (const how of ['returned', 'kept'] as const) {
      const xs = make(c, 31, 'float32', 'wasm');
      const base = live();
      let made: Tensor | null = null;
      const returned = tidy(() => {
        made = fused(xs, 'mish');
        if (how === 'kept') made.keep();
        return how === 'returned' ? made : null;
      });
      const out = made! as Tensor;
      if (how === 'returned') expect(returned).toBe(out);
      expect(out.node?.op.name).toBe('linearMish');
      // The output and its slope: two buffers of 40 x 24 floats.
      expect(live() - base, how).toBe(2 * 40 * 24 * 4);
      tidy(() => { out.mul(r).sum().backward(); });
      expect(live() - base - xs.reduce((s, x) => s + x.size * 4, 0), `${how}: the backward freed the slope`).toBe(40 * 24 * 4);
      const got = [out.toFlatArray(), ...xs.map((x) => x.grad!.toFlatArray())];
      for (let i = 0; i < got.length; i++) expect(got[i], `${how} ${i}`).toEqual(want[i]);
      out.dispose();
      for (const x of xs) x.grad = null;
    }
    // Disposing the output before any backward frees the slope too.
    const xs = make(c, 32, 'float32', 'wasm');
    const base = live();
    const y = fused(xs, 'mish');
    expect(live() - base).toBe(2 * 40 * 24 * 4);
    y.dispose();
    expect(live()).toBe(base);
    // keep() outside any tidy: the output and its slope are both owned on purpose (not 'unscoped').
    const unscoped = wasmMemoryInUse().unscopedBytes;
    const z = fused(xs, 'mish');
    expect(wasmMemoryInUse().unscopedBytes - unscoped).toBe(2 * 40 * 24 * 4);
    z.keep();
    expect(wasmMemoryInUse().unscopedBytes).toBe(unscoped);
    z.dispose();
    expect(live()).toBe(base);
  });

  it('linearMish rejects a slope of the wrong shape, dtype or backend, and the reference a slope of the wrong length', () => {
    const c: Case = { xShape: [5, 3], wShape: [3, 4], bShape: null };
    const [x, w] = make(c, 2, 'float32', 'wasm');
    const base = wasmMemoryInUse().liveBytes;
    const cases: [Tensor, RegExp][] = [
      [tensor(new Array(20).fill(0), { shape: [4, 5], backend: 'wasm' }), /linearMish: the slope must be a float32 tensor of shape \[5, 4\] on wasm, got float32 \[4, 5\] on wasm/],
      [tensor(new Array(20).fill(0), { shape: [5, 4], backend: 'js' }), /linearMish: the slope must be a float32 tensor of shape \[5, 4\] on wasm(-fma)?, got float32 \[5, 4\] on js/],
      [tensor(new Array(20).fill(0), { shape: [5, 4], dtype: 'float64', backend: 'js' }), /linearMish: dtype mismatch/],
    ];
    for (const [bad, why] of cases) {
      expect(() => apply(LinearMish, [x, w, bad], null)).toThrow(why);
      bad.dispose();
    }
    expect(wasmMemoryInUse().liveBytes, 'nothing left behind by the refused calls').toBe(base);
    const js = backendByName('js');
    const buf = (n: number) => js.alloc(n, 'float64');
    expect(() => matmulBiasActReference(js, buf(15), buf(12), null, buf(20), 1, 5, 4, 3, false, false, 0, 0, 0, 'mish', buf(19)))
      .toThrow(/slope buffer holds 19 numbers, the output 20/);
    expect(() => matmulBiasActReference(js, buf(15), buf(12), null, buf(20), 1, 5, 4, 3, false, false, 0, 0, 0, 'tanh', buf(20)))
      .toThrow(/a slope buffer goes with act 'mish' only/);
  });

  it("audit: linearMish's VJP checked in float64 (its slope input is not differentiated)", () => {
    const c: Case = { xShape: [6, 5], wShape: [5, 4], bShape: [4] };
    const xs = make(c, 21, 'float32', 'wasm');
    const report = audit(() => {
      const y = fused(xs, 'mish');
      const r = tensor(values([...y.shape], new Rng(8)), { shape: y.shape, dtype: 'float32', backend: 'wasm' });
      y.mul(r).sum().backward();
    });
    const row = report.rows.find((r) => r.op === 'linearMish');
    expect(row, JSON.stringify(report.rows.map((r) => r.op))).toBeDefined();
    expect(row!.inputShapes).toEqual([[6, 5], [5, 4], [6, 4], [4]]);
    expect(row!.checked).toEqual([16, 16, 4]);
    expect(row!.ok, JSON.stringify(row)).toBe(true);
  });

  it('rejects bad arguments', () => {
    const x = tensor([1, 2], { shape: [1, 2] });
    const w = tensor([1, 2, 3, 4], { shape: [2, 2] });
    expect(() => linear(x, w, null, 'gelu' as LinearActivation)).toThrow(/unknown activation/);
    expect(() => linear(tensor([1, 2]), w)).toThrow(/rank/);
    expect(() => linear(x, tensor([1, 2, 3], { shape: [3, 1] }))).toThrow(/inner sizes/);
  });
});
