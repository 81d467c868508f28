/**
 * gradcheck must fail wrong VJPs: every gradient test in the suite is only as strong as this. Each case
 * here is a deliberately wrong op whose expected verdict and error follow by hand from the documented
 * definitions (L = Σ out ⊙ r with r ~ N(0, 1); rel = |a - n| / max(|a|, |n|, floor); ok = maxRelErr <= rtol,
 * rtol 1e-6 and floor 1 by default). Found by a mutation audit of core/gradcheck.ts: a constant projection,
 * a sign-blind error, the relative error's denominator, the default rtol and floor, NaN handling (a bug:
 * a NaN at any coordinate but the last passed) and the coordinate sampling were not pinned.
 */
import { describe, expect, it } from 'vitest';
import { gradcheck, tensor, type Tensor } from '../../core/index.js';
import { apply, type OpDef } from '../../core/autograd.js';

const js64 = (data: number[]): Tensor => tensor(data, { dtype: 'float64', backend: 'js' });

/** y = c x elementwise, whose backward returns g c k (k a per-coordinate factor; k = 1 is correct). */
function scaled(c: number, k: number[] | ((g: Tensor) => Tensor)): OpDef {
  return {
    name: 'scaled',
    forward: ([x]) => x.mul(c),
    backward: (g) => [typeof k === 'function' ? k(g) : g.mul(c).mul(js64(k))],
  };
}
const run = (op: OpDef, x: number[], opts = {}) => gradcheck((a: Tensor) => apply(op, [a], undefined), [js64(x)], opts);
const X = [0.3, -1.2, 2.5, 0.7, -0.4, 1.9];

describe('gradcheck fails wrong VJPs, with the documented error', () => {
  it('the correct VJP passes (errors near 0)', () => {
    const r = run(scaled(200, X.map(() => 1)), X);
    expect(r.ok).toBe(true);
    expect(r.maxRelErr).toBeLessThan(1e-9);
  });

  it('a VJP twice too large has rel error 1/2 (the analytic value in the denominator)', () => {
    // Gradients are 200 r_i, far above the floor 1, so rel = |2n - n| / |2n| = 1/2 exactly.
    const r = run(scaled(200, X.map(() => 2)), X);
    expect(r.ok).toBe(false);
    expect(r.maxRelErr).toBeCloseTo(0.5, 9);
  });

  it('a VJP half too small has rel error 1/2 (the numeric value in the denominator)', () => {
    const r = run(scaled(200, X.map(() => 0.5)), X);
    expect(r.ok).toBe(false);
    expect(r.maxRelErr).toBeCloseTo(0.5, 9);
  });

  it('a VJP with the wrong sign has rel error 2', () => {
    const r = run(scaled(200, X.map(() => -1)), X);
    expect(r.ok).toBe(false);
    expect(r.maxRelErr).toBeCloseTo(2, 9);
  });

  it('a relative error of 1e-4 fails under the default rtol 1e-6 and passes under rtol 1e-3', () => {
    const k = X.map(() => 1 + 1e-4);
    const r = run(scaled(200, k), X);
    expect(r.ok).toBe(false);
    expect(r.maxRelErr).toBeCloseTo(1e-4 / (1 + 1e-4), 9);
    expect(run(scaled(200, k), X, { rtol: 1e-3 }).ok).toBe(true);
    // just above the default: 5e-6 fails at rtol 1e-6 and passes at 1e-5
    const k5 = X.map(() => 1 + 5e-6);
    expect(run(scaled(200, k5), X).ok).toBe(false);
    expect(run(scaled(200, k5), X, { rtol: 1e-5 }).ok).toBe(true);
  });

  it('the verdict is on the relative error: a correct VJP of huge gradients passes though the absolute error is above rtol', () => {
    // gradients ~1e8 r_i: finite differences carry absolute noise ~eps L / h >> 1e-6, relative ~1e-12
    const r = run(scaled(1e8, X.map(() => 1)), X);
    expect(r.maxAbsErr).toBeGreaterThan(1e-6);
    expect(r.maxRelErr).toBeLessThan(1e-9);
    expect(r.ok).toBe(true);
  });

  it('below the floor (default 1) the error is absolute: a zero VJP of a tiny gradient gives rel = abs', () => {
    // y = 1e-3 x: gradients 1e-3 r_i, all below 1, so rel = |0 - n| / max(0, |n|, 1) = |n| = abs.
    const r = run(scaled(1e-3, X.map(() => 0)), X);
    expect(r.ok).toBe(false);
    expect(r.maxAbsErr).toBeGreaterThan(1e-5);
    expect(r.maxAbsErr).toBeLessThan(1e-2);
    expect(r.maxRelErr).toBe(r.maxAbsErr);
    // with floor 1e-6 the same error is relative again: |0 - n| / |n| = 1
    expect(run(scaled(1e-3, X.map(() => 0)), X, { floor: 1e-6 }).maxRelErr).toBeCloseTo(1, 9);
  });

  it('the numeric gradient is the five-point difference (error O(h^4)): sin(10 x) at h = 1e-3 agrees to 1e-8', () => {
    // The two-point central difference would be off by h² ω² / 6 ≈ 1.7e-5 relative here; five points by ~3e-10.
    const r = gradcheck((x: Tensor) => x.mul(10).sin(), [js64(X)], { h: 1e-3 });
    expect(r.maxRelErr).toBeLessThan(1e-8);
    expect(r.ok).toBe(true);
  });

  it('a VJP that ignores the upstream gradient fails (the output is projected on random r, not on ones)', () => {
    // backward returns d(sum y)/dx = 2x, right only for g = 1.
    const bad: OpDef = { name: 'sqNoG', forward: ([x]) => x.square(), backward: (_g, [x]) => [x.mul(2)] };
    const r = run(bad, X);
    expect(r.ok).toBe(false);
    expect(r.maxRelErr).toBeGreaterThan(0.1);
  });

  it('a VJP wrong at one coordinate only is caught, wherever that coordinate is', () => {
    for (let j = 0; j < X.length; j++) {
      const k = X.map((_, i) => (i === j ? 1.5 : 1));
      const r = run(scaled(200, k), X);
      expect(r.ok, `coordinate ${j}`).toBe(false);
      expect(r.maxRelErr).toBeCloseTo(1 / 3, 9); // |1.5n - n| / |1.5n|
    }
  });

  it('a NaN in the VJP fails at any coordinate, and the errors report NaN (a NaN before a finite error passed)', () => {
    for (let j = 0; j < X.length; j++) {
      const op = scaled(3, (g) => {
        const v = g.mul(3).toFlatArray();
        v[j] = NaN;
        return js64(v);
      });
      const r = run(op, X);
      expect(r.ok, `NaN at coordinate ${j}`).toBe(false);
      expect(r.maxRelErr).toBeNaN();
      expect(r.maxAbsErr).toBeNaN();
      expect(r.perInput[0].maxRelErr).toBeNaN();
    }
  });

  it('with two inputs the verdict is the worst input: a NaN or an error in the first is not hidden by the second', () => {
    const two = (ka: (g: Tensor) => Tensor): OpDef => ({
      name: 'mul2', forward: ([a, b]) => a.mul(b), backward: (g, [a, b]) => [ka(g.mul(b)), g.mul(a)],
    });
    const a = js64([0.5, -1.5, 2]);
    const b = js64([1.5, 2.5, -3]);
    const nan = gradcheck((x: Tensor, y: Tensor) => apply(two((g) => g.mul(NaN)), [x, y], undefined), [a, b]);
    expect([nan.ok, nan.perInput[1].maxRelErr < 1e-9]).toEqual([false, true]);
    expect(nan.maxRelErr).toBeNaN();
    const off = gradcheck((x: Tensor, y: Tensor) => apply(two((g) => g.mul(-1)), [x, y], undefined), [a, b]);
    expect(off.ok).toBe(false);
    expect(off.perInput[0].maxRelErr).toBeGreaterThan(0.5);
    expect(off.maxRelErr).toBe(off.perInput[0].maxRelErr);
    // and the second input's error counts as well (a wrong VJP for b, a right one for a)
    const twoB: OpDef = { name: 'mul2b', forward: ([x, y]) => x.mul(y), backward: (g, [x, y]) => [g.mul(y), g.mul(x).mul(2)] };
    const offB = gradcheck((x: Tensor, y: Tensor) => apply(twoB, [x, y], undefined), [a, b]);
    expect(offB.ok).toBe(false);
    expect(offB.perInput[0].maxRelErr).toBeLessThan(1e-9);
    expect(offB.maxRelErr).toBeGreaterThan(0.4);
    expect(offB.maxRelErr).toBe(offB.perInput[1].maxRelErr);
  });

  it('an input the output does not depend on gets gradient 0, which the finite differences agree with', () => {
    const r = gradcheck((x: Tensor, _y: Tensor) => x.mul(2), [js64([1, 2]), js64([3, 4, 5])]);
    expect(r.ok).toBe(true);
    expect(r.perInput[1].checked).toBe(3);
    expect(r.perInput[1].maxAbsErr).toBeLessThan(1e-10); // rounding of L - 8L + 8L - L only
  });

  it('maxPoints samples the coordinates at random: over seeds, an error at any single coordinate is found', () => {
    for (let j = 0; j < 4; j++) {
      const k = [1, 1, 1, 1].map((v, i) => (i === j ? 2 : v));
      const x = [0.5, -1, 1.5, 2];
      const caught = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].some((seed) => !run(scaled(200, k), x, { maxPoints: 2, seed }).ok);
      expect(caught, `coordinate ${j}`).toBe(true);
    }
  });
});
