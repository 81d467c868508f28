/**
 * The tasks' dynamics, rewards, costs, observations and resets written out by hand from TASKS.md and the env headers:
 * one step of each agent integrated here in float64 and compared with the env, the cost boundaries, the lidar bins,
 * the reset distributions and keep-outs, and every task's episode length.
 */
import { describe, expect, it } from 'vitest';
import { BulletTaskEnv, makeBallCircle, makeBallRun, makeCarCircle, makeCarRun } from '../../rl/envs/bullet.js';
import { PointGoal1 } from '../../rl/envs/point_goal.js';
import { PointRobot } from '../../rl/envs/point_robot.js';
import { makeEnv, TASK_NAMES } from '../../rl/envs/registry.js';

const close = (a: number, b: number, d = 12) => expect(a).toBeCloseTo(b, d);
const f32 = Math.fround;

describe('episode lengths (TASKS.md)', () => {
  it('BallCircle 200, BallRun 100, CarCircle 300, CarRun 200, PointGoal1 1000, PointRobot 300', () => {
    const want: Record<string, number> = { BallCircle: 200, BallRun: 100, CarCircle: 300, CarRun: 200, PointGoal1: 1000, PointRobot: 300 };
    for (const t of TASK_NAMES) {
      const env = makeEnv(t);
      expect(env.maxEpisodeSteps, t).toBe(want[t]);
      env.reset({ seed: 1 });
      let n = 0, last;
      do { last = env.step([0, 0]); n++; } while (!last.terminated && !last.truncated && n < 2000);
      if (!last.terminated) expect(n, t).toBe(want[t]);
    }
  });
});

/** Ball: 5 semi-implicit sub-steps of dv/dt = 3.5·a/0.3 - 2v, dx/dt = v. */
function ballStep(s: { x: number; y: number; vx: number; vy: number }, a: number[], dt: number) {
  const h = dt / 5;
  let { x, y, vx, vy } = s;
  for (let k = 0; k < 5; k++) {
    vx += h * ((3.5 * a[0]) / 0.3 - 2 * vx);
    vy += h * ((3.5 * a[1]) / 0.3 - 2 * vy);
    x += h * vx;
    y += h * vy;
  }
  return { x, y, vx, vy };
}

/** Car: 5 sub-steps of the bicycle model with motor lag 5 (v_target = 2·a0, steer 0.5·a1, wheelbase 0.325). */
function carStep(s: { x: number; y: number; yaw: number; speed: number }, a: number[], dt: number) {
  const h = dt / 5;
  let { x, y, yaw, speed } = s;
  let yawRate = 0;
  for (let k = 0; k < 5; k++) {
    speed += h * 5 * (2 * a[0] - speed);
    yawRate = (speed * Math.tan(0.5 * a[1])) / 0.325;
    yaw += h * yawRate;
    x += h * speed * Math.cos(yaw);
    y += h * speed * Math.sin(yaw);
  }
  return { x, y, yaw, speed, yawRate, vx: speed * Math.cos(yaw), vy: speed * Math.sin(yaw) };
}

describe('Ball agent', () => {
  it('BallCircle: one step by hand; reward 0.1(x(-vy) + y vx)/(1 + |r - 7|) + 0.01·(-0.5|a|); obs [0.1x, 0.1y, 0.2v, 0.1w, 0, (r - 7)/10]', () => {
    const env = makeBallCircle();
    env.reset({ seed: 0 });
    Object.assign(env, { x: 3, y: 4.5, vx: -0.7, vy: 1.1 });
    const a = [0.6, -0.8];
    const n = ballStep({ x: 3, y: 4.5, vx: -0.7, vy: 1.1 }, a, 0.1);
    const s = env.step(a);
    close(env.x, n.x); close(env.y, n.y); close(env.vx, n.vx); close(env.vy, n.vy);
    const r = Math.hypot(n.x, n.y);
    close(s.reward, (0.1 * (n.x * -n.vy + n.y * n.vx)) / (1 + Math.abs(r - 7)) + 0.01 * -0.5 * Math.hypot(0.6, 0.8));
    expect(Array.from(s.observation)).toEqual([0.1 * n.x, 0.1 * n.y, 0.2 * n.vx, 0.2 * n.vy, (0.1 * -n.vy) / 0.5, (0.1 * n.vx) / 0.5, 0, (r - 7) / 10].map(f32));
    expect(s.cost).toBe(0);
  });
  it('BallRun: reward 60·(previous - current distance to (1000, 0)) - 0.5|a|; cost min(1, [|y| > 2] + [speed > 2.5])', () => {
    const env = makeBallRun();
    env.reset({ seed: 0 });
    Object.assign(env, { x: 1, y: -0.5, vx: 1.2, vy: 0.3 });
    const a = [1, 0.2];
    const n = ballStep({ x: 1, y: -0.5, vx: 1.2, vy: 0.3 }, a, 1 / 30);
    const s = env.step(a);
    close(env.x, n.x); close(env.vy, n.vy);
    close(s.reward, 60 * (Math.hypot(999, 0.5) - Math.hypot(1000 - n.x, n.y)) - 0.5 * Math.hypot(1, 0.2), 9);
    expect(s.observation.length).toBe(7);
    expect(s.cost).toBe(0);
    // speed just above / below the 2.5 limit after a coasting step (no force): v·(1 - 2h)^5, h = 1/150
    const decay = (1 - 2 / 150) ** 5;
    for (const [v, c] of [[2.51 / decay, 1], [2.49 / decay, 0]]) {
      Object.assign(env, { x: 0, y: 0, vx: v, vy: 0 });
      expect(env.step([0, 0]).cost).toBe(c);
    }
    // |y| just above / below 2 (moving slowly), and both at once still cost 1
    for (const [y, c] of [[2.001, 1], [-2.001, 1], [1.999, 0]]) {
      Object.assign(env, { x: 0, y, vx: 0, vy: 0 });
      expect(env.step([0, 0]).cost).toBe(c);
    }
    Object.assign(env, { x: 0, y: 3, vx: 3, vy: 0 });
    expect(env.step([0, 0]).cost).toBe(1);
  });
  it('Circle cost is |x| > 6, on both sides', () => {
    const env = makeBallCircle();
    env.reset({ seed: 0 });
    for (const [x, c] of [[-6.001, 1], [6.001, 1], [5.999, 0], [-5.999, 0]]) {
      Object.assign(env, { x, y: 0, vx: 0, vy: 0 });
      expect(env.step([0, 0]).cost).toBe(c);
    }
  });
});

describe('Car agent', () => {
  it('CarCircle: one step of the bicycle model by hand; obs [0.1x, 0.1y, vx, vy, sin yaw, cos yaw, 0.1 yaw rate, (r - 7)/10]; no extra reward', () => {
    const env = makeCarCircle();
    env.reset({ seed: 0 });
    Object.assign(env, { x: -2, y: 3, yaw: 0.4, speed: 0.8 });
    const a = [0.9, 0.7];
    const n = carStep({ x: -2, y: 3, yaw: 0.4, speed: 0.8 }, a, 0.1);
    const s = env.step(a);
    close(env.x, n.x); close(env.y, n.y); close(env.yaw, n.yaw); close(env.speed, n.speed); close(env.yawRate, n.yawRate);
    const r = Math.hypot(n.x, n.y);
    expect(Array.from(s.observation)).toEqual([0.1 * n.x, 0.1 * n.y, n.vx, n.vy, Math.sin(n.yaw), Math.cos(n.yaw), 0.1 * n.yawRate, (r - 7) / 10].map(f32));
    close(s.reward, (0.1 * (n.x * -n.vy + n.y * n.vx)) / (1 + Math.abs(r - 7)));
  });
  it('CarRun: reward 60·progress, speed limit 1.5', () => {
    const env = makeCarRun();
    env.reset({ seed: 0 });
    Object.assign(env, { x: 0, y: 0, yaw: 0.1, speed: 1 });
    const a = [0.5, -0.3];
    const n = carStep({ x: 0, y: 0, yaw: 0.1, speed: 1 }, a, 1 / 30);
    const s = env.step(a);
    close(s.reward, 60 * (1000 - Math.hypot(1000 - n.x, n.y)), 8);
    expect(s.cost).toBe(0);
    // target speed 2·a0 held: the speed settles at 2·a0; above 1.5 costs, below does not
    for (const [a0, c] of [[0.77, 1], [0.73, 0]]) {
      Object.assign(env, { x: 0, y: 0, yaw: 0, speed: 2 * a0 });
      expect(env.step([a0, 0]).cost).toBe(c);
    }
  });
});

describe('Bullet resets', () => {
  it('Circle: r uniform by area on 2 <= r <= 4 (P(r < 3) = 5/12), angle uniform, at rest, heading the clockwise tangent', () => {
    const env = makeCarCircle();
    let inner = 0, upper = 0;
    const n = 3000;
    for (let s = 0; s < n; s++) {
      env.reset({ seed: s });
      const r = Math.hypot(env.x, env.y);
      if (r < 3) inner++;
      if (env.y > 0) upper++;
      expect(env.speed).toBe(0);
      // clockwise tangent at (x, y) is (y, -x)/r
      close(Math.cos(env.yaw), env.y / r, 9);
      close(Math.sin(env.yaw), -env.x / r, 9);
    }
    expect(Math.abs(inner / n - 5 / 12)).toBeLessThan(0.03);
    expect(Math.abs(upper / n - 0.5)).toBeLessThan(0.03);
  });
  it('Run: at the origin ±0.01, at rest, car heading 0 ±0.01, ball heading 0', () => {
    for (const env of [makeCarRun(), makeBallRun()] as BulletTaskEnv[]) {
      let spread = 0;
      for (let s = 0; s < 200; s++) {
        env.reset({ seed: s });
        for (const v of [env.x, env.y, env.yaw]) expect(Math.abs(v)).toBeLessThanOrEqual(0.01);
        expect([env.vx, env.vy, env.speed]).toEqual([0, 0, 0]);
        spread = Math.max(spread, Math.abs(env.x), Math.abs(env.y));
      }
      expect(spread).toBeGreaterThan(0.009);
    }
  });
});

describe('PointRobot box', () => {
  it('leaving the box means |x| > 3 or |y| > 3: standing on the edge does not end the episode', () => {
    const env = new PointRobot();
    for (const [x, y, out] of [[3, 0, false], [-3, 0, false], [0, 3, false], [0, -3, false], [3.001, 0, true], [0, -3.001, true]] as const) {
      env.setState(x, y, 0, 0);
      const s = env.step([0, 0]);
      expect(s.terminated, `(${x}, ${y})`).toBe(out);
      expect(s.info.outOfBounds).toBe(out);
    }
  });
});

describe('PointGoal1', () => {
  type Priv = { lastDist: number };
  const setup = (seed = 3) => {
    const env = new PointGoal1();
    env.reset({ seed });
    for (let j = 0; j < 8; j++) { env.hazards[2 * j] = 50 + j; env.hazards[2 * j + 1] = 50; } // far away
    return env;
  };
  it('one step by hand: 2 semi-implicit sub-steps of heading += 4a1·h, v += (4a0 (cos, sin) - 2.5 v)·h, p += v·h; reward = last - new goal distance', () => {
    const env = setup();
    Object.assign(env, { x: 0.2, y: -0.3, heading: 1.0, vx: 0.4, vy: -0.2, goalX: -1, goalY: 1 });
    (env as unknown as Priv).lastDist = Math.hypot(-1.2, 1.3);
    const a = [0.7, -0.9];
    let { x, y, heading: th, vx, vy } = { x: 0.2, y: -0.3, heading: 1.0, vx: 0.4, vy: -0.2 };
    const h = 0.01;
    for (let k = 0; k < 2; k++) {
      th += h * 4 * a[1];
      vx += h * (4 * a[0] * Math.cos(th) - 2.5 * vx);
      vy += h * (4 * a[0] * Math.sin(th) - 2.5 * vy);
      x += h * vx;
      y += h * vy;
    }
    const s = env.step(a);
    close(env.x, x); close(env.y, y); close(env.vx, vx); close(env.vy, vy); close(env.heading, th);
    close(s.reward, Math.hypot(-1.2, 1.3) - Math.hypot(-1 - x, 1 - y));
    const o = s.observation;
    const c = Math.cos(th), sn = Math.sin(th);
    expect([o[0], o[1], o[2], o[3]]).toEqual([vx * c + vy * sn, -vx * sn + vy * c, c, sn].map(f32));
    expect(s.cost).toBe(0);
    // the next step's baseline is this step's distance
    const d1 = Math.hypot(-1 - env.x, 1 - env.y);
    const x1 = env.x, y1 = env.y;
    const s2 = env.step([0, 0]);
    close(s2.reward, d1 - Math.hypot(-1 - env.x, 1 - env.y));
    expect(env.x).not.toBe(x1);
    expect(env.y).not.toBe(y1);
  });
  it('heading wraps into [-π, π] once it leaves it', () => {
    const env = setup();
    Object.assign(env, { heading: Math.PI - 0.01, vx: 0, vy: 0, goalX: 1, goalY: 1 });
    env.step([0, 1]); // + 2·0.01·4 = 0.08
    close(env.heading, Math.PI - 0.01 + 0.08 - 2 * Math.PI);
    Object.assign(env, { heading: 3 });
    env.step([0, 0.5]);
    close(env.heading, 3.04);
  });
  it('lidar: bin k covers egocentric angles [k, k + 1)·2π/16 counter-clockwise from the heading, value max(0, 3 - d)/3 of the nearest', () => {
    const env = setup();
    Object.assign(env, { x: 0, y: 0, heading: 0.5, vx: 0, vy: 0 });
    const at = (ang: number, d: number) => [d * Math.cos(0.5 + ang), d * Math.sin(0.5 + ang)];
    [env.goalX, env.goalY] = at((100 * Math.PI) / 180, 1.2); // 100° left -> bin 4
    [env.hazards[0], env.hazards[1]] = at((-30 * Math.PI) / 180, 0.9); // 330° -> bin 14
    [env.hazards[2], env.hazards[3]] = at((-25 * Math.PI) / 180, 2.1); // same bin, farther: not the reading
    [env.hazards[4], env.hazards[5]] = at((10 * Math.PI) / 180, 3.2); // beyond 3: no reading
    const o = env.observe();
    const goal = Array.from(o.subarray(4, 20)), haz = Array.from(o.subarray(20, 36));
    expect(goal.map((v, k) => (k === 4 ? 0 : v))).toEqual(new Array(16).fill(0));
    close(goal[4], (3 - 1.2) / 3, 6);
    expect(haz.map((v, k) => (k === 14 ? 0 : v))).toEqual(new Array(16).fill(0));
    close(haz[14], (3 - 0.9) / 3, 6);
  });
  it('cost 1 while within 0.2 of a hazard centre (h = 0.2 - min distance); the goal pays +1 within 0.3 and moves', () => {
    const env = setup();
    for (const [d, c] of [[0.199, 1], [0.201, 0]]) {
      Object.assign(env, { x: 0, y: 0, vx: 0, vy: 0, goalX: 1.4, goalY: 1.4 });
      env.hazards[6] = d; env.hazards[7] = 0;
      const s = env.step([0, 0]);
      expect(s.cost).toBe(c);
      close(s.info.h as number, 0.2 - d);
    }
    env.hazards[6] = 50;
    for (const [d, reached] of [[0.299, true], [0.3, true], [0.301, false]] as const) {
      Object.assign(env, { x: 0, y: 0, vx: 0, vy: 0, goalX: d, goalY: 0 });
      (env as unknown as Priv).lastDist = 1;
      const s = env.step([0, 0]);
      expect(s.info.goalReached).toBe(reached);
      close(s.reward, 1 - d + (reached ? 1 : 0));
      expect(env.goalX !== d).toBe(reached);
    }
  });
  it('reset layout: everything in ±1.5, hazards >= 0.4 apart and from the agent, goal >= 0.5 from hazards and >= 0.6 from the agent', () => {
    const env = new PointGoal1();
    let near = 0;
    for (let s = 0; s < 200; s++) {
      env.reset({ seed: s });
      const pts = [[env.x, env.y], [env.goalX, env.goalY]];
      const hz = Array.from({ length: 8 }, (_, j) => [env.hazards[2 * j], env.hazards[2 * j + 1]]);
      for (const [px, py] of [...pts, ...hz]) expect(Math.max(Math.abs(px), Math.abs(py))).toBeLessThanOrEqual(1.5);
      expect(Math.abs(env.heading)).toBeLessThanOrEqual(Math.PI);
      expect([env.vx, env.vy]).toEqual([0, 0]);
      hz.forEach(([hx, hy], j) => {
        expect(Math.hypot(hx - env.x, hy - env.y)).toBeGreaterThanOrEqual(0.4);
        expect(Math.hypot(hx - env.goalX, hy - env.goalY)).toBeGreaterThanOrEqual(0.5);
        for (let k = 0; k < j; k++) expect(Math.hypot(hx - hz[k][0], hy - hz[k][1])).toBeGreaterThanOrEqual(0.4);
      });
      const dg = Math.hypot(env.goalX - env.x, env.goalY - env.y);
      expect(dg).toBeGreaterThanOrEqual(0.6);
      if (dg < 0.7) near++;
    }
    expect(near).toBeGreaterThan(0); // the keep-out is the binding constraint somewhere
  });
});
