/** OSRL's PID Lagrangian controller: by hand, and the direction of λ (property). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PidLagrangian } from '../../rl/algos/common.js';

describe('PidLagrangian', () => {
  it('matches the update written out by hand', () => {
    const pid = new PidLagrangian(0.1, 0.003, 0.001, 2);
    // e = 3: D = 3, I = 3, λ = 0.3 + 0.009 + 0.003
    expect(pid.control(5)).toBeCloseTo(0.312, 12);
    // e = 1: D = max(0, 1 - 3) = 0, I = 4, λ = 0.1 + 0.012
    expect(pid.control(3)).toBeCloseTo(0.112, 12);
    // e = -3: D = 0, I = 1, λ = 0 + 0.003
    expect(pid.control(-1)).toBeCloseTo(0.003, 12);
    // e = -5: I = max(0, 1 - 5) = 0 -> λ = 0
    expect(pid.control(-3)).toBe(0);
  });

  it('λ rises while the cost stays above the limit and falls (or stays at 0) while it stays below', () => {
    fc.assert(fc.property(
      fc.float({ min: 0, max: 20, noNaN: true }),
      fc.array(fc.float({ min: Math.fround(0.01), max: 10, noNaN: true }), { minLength: 2, maxLength: 30 }),
      fc.array(fc.float({ min: Math.fround(0.01), max: 10, noNaN: true }), { minLength: 2, maxLength: 30 }),
      (limit, above, below) => {
        const pid = new PidLagrangian(0, 0.01, 0, limit); // integral term alone: monotone in the sign of e
        let prev = pid.lambda;
        for (const d of above) {
          const l = pid.control(limit + d);
          expect(l).toBeGreaterThan(prev);
          prev = l;
        }
        for (const d of below) {
          const l = pid.control(limit - d);
          expect(l === 0 || l < prev).toBe(true);
          expect(l).toBeLessThanOrEqual(prev);
          prev = l;
        }
      }), { numRuns: 100 });
  });

  it('with the OSRL gains, λ under a constant excess grows every step; once the cost is below the limit for good it decays to 0', () => {
    fc.assert(fc.property(fc.float({ min: Math.fround(0.1), max: 5, noNaN: true }), fc.integer({ min: 2, max: 50 }), (excess, n) => {
      const pid = new PidLagrangian(0.1, 0.003, 0.001, 1);
      let prev = -1;
      for (let i = 0; i < n; i++) {
        const l = pid.control(1 + excess);
        expect(l).toBeGreaterThan(prev);
        prev = l;
      }
      for (let i = 0; i < n + 5; i++) {
        const l = pid.control(1 - excess);
        expect(l).toBeLessThanOrEqual(prev);
        prev = l;
      }
      expect(prev).toBe(0);
    }), { numRuns: 100 });
  });
});
