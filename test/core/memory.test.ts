import { describe, expect, it } from 'vitest';
import { keep, ones, randn, Rng, tensor, tidy, wasmMemoryInUse, type Tensor } from '../../core/index.js';

describe('tidy and dispose', () => {
  it('disposes intermediates, keeps returned and kept tensors', () => {
    let inner: Tensor | null = null;
    let kept: Tensor | null = null;
    const out = tidy(() => {
      inner = ones([3]).mul(2);
      kept = keep(ones([3]).add(1));
      return { result: inner.add(1) };
    });
    expect(inner!.isDisposed).toBe(true);
    expect(kept!.isDisposed).toBe(false);
    expect(out.result.toArray()).toEqual([3, 3, 3]);
  });

  it('leaf gradients survive the tidy that computed them', () => {
    const w = randn([3, 2], { rng: new Rng(1), requiresGrad: true }).keep();
    tidy(() => w.square().sum().backward());
    expect(w.grad).not.toBeNull();
    expect(w.grad!.isDisposed).toBe(false);
    expect(w.grad!.dataSync()).toEqual(w.dataSync().map((v) => 2 * v));
    tidy(() => w.square().sum().backward()); // accumulates in place
    expect(w.grad!.dataSync()).toEqual(w.dataSync().map((v) => Math.fround(Math.fround(2 * v) + Math.fround(2 * v))));
  });

  it('the reductions\' backward leaves no intermediate behind outside tidy (wasm)', () => {
    const x = tensor(Array.from({ length: 64 }, (_, i) => Math.sin(i)), { shape: [8, 8], backend: 'wasm', requiresGrad: true });
    // Each loss is one reduction of a leaf, so every byte still live afterwards would be the backward's.
    for (const f of [(t: Tensor) => t.sum(), (t: Tensor) => t.sum([0, 1]), (t: Tensor) => t.max(), (t: Tensor) => t.min()]) {
      const base = wasmMemoryInUse().liveBytes;
      for (let i = 0; i < 5; i++) {
        const loss = f(x);
        loss.backward();
        loss.dispose();
        x.grad!.dispose();
        x.grad = null;
      }
      expect(wasmMemoryInUse().liveBytes - base, String(f)).toBe(0);
    }
  });

  it('reshape shares storage; disposing one view keeps the other alive', () => {
    const a = ones([2, 3]);
    const b = a.reshape([6]);
    expect(a.isShared && b.isShared).toBe(true);
    a.dispose();
    expect(b.toArray()).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('nested tidy moves results outward', () => {
    const r = tidy(() => {
      const x = tidy(() => ones([2]).mul(3));
      return x.add(1);
    });
    expect(r.toArray()).toEqual([4, 4]);
  });
});
