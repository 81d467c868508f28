/** The sampler and the loss refuse inputs that would give silently wrong numbers. */
import { describe, expect, it } from 'vitest';
import { Rng, setBackend, tensor } from '../../core/index.js';
import { Denoiser, ddpmSample, diffusionLoss, vpSchedule } from '../../diffusion/index.js';

describe('diffusion input checks', () => {
  setBackend('js');
  const model = new Denoiser({ dataSize: 2, condSize: 3, hidden: 8, blocks: 1, timeFeatures: 4, timeHidden: 8, rng: new Rng(0) });
  const s = vpSchedule(5);
  const x0 = tensor(new Float32Array([0.3, -0.2, 0.1, 0.5, -0.7, 0.2, 0, 0.9]), { shape: [4, 2] });
  const cond = tensor(new Float32Array(12).fill(0.1), { shape: [4, 3] });

  it('diffusionLoss: weights must be [B] (a [B, 1] tensor broadcast to [B, B])', () => {
    const w = new Float32Array([1, 2, 3, 4]);
    const good = diffusionLoss(model, s, x0, cond, tensor(w, { shape: [4] }), new Rng(1)).loss.item();
    expect(Number.isFinite(good)).toBe(true);
    expect(() => diffusionLoss(model, s, x0, cond, tensor(w, { shape: [4, 1] }), new Rng(1))).toThrow(/diffusionLoss: weights must have shape \[4\] \(one per sample of x0 \[4, 2\]\), got \[4, 1\]/);
    expect(() => diffusionLoss(model, s, x0, cond, tensor(w.subarray(0, 1), { shape: [1] }), new Rng(1))).toThrow(/weights must have shape \[4\].*got \[1\]/);
  });

  it('ddpmSample: temperature must be finite and >= 0; opts.batch must agree with the conditioning batch', () => {
    for (const t of [-1, NaN]) expect(() => ddpmSample(model, s, cond, 2, new Rng(2), { temperature: t })).toThrow(new RegExp(`ddpmSample: temperature must be a finite number >= 0, got ${t}`));
    expect(() => ddpmSample(model, s, cond, 2, new Rng(2), { batch: 7 })).toThrow(/ddpmSample: opts\.batch 7 differs from the conditioning batch's 4 rows/);
    // T = 1, temperature 0 and no clip are valid: one denoising step, no noise drawn after x_T
    const a = ddpmSample(model, vpSchedule(1), cond, 2, new Rng(2), { temperature: 0, clip: false }).toFlatArray();
    expect(a).toHaveLength(8);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(ddpmSample(model, s, cond, 2, new Rng(2), { batch: 4 }).shape).toEqual([4, 2]);
  });
});
