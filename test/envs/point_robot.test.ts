import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { evasiveTurn, feasibilityGrid, groundTruthDiscounted, groundTruthMargin, groundTruthPathH, isFeasibleState, PointRobot, pointRobotH } from '../../rl/envs/point_robot.js';
import { makeEnv } from '../../rl/envs/registry.js';

describe('PointRobot dynamics', () => {
  it('one Euler step, reward and observation match hand-computed values', () => {
    const env = new PointRobot();
    env.reset({ seed: 0 });
    env.setState(0, 0, 1, 0);
    const s = env.step([0.5, -1]);
    // x' = 0 + 0.05*1*cos0, y' = 0, v' = 1 + 0.05*0.5, th' = 0 - 0.05
    expect(Array.from(env.state)).toEqual([0.05, 0, 1.025, -0.05]);
    const prev = Math.hypot(2.2, 2.2);
    const now = Math.hypot(2.2 - 0.05, 2.2);
    expect(s.reward).toBeCloseTo(prev - now, 12);
    const o = s.observation;
    const f = Math.fround;
    expect(o[0]).toBe(f(0.05));
    expect(o[1]).toBe(0);
    expect(o[2]).toBe(f(1.025));
    expect(o[3]).toBe(f(Math.cos(-0.05)));
    expect(o[4]).toBe(f(Math.sin(-0.05)));
    // hazard 1 at (0.4, -1.2): dx = 0.35, dy = -1.2
    const d1 = Math.hypot(0.35, -1.2);
    expect(o[5]).toBeCloseTo(d1, 6);
    const b1 = Math.atan2(-1.2, 0.35) - -0.05;
    expect(o[6]).toBeCloseTo(Math.cos(b1), 6);
    expect(o[7]).toBeCloseTo(Math.sin(b1), 6);
    // hazard 2 at (-0.4, 1.2)
    const b2 = Math.atan2(1.2, -0.45) + 0.05;
    expect(o[8]).toBeCloseTo(Math.hypot(-0.45, 1.2), 6);
    expect(o[9]).toBeCloseTo(Math.cos(b2), 6);
    expect(o[10]).toBeCloseTo(Math.sin(b2), 6);
    expect(s.info.h).toBeCloseTo(0.8 - Math.min(d1, Math.hypot(-0.45, 1.2)), 12);
    expect(s.cost).toBe(0);
  });
  it('cost is 1 iff h > 0; goal ends with +1; leaving the box ends', () => {
    const env = new PointRobot();
    env.setState(0.4, -1.2, 0, 0);
    const s = env.step([0, 0]);
    expect(s.info.h).toBeCloseTo(0.8, 12);
    expect(s.cost).toBe(1);
    env.setState(2.2, 2.0, 0.1, Math.PI / 2);
    const g = env.step([0, 0]);
    expect(g.terminated).toBe(true);
    expect(g.info.goalReached).toBe(true);
    expect(g.reward).toBeGreaterThan(1);
    env.setState(2.99, 0, 1, 0);
    const o = env.step([0, 0]);
    expect(o.terminated).toBe(true);
    expect(o.info.outOfBounds).toBe(true);
  });
  it('fixed-start mode and random-start ranges', () => {
    const fixed = makeEnv('PointRobot', { fixedStart: true });
    const o = fixed.reset({ seed: 9 });
    expect(Array.from(o.slice(0, 3))).toEqual([Math.fround(-1.8), 0, 2]);
    expect(o[3]).toBeCloseTo(Math.SQRT1_2, 6);
    const env = new PointRobot();
    for (let s = 0; s < 200; s++) {
      env.reset({ seed: s });
      const [x, y, v, th] = env.state;
      expect(Math.abs(x)).toBeLessThanOrEqual(3);
      expect(Math.abs(y)).toBeLessThanOrEqual(3);
      expect(v).toBeGreaterThanOrEqual(0.5);
      expect(v).toBeLessThanOrEqual(2);
      expect(th).toBeGreaterThanOrEqual(Math.PI / 4);
      expect(th).toBeLessThanOrEqual((3 * Math.PI) / 4);
    }
  });
  it('truncates at 300 steps', () => {
    const env = new PointRobot();
    env.setState(-2.5, -2.5, 0, 0);
    let last;
    for (let t = 0; t < 300; t++) last = env.step([0, 0]);
    expect(last!.truncated).toBe(true);
    expect(last!.terminated).toBe(false);
  });
});

describe('ground-truth feasibility', () => {
  it('inside a hazard is infeasible at any velocity', () => {
    expect(isFeasibleState(0.4, -1.2, 0, 0)).toBe(false);
    expect(isFeasibleState(-0.4, 1.0, 1, -Math.PI / 2)).toBe(false);
    expect(pointRobotH(-0.4, 1.0)).toBeGreaterThan(0);
  });
  it('heading straight into a hazard at speed is infeasible', () => {
    // 0.2 m below hazard 2's edge, heading up at 2 m/s: braking needs ~2 m
    expect(isFeasibleState(-0.4, 0.2, 2, Math.PI / 2)).toBe(false);
  });
  it('heading into a hazard slowly from afar is feasible', () => {
    expect(isFeasibleState(-0.4, -1.0, 0.3, Math.PI / 2)).toBe(true);
  });
  it('heading away is feasible, even fast and close', () => {
    expect(isFeasibleState(-0.4, 0.2, 2, -Math.PI / 2 + 0.3)).toBe(true);
    expect(isFeasibleState(-0.4, 0.35, 2, Math.PI)).toBe(true);
  });
  it('a glancing approach is saved by the turn', () => {
    // ray passes 0.7 from the centre (inside the disc) but far away; turning away saves it
    expect(isFeasibleState(-1.1, -2.5, 1, Math.PI / 2)).toBe(true);
  });
  it('the margin: h itself where the check stops at once, the deepest h along the manoeuvre otherwise', () => {
    expect(groundTruthMargin(0.4, -1.2, 1, 0)).toBeCloseTo(0.8, 12); // a hazard centre
    expect(groundTruthMargin(-0.4, 0.35, 2, Math.PI)).toBe(pointRobotH(-0.4, 0.35)); // heading away
    expect(groundTruthMargin(-0.4, -1.0, 0, Math.PI / 2)).toBe(pointRobotH(-0.4, -1.0)); // standing still
    // Straight into hazard 2 at 2 m/s from 0.2 m below its edge: the manoeuvre goes deep into it.
    const deep = groundTruthMargin(-0.4, 0.2, 2, Math.PI / 2);
    expect(deep).toBeGreaterThan(0.3);
    expect(deep).toBeLessThanOrEqual(0.8);
    for (const [x, y, v, th] of [[-0.4, -1.0, 0.3, Math.PI / 2], [-1.1, -2.5, 1, Math.PI / 2]]) expect(groundTruthMargin(x, y, v, th)).toBeLessThanOrEqual(0);
    // Slower into the same hazard from the same place: the manoeuvre stays out.
    expect(groundTruthMargin(-0.4, 0.2, 0.3, Math.PI / 2)).toBeLessThan(0);
    // The path: the start alone where the check stops at once; else one h per braking step (2 m/s at 1 m/s^2, dt 0.05).
    expect(groundTruthPathH(-0.4, 0.35, 2, Math.PI)).toEqual([pointRobotH(-0.4, 0.35)]);
    const path = groundTruthPathH(-0.4, 0.2, 2, Math.PI / 2);
    expect(path.length).toBe(41);
    expect(Math.max(...path)).toBe(deep);
  });
  it("the discounted value along the manoeuvre: the margin at g = 1, never above it, and h itself where the check stops at once", () => {
    const rng = new Rng(11);
    let below = 0;
    for (let i = 0; i < 400; i++) {
      const [x, y, v, th] = [rng.uniformRange(-3, 3), rng.uniformRange(-3, 3), rng.uniformRange(0, 2), rng.uniformRange(-Math.PI, Math.PI)];
      const m = groundTruthMargin(x, y, v, th);
      expect(groundTruthDiscounted(x, y, v, th, 1)).toBe(m);
      const d = groundTruthDiscounted(x, y, v, th, 0.99);
      expect(d).toBeLessThanOrEqual(m + 1e-12);
      if (d < m - 1e-9) below++;
    }
    expect(below, 'the discount lowers the value on the states whose manoeuvre goes on').toBeGreaterThan(0);
    expect(groundTruthDiscounted(-0.4, 0.35, 2, Math.PI, 0.99)).toBe(pointRobotH(-0.4, 0.35)); // heading away
    // By hand: V_2 = h_2 (the end), V_1 = (1 - g) h_1 + g max(h_1, V_2), V_0 likewise.
    const path = groundTruthPathH(-0.4, 0.2, 0.1, Math.PI / 2);
    expect(path.length).toBe(3);
    const v1 = 0.5 * path[1] + 0.5 * Math.max(path[1], path[2]);
    expect(groundTruthDiscounted(-0.4, 0.2, 0.1, Math.PI / 2, 0.5)).toBeCloseTo(0.5 * path[0] + 0.5 * Math.max(path[0], v1), 15);
    expect(() => groundTruthDiscounted(0, 0, 1, 0, 0)).toThrow(/discount must be in \(0, 1\]/);
  });
  it('isFeasibleState (margin <= 0) equals the check written out with early exits, on random states', () => {
    // The check as it stood before the margin existed: a test oracle, kept apart from the code under test.
    const oracle = (x: number, y: number, v: number, th: number): boolean => {
      if (pointRobotH(x, y) > 0) return false;
      if (!(v > 0)) return true;
      const u1 = evasiveTurn(x, y, th);
      if (u1 === 0) return true;
      let px = x, py = y, pv = v, pth = th;
      while (pv > 0) {
        const nx = px + 0.05 * pv * Math.cos(pth), ny = py + 0.05 * pv * Math.sin(pth);
        pv -= 0.05; pth += 0.05 * u1; px = nx; py = ny;
        if (pointRobotH(px, py) > 0) return false;
      }
      return true;
    };
    const rng = new Rng(11);
    let infeasible = 0;
    for (let i = 0; i < 20000; i++) {
      const x = rng.uniformRange(-3.2, 3.2), y = rng.uniformRange(-3.2, 3.2), v = rng.uniformRange(-0.5, 2.5), th = rng.uniformRange(-7, 7);
      const want = oracle(x, y, v, th);
      if (!want) infeasible++;
      if (isFeasibleState(x, y, v, th) !== want) expect.fail(`state (${x}, ${y}, ${v}, ${th}): isFeasibleState ${!want}, the oracle ${want}`);
    }
    expect(infeasible).toBeGreaterThan(1000); // both outcomes are exercised
  });
  it('grid: row = y index, col = x index; axes ascending', () => {
    const n = 61;
    const g = feasibilityGrid({ v: 1, theta: Math.PI / 4, n, extent: 3 });
    expect(g.grid.length).toBe(n * n);
    expect(g.xs[0]).toBe(-3);
    expect(g.ys[n - 1]).toBe(3);
    expect(g.xs[34]).toBeCloseTo(0.4, 12);
    expect(g.ys[18]).toBeCloseTo(-1.2, 12);
    expect(g.grid[18 * n + 34]).toBe(0); // (0.4, -1.2): hazard 1 centre
    expect(g.grid[42 * n + 36]).toBe(1); // (0.6, 1.2): outside, heading away from hazard 2
    // infeasible cells are a superset of the hazard discs
    let inside = 0, infeasible = 0;
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
      const h = pointRobotH(g.xs[c], g.ys[r]) > 0;
      if (h) { inside++; expect(g.grid[r * n + c]).toBe(0); }
      if (!g.grid[r * n + c]) infeasible++;
    }
    expect(infeasible).toBeGreaterThan(inside);
  });
});
