/** CDT: causality (no output depends on a later token), evaluation hooks, data sampling. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noGrad, Rng, tensor } from '../../core/index.js';
import { CDT, CDT_PAPER, sequenceData } from '../../rl/algos/cdt.js';
import { toyDataset } from './helpers.js';

const S = 3, A = 2, L = 4;
const make = () => new CDT({ ...CDT_PAPER, dtype: 'float64', embedDim: 8, heads: 2, blocks: 2, seqLen: L, targetReturn: 1 }, S, A, 'BallRun', null, new Rng(5));

function run(cdt: CDT, v: { s: number[]; a: number[]; r: number[]; c: number[] }) {
  return noGrad(() => {
    const o = cdt.model.forward(
      tensor(v.s, { shape: [1, L, S], dtype: 'float64' }), tensor(v.a, { shape: [1, L, A], dtype: 'float64' }),
      tensor(v.r, { shape: [1, L], dtype: 'float64' }), tensor(v.c, { shape: [1, L], dtype: 'float64' }), Int32Array.from([0, 1, 2, 3]));
    return { mu: o.mu.toFlatArray(), cost: o.costLogp.toFlatArray() };
  });
}

const vec = (n: number) => fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n });
const inputs = fc.record({ s: vec(L * S), a: vec(L * A), r: vec(L), c: vec(L) });

describe('CDT causal mask', () => {
  const cdt = make();
  cdt.model.eval();
  it('the action at step t (read at the s_t token) and the cost prediction at a_t never depend on later tokens', () => {
    fc.assert(fc.property(inputs, inputs, fc.integer({ min: 0, max: L - 1 }), (x, y, t) => {
      // z = x up to step t, y afterwards; the a_t token itself comes from y too (the s_t token must not see it).
      const z = {
        s: x.s.map((v, i) => (Math.floor(i / S) <= t ? v : y.s[i])),
        a: x.a.map((v, i) => (Math.floor(i / A) < t ? v : y.a[i])),
        r: x.r.map((v, i) => (i <= t ? v : y.r[i])),
        c: x.c.map((v, i) => (i <= t ? v : y.c[i])),
      };
      const ox = run(cdt, x), oz = run(cdt, z);
      for (let i = 0; i < (t + 1) * A; i++) expect(oz.mu[i]).toBeCloseTo(ox.mu[i], 12);
      for (let i = 0; i < t * 2; i++) expect(oz.cost[i]).toBeCloseTo(ox.cost[i], 12);
    }), { numRuns: 40 });
  });
  it('and the outputs do depend on earlier tokens (the property above is not vacuous)', () => {
    const x = { s: new Array(L * S).fill(0.3), a: new Array(L * A).fill(0.1), r: new Array(L).fill(1), c: new Array(L).fill(2) };
    const z = { ...x, s: [1.5, -1, 2, ...x.s.slice(3)] };
    const ox = run(cdt, x), oz = run(cdt, z);
    expect(Math.abs(oz.mu[A * (L - 1)] - ox.mu[A * (L - 1)])).toBeGreaterThan(1e-6);
  });
});

describe('CDT data and evaluation hooks', () => {
  it('return-to-go and cost-to-go per row; episodes with C_0 >= cap are never drawn', () => {
    const ds = toyDataset({ len: 3, costs: [0, 30] }); // episode costs 0 and 90
    const d = sequenceData(ds, 70);
    expect(d.ctg[0]).toBe(0);
    expect([...d.ctg.slice(3)]).toEqual([90, 60, 30]);
    expect(d.rtg[2]).toBeCloseTo(ds.rewards[2], 6);
    expect(d.rtg[0]).toBeCloseTo(ds.rewards[0] + ds.rewards[1] + ds.rewards[2], 5);
    const cdt = new CDT({ ...CDT_PAPER, embedDim: 8, heads: 2, blocks: 1, seqLen: 2, batchSize: 50, targetReturn: 1 }, S, A, 'BallRun', ds, new Rng(1));
    const b = cdt.sample(new Rng(2));
    for (let i = 0; i < b.size * 2; i++) if (b.mask[i]) expect(b.costs[i]).toBe(0);
    expect(() => sequenceData(ds, 0)).toThrow(/costSampleCap/);
  });
  it('the cost-to-go token falls by the cost each episode receives', () => {
    const cdt = make();
    cdt.beginEpisodes(2);
    cdt.actEpisodes(new Float32Array(2 * S), [0, 1]);
    cdt.observeStep([0, 1], Float64Array.from([10, 0]), Float64Array.from([1, 0]));
    const h = (cdt as unknown as { hist: { r: number[]; c: number[] }[] }).hist;
    expect(h[0].c).toEqual([10, 9]);
    expect(h[1].c).toEqual([10, 10]);
    expect(h[0].r[1]).toBeCloseTo(0.1 - 1, 12);
    const a = cdt.actEpisodes(new Float32Array(S), [1]);
    expect(a.length).toBe(A);
    expect(() => cdt.actEpisodes(new Float32Array(S), [7])).toThrow(/not begun/);
  });
});
