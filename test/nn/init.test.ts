import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/index.js';
import { Linear, MLPResNet } from '../../nn/index.js';

describe('lecun-normal init (flax Dense default)', () => {
  it('has variance 1/in and no draw beyond 2 sigma', () => {
    const inF = 400;
    const layer = new Linear(inF, 300, { init: 'lecun', rng: new Rng(3) });
    const w = Array.from(layer.weight.dataSync());
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(1e-3);
    expect(variance * inF).toBeGreaterThan(0.97);
    expect(variance * inF).toBeLessThan(1.03);
    const bound = (2 * Math.sqrt(1 / inF)) / 0.8796256610342398;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound + 1e-6);
    expect(layer.bias!.dataSync().every((b) => b === 0)).toBe(true);
  });

  it('MLPResNet blocks use it, the outer layers xavier', () => {
    const net = new MLPResNet({ inputSize: 10, hidden: 16, blocks: 1, outputSize: 2, rng: new Rng(1) });
    const sd = net.stateDict();
    const xavierBound = Math.sqrt(6 / (10 + 16));
    expect(Math.max(...Array.from(sd["input.weight"].dataSync()).map(Math.abs))).toBeLessThanOrEqual(xavierBound);
    const fc1 = Array.from(sd["blocks.0.fc1.weight"].dataSync());
    // Normal draws: some exceed the uniform bound sqrt(3/in) that a uniform of the same variance would have.
    expect(Math.max(...fc1.map(Math.abs))).toBeGreaterThan(Math.sqrt(3 / 16));
  });
});
