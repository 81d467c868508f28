/**
 * The reset distributions fill their whole ranges (TASKS.md, FISOR.md; the env headers), not just stay inside them,
 * PointRobot's goal, cost and speed edges and the ground truth's turn rule, and PointGoal1's progress reward restarts from the new goal after a goal is reached and from the layout at reset.
 */
import { describe, expect, it } from 'vitest';
import { makeBallRun } from '../../rl/envs/bullet.js';
import { PointGoal1 } from '../../rl/envs/point_goal.js';
import { evasiveTurn, POINT_ROBOT, PointRobot } from '../../rl/envs/point_robot.js';

const spread = (v: number[]) => ({ min: Math.min(...v), max: Math.max(...v), mean: v.reduce((a, b) => a + b, 0) / v.length });

describe('PointRobot reset', () => {
  it('x, y ~ U[-3, 3] (never inside the goal disc), v ~ U[0.5, 2], θ ~ U[π/4, 3π/4]', () => {
    const env = new PointRobot();
    const cols: number[][] = [[], [], [], []];
    for (let s = 0; s < 3000; s++) {
      env.reset({ seed: s });
      env.state.forEach((x, i) => cols[i].push(x));
      expect(Math.hypot(env.state[0] - POINT_ROBOT.goal[0], env.state[1] - POINT_ROBOT.goal[1])).toBeGreaterThan(POINT_ROBOT.goalRadius);
    }
    const [x, y, v, th] = cols.map(spread);
    for (const c of [x, y]) {
      expect(c.min).toBeLessThan(-2.95);
      expect(c.max).toBeGreaterThan(2.95);
      expect(Math.abs(c.mean)).toBeLessThan(0.1);
    }
    expect(v.min).toBeLessThan(0.52);
    expect(v.max).toBeGreaterThan(1.98);
    expect(v.mean).toBeCloseTo(1.25, 1);
    expect(th.min).toBeLessThan(Math.PI / 4 + 0.01);
    expect(th.max).toBeGreaterThan((3 * Math.PI) / 4 - 0.01);
    expect(th.mean).toBeCloseTo(Math.PI / 2, 1);
  });
});

describe('PointGoal1 reset and progress baseline', () => {
  it('agent position uniform on [-1.5, 1.5]², heading uniform on [-π, π]', () => {
    const env = new PointGoal1();
    const cols: number[][] = [[], [], []];
    for (let s = 0; s < 1000; s++) {
      env.reset({ seed: s });
      [env.x, env.y, env.heading].forEach((x, i) => cols[i].push(x));
    }
    const [x, y, h] = cols.map(spread);
    for (const c of [x, y]) {
      expect(c.min).toBeLessThan(-1.45);
      expect(c.max).toBeGreaterThan(1.45);
      expect(Math.abs(c.mean)).toBeLessThan(0.1);
    }
    expect(h.min).toBeLessThan(-Math.PI + 0.05);
    expect(h.max).toBeGreaterThan(Math.PI - 0.05);
    expect(Math.abs(h.mean)).toBeLessThan(0.15);
  });
  it('the first reward after reset is the reset goal distance minus the new one; after a goal the baseline is the distance to the new goal', () => {
    const env = new PointGoal1();
    env.reset({ seed: 4 });
    const d0 = Math.hypot(env.goalX - env.x, env.goalY - env.y);
    const s1 = env.step([1, 0]);
    expect(s1.reward).toBeCloseTo(d0 - Math.hypot(env.goalX - env.x, env.goalY - env.y), 12);
    // put the goal right next to the agent: this step reaches it, the goal moves
    env.goalX = env.x + 0.05;
    env.goalY = env.y;
    const s2 = env.step([0, 0]);
    expect(s2.info.goalReached).toBe(true);
    expect(env.goalsReached).toBe(1);
    const dNew = Math.hypot(env.goalX - env.x, env.goalY - env.y);
    expect(dNew).toBeGreaterThan(0.5);
    const s3 = env.step([0.5, 0.2]);
    expect(s3.info.goalReached).toBe(false);
    expect(s3.reward).toBeCloseTo(dNew - Math.hypot(env.goalX - env.x, env.goalY - env.y), 12);
  });
});

describe('PointRobot edges', () => {
  const dt = POINT_ROBOT.dt;
  it('v is not clamped: braking at low speed drives backwards', () => {
    const env = new PointRobot();
    env.setState(0, 0, 0.02, 0);
    env.step([-1, 0]);
    expect(env.state[2]).toBeCloseTo(0.02 - dt, 12);
    env.step([-1, 0]);
    expect(env.state[0]).toBeCloseTo(0.02 * dt + (0.02 - dt) * dt, 12); // moved back past where the first step took it
  });
  it('the goal is reached at distance <= 0.3 and pays prev - new distance + 1; cost starts exactly at h > 0', () => {
    const env = new PointRobot();
    // moving along +x at v = 1: the step covers dt·1 = 0.05
    const [gx, gy] = POINT_ROBOT.goal;
    for (const [d, reached] of [[0.299, true], [0.302, false]] as const) {
      env.setState(gx - d - 0.05, gy, 1, 0);
      const s = env.step([0, 0]);
      expect(s.info.goalReached).toBe(reached);
      expect(s.reward).toBeCloseTo(d + 0.05 - d + (reached ? 1 : 0), 9);
    }
    // hazard (0.4, -1.2), radius 0.8: end the step 0.795 / 0.805 from its centre
    for (const [d, c] of [[0.795, 1], [0.805, 0]]) {
      env.setState(0.4 - d - 0.05, -1.2, 1, 0);
      expect(env.step([0, 0]).cost).toBe(c);
    }
  });
  it('ground-truth turn: a dead-centre hit turns left; a hazard beside or behind the heading ray is no hit', () => {
    expect(evasiveTurn(-2.5, -1.2, 0)).toBe(1); // straight at (0.4, -1.2): cross = 0 exactly
    // 0.81 from the centre of (0.4, -1.2), heading 0.3 rad away from it: the ray's line crosses the disc only behind
    expect(evasiveTurn(0.4, -1.2 + 0.81, 0.3)).toBe(0);
  });
});

describe('Run speed limit', () => {
  it('is on the speed |v|, not one component: vx = vy = 2 (|v| ≈ 2.83 > 2.5) costs', () => {
    const env = makeBallRun();
    env.reset({ seed: 0 });
    const decay = (1 - 2 / 150) ** 5; // a coasting step
    Object.assign(env, { x: 0, y: 0, vx: 2 / decay, vy: 2 / decay });
    const s = env.step([0, 0]);
    expect(s.info.speed).toBeCloseTo(2 * Math.SQRT2, 9);
    expect(s.cost).toBe(1);
  });
});
