/**
 * Pins layer formulas that the broader layer tests let through (found by a mutation audit):
 * the sign symmetry of the uniform inits, the member-major initialisation of every ensemble member,
 * the ensemble's defaults (xavier, relu), and the order Linear -> Dropout -> LayerNorm -> activation
 * of the MLP stacks when dropout is active (the path that cannot use the fused Linear+activation op).
 */
import { describe, expect, it } from 'vitest';
import { Rng, randn, tensor, type Tensor } from '../../core/index.js';
import { EnsembleLinear, EnsembleMLP, Linear, MLP, type Activation, type Init } from '../../nn/index.js';

const f64 = { dtype: 'float64' as const };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function act(h: Tensor, a: Activation): Tensor {
  return a === 'relu' ? h.relu() : a === 'mish' ? h.mish() : a === 'tanh' ? h.tanh() : h;
}

describe('uniform inits are symmetric about zero', () => {
  it('xavier and torch draws have mean ~0 and both signs in equal proportion, reaching both ends of [-a, a]', () => {
    for (const [init, a] of [['xavier', Math.sqrt(6 / 160)], ['torch', 1 / Math.sqrt(100)]] as const) {
      const w = Array.from(new Linear(100, 60, { init, rng: new Rng(11) }).weight.dataSync());
      const mean = w.reduce((s, v) => s + v, 0) / w.length;
      // std of one draw is a / sqrt(3); the mean of 6000 draws has sd ~ 0.0075 a.
      expect(Math.abs(mean) / a, init).toBeLessThan(0.04);
      const positive = w.filter((v) => v > 0).length / w.length;
      expect(positive, init).toBeGreaterThan(0.47);
      expect(positive, init).toBeLessThan(0.53);
      expect(Math.min(...w), init).toBeLessThan(-0.99 * a);
      expect(Math.max(...w), init).toBeGreaterThan(0.99 * a);
    }
  });
});

describe('ensemble initialisation', () => {
  it('member k is drawn in full (weight, then bias) right after member k-1, as consecutive Linear layers would be', () => {
    for (const init of [undefined, 'xavier', 'torch', 'lecun'] as (Init | undefined)[]) {
      const ens = new EnsembleLinear(3, 4, 5, { init, rng: new Rng(21), ...f64 });
      const rng = new Rng(21);
      const w = ens.weight.dataSync();
      const b = ens.bias.dataSync();
      for (let k = 0; k < 3; k++) {
        const lin = new Linear(4, 5, { init, rng, ...f64 }); // undefined init: Linear's default (xavier)
        expect(Array.from(w.slice(k * 20, (k + 1) * 20)), `${init} member ${k} weight`).toEqual(Array.from(lin.weight.dataSync()));
        expect(Array.from(b.slice(k * 5, (k + 1) * 5)), `${init} member ${k} bias`).toEqual(Array.from(lin.bias!.dataSync()));
      }
    }
  });

  it('every member of a wide ensemble has the init\'s spread (no member left at zero)', () => {
    const inF = 40;
    const outF = 30;
    const variance: Record<Init, number> = { xavier: 6 / (inF + outF) / 3, torch: 1 / inF / 3, lecun: 1 / inF };
    for (const init of ['xavier', 'torch', 'lecun'] as Init[]) {
      const ens = new EnsembleLinear(4, inF, outF, { init, rng: new Rng(5) });
      const w = ens.weight.dataSync();
      const b = ens.bias.dataSync();
      for (let k = 0; k < 4; k++) {
        const wk = Array.from(w.slice(k * inF * outF, (k + 1) * inF * outF));
        const v = wk.reduce((s, x) => s + x * x, 0) / wk.length;
        expect(v / variance[init], `${init} member ${k}`).toBeGreaterThan(0.85);
        expect(v / variance[init], `${init} member ${k}`).toBeLessThan(1.15);
        const bk = Array.from(b.slice(k * outF, (k + 1) * outF));
        if (init === 'torch') expect(bk.filter((x) => x !== 0).length, `torch member ${k} bias`).toBe(outF);
        else expect(bk.every((x) => x === 0), `${init} member ${k} bias`).toBe(true);
      }
    }
  });

  it('EnsembleMLP defaults: xavier weights, zero biases and relu between layers', () => {
    const opts = { inputSize: 3, hiddenSizes: [6], outputSize: 2, ...f64 };
    const e = new EnsembleMLP({ members: 2, rng: new Rng(8), ...opts });
    const rng = new Rng(8);
    // Same draws as xavier Linear layers, layer by layer, member by member.
    for (const [i, [inF, outF]] of [[3, 6], [6, 2]].entries()) {
      const w = e.layers[i].weight.dataSync();
      for (let k = 0; k < 2; k++) {
        const lin = new Linear(inF, outF, { init: 'xavier', rng, ...f64 });
        expect(Array.from(w.slice(k * inF * outF, (k + 1) * inF * outF))).toEqual(Array.from(lin.weight.dataSync()));
      }
      expect(e.layers[i].bias.dataSync().every((x) => x === 0)).toBe(true);
    }
    // Non-zero biases so that relu's kink and the bias both matter.
    for (const l of e.layers) l.bias.backend.write(l.bias.buffer, randn(l.bias.shape as number[], { rng: new Rng(9), ...f64 }).toFlatArray());
    const x = randn([5, 3], { rng: new Rng(10), ...f64 });
    const y = e.forward(x).toArray() as number[][][];
    for (let k = 0; k < 2; k++) {
      const s = e.memberState(k);
      const t = (name: string, shape: number[]) => tensor(s[name], { shape, ...f64 });
      const ref = x.matmul(t('layers.0.weight', [3, 6])).add(t('layers.0.bias', [6])).relu()
        .matmul(t('layers.1.weight', [6, 2])).add(t('layers.1.bias', [2]));
      expect(maxAbsDiff(y[k].flat(), ref.toFlatArray())).toBeLessThan(1e-12);
    }
  });
});

describe('MLP stacks with active dropout: Linear -> Dropout -> [LayerNorm] -> activation', () => {
  /** Non-trivial LayerNorm parameters, so that scale and bias are visible. */
  function perturbNorms(m: MLP | EnsembleMLP, seed: number): void {
    const rng = new Rng(seed);
    for (const [name, p] of m.namedParameters()) {
      if (name.startsWith('norms')) p.backend.write(p.buffer, randn(p.shape as number[], { rng, mean: 1, ...f64 }).toFlatArray());
    }
  }

  const cases: { activation: Activation; layerNorm: boolean; activateFinal: boolean }[] = [
    { activation: 'relu', layerNorm: false, activateFinal: false },
    { activation: 'relu', layerNorm: true, activateFinal: false },
    { activation: 'tanh', layerNorm: true, activateFinal: true },
    { activation: 'mish', layerNorm: false, activateFinal: true },
  ];

  it('MLP in training equals the hand-composed stack with the same dropout masks', () => {
    cases.forEach((c, n) => {
      const m = new MLP({ inputSize: 3, hiddenSizes: [7, 6], outputSize: 4, dropout: 0.4, init: 'torch', rng: new Rng(30 + n), ...c, ...f64 });
      if (c.layerNorm) perturbNorms(m, 40 + n);
      const x = randn([5, 3], { rng: new Rng(50 + n), ...f64 });
      const drng = m.dropouts.find((d) => d !== null)!.rng; // one stream shared by the layers
      const state = drng.getState();
      const got = m.forward(x).toFlatArray();
      drng.setState(state);
      let h = x;
      m.layers.forEach((l, i) => {
        h = h.matmul(l.weight).add(l.bias!);
        if (i < m.layers.length - 1 || c.activateFinal) {
          h = m.dropouts[i]!.forward(h);
          if (c.layerNorm) h = m.norms[i]!.forward(h);
          h = act(h, c.activation);
        }
      });
      expect(maxAbsDiff(got, h.toFlatArray()), JSON.stringify(c)).toBeLessThan(1e-12);
      // and dropout did act: eval mode gives another output
      m.eval();
      expect(maxAbsDiff(got, m.forward(x).toFlatArray()), JSON.stringify(c)).toBeGreaterThan(1e-3);
    });
  });

  it('EnsembleMLP in training equals the hand-composed stack with the same dropout masks', () => {
    cases.forEach((c, n) => {
      const e = new EnsembleMLP({ members: 2, inputSize: 3, hiddenSizes: [5], outputSize: 2, dropout: 0.3, init: 'torch', rng: new Rng(60 + n), ...c, ...f64 });
      if (c.layerNorm) perturbNorms(e, 70 + n);
      const x = randn([4, 3], { rng: new Rng(80 + n), ...f64 });
      const drng = e.dropouts.find((d) => d !== null)!.rng;
      const state = drng.getState();
      const got = e.forward(x).toFlatArray();
      drng.setState(state);
      let h = x;
      e.layers.forEach((l, i) => {
        h = h.matmul(l.weight).add(l.bias); // [B, in] x [n, in, out] broadcasts to [n, B, out]
        if (i < e.layers.length - 1 || c.activateFinal) {
          h = e.dropouts[i]!.forward(h);
          if (c.layerNorm) h = e.norms[i]!.forward(h);
          h = act(h, c.activation);
        }
      });
      expect(maxAbsDiff(got, h.toFlatArray()), JSON.stringify(c)).toBeLessThan(1e-12);
    });
  });
});
