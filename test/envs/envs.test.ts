import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { makeBehaviourPolicy } from '../../rl/data/policies.js';
import { listTasks, makeEnv, TASK_NAMES, TASK_REFERENCE } from '../../rl/envs/registry.js';
import { evaluate } from '../../rl/fisor/evaluate.js';

function rollout(task: string, seed: number, steps: number, actSeed = 1): { obs: number[][]; r: number[]; c: number[] } {
  const env = makeEnv(task);
  const rng = new Rng(actSeed);
  const obs = [Array.from(env.reset({ seed }))];
  const r: number[] = [];
  const c: number[] = [];
  for (let t = 0; t < steps; t++) {
    const s = env.step([rng.uniformRange(-1.2, 1.2), rng.uniformRange(-1.2, 1.2)]);
    obs.push(Array.from(s.observation));
    r.push(s.reward);
    c.push(s.cost);
    if (s.terminated || s.truncated) break;
  }
  return { obs, r, c };
}

describe('registry', () => {
  it('lists every task with sizes matching the envs', () => {
    const tasks = listTasks();
    expect(tasks.map((t) => t.name)).toEqual(TASK_NAMES);
    for (const t of tasks) {
      const env = makeEnv(t.name);
      expect(env.name).toBe(t.name);
      expect(env.observationSize).toBe(t.observationSize);
      expect(env.actionSize).toBe(t.actionSize);
      expect(env.maxEpisodeSteps).toBe(t.maxEpisodeSteps);
      expect(env.reset({ seed: 3 }).length).toBe(env.observationSize);
      expect(t.kappa).toBe(10);
    }
    expect(TASK_REFERENCE.BallRun.maxEpisodeSteps).toBe(100);
    expect(TASK_REFERENCE.CarCircle.observationSize).toBe(8);
    expect(TASK_REFERENCE.CarRun.observationSize).toBe(7);
  });
  it('unknown name lists the known names', () => {
    expect(() => makeEnv('Nope')).toThrow(/unknown task 'Nope'.*PointRobot.*BallCircle/);
  });
});

describe.each(TASK_NAMES)('%s', (task) => {
  it('is deterministic under a seed (and seeds differ)', () => {
    const a = rollout(task, 7, 120);
    const b = rollout(task, 7, 120);
    expect(a).toEqual(b);
    const c = rollout(task, 8, 120);
    expect(c.obs[0]).not.toEqual(a.obs[0]);
  });
  it('rejects a bad action length naming env and sizes', () => {
    const env = makeEnv(task);
    env.reset({ seed: 0 });
    expect(() => env.step([0, 0, 0])).toThrow(new RegExp(`${task}.*length 2.*got 3`));
  });
  it('refuses non-finite actions naming env, component and value (a NaN policy is never scored as safe)', () => {
    const env = makeEnv(task);
    env.reset({ seed: 0 });
    expect(() => env.step([0, NaN])).toThrow(new RegExp(`${task}: action component 1 is NaN; non-finite actions are refused`));
    expect(() => env.step([-Infinity, 0])).toThrow(/action component 0 is -Infinity/);
    const nanPolicy = { act: (o: Float32Array) => new Float32Array((o.length / env.observationSize) * 2).fill(NaN) };
    expect(() => evaluate(nanPolicy, task, { episodes: 2, seed: 0 })).toThrow(/non-finite actions are refused/);
  });
  it('clips actions to [-1, 1] (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (a0, a1, seed) => {
        const e1 = makeEnv(task);
        const e2 = makeEnv(task);
        e1.reset({ seed });
        e2.reset({ seed });
        const clip = (v: number): number => Math.max(-1, Math.min(1, v));
        const s1 = e1.step([a0, a1]);
        const s2 = e2.step([clip(a0), clip(a1)]);
        expect(Array.from(s1.observation)).toEqual(Array.from(s2.observation));
        expect(s1.reward).toBe(s2.reward);
      }),
      { numRuns: 30 },
    );
  });
  it('runs to the time limit or a termination with finite outputs', () => {
    const env = makeEnv(task);
    env.reset({ seed: 1 });
    let t = 0;
    for (;;) {
      const s = env.step([0.1, 0.2]);
      t++;
      expect(s.observation.every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(s.reward)).toBe(true);
      expect(s.cost === 0 || s.cost === 1).toBe(true);
      if (s.terminated || s.truncated) break;
    }
    expect(t).toBeLessThanOrEqual(env.maxEpisodeSteps);
  });
  it('a cautious scripted policy earns reward safely; a reckless one violates', () => {
    const run = (risk: number): { R: number; C: number } => {
      let R = 0, C = 0;
      for (let s = 0; s < 6; s++) {
        const env = makeEnv(task);
        env.reset({ seed: 100 + s });
        const p = makeBehaviourPolicy(task, { kind: 'scripted', risk, noise: 0 }, new Rng(s));
        const a = new Float64Array(2);
        for (;;) {
          p.act(env, a);
          const r = env.step(a);
          R += r.reward;
          C += r.cost;
          if (r.terminated || r.truncated) break;
        }
      }
      return { R: R / 6, C: C / 6 };
    };
    const safe = run(0);
    const reckless = run(1);
    expect(safe.C).toBeLessThanOrEqual(5);
    expect(safe.R).toBeGreaterThan(0);
    expect(reckless.C).toBeGreaterThan(safe.C);
    if (task !== 'PointRobot') expect(reckless.C).toBeGreaterThan(10);
  });
});

describe('Bullet tasks', () => {
  it('Circle cost is |x| > 6 and Run cost includes the speed limit', () => {
    const circle = makeEnv('BallCircle') as import('../../rl/envs/bullet.js').BulletTaskEnv;
    circle.reset({ seed: 0 });
    circle.x = 6.5;
    circle.y = 0;
    expect(circle.step([0, 0]).cost).toBe(1);
    circle.x = 5.5;
    expect(circle.step([0, 0]).cost).toBe(0);
    const run = makeEnv('CarRun') as import('../../rl/envs/bullet.js').BulletTaskEnv;
    run.reset({ seed: 0 });
    let c = 0;
    for (let t = 0; t < 60; t++) c += run.step([1, 0]).cost; // full throttle -> 2 m/s > 1.5 limit
    expect(c).toBeGreaterThan(10);
    run.reset({ seed: 0 });
    run.y = 2.5;
    expect(run.step([0, 0]).cost).toBe(1);
  });
  it('Circle observation carries (r - 7) / 10 and Ball obs scales velocity by 0.2', () => {
    const env = makeEnv('BallCircle') as import('../../rl/envs/bullet.js').BulletTaskEnv;
    const o = env.reset({ seed: 5 });
    const r = Math.hypot(env.x, env.y);
    expect(r).toBeGreaterThanOrEqual(2);
    expect(r).toBeLessThanOrEqual(4);
    expect(o[7]).toBeCloseTo((r - 7) / 10, 6);
    const s = env.step([1, 0]);
    expect(s.observation[2]).toBeCloseTo(0.2 * env.vx, 6);
    expect(s.observation[5]).toBeCloseTo((0.1 * env.vx) / 0.5, 6);
  });
});

describe('PointGoal1', () => {
  it("the lidar-fed behaviour (the 'observed' recipe) is cautious at risk 0 and reckless at risk 1, as the state-fed one", () => {
    const run = (risk: number): { R: number; C: number } => {
      let R = 0, C = 0;
      for (let s = 0; s < 6; s++) {
        const env = makeEnv('PointGoal1');
        env.reset({ seed: 100 + s });
        const p = makeBehaviourPolicy('PointGoal1', { kind: 'scripted', risk, noise: 0 }, new Rng(s), true);
        const a = new Float64Array(2);
        for (let t = 0; t < env.maxEpisodeSteps; t++) {
          p.act(env, a);
          const r = env.step(a);
          R += r.reward;
          C += r.cost;
        }
      }
      return { R: R / 6, C: C / 6 };
    };
    const safe = run(0);
    const reckless = run(1);
    expect(safe.C).toBeLessThanOrEqual(5); // 2.99 an episode over 100 episodes of the collect seed 0 draws
    expect(safe.R).toBeGreaterThan(5); // ~9.7 an episode (normalized 0.36)
    expect(reckless.C).toBeGreaterThan(10);
  });

  it('goal lidar points at the goal and reaching it pays +1 and moves the goal', () => {
    const env = makeEnv('PointGoal1') as import('../../rl/envs/point_goal.js').PointGoal1;
    env.reset({ seed: 2 });
    env.heading = 0;
    env.goalX = env.x + 1;
    env.goalY = env.y + 1e-6;
    env.vx = env.vy = 0;
    const o = env.step([0, 0]).observation;
    expect(o[4]).toBeCloseTo((3 - 1) / 3, 4); // bin 0 = straight ahead
    for (let k = 5; k < 20; k++) expect(o[k]).toBe(0);
    env.goalX = env.x + 0.305;
    env.goalY = env.y;
    env.vx = 1;
    env.vy = 0;
    const gx = env.goalX;
    const s = env.step([1, 0]);
    expect(s.info.goalReached).toBe(true);
    expect(s.reward).toBeGreaterThan(1);
    expect(env.goalX).not.toBe(gx);
  });
});
