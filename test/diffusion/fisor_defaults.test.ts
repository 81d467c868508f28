/**
 * Pins the diffusion actor's defaults to FISOR's constants (/work/shared/reference/FISOR.md) and the
 * draws that the golden cases script away (found by a mutation audit): the golden and unit tests pass
 * every size explicitly and feed fixed t and noise, so a wrong default or a wrong t range went unseen.
 */
import { describe, expect, it } from 'vitest';
import { Rng, setBackend, tensor, tidy, type Tensor } from '../../core/index.js';
import { Denoiser, FourierFeatures, ddpmSample, diffusionLoss, vpSchedule, type NoisePredictor } from '../../diffusion/index.js';

setBackend('js');

describe('Denoiser defaults (FISOR.md: 32 Fourier frequencies, MLP(128, 128) Mish, MLPResNet 256 x 3, dropout 0.1)', () => {
  // One full-size denoiser (about 1.6M parameters) serves both tests.
  const d = new Denoiser({ dataSize: 2, condSize: 3, rng: new Rng(1) });

  it('has FISOR\'s sizes, dropout and time-MLP layout when only data and condition sizes are given', () => {
    const shapes = Object.fromEntries(d.namedParameters().map(([n, p]) => [n, p.shape.join('x')]));
    expect(shapes['time.kernel']).toBe('32x1');
    expect(shapes['timeMlp.layers.0.weight']).toBe('64x128');
    expect(shapes['timeMlp.layers.1.weight']).toBe('128x128');
    expect(shapes['timeMlp.layers.2.weight']).toBeUndefined();
    expect(shapes['body.input.weight']).toBe(`${2 + 3 + 128}x256`);
    expect(shapes['body.blocks.0.fc1.weight']).toBe('256x1024');
    expect(shapes['body.output.weight']).toBe('256x2');
    expect(d.body.blocks.length).toBe(3);
    for (const b of d.body.blocks) expect(b.dropout?.p).toBe(0.1);
    expect(d.timeMlp.activation).toBe('mish');
    expect(d.timeMlp.activateFinal).toBe(false);
  });

  it('the time MLP is xavier-uniform with zero biases', () => {
    for (const [l, inF, outF] of [[d.timeMlp.layers[0], 64, 128], [d.timeMlp.layers[1], 128, 128]] as const) {
      const a = Math.sqrt(6 / (inF + outF));
      const w = Array.from(l.weight.dataSync());
      const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(a);
      expect(variance / ((a * a) / 3)).toBeGreaterThan(0.9);
      expect(variance / ((a * a) / 3)).toBeLessThan(1.1);
      expect(l.bias!.dataSync().every((v) => v === 0)).toBe(true);
    }
  });

  it('Fourier kernel W ~ N(0, 0.2^2) by default', () => {
    const w = Array.from(new FourierFeatures({ outputSize: 8000, rng: new Rng(3), dtype: 'float64' }).kernel.dataSync());
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.01); // sd of the mean: 0.2 / sqrt(4000) ~ 0.003
    expect(std).toBeGreaterThan(0.19);
    expect(std).toBeLessThan(0.21);
  });
});

describe('vpSchedule defaults', () => {
  it('vpSchedule() is T = 5, bmin = 0.1, bmax = 10 (betas ~ [0.196, 0.459, 0.636, 0.755, 0.835])', () => {
    const s = vpSchedule();
    expect(s.T).toBe(5);
    [0.196, 0.459, 0.636, 0.755, 0.835].forEach((b, i) => expect(s.betas[i]).toBeCloseTo(b, 3));
    expect(s.alphaBars[4]).toBeCloseTo(0.0064, 4);
  });
});

describe('diffusionLoss draws', () => {
  it('t is uniform on {0, .., T-1} (every step trained, none outside)', () => {
    const s = vpSchedule(5);
    const seen: number[] = [];
    const recorder: NoisePredictor = {
      forward: (xt: Tensor, t: Tensor) => {
        seen.push(...t.toFlatArray());
        return xt.mul(0);
      },
    };
    const B = 1000;
    tidy(() => diffusionLoss(recorder, s, tensor(new Float64Array(B * 2), { shape: [B, 2], dtype: 'float64' }), null, null, new Rng(4)).loss.item());
    expect(seen).toHaveLength(B);
    const counts = [0, 1, 2, 3, 4].map((k) => seen.filter((t) => t === k).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(B); // nothing outside 0..4
    for (const c of counts) {
      expect(c).toBeGreaterThan(150); // expected 200 each, sd ~ 13
      expect(c).toBeLessThan(250);
    }
  });
});

describe('ddpmSample defaults', () => {
  it('temperature defaults to 1 (FISOR) and scales the added noise', () => {
    const s = vpSchedule(5);
    const zero: NoisePredictor = { forward: (x) => x.mul(0) };
    const run = (opts: { temperature?: number }) => tidy(() => ddpmSample(zero, s, null, 3, new Rng(6), { batch: 4, clip: false, dtype: 'float64', ...opts }).toFlatArray());
    const byDefault = run({});
    expect(byDefault).toEqual(run({ temperature: 1 }));
    expect(Math.max(...byDefault.map((v, i) => Math.abs(v - run({ temperature: 0.5 })[i])))).toBeGreaterThan(1e-3);
  });
});
