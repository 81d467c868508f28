import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setBackend, tensor } from '../../core/index.js';
import { constraintValues, expectile, feasibleTarget, fisorWeights, reversedExpectile, rewardTarget } from '../../rl/fisor/critics.js';
import { PAPER } from '../../rl/fisor/config.js';

setBackend('js');
const T = (v: number[]) => tensor(v, { dtype: 'float64' });
const g = 0.99;

describe('feasible Bellman target', () => {
  it('matches (1-g) h + g max(h, V_h(s\')) on non-terminal rows and h on terminal/timeout rows', () => {
    const h = [-1, -1, 0.5, 25, -0.3, 2];
    const v2 = [-2, 3, -1, 0, -0.1, 5];
    const mask = [1, 1, 1, 1, 0, 0];
    const out = feasibleTarget(T(h), T(v2), T(mask), g).toFlatArray();
    const want = [
      0.01 * -1 + 0.99 * -1, // max(h, v') = h
      0.01 * -1 + 0.99 * 3,
      0.01 * 0.5 + 0.99 * 0.5,
      0.01 * 25 + 0.99 * 25,
      -0.3, // terminal: h
      2, // timeout treated as terminal: h
    ];
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
  });

  it('is monotone non-decreasing in h (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -30, max: 30, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: -30, max: 30, noNaN: true }), fc.constantFrom(0, 1), fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        (h, dh, v, m, disc) => {
          const a = feasibleTarget(T([h]), T([v]), T([m]), disc).item();
          const b = feasibleTarget(T([h + dh]), T([v]), T([m]), disc).item();
          return b >= a - 1e-12;
        },
      ),
    );
  });

  it('value iteration on an all-safe chain with h = -1 converges to -1 (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 2, maxLength: 12 }), fc.double({ min: 0.5, max: 0.95, noNaN: true }), (v0, disc) => {
        // states 0..n-1, s_i -> s_{i+1}, the last one loops to itself; h = -1 everywhere; no terminals.
        const n = v0.length;
        let v = T(v0);
        const h = T(new Array(n).fill(-1));
        const mask = T(new Array(n).fill(1));
        const next = Array.from({ length: n }, (_, i) => Math.min(i + 1, n - 1));
        for (let it = 0; it < 600; it++) v = feasibleTarget(h, v.indexSelect(next), mask, disc);
        return v.toFlatArray().every((x) => Math.abs(x + 1) < 1e-6);
      }),
      { numRuns: 40 },
    );
  });

  it('reward target is r + g mask V(s\')', () => {
    const out = rewardTarget(T([1, 2]), T([10, 10]), T([1, 0]), g).toFlatArray();
    expect(out[0]).toBeCloseTo(1 + 9.9, 12);
    expect(out[1]).toBe(2);
  });
});

describe('expectile losses', () => {
  it('weight tau where d > 0 (expectile) and where d < 0 (reversed)', () => {
    const d = T([2, -2]);
    expect(expectile(d, 0.9).toFlatArray()).toEqual([0.9 * 4, (1 - 0.9) * 4].map((x) => expect.closeTo(x, 12)));
    expect(reversedExpectile(d, 0.9).toFlatArray()).toEqual([(1 - 0.9) * 4, 0.9 * 4].map((x) => expect.closeTo(x, 12)));
  });
});

describe('policy weights', () => {
  const w = PAPER.weights; // cost temperature 5, ub 150; reward temperature 3, ub 100

  it('follow their two branches on a hand-made batch', () => {
    //          unsafe (vc>0)   safe & qc<=0   feasible s, unsafe a (qc>0)   unsafe, clipped   safe, clipped
    const q = T([0, 1.0, 0, 0, 10]);
    const v = T([0, 0.5, 0, 0, 0]);
    const qc = T([1.0, -0.5, 0.3, -10, -1]);
    const vc = T([1.2, -0.2, -0.1, 20, -1]);
    const out = fisorWeights(q, v, qc, vc, w).toFlatArray();
    expect(out[0]).toBeCloseTo(Math.exp((1.2 - 1.0) * 5), 10);
    expect(out[1]).toBeCloseTo(Math.exp((1.0 - 0.5) * 3), 10);
    expect(out[2]).toBe(0);
    expect(out[3]).toBe(150);
    expect(out[4]).toBe(100);
  });

  it('property: weight = cost branch iff vc > 0, reward branch iff vc <= 0 and qc <= 0, else 0; always within bounds', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -40, max: 40, noNaN: true }), fc.double({ min: -40, max: 40, noNaN: true }),
        fc.double({ min: -40, max: 40, noNaN: true }), fc.double({ min: -40, max: 40, noNaN: true }),
        (q, v, qc, vc) => {
          const out = fisorWeights(T([q]), T([v]), T([qc]), T([vc]), w).item();
          let want: number;
          if (vc > 0) want = Math.min(Math.max(Math.exp((vc - qc) * 5), 0), 150);
          else if (qc <= 0) want = Math.min(Math.exp((q - v) * 3), 100);
          else want = 0;
          return Math.abs(out - want) <= 1e-9 * Math.max(1, want) && out >= 0 && out <= 150;
        },
      ),
    );
  });

  it('the cost branch can be clipped below at 1 (first-commit variant)', () => {
    const out = fisorWeights(T([0]), T([0]), T([5]), T([1]), { ...w, costLb: 1 }).item();
    expect(out).toBe(1);
  });
});

describe('constraint values h', () => {
  it('from costs: +costScale where cost > 0, else -1; continuous: copied', () => {
    expect(Array.from(constraintValues(new Float32Array([0, 1, 0.5, 0]), undefined, 'cost', 25))).toEqual([-1, 25, 25, -1]);
    const c = new Float32Array([0.3, -2]);
    expect(Array.from(constraintValues(new Float32Array(2), c, 'continuous', 25))).toEqual([c[0], c[1]]);
    expect(() => constraintValues(new Float32Array(2), undefined, 'continuous', 25)).toThrow(/key 'h'/);
  });
});

describe('policy weights at the zero boundaries', () => {
  it('V_h = 0 and Q_h = 0 are feasible (the reward branch), as the reference [vc <= 0][qc <= 0]', () => {
    const w = PAPER.weights;
    const out = fisorWeights(T([0.2, 0.2, 0.2]), T([0, 0, 0]), T([0, 0, 1e-9]), T([0, -0.5, 0]), w).toFlatArray();
    expect(out[0]).toBeCloseTo(Math.exp(0.2 * 3), 12); // vc = 0, qc = 0: safe
    expect(out[1]).toBeCloseTo(Math.exp(0.2 * 3), 12); // qc = 0 exactly: still safe
    expect(out[2]).toBe(0); // qc just above 0 from a feasible state: weight 0
  });
});
