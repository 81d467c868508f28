import { describe, expect, it } from 'vitest';
import { Rng, randn, tensor, tidy, Tensor } from '../../core/index.js';
import {
  Adam, AdamW, clipGradNorm, cosineDecay, LayerNorm, Linear, MLP, mse, SGD, softUpdate,
} from '../../nn/index.js';

const f64 = { dtype: 'float64' as const };

function param(values: number[]): Tensor {
  return tensor(values, { ...f64, requiresGrad: true }).keep();
}

function setGrad(p: Tensor, g: number[]): void {
  p.grad = tensor(g, f64).keep();
}

/** Hand-written Adam(W) reference over plain numbers. */
function adamRef(p: number[], grads: number[][], h: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean }): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const x = [...p];
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < x.length; i++) {
      const gi = g[i] + (h.decoupled ? 0 : h.wd * x[i]);
      m[i] = h.b1 * m[i] + (1 - h.b1) * gi;
      v[i] = h.b2 * v[i] + (1 - h.b2) * gi * gi;
      const mh = m[i] / (1 - h.b1 ** t);
      const vh = v[i] / (1 - h.b2 ** t);
      if (h.decoupled) x[i] -= h.lr * h.wd * x[i];
      x[i] -= (h.lr * mh) / (Math.sqrt(vh) + h.eps);
    }
  });
  return x;
}

describe('Adam / AdamW', () => {
  it('one Adam step equals the hand-computed step', () => {
    const p = param([1, -2, 0.5]);
    const opt = new Adam([p], { lr: 0.1 });
    setGrad(p, [0.3, -1, 2]);
    opt.step();
    // First step: m̂ = g, v̂ = g², so p -= lr g / (|g| + eps).
    const want = [1 - 0.1 * 0.3 / (0.3 + 1e-8), -2 + 0.1 * 1 / (1 + 1e-8), 0.5 - 0.1 * 2 / (2 + 1e-8)];
    p.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo(want[i], 14));
    expect(opt.stepCount).toBe(1);
  });

  it('several Adam steps (with coupled L2) equal the reference', () => {
    const p0 = [0.7, -0.2, 1.5, 3];
    const grads = [[0.1, -0.5, 1, 0], [0.2, 0.3, -1, 0.5], [-0.4, 0.1, 0.2, 0.2]];
    const p = param(p0);
    const opt = new Adam([p], { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 });
    for (const g of grads) {
      setGrad(p, g);
      opt.step();
    }
    const want = adamRef(p0, grads, { lr: 0.05, b1: 0.8, b2: 0.99, eps: 1e-6, wd: 0.1, decoupled: false });
    p.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo(want[i], 13));
  });

  it('one AdamW step equals the hand-computed decoupled step (default wd 1e-2)', () => {
    const p = param([2, -1]);
    const opt = new AdamW([p], { lr: 0.1 });
    expect(opt.weightDecay).toBe(1e-2);
    setGrad(p, [0.5, 0.25]);
    opt.step();
    const want = [2 * (1 - 0.1 * 0.01) - 0.1 * 0.5 / (0.5 + 1e-8), -1 * (1 - 0.1 * 0.01) - 0.1 * 0.25 / (0.25 + 1e-8)];
    p.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo(want[i], 14));
    // and a second step against the reference
    setGrad(p, [-0.1, 0.4]);
    opt.step();
    const ref = adamRef([2, -1], [[0.5, 0.25], [-0.1, 0.4]], { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01, decoupled: true });
    p.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo(ref[i], 13));
  });

  it('works on float32 parameters too', () => {
    const p = tensor([1, 2], { requiresGrad: true }).keep();
    const opt = new Adam([p], { lr: 0.1 });
    p.grad = tensor([1, -1]).keep();
    opt.step();
    expect(p.toFlatArray()[0]).toBeCloseTo(0.9, 6);
    expect(p.toFlatArray()[1]).toBeCloseTo(2.1, 6);
  });

  it('skips parameters without a gradient (unchanged, their step count not advanced)', () => {
    const a = param([1, 1]);
    const b = param([5, 5]);
    const opt = new Adam([a, b], { lr: 0.1, eps: 0 });
    setGrad(a, [1, 1]);
    opt.step();
    expect(b.toFlatArray()).toEqual([5, 5]);
    expect(a.toFlatArray()[0]).toBeCloseTo(0.9, 12);
    // b gets its first gradient at the second step: it must be a bias-corrected *first* step.
    setGrad(b, [2, -2]);
    opt.step();
    expect(b.toFlatArray()[0]).toBeCloseTo(4.9, 12);
    expect(b.toFlatArray()[1]).toBeCloseTo(5.1, 12);
    expect(Array.from(opt.stateDict().t.dataSync())).toEqual([2, 1]);
  });

  it('uses a schedule: lr of step k is schedule(k)', () => {
    const p = param([0]);
    const sched = (k: number) => 0.1 / (k + 1);
    const opt = new Adam([p], { schedule: sched, eps: 0 });
    expect(opt.lr).toBe(0.1);
    setGrad(p, [1]);
    opt.step();
    expect(p.item()).toBeCloseTo(-0.1, 12);
    expect(opt.lr).toBe(0.05);
    setGrad(p, [1]);
    opt.step();
    expect(p.item()).toBeCloseTo(-0.15, 12); // m̂ = v̂ = 1 with a constant gradient
    opt.lr = 0.5; // setting lr drops the schedule
    expect(opt.lr).toBe(0.5);
  });

  it('state dict round trip: a restored optimizer continues identically', () => {
    const run = (opt: Adam, p: Tensor, k: number) => {
      for (let i = 0; i < k; i++) {
        setGrad(p, [Math.sin(i), Math.cos(i)]);
        opt.step();
      }
    };
    const p1 = param([1, 2]);
    const o1 = new Adam([p1], { lr: 0.01 });
    run(o1, p1, 3);
    const p2 = param(p1.toFlatArray());
    const o2 = new Adam([p2], { lr: 0.01 });
    o2.loadStateDict(o1.stateDict());
    expect(o2.stepCount).toBe(3);
    run(o1, p1, 2);
    run(o2, p2, 2);
    expect(p2.toFlatArray()).toEqual(p1.toFlatArray());
    expect(() => o2.loadStateDict({ ...o1.stateDict(), 'm.0': tensor([1, 2, 3], f64) })).toThrow(/'m\.0' has shape \[3\], expected \[2\]/);
  });

  it('rejects bad arguments with clear messages', () => {
    expect(() => new Adam([tensor([1])])).toThrow(/does not require grad/);
    const p = param([1]);
    expect(() => new Adam([p, p])).toThrow(/twice/);
    expect(() => new Adam([p], { beta1: 1 })).toThrow(/beta1/);
  });
});

describe('SGD', () => {
  it('plain: p -= lr g', () => {
    const p = param([1, 2]);
    const opt = new SGD([p], { lr: 0.5 });
    setGrad(p, [2, -2]);
    opt.step();
    expect(p.toFlatArray()).toEqual([0, 3]);
  });

  it('momentum (PyTorch form): b = μ b + g, p -= lr b', () => {
    const p = param([0]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    setGrad(p, [1]);
    opt.step(); // b = 1, p = -0.1
    setGrad(p, [1]);
    opt.step(); // b = 1.9, p = -0.29
    expect(p.item()).toBeCloseTo(-0.29, 14);
  });
});

describe('optimizer argument and state checks', () => {
  it('a disposed parameter is named at construction and in step() (it was skipped while stepCount advanced)', () => {
    for (const make of [(ps: Tensor[]) => new Adam(ps, { lr: 0.1 }), (ps: Tensor[]) => new SGD(ps, { lr: 0.1 }), (ps: Tensor[]) => new AdamW(ps)]) {
      const gone = param([1, 2]);
      gone.dispose();
      expect(() => make([param([0]), gone])).toThrow(/(Adam|SGD|AdamW): params\[1\] \(shape \[2\]\) was disposed/);
      const a = param([1, 2]);
      const b = param([3]);
      const opt = make([a, b]);
      setGrad(a, [1, 1]);
      setGrad(b, [1]);
      b.dispose();
      expect(() => opt.step()).toThrow(/(Adam|SGD|AdamW)\.step\(\): params\[1\] \(shape \[1\]\) was disposed/);
      expect(opt.stepCount).toBe(0);
      expect(a.toFlatArray()).toEqual([1, 2]); // nothing updated
    }
  });

  it('Adam eps and weightDecay must be finite numbers >= 0 (eps 0 allowed, as in PyTorch)', () => {
    expect(() => new Adam([param([1])], { weightDecay: Infinity })).toThrow(/Adam: weightDecay must be a finite number >= 0, got Infinity/);
    expect(() => new AdamW([param([1])], { eps: Infinity })).toThrow(/AdamW: eps must be a finite number >= 0, got Infinity/);
    expect(() => new Adam([param([1])], { eps: NaN })).toThrow(/eps .* got NaN/);
    expect(() => new Adam([param([1])], { eps: -1e-8 })).toThrow(/eps .* got -1e-8/);
    const p = param([1]);
    const opt = new Adam([p], { eps: 0 });
    opt.weightDecay = Infinity;
    setGrad(p, [1]);
    expect(() => opt.step()).toThrow(/Adam\.step\(\): weightDecay must be a finite number >= 0, got Infinity/);
    expect(p.item()).toBe(1);
  });

  it('loadStateDict checks values, not only names and shapes, and loads nothing on error', () => {
    const p = param([1, 2]);
    const src = new Adam([p], { lr: 0.01 });
    setGrad(p, [0.5, -0.5]);
    src.step();
    const good = () => Object.fromEntries(Object.entries(src.stateDict()).map(([k, t]) => [k, t.dataSync() as Float64Array]));
    const dst = new Adam([param([1, 2])], { lr: 0.01 });
    const fresh = JSON.stringify(Object.entries(dst.stateDict()).map(([k, t]) => [k, t.toFlatArray()]));
    const bad: [string, number, number, RegExp][] = [
      ['t', 0, -1, /'t'\[0\] is -1; it must be a whole number >= 0/],
      ['t', 0, 1.5, /'t'\[0\] is 1.5/],
      ['step', 0, -1, /'step'\[0\] is -1; it must be a whole number >= 0 \(the step count\)/],
      ['step', 0, 2.5, /'step'\[0\] is 2.5/],
      ['m.0', 1, NaN, /'m\.0'\[1\] is NaN; it must be finite/],
      ['v.0', 0, -1e-3, /'v\.0'\[0\] is -0.001; it must be finite and >= 0/],
      ['v.0', 1, Infinity, /'v\.0'\[1\] is Infinity/],
    ];
    for (const [name, i, value, msg] of bad) {
      const sd = good();
      sd[name][i] = value;
      expect(() => dst.loadStateDict(sd), `${name} = ${value}`).toThrow(msg);
      expect(JSON.stringify(Object.entries(dst.stateDict()).map(([k, t]) => [k, t.toFlatArray()]))).toBe(fresh);
    }
    const big = good();
    big['m.0'] = Float64Array.from([1e39, 0]); // finite, and this moment is float64: accepted
    dst.loadStateDict(big);
    dst.loadStateDict(good());
    expect(dst.stepCount).toBe(1);
    const sgd = new SGD([param([1])], { lr: 0.1, momentum: 0.9 });
    expect(() => sgd.loadStateDict({ step: Float64Array.from([-2]), 'momentum.0': Float64Array.from([0]) })).toThrow(/SGD\.loadStateDict: 'step'\[0\] is -2/);
    expect(() => sgd.loadStateDict({ step: Float64Array.from([1]), 'momentum.0': Float64Array.from([NaN]) })).toThrow(/'momentum\.0'\[0\] is NaN/);
  });

  it('a float32 moment is checked as it will be stored (1e39 overflows to Infinity)', () => {
    const p = tensor([1, 2], { requiresGrad: true }).keep();
    const opt = new Adam([p]);
    const sd = Object.fromEntries(Object.entries(opt.stateDict()).map(([k, t]) => [k, t.dataSync()]));
    sd['m.0'] = Float64Array.from([1e39, 0]);
    expect(() => opt.loadStateDict(sd as never)).toThrow(/'m\.0'\[0\] is 1e\+39; it must be finite/);
  });
});

describe('cosineDecay', () => {
  it('matches optax.cosine_decay_schedule', () => {
    const s = cosineDecay(3e-4, 100);
    expect(s(0)).toBeCloseTo(3e-4, 15);
    expect(s(50)).toBeCloseTo(1.5e-4, 15);
    expect(s(25)).toBeCloseTo(3e-4 * 0.5 * (1 + Math.cos(Math.PI / 4)), 15);
    expect(s(100)).toBeCloseTo(0, 15);
    expect(s(1000)).toBeCloseTo(0, 15);
    const a = cosineDecay(1, 10, 0.1);
    expect(a(10)).toBeCloseTo(0.1, 15);
    expect(a(5)).toBeCloseTo(0.9 * 0.5 + 0.1, 15);
    expect(() => cosineDecay(1, 0)).toThrow(/decaySteps/);
  });
});

describe('clipGradNorm', () => {
  it('returns the global norm and scales the gradients to maxNorm', () => {
    const a = param([0, 0]);
    const b = param([0]);
    const c = param([0]); // no gradient: ignored
    setGrad(a, [3, 0]);
    setGrad(b, [4]);
    expect(clipGradNorm([a, b, c], 1)).toBeCloseTo(5, 14);
    const coef = 1 / (5 + 1e-6);
    expect(a.grad!.toFlatArray()[0]).toBeCloseTo(3 * coef, 14);
    expect(b.grad!.item()).toBeCloseTo(4 * coef, 14);
    expect(c.grad).toBeNull();
    // below the threshold: untouched
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(1, 5);
    expect(b.grad!.item()).toBeCloseTo(4 * coef, 14);
  });

  it('a non-finite norm: NaN gradients by default (as PyTorch), an error naming the parameter with errorIfNonfinite', () => {
    const a = param([0, 0]);
    const b = param([0]);
    setGrad(a, [1, 2]);
    setGrad(b, [Infinity]);
    expect(() => clipGradNorm([a, b], 1, { errorIfNonfinite: true })).toThrow(/norm is Infinity \(parameter 1 of 2/);
    expect(a.grad!.toFlatArray()).toEqual([1, 2]); // untouched by the refusal
    expect(clipGradNorm([a, b], 1)).toBe(Infinity);
    expect(a.grad!.toFlatArray()).toEqual([0, 0]); // coef = 1 / Infinity = 0
    expect(Number.isNaN(b.grad!.item())).toBe(true); // Infinity * 0
    expect(() => clipGradNorm([a], 1, { errorIfNonfinite: 'yes' as unknown as boolean })).toThrow(/errorIfNonfinite must be a boolean/);
    // Finite gradients whose squares overflow (float64): no parameter is at fault, and the message says so.
    const big = param([0, 0]);
    setGrad(big, [1e200, 1e200]);
    expect(() => clipGradNorm([big], 1, { errorIfNonfinite: true })).toThrow(/norm is Infinity \(every gradient is finite, but their sum of squares overflowed\)/);
  });
});

describe('softUpdate', () => {
  it('target <- (1 - tau) target + tau source, in place', () => {
    const src = new Linear(3, 2, { rng: new Rng(1), init: 'torch', ...f64 });
    const tgt = new Linear(3, 2, { rng: new Rng(2), init: 'torch', ...f64 });
    const t0 = tgt.parameters().map((p) => p.toFlatArray());
    const s0 = src.parameters().map((p) => p.toFlatArray());
    const wRef = tgt.weight;
    softUpdate(tgt, src, 0.25);
    expect(tgt.weight).toBe(wRef);
    tgt.parameters().forEach((p, k) => p.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo(0.75 * t0[k][i] + 0.25 * s0[k][i], 14)));
    softUpdate(tgt, src, 1);
    tgt.weight.toFlatArray().forEach((v, i) => expect(v).toBeCloseTo(src.weight.toFlatArray()[i], 15));
    expect(() => softUpdate(tgt, new Linear(3, 3, { rng: new Rng(1), ...f64 }), 0.1)).toThrow(/'weight' has shape/);
  });

  it('rejects a parameter of another rank even when the sizes agree', () => {
    const tgt = new LayerNorm(1, { paramShape: [3, 1] });
    expect(() => softUpdate(tgt, new LayerNorm(3), 0.1)).toThrow(/'scale' has shape \[3\] in source, \[3, 1\] in target/);
  });
});

describe('training', () => {
  it('Adam fits a small regression inside tidy, and parameters/state survive', () => {
    const rng = new Rng(3);
    const net = new MLP({ inputSize: 2, hiddenSizes: [16], outputSize: 1, rng });
    const opt = new Adam(net.parameters(), { lr: 1e-2 });
    const x = randn([64, 2], { rng }).keep();
    const y = tidy(() => x.slice([0, 0], [64, 1]).mul(2).sub(x.slice([0, 1], [64, 1]))).keep();
    const losses: number[] = [];
    for (let i = 0; i < 200; i++) {
      losses.push(tidy(() => {
        opt.zeroGrad();
        const loss = mse(net.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item();
      }));
    }
    expect(losses.at(-1)!).toBeLessThan(0.05 * losses[0]);
    expect(Object.values(opt.stateDict()).every((t) => !t.isDisposed)).toBe(true);
  });
});
