/**
 * backward() through a graph that tidy() has released throws, telling to call backward inside
 * the tidy (it used to give null gradients, so that an optimizer step silently did nothing).
 */
import { describe, expect, it } from 'vitest';
import { randn, Rng, tidy } from '../../core/index.js';
import { MLP } from '../../nn/index.js';

describe('backward after tidy released the graph', () => {
  it('tidy(() => model.forward(x).sum()).backward() throws naming tidy', () => {
    const rng = new Rng(0);
    const model = new MLP({ inputSize: 3, hiddenSizes: [4], outputSize: 1, rng });
    const x = randn([5, 3], { rng });
    const loss = tidy(() => model.forward(x).sum());
    expect(() => loss.backward()).toThrow(/released by tidy\(\).*Call backward\(\) inside the tidy/s);
    for (const p of model.parameters()) expect(p.grad).toBeNull();
  });

  it('backward inside the tidy works and fills every gradient', () => {
    const rng = new Rng(0);
    const model = new MLP({ inputSize: 3, hiddenSizes: [4], outputSize: 1, rng });
    const x = randn([5, 3], { rng });
    tidy(() => {
      const loss = model.forward(x).sum();
      loss.backward();
      return loss;
    });
    for (const p of model.parameters()) expect(p.grad).not.toBeNull();
  });

  it('a graph ended by an explicit dispose() still just stops there (documented behaviour)', () => {
    const rng = new Rng(0);
    const w = randn([3], { rng, requiresGrad: true }).keep();
    const h = w.mul(2);
    const y = h.sum();
    h.dispose();
    expect(() => y.backward()).not.toThrow();
    expect(w.grad).toBeNull();
  });
});
