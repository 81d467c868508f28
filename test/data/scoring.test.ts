import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSafe, normalizeCost, normalizeReward, scoreEpisode, scoreEpisodes } from '../../rl/data/scoring.js';
import { TASK_REFERENCE } from '../../rl/envs/reference.js';

describe('DSRL scoring', () => {
  it('normalised reward', () => {
    expect(normalizeReward(5, 0, 10)).toBe(0.5);
    expect(normalizeReward(-10, -10, 30)).toBe(0);
    expect(() => normalizeReward(1, 2, 2)).toThrow();
    const r = TASK_REFERENCE.CarCircle;
    expect(scoreEpisode('CarCircle', r.rMax, 0).normalizedReward).toBeCloseTo(1, 12);
  });
  it('normalised cost (C + eps) / (kappa + eps), eps = 1 iff kappa = 0', () => {
    expect(normalizeCost(5, 10)).toBe(0.5);
    expect(normalizeCost(10, 10)).toBe(1);
    expect(isSafe(10, 10)).toBe(true);
    expect(isSafe(11, 10)).toBe(false);
    expect(normalizeCost(0, 0)).toBe(1);
    expect(normalizeCost(3, 0)).toBe(4);
    expect(isSafe(0, 0)).toBe(true);
    expect(isSafe(1, 0)).toBe(false);
    // An infinite limit scored every cost 0 (every episode safe); NaN was refused already.
    expect(() => normalizeCost(5, Infinity)).toThrow(/kappa must be a finite number >= 0, got Infinity/);
    expect(() => scoreEpisode('PointRobot', 0, 1e9, Infinity)).toThrow(/got Infinity/);
    expect(() => normalizeCost(5, NaN)).toThrow(/got NaN/);
  });
  it('property: safe iff C <= kappa (kappa > 0)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 100 }), (c, k) => {
        expect(isSafe(c, k)).toBe(c <= k);
        expect(normalizeCost(c, k)).toBeCloseTo(c / k, 12);
      }),
    );
  });
  it('averages episodes; unknown task errors', () => {
    const s = scoreEpisodes('PointRobot', [{ ret: TASK_REFERENCE.PointRobot.rMin, cost: 0 }, { ret: TASK_REFERENCE.PointRobot.rMax, cost: 20 }]);
    expect(s.normalizedReward).toBeCloseTo(0.5, 12);
    expect(s.normalizedCost).toBeCloseTo(1, 12);
    expect(s.safe).toBe(true);
    expect(() => scoreEpisode('Nope', 0, 0)).toThrow(/known tasks/);
  });
});

describe('DSRL scoring at the boundaries (per episode and averaged)', () => {
  it('an episode with cost exactly kappa is safe (c_norm = 1), just above it is not; kappa = 0 uses eps = 1', () => {
    expect(scoreEpisode('PointRobot', 0, 10)).toMatchObject({ normalizedCost: 1, safe: true });
    expect(scoreEpisode('PointRobot', 0, 10.5).safe).toBe(false);
    expect(scoreEpisode('PointRobot', 0, 4, 4)).toMatchObject({ normalizedCost: 1, safe: true });
    expect(scoreEpisode('PointRobot', 0, 0, 0)).toMatchObject({ normalizedCost: 1, safe: true });
    expect(scoreEpisode('PointRobot', 0, 1, 0)).toMatchObject({ normalizedCost: 2, safe: false });
  });
  it('averages (R - Rmin) / (Rmax - Rmin) and (C + eps) / (kappa + eps) over episodes with a given kappa', () => {
    const { rMin, rMax } = TASK_REFERENCE.BallCircle;
    const eps = [{ ret: 100, cost: 0 }, { ret: -5, cost: 3 }, { ret: 250, cost: 12 }];
    const s = scoreEpisodes('BallCircle', eps, 5);
    const wantR = eps.reduce((a, e) => a + (e.ret - rMin) / (rMax - rMin), 0) / 3;
    expect(s.normalizedReward).toBeCloseTo(wantR, 12);
    expect(s.normalizedCost).toBeCloseTo((0 + 3 + 12) / 5 / 3, 12);
    expect(s.safe).toBe(true); // mean 1.0: safe although one episode is not
    expect(scoreEpisodes('BallCircle', [{ ret: 0, cost: 6 }], 5).safe).toBe(false);
  });
});
