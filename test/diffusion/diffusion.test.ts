import { describe, expect, it } from 'vitest';
import { Rng, setBackend, tensor, tidy } from '../../core/index.js';
import { Denoiser, FourierFeatures, ddpmSample, diffusionLoss, vpSchedule, type NoisePredictor } from '../../diffusion/index.js';

setBackend('js');

describe('vpSchedule', () => {
  it('matches the reference betas and alpha-bars (FISOR.md, T = 5)', () => {
    const s = vpSchedule(5, 0.1, 10);
    const ref = [0.196, 0.459, 0.636, 0.755, 0.835];
    s.betas.forEach((b, i) => expect(b).toBeCloseTo(ref[i], 3));
    expect(s.alphaBars[4]).toBeCloseTo(0.0064, 4);
    // exact formula
    for (let k = 0; k < 5; k++) {
      const t = k + 1;
      expect(s.betas[k]).toBe(1 - Math.exp(-0.1 / 5 - (0.5 * 9.9 * (2 * t - 1)) / 25));
      expect(s.alphas[k]).toBeCloseTo(1 - s.betas[k], 15);
    }
    let prod = 1;
    for (let k = 0; k < 5; k++) expect(s.alphaBars[k]).toBeCloseTo((prod *= s.alphas[k]), 15);
  });

  it('rejects bad arguments', () => {
    expect(() => vpSchedule(0)).toThrow(/T must be/);
    expect(() => vpSchedule(5, 0, 10)).toThrow(/betaMin/);
  });
});

describe('FourierFeatures and Denoiser', () => {
  it('give [cos 2 pi t W, sin 2 pi t W] and the right output shape', () => {
    const ff = new FourierFeatures({ outputSize: 8, rng: new Rng(0), dtype: 'float64' });
    const w = ff.kernel.toFlatArray();
    const y = ff.forward(tensor([[2]], { dtype: 'float64' })).toFlatArray();
    for (let i = 0; i < 4; i++) {
      expect(y[i]).toBeCloseTo(Math.cos(2 * Math.PI * 2 * w[i]), 12);
      expect(y[4 + i]).toBeCloseTo(Math.sin(2 * Math.PI * 2 * w[i]), 12);
    }
    const d = new Denoiser({ dataSize: 2, condSize: 3, hidden: 8, blocks: 1, timeFeatures: 8, timeHidden: 8, rng: new Rng(1) });
    const out = d.forward(tensor(new Float32Array(10), { shape: [5, 2] }), tensor(new Float32Array(5), { shape: [5, 1] }), tensor(new Float32Array(15), { shape: [5, 3] }));
    expect(out.shape).toEqual([5, 2]);
  });
});

describe('ddpmSample', () => {
  it('returns [B, D] inside [-1, 1] even for a wild noise predictor, and is reproducible from the Rng', () => {
    const s = vpSchedule(5);
    const wild: NoisePredictor = { forward: (x) => x.mul(-50).add(3) };
    const cond = tensor(new Float32Array(7 * 3), { shape: [7, 3] });
    const a = tidy(() => ddpmSample(wild, s, cond, 2, new Rng(3)).toFlatArray());
    expect(a).toHaveLength(14);
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    const b = tidy(() => ddpmSample(wild, s, cond, 2, new Rng(3)).toFlatArray());
    expect(b).toEqual(a);
    const unclipped = tidy(() => ddpmSample(wild, s, cond, 2, new Rng(3), { clip: false }).toFlatArray());
    expect(unclipped.some((v) => Math.abs(v) > 1)).toBe(true);
  });

  it('with the true noise of a point mass, recovers the point (exact denoiser)', () => {
    // data = constant c: eps(x_t, t) = (x_t - sqrt(abar_t) c) / sqrt(1 - abar_t) is the exact noise predictor.
    const s = vpSchedule(5);
    const c = 0.3;
    const exact: NoisePredictor = {
      forward: (x, t) => {
        const k = t.toFlatArray()[0];
        return x.sub(Math.sqrt(s.alphaBars[k]) * c).mul(1 / Math.sqrt(1 - s.alphaBars[k]));
      },
    };
    const out = ddpmSample(exact, s, null, 1, new Rng(0), { batch: 50, clip: false, dtype: 'float64' }).toFlatArray();
    for (const v of out) expect(v).toBeCloseTo(c, 6);
  });
});

describe('diffusionLoss', () => {
  it('weights samples: zero weights give zero loss, weights scale the mean', () => {
    const d = new Denoiser({ dataSize: 2, condSize: 1, hidden: 8, blocks: 1, timeFeatures: 4, timeHidden: 4, dropout: 0, rng: new Rng(1), dtype: 'float64' });
    const s = vpSchedule(5);
    const x0 = tensor([[0.1, 0.2], [-0.5, 0.9], [0, 0]], { dtype: 'float64' });
    const cond = tensor([[1], [2], [3]], { dtype: 'float64' });
    const zero = diffusionLoss(d, s, x0, cond, tensor([0, 0, 0], { dtype: 'float64' }), new Rng(5));
    expect(zero.loss.item()).toBe(0);
    const plain = diffusionLoss(d, s, x0, cond, null, new Rng(5));
    const per = plain.perSample.toFlatArray();
    expect(plain.loss.item()).toBeCloseTo((per[0] + per[1] + per[2]) / 3, 12);
    const w = diffusionLoss(d, s, x0, cond, tensor([2, 0, 1], { dtype: 'float64' }), new Rng(5));
    expect(w.loss.item()).toBeCloseTo((2 * per[0] + per[2]) / 3, 12);
  });
});
