/**
 * Tensor-level parity: forward values and gradients of small networks on every registered
 * backend match the float64 js reference within float32 tolerance.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { concat, getBackend, listBackends, Rng, setBackend, tensor, where, type Tensor } from '../../core/index.js';

const original = getBackend().name;
afterAll(() => {
  setBackend(original);
});

type Net = (p: Tensor[]) => Tensor;

/** A graph touching every op family: matmul (three layouts), broadcasting, reductions, movement. */
const net: Net = ([x, w1, b1, w2, c]) => {
  const h = x.matmul(w1).add(b1).mish();
  const h2 = h.transpose().matmul(h).tanh().sum(0, true); // Aᵀ·B
  const h3 = h.matmul(w2.transpose([1, 0]).transpose()); // A·B via a double transpose
  const pick = h3.indexSelect([0, 2, 1, 0]).sigmoid();
  const mixed = where(pick.gt(0.5), pick.exp(), pick.softplus());
  const cat = concat([mixed, pick.relu().add(c)], 1);
  return cat.max(1).mean().add(h2.square().mean()).add(cat.slice([1, 0], [2, -1]).abs().sum().mul(0.1))
    .add(h.matmul(w1.transpose()).sqrt().mean()); // A·Bᵀ of positives
};

function params(rng: Rng, dtype: 'float32' | 'float64', backend: string, raw?: Float64Array[]): Tensor[] {
  const shapes = [[5, 3], [3, 7], [7], [7, 2], [2]];
  const data = raw ?? shapes.map((s) => Float64Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.uniformRange(0.05, 1)));
  return shapes.map((s, i) => tensor(data[i], { shape: s, dtype, backend, requiresGrad: true }));
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

describe.each(listBackends().filter((b) => b !== 'js'))('backend %s matches the js reference', (name) => {
  it('forward value and every gradient of a mixed graph', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), (seed) => {
        const rng = new Rng(seed);
        const raw = params(rng, 'float64', 'js').map((t) => Float64Array.from(t.dataSync()));
        const ref = params(rng, 'float64', 'js', raw);
        const refOut = net(ref);
        refOut.backward();
        setBackend(name);
        const ps = params(rng, 'float32', name, raw);
        const out = net(ps);
        expect(out.backend.name).toBe(name);
        out.backward();
        setBackend('js');
        expect(relErr([out.item()], [refOut.item()])).toBeLessThan(1e-5);
        ps.forEach((p, i) => {
          expect(relErr(p.grad!.dataSync(), ref[i].grad!.dataSync()), `grad of input ${i}`).toBeLessThan(1e-4);
        });
      }),
      // A fixed seed: this graph has branches (where / gt, max, abs, relu), and a random draw can put a
      // value within float32 rounding of a branch point, where float32 and float64 legitimately take
      // different branches (seed 374102685 of the rng above: the w2 gradient differs by 11 %, on the
      // code of 0dd07e9 as well). A fixed set of draws keeps the check meaningful and CI deterministic.
      { numRuns: 8, seed: 20261202 },
    );
  });
});
