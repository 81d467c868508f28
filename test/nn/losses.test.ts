import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gradcheck, tensor, Tensor } from '../../core/index.js';
import { expectileLoss, mse, reversedExpectileLoss, SGD, weightedMean } from '../../nn/index.js';

const f64 = { dtype: 'float64' as const };
const vec = (xs: number[]) => tensor(xs, f64);
const vals = (t: Tensor) => t.toFlatArray();

const num = fc.double({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true });
const nums = fc.array(num, { minLength: 1, maxLength: 20 });
const tauArb = fc.double({ min: 0.01, max: 0.99, noNaN: true });

function close(a: number, b: number, rel = 1e-12): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('expectile losses (properties)', () => {
  it('tau = 0.5 gives half the squared error', () => {
    fc.assert(fc.property(nums, (d) => {
      const l = vals(expectileLoss(vec(d), 0.5));
      return l.every((v, i) => close(v, 0.5 * d[i] * d[i]));
    }));
  });

  it('weights: tau where diff > 0, 1 - tau where diff < 0 (and the reverse for the reversed loss)', () => {
    const l = vals(expectileLoss(vec([2, -2, 0]), 0.9));
    expect(l[0]).toBeCloseTo(0.9 * 4, 12);
    expect(l[1]).toBeCloseTo(0.1 * 4, 12);
    expect(l[2]).toBe(0);
    const r = vals(reversedExpectileLoss(vec([2, -2, 0]), 0.9));
    expect(r[0]).toBeCloseTo(0.1 * 4, 12);
    expect(r[1]).toBeCloseTo(0.9 * 4, 12);
  });

  it('reversedExpectileLoss(d, tau) == expectileLoss(-d, tau) == expectileLoss(d, 1 - tau)', () => {
    fc.assert(fc.property(nums, tauArb, (d, tau) => {
      const r = vals(reversedExpectileLoss(vec(d), tau));
      const a = vals(expectileLoss(vec(d.map((x) => -x)), tau));
      const b = vals(expectileLoss(vec(d), 1 - tau));
      return r.every((v, i) => close(v, a[i]) && close(v, b[i]));
    }));
  });

  it('is non-negative, and zero only at zero', () => {
    // magnitudes where d² cannot underflow (float64), plus exact zeros
    const safe = fc.oneof(fc.constant(0), fc.double({ min: 1e-100, max: 100, noNaN: true }).chain((a) => fc.constantFrom(a, -a)));
    fc.assert(fc.property(fc.array(safe, { minLength: 1, maxLength: 20 }), tauArb, fc.boolean(), (d, tau, rev) => {
      const l = vals((rev ? reversedExpectileLoss : expectileLoss)(vec(d), tau));
      return l.every((v, i) => v >= 0 && (v === 0) === (d[i] === 0));
    }));
  });

  it('is convex in the prediction (midpoint inequality), diff = target - prediction', () => {
    fc.assert(fc.property(num, num, num, tauArb, fc.boolean(), (y, p1, p2, tau, rev) => {
      const f = (p: number) => (rev ? reversedExpectileLoss : expectileLoss)(vec([y - p]), tau).item();
      const mid = f((p1 + p2) / 2);
      return mid <= (f(p1) + f(p2)) / 2 + 1e-9 * (1 + Math.abs(mid));
    }));
  });

  it('the minimiser over a constant prediction is the tau-expectile (autodiff + SGD vs bisection)', () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 2, maxLength: 12 }),
      fc.double({ min: 0.1, max: 0.9, noNaN: true }),
      (ys, tau) => {
        // Independent reference: the root of sum_i w_i (y_i - m) = 0, w_i = tau if y_i > m else 1 - tau,
        // which is decreasing in m; bisection on [min y, max y].
        const foc = (m: number) => ys.reduce((s, y) => s + (y > m ? tau : 1 - tau) * (y - m), 0);
        let lo = Math.min(...ys);
        let hi = Math.max(...ys);
        for (let k = 0; k < 200 && hi - lo > 1e-13; k++) {
          const mid = (lo + hi) / 2;
          if (foc(mid) > 0) lo = mid;
          else hi = mid;
        }
        const ref = (lo + hi) / 2;

        // Gradient descent with our autodiff: the mean loss has curvature in [2 min(τ,1-τ), 2 max(τ,1-τ)].
        const m = tensor([ys.reduce((a, b) => a + b, 0) / ys.length], { ...f64, requiresGrad: true });
        const y = vec(ys);
        const opt = new SGD([m], { lr: 1 / (2 * Math.max(tau, 1 - tau)) });
        for (let k = 0; k < 400; k++) {
          opt.zeroGrad();
          expectileLoss(y.sub(m), tau).mean().backward();
          opt.step();
        }
        const got = m.item();
        return Math.abs(got - ref) < 1e-8 * (1 + Math.abs(ref));
      },
    ), { numRuns: 25 });
  });

  it('gradients pass gradcheck (away from the kink at 0)', () => {
    const away = fc.double({ min: 0.01, max: 5, noNaN: true }).chain((a) => fc.constantFrom(a, -a));
    fc.assert(fc.property(fc.array(away, { minLength: 1, maxLength: 8 }), tauArb, (d, tau) => {
      const x = vec(d);
      return gradcheck((t) => expectileLoss(t, tau), [x]).ok && gradcheck((t) => reversedExpectileLoss(t, tau), [x]).ok;
    }), { numRuns: 30 });
  });
});

describe('mse and weightedMean', () => {
  it('mse = mean((pred - target)^2), shape-checked, gradcheck', () => {
    expect(mse(vec([1, 2, 3]), vec([1, 0, 0])).item()).toBeCloseTo(13 / 3, 14);
    expect(mse(vec([1, 2]), vec([1, 0])).shape).toEqual([]);
    expect(() => mse(vec([1, 2]), tensor([[1], [2]], f64))).toThrow(/shapes differ/);
    const r = gradcheck((a, b) => mse(a, b), [tensor([[1, 2], [3, 4]], f64), tensor([[0, 1], [5, -1]], f64)]);
    expect(r.ok).toBe(true);
  });

  it('weightedMean = sum(w v) / N, gradcheck in both', () => {
    expect(weightedMean(vec([1, 2, 3, 4]), vec([1, 0, 2, 1])).item()).toBeCloseTo((1 + 6 + 4) / 4, 14);
    // broadcast weights [B, 1] against values [B, 1]
    const r = gradcheck((v, w) => weightedMean(v, w), [tensor([[1], [2], [3]], f64), tensor([[0.5], [2], [1]], f64)]);
    expect(r.ok).toBe(true);
  });

  it('tau outside (0, 1) is rejected', () => {
    expect(() => expectileLoss(vec([1]), 1)).toThrow(/tau must be in \(0, 1\)/);
    expect(() => reversedExpectileLoss(vec([1]), 0)).toThrow(/tau/);
  });
});
