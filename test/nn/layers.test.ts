import { describe, expect, it } from 'vitest';
import { gradcheck, Rng, randn, tensor, tidy, Tensor } from '../../core/index.js';
import {
  Dropout, EnsembleMLP, ensembleMax, ensembleMin, LayerNorm, layerNormalize, Linear, MLP, MLPResNet, Module,
} from '../../nn/index.js';

const f64 = { dtype: 'float64' as const };

/** gradcheck of module.forward w.r.t. the input and every parameter. */
function checkModule(m: Module, x: Tensor, opts: { before?: () => void; maxPoints?: number } = {}) {
  const names = m.namedParameters().map(([n]) => n);
  const fn = (xi: Tensor, ...ps: Tensor[]) => {
    opts.before?.();
    return m.withParameters(Object.fromEntries(names.map((n, i) => [n, ps[i]])), () => (m as any).forward(xi) as Tensor);
  };
  return gradcheck(fn, [x, ...m.parameters()], { maxPoints: opts.maxPoints ?? 24 });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('Linear', () => {
  it('maps [..., in] to [..., out] for rank 1, 2 and 3 inputs', () => {
    const lin = new Linear(5, 3, { rng: new Rng(1) });
    expect(lin.forward(randn([4, 5])).shape).toEqual([4, 3]);
    expect(lin.forward(randn([5])).shape).toEqual([3]);
    expect(lin.forward(randn([2, 4, 5])).shape).toEqual([2, 4, 3]);
    expect(() => lin.forward(randn([4, 6]))).toThrow(/does not end in 5/);
  });

  it('computes x · W + b', () => {
    const lin = new Linear(2, 2, { rng: new Rng(1), ...f64 });
    lin.loadStateDict({ weight: new Float64Array([1, 2, 3, 4]), bias: new Float64Array([10, 20]) });
    expect(lin.forward(tensor([[1, 1], [2, 0]], f64)).toArray()).toEqual([[14, 26], [12, 24]]);
  });

  it('xavier init: U(-a, a), a = sqrt(6/(in+out)), zero bias; torch init: U(-1/sqrt(in), 1/sqrt(in))', () => {
    const x = new Linear(100, 60, { rng: new Rng(2) });
    const a = Math.sqrt(6 / 160);
    const w = x.weight.toFlatArray();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(a);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 * a);
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(variance).toBeCloseTo((a * a) / 3, 3);
    expect(x.bias!.toFlatArray().every((v) => v === 0)).toBe(true);
    const t = new Linear(64, 10, { rng: new Rng(3), init: 'torch' });
    const bound = 1 / 8;
    for (const p of [t.weight, t.bias!]) {
      const v = p.toFlatArray();
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
    expect(t.bias!.toFlatArray().some((v) => v !== 0)).toBe(true);
    expect(new Linear(3, 2, { bias: false, rng: new Rng(0) }).namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  it('same seed, same weights', () => {
    const a = new Linear(7, 5, { rng: new Rng(9) });
    const b = new Linear(7, 5, { rng: new Rng(9) });
    expect(a.weight.toFlatArray()).toEqual(b.weight.toFlatArray());
  });

  it('passes gradcheck in float64 (rank 2 and 3, with and without bias)', () => {
    const rng = new Rng(4);
    for (const [shape, bias] of [[[3, 4], true], [[2, 3, 4], true], [[3, 4], false]] as const) {
      const lin = new Linear(4, 3, { rng, init: 'torch', bias, ...f64 });
      const r = checkModule(lin, randn([...shape], { rng, ...f64 }));
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });
});

describe('LayerNorm', () => {
  it('normalises the last axis to mean 0 and variance 1 (then scale and bias)', () => {
    const ln = new LayerNorm(8, f64);
    const y = ln.forward(randn([5, 8], { rng: new Rng(1), mean: 3, std: 2, ...f64 }));
    const rows = y.toArray() as number[][];
    for (const r of rows) {
      const mu = r.reduce((a, b) => a + b, 0) / r.length;
      const v = r.reduce((a, b) => a + (b - mu) ** 2, 0) / r.length;
      expect(Math.abs(mu)).toBeLessThan(1e-12);
      expect(v).toBeCloseTo(1, 5);
    }
    ln.loadStateDict({ scale: new Float64Array(8).fill(2), bias: new Float64Array(8).fill(1) });
    const y2 = ln.forward(tensor(rows.flat(), { shape: [5, 8], ...f64 }));
    expect(y2.shape).toEqual([5, 8]);
  });

  it('matches the composite core-op formula', () => {
    const x = randn([3, 6], { rng: new Rng(2), ...f64 });
    const mu = x.mean(-1, true);
    const xc = x.sub(mu);
    const ref = xc.mul(xc.square().mean(-1, true).add(1e-6).pow(-0.5));
    expect(maxAbsDiff(layerNormalize(x, 1e-6).toFlatArray(), ref.toFlatArray())).toBeLessThan(1e-12);
  });

  it('passes gradcheck in float64 (input, scale, bias), rank 2 and 3', () => {
    const rng = new Rng(3);
    const ln = new LayerNorm(5, f64);
    ln.loadStateDict({ scale: randn([5], { rng, ...f64 }), bias: randn([5], { rng, ...f64 }) });
    expect(checkModule(ln, randn([4, 5], { rng, ...f64 })).ok).toBe(true);
    expect(checkModule(ln, randn([2, 3, 5], { rng, ...f64 })).ok).toBe(true);
  });
});

describe('layer argument checks', () => {
  it('LayerNorm takes eps as a finite number >= 0 and paramShape as positive sizes', () => {
    expect(() => new LayerNorm(3, { eps: NaN })).toThrow(/LayerNorm: eps must be a finite number >= 0, got NaN/);
    expect(() => new LayerNorm(3, { eps: -1 })).toThrow(/eps .* got -1/);
    expect(() => new LayerNorm(3, { eps: Infinity })).toThrow(/eps .* got Infinity/);
    expect(() => new LayerNorm(3, { paramShape: [-1, 3] })).toThrow(/LayerNorm: paramShape \[-1, 3\] entry 0 must be a positive integer, got -1/);
    expect(() => new LayerNorm(3, { paramShape: [1.5, 3] })).toThrow(/entry 0 .* got 1.5/);
    expect(() => new LayerNorm(3, { paramShape: 3 as never })).toThrow(/paramShape must be an array of sizes/);
    expect(new LayerNorm(3, { eps: 0, paramShape: [2, 1, 3] }).scale.shape).toEqual([2, 1, 3]);
  });

  it('every layer takes dropout as a finite number in [0, 1) (NaN and -1 meant off, silently)', () => {
    const spec = { inputSize: 2, hiddenSizes: [3], outputSize: 1 };
    for (const bad of [NaN, -0.5, -1, 1, Infinity, '0.1']) {
      expect(() => new MLP({ ...spec, rng: new Rng(0), dropout: bad as never })).toThrow(new RegExp(`MLP: dropout must be a finite number in \\[0, 1\\) \\(0 = off\\), got ${String(bad)}`));
      expect(() => new EnsembleMLP({ ...spec, members: 2, rng: new Rng(0), dropout: bad as never })).toThrow(/EnsembleMLP: dropout must be a finite number in \[0, 1\)/);
      expect(() => new MLPResNet({ inputSize: 2, hidden: 4, blocks: 1, outputSize: 1, rng: new Rng(0), dropout: bad as never })).toThrow(/MLPResNet: dropout must be a finite number in \[0, 1\)/);
    }
    // Off and on as before: 0 (and an omitted option) makes no Dropout module; MLPResNet defaults to 0.1.
    expect(new MLP({ ...spec, rng: new Rng(0), dropout: 0 }).dropouts).toEqual([null, null]);
    expect(new MLP({ ...spec, rng: new Rng(0), dropout: 0.2 }).dropouts[0]?.p).toBe(0.2);
    expect(new MLPResNet({ inputSize: 2, hidden: 4, blocks: 1, outputSize: 1, rng: new Rng(0) }).blocks[0].dropout?.p).toBe(0.1);
    expect(new MLPResNet({ inputSize: 2, hidden: 4, blocks: 1, outputSize: 1, rng: new Rng(0), dropout: 0 }).blocks[0].dropout).toBe(null);
  });

  it('forward names an input that is not a Tensor', () => {
    expect(() => new Linear(3, 2).forward([1, 2, 3] as never)).toThrow(/Linear\(3, 2\): input must be a Tensor, got an array/);
    expect(() => new LayerNorm(3).forward(null as never)).toThrow(/LayerNorm\(3\): input must be a Tensor, got null/);
    const ens = new EnsembleMLP({ members: 2, inputSize: 3, hiddenSizes: [], outputSize: 1, rng: new Rng(0) });
    expect(() => ens.forward([1, 2, 3] as never)).toThrow(/EnsembleLinear\(2 x 3 -> 1\): input must be a Tensor/);
  });
});

describe('Dropout', () => {
  it('is the identity in eval mode and for p = 0', () => {
    const x = randn([4, 5]);
    const d = new Dropout(0.5, new Rng(1));
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(new Dropout(0, new Rng(1)).forward(x)).toBe(x);
  });

  it('zeroes about p of the elements and scales the rest by 1/(1-p); seeded', () => {
    const x = tensor(new Float32Array(10000).fill(1), { shape: [100, 100] });
    const y = new Dropout(0.25, new Rng(5)).forward(x).toFlatArray();
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros / y.length).toBeGreaterThan(0.22);
    expect(zeros / y.length).toBeLessThan(0.28);
    expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    const y2 = new Dropout(0.25, new Rng(5)).forward(x).toFlatArray();
    expect(y2).toEqual(y);
    expect(() => new Dropout(1, new Rng(0))).toThrow(/p must be in/);
  });

  it('passes gradcheck (fixed mask)', () => {
    const rng = new Rng(6);
    const d = new Dropout(0.3, rng);
    const state = rng.getState();
    const r = gradcheck((x) => { rng.setState(state); return d.forward(x); }, [randn([3, 4], { rng: new Rng(1), ...f64 })]);
    expect(r.ok).toBe(true);
  });
});

describe('MLP', () => {
  it('has the jaxrl layout and names', () => {
    const m = new MLP({ inputSize: 3, hiddenSizes: [8, 8], outputSize: 2, layerNorm: true, dropout: 0.1, rng: new Rng(1) });
    expect(m.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      'layers.0.weight:3x8', 'layers.0.bias:8', 'layers.1.weight:8x8', 'layers.1.bias:8',
      'layers.2.weight:8x2', 'layers.2.bias:2', 'norms.0.scale:8', 'norms.0.bias:8', 'norms.1.scale:8', 'norms.1.bias:8',
    ]);
    expect(m.forward(randn([5, 3])).shape).toEqual([5, 2]);
    const f = new MLP({ inputSize: 3, hiddenSizes: [4], outputSize: 2, layerNorm: true, activateFinal: true, rng: new Rng(1) });
    expect(f.namedParameters().map(([n]) => n)).toContain('norms.1.scale');
  });

  it('computes Linear -> act -> Linear (relu)', () => {
    const rng = new Rng(2);
    const m = new MLP({ inputSize: 3, hiddenSizes: [4], outputSize: 2, rng, ...f64 });
    const x = randn([5, 3], { rng, ...f64 });
    const l0 = m.layers[0];
    const l1 = m.layers[1];
    const ref = x.matmul(l0.weight).add(l0.bias!).relu().matmul(l1.weight).add(l1.bias!);
    expect(maxAbsDiff(m.forward(x).toFlatArray(), ref.toFlatArray())).toBeLessThan(1e-12);
  });

  it('passes gradcheck in float64 for each activation, LayerNorm, dropout and activateFinal', () => {
    const cases = [
      { activation: 'relu' as const },
      { activation: 'mish' as const, layerNorm: true },
      { activation: 'tanh' as const, activateFinal: true },
      { activation: 'mish' as const, dropout: 0.2, layerNorm: true, activateFinal: true },
      { activation: 'none' as const },
    ];
    cases.forEach((c, k) => {
      const rng = new Rng(10 + k);
      const m = new MLP({ inputSize: 3, hiddenSizes: [5, 4], outputSize: 2, init: 'torch', rng, ...c, ...f64 });
      const drops = m.dropouts.filter((d): d is Dropout => d !== null);
      const states = drops.map((d) => d.rng.getState());
      const r = checkModule(m, randn([4, 3], { rng, ...f64 }), { before: () => drops.forEach((d, i) => d.rng.setState(states[i])) });
      expect(r.ok, `${JSON.stringify(c)}: ${r.maxRelErr}`).toBe(true);
    });
  });
});

describe('EnsembleMLP', () => {
  it('gives [n, B, out] for shared [B, in] and per-member [n, B, in] inputs', () => {
    const e = new EnsembleMLP({ members: 3, inputSize: 4, hiddenSizes: [8, 8], outputSize: 1, rng: new Rng(1) });
    expect(e.forward(randn([5, 4])).shape).toEqual([3, 5, 1]);
    expect(e.forward(randn([3, 5, 4])).shape).toEqual([3, 5, 1]);
    expect(() => e.forward(randn([2, 5, 4]))).toThrow(/EnsembleLinear/);
    expect(e.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      'layers.0.weight:3x4x8', 'layers.0.bias:3x1x8', 'layers.1.weight:3x8x8', 'layers.1.bias:3x1x8',
      'layers.2.weight:3x8x1', 'layers.2.bias:3x1x1',
    ]);
  });

  it('members have independent weights', () => {
    const e = new EnsembleMLP({ members: 2, inputSize: 4, hiddenSizes: [8], outputSize: 1, rng: new Rng(1) });
    const s0 = e.memberState(0);
    const s1 = e.memberState(1);
    expect(Array.from(s0['layers.0.weight'])).not.toEqual(Array.from(s1['layers.0.weight']));
  });

  it('member i equals an independent MLP with member i\'s weights (shared and per-member input)', () => {
    for (const layerNorm of [false, true]) {
      const rng = new Rng(layerNorm ? 5 : 4);
      const opts = { inputSize: 4, hiddenSizes: [6, 5], outputSize: 2, activation: 'mish' as const, layerNorm, init: 'torch' as const, ...f64 };
      const e = new EnsembleMLP({ members: 3, rng, ...opts });
      if (layerNorm) {
        // non-trivial LayerNorm parameters, different per member
        for (const [name, p] of e.namedParameters()) {
          if (name.startsWith('norms')) p.backend.write(p.buffer, randn(p.shape as number[], { rng, ...f64 }).toFlatArray());
        }
      }
      const x = randn([7, 4], { rng, ...f64 });
      const xs = randn([3, 7, 4], { rng, ...f64 });
      const y = e.forward(x).toArray() as number[][][];
      const ys = e.forward(xs).toArray() as number[][][];
      for (let i = 0; i < 3; i++) {
        const m = new MLP({ rng: new Rng(0), ...opts });
        m.loadStateDict(e.memberState(i));
        expect(maxAbsDiff(m.forward(x).toFlatArray(), y[i].flat())).toBeLessThan(1e-12);
        const xi = xs.slice([i, 0, 0], [1, 7, 4]).reshape([7, 4]);
        expect(maxAbsDiff(m.forward(xi).toFlatArray(), ys[i].flat())).toBeLessThan(1e-12);
      }
    }
  });

  it('passes gradcheck in float64 (shared and per-member input, with LayerNorm)', () => {
    const rng = new Rng(7);
    const e = new EnsembleMLP({ members: 2, inputSize: 3, hiddenSizes: [4], outputSize: 2, activation: 'mish', layerNorm: true, init: 'torch', rng, ...f64 });
    expect(checkModule(e, randn([3, 3], { rng, ...f64 })).ok).toBe(true);
    expect(checkModule(e, randn([2, 3, 3], { rng, ...f64 })).ok).toBe(true);
  });

  it('ensembleMin / ensembleMax reduce the member axis, with gradients to the chosen member', () => {
    const y = tensor([[[1], [5]], [[3], [2]]], { ...f64, requiresGrad: true });
    expect(ensembleMin(y).toArray()).toEqual([[1], [2]]);
    expect(ensembleMax(y).toArray()).toEqual([[3], [5]]);
    ensembleMin(y).sum().backward();
    expect(y.grad!.toArray()).toEqual([[[1], [0]], [[0], [1]]]);
    const r = gradcheck((t) => ensembleMax(t), [randn([3, 4, 2], { rng: new Rng(1), ...f64 })]);
    expect(r.ok).toBe(true);
  });
});

describe('MLPResNet', () => {
  it('has FISOR\'s layout and sizes', () => {
    const net = new MLPResNet({ inputSize: 10, outputSize: 3, rng: new Rng(1) });
    const names = net.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    expect(names.slice(0, 8)).toEqual([
      'input.weight:10x256', 'input.bias:256', 'blocks.0.norm.scale:256', 'blocks.0.norm.bias:256',
      'blocks.0.fc1.weight:256x1024', 'blocks.0.fc1.bias:1024', 'blocks.0.fc2.weight:1024x256', 'blocks.0.fc2.bias:256',
    ]);
    expect(names.at(-2)).toBe('output.weight:256x3');
    expect(net.blocks.length).toBe(3);
    expect(net.forward(randn([2, 10])).shape).toEqual([2, 3]);
  });

  it('equals the hand-composed forward in eval mode', () => {
    const rng = new Rng(2);
    const net = new MLPResNet({ inputSize: 3, hidden: 4, blocks: 2, outputSize: 2, rng, ...f64 }).eval();
    const x = randn([5, 3], { rng, ...f64 });
    let h = net.input.forward(x);
    for (const b of net.blocks) h = h.add(b.fc2.forward(b.fc1.forward(b.norm.forward(h)).mish()));
    const ref = net.output.forward(h.mish());
    expect(maxAbsDiff(net.forward(x).toFlatArray(), ref.toFlatArray())).toBeLessThan(1e-12);
  });

  it('dropout is active in training and off in eval', () => {
    const net = new MLPResNet({ inputSize: 3, hidden: 8, blocks: 1, outputSize: 2, dropout: 0.5, rng: new Rng(3) });
    const x = randn([4, 3]);
    const a = net.forward(x).toFlatArray();
    const b = net.forward(x).toFlatArray();
    expect(a).not.toEqual(b);
    net.eval();
    expect(net.forward(x).toFlatArray()).toEqual(net.forward(x).toFlatArray());
  });

  it('passes gradcheck in float64 (with dropout, fixed masks)', () => {
    const rng = new Rng(4);
    const net = new MLPResNet({ inputSize: 3, hidden: 3, blocks: 2, outputSize: 2, dropout: 0.2, init: 'torch', rng, ...f64 });
    const drop = net.blocks[0].dropout!;
    const state = drop.rng.getState(); // blocks share one dropout stream
    const r = checkModule(net, randn([3, 3], { rng, ...f64 }), { before: () => drop.rng.setState(state), maxPoints: 12 });
    expect(r.ok, String(r.maxRelErr)).toBe(true);
  });
});

describe('Module', () => {
  const make = (seed: number) => new MLP({ inputSize: 3, hiddenSizes: [4], outputSize: 2, layerNorm: true, dropout: 0.1, rng: new Rng(seed) });

  it('train/eval set the mode recursively', () => {
    const m = make(1);
    expect(m.training).toBe(true);
    m.eval();
    expect(m.dropouts[0]!.training).toBe(false);
    expect(m.norms[0]!.training).toBe(false);
    m.train();
    expect(m.dropouts[0]!.training).toBe(true);
  });

  it('parameters are kept leaves that survive tidy', () => {
    const m = tidy(() => make(1));
    for (const p of m.parameters()) {
      expect(p.requiresGrad).toBe(true);
      expect(p.isDisposed).toBe(false);
    }
    tidy(() => {
      const loss = m.eval().forward(randn([2, 3])).square().sum();
      loss.backward();
    });
    expect(m.parameters().every((p) => p.grad !== null && !p.grad.isDisposed)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('stateDict / loadStateDict round trip and copyFrom', () => {
    const a = make(1);
    const b = make(2);
    expect(a.parameters()[0].toFlatArray()).not.toEqual(b.parameters()[0].toFlatArray());
    b.loadStateDict(a.stateDict());
    a.parameters().forEach((p, i) => expect(b.parameters()[i].toFlatArray()).toEqual(p.toFlatArray()));
    const c = make(3);
    c.copyFrom(a);
    expect(c.parameters()[2].toFlatArray()).toEqual(a.parameters()[2].toFlatArray());
    // copies, not aliases
    expect(c.parameters()[0]).not.toBe(a.parameters()[0]);
  });

  it('loadStateDict names every problem and leaves the model untouched on error', () => {
    const a = make(1);
    const before = a.parameters().map((p) => p.toFlatArray());
    const sd: Record<string, any> = { ...a.stateDict() };
    const fresh = make(2).stateDict();
    for (const k of Object.keys(sd)) sd[k] = fresh[k];
    delete sd['layers.1.bias'];
    sd['layers.0.weight'] = randn([4, 3]);
    sd['bogus'] = randn([1]);
    let msg = '';
    try {
      a.loadStateDict(sd);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/missing 'layers\.1\.bias'/);
    expect(msg).toMatch(/'layers\.0\.weight' has shape \[4, 3\], expected \[3, 4\]/);
    expect(msg).toMatch(/unexpected 'bogus'/);
    a.parameters().forEach((p, i) => expect(p.toFlatArray()).toEqual(before[i]));
    // non-strict: partial loads are allowed, extras ignored
    a.loadStateDict({ 'layers.1.bias': new Float32Array([7, 8]), other: new Float32Array(1) }, { strict: false });
    expect(a.layers[1].bias!.toFlatArray()).toEqual([7, 8]);
    expect(() => a.loadStateDict({ 'layers.1.bias': new Float32Array(3) }, { strict: false })).toThrow(/3 values, expected shape \[2\]/);
  });

  it('withParameters swaps parameters for one call and restores them', () => {
    const m = new Linear(2, 1, { rng: new Rng(1), ...f64 });
    const w = tensor([[1], [1]], f64);
    const y = m.withParameters({ weight: w }, () => m.forward(tensor([[2, 3]], f64)));
    expect(y.item()).toBe(5);
    expect(m.weight).not.toBe(w);
    expect(() => m.withParameters({ nope: w }, () => 0)).toThrow(/no parameter 'nope'/);
  });

  it('withParameters reaches nested parameters (dotted child names)', () => {
    const r = new MLPResNet({ inputSize: 2, hidden: 3, blocks: 2, outputSize: 1, dropout: 0, rng: new Rng(1), ...f64 });
    const x = randn([2, 2], f64);
    const base = r.forward(x).toFlatArray();
    for (const [name, p] of r.namedParameters()) {
      const other = randn(p.shape as number[], f64);
      const y = r.withParameters({ [name]: other }, () => r.forward(x)).toFlatArray();
      expect(y, name).not.toEqual(base);
    }
    expect(r.forward(x).toFlatArray()).toEqual(base);
  });
});
