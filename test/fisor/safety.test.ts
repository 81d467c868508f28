import { describe, expect, it } from 'vitest';
import { Rng, setBackend } from '../../core/index.js';
import { FisorAgent, actorIterations, iterationPhase } from '../../rl/fisor/agent.js';
import { SAFE_CHANGES, presetConfig, resolveConfig, type FisorConfig } from '../../rl/fisor/config.js';
import { futureViolation, rocAuc, stepsToViolation } from '../../rl/fisor/convergence.js';
import { evaluate, type Policy } from '../../rl/fisor/evaluate.js';
import { summarizeMonitor, type MonitorStep } from '../../rl/fisor/monitor.js';
import { feasibleStarts } from '../../rl/fisor/starts.js';
import { evasiveTurn, isFeasibleState, POINT_ROBOT, PointRobot } from '../../rl/envs/point_robot.js';
import { PointGoalLidarPolicy, PointRobotSafetyFilter, type BehaviourPolicy } from '../../rl/data/policies.js';
import { POINT_GOAL } from '../../rl/envs/point_goal.js';
import type { Env } from '../../rl/envs/types.js';
import { collect } from '../../rl/data/collect.js';
import { splitTrajectories } from '../../rl/data/dataset.js';
import { tinyConfig } from './tiny.js';

function tiny(extra: string[] = []): FisorConfig {
  return tinyConfig(extra);
}

const step = (vh: number, chosenQh: number, minQh: number, cost: number): MonitorStep => ({ vh, chosenQh, minQh, maxQh: Math.max(chosenQh, minQh), cost });

describe('safety monitor', () => {
  it('attributes each violation to critic, actor, selection or recovery, with the root cause of recoveries', () => {
    const m = summarizeMonitor([
      [step(-1, -0.5, -0.5, 0), step(-0.2, -0.1, -0.1, 1)], // critic: state and action judged feasible
      [step(-0.3, 0.4, 0.4, 1)], // actor: no candidate judged feasible
      [step(-0.3, 0.4, -0.2, 1)], // selection: a feasible candidate was not executed
      [step(-1, -0.2, -0.2, 0), step(0.5, 0.6, 0.6, 0), step(0.7, 0.8, 0.8, 1)], // recovery, root: critic (entered with Q_h <= 0)
      [step(-1, 0.3, 0.3, 0), step(0.5, 0.6, 0.6, 1)], // recovery, root: actor
      [step(2, 3, 3, 1), step(2, 3, 3, 1)], // recovery from the start, twice
      [step(-1, -1, -1, 0)], // no violation
    ]);
    expect(m.violations).toBe(7);
    expect(m.violatingEpisodes).toBe(6);
    expect(m.byCause).toEqual({ critic: 1, actor: 1, selection: 1, recovery: 4 });
    expect(m.rootCause).toEqual({ critic: 2, actor: 2, selection: 1, start: 2 });
    expect(m.steps).toBe(12);
    expect(m.judgedInfeasibleFraction).toBeCloseTo(5 / 12);
  });

  it('evaluate with the monitor takes exactly the same actions (same returns and costs) as without', () => {
    setBackend('js');
    const agent = new FisorAgent(tiny(), 11, 2, new Rng(0));
    const st = agent.rngs.act.getState();
    const a = evaluate(agent, 'PointRobot', { episodes: 2, seed: 3 });
    agent.rngs.act.setState(st);
    const b = evaluate(agent, 'PointRobot', { episodes: 2, seed: 3, monitor: true, monitorTraces: true });
    expect(b.episodes).toEqual(a.episodes);
    expect(b.monitor!.steps).toBe(a.episodes.reduce((s, e) => s + e.length, 0));
    expect(b.monitor!.traces![0]).toHaveLength(a.episodes[0].length);
    const costSteps = b.monitor!.traces!.flat().filter((r) => r.cost > 0).length;
    expect(b.monitor!.violations).toBe(costSteps);
  });

  it('the monitor needs a FISOR agent; starts need PointRobot and one per episode', () => {
    const plain = { act: (o: Float32Array) => new Float32Array((o.length / 11) * 2) };
    expect(() => evaluate(plain, 'PointRobot', { episodes: 1, monitor: true })).toThrow(/monitor needs a policy/);
    expect(() => evaluate(plain, 'PointRobot', { episodes: 2, starts: [[0, 0, 1, 1]] })).toThrow(/1 starts given for 2 episodes/);
    expect(() => evaluate(plain, 'PointRobot', { episodes: 1, starts: [[0, 0, 1]] })).toThrow(/start 0 has 3 numbers/);
    expect(() => evaluate({ act: () => new Float32Array(2) }, 'BallRun', { episodes: 1, starts: [[0, 0, 1, 1]] })).toThrow(/PointRobot only/);
  });

  it('feasible starts: fixed list, all ground-truth feasible, episodes start there', () => {
    const s = feasibleStarts(60);
    expect(s).toHaveLength(60);
    expect(feasibleStarts(60)).toEqual(s);
    for (const [x, y, v, th] of s) expect(isFeasibleState(x, y, v, th)).toBe(true);
    // a policy that brakes: the first observation is the given start's
    const seen: number[][] = [];
    evaluate({ act: (o: Float32Array) => { if (!seen.length) seen.push(Array.from(o.subarray(0, 3))); return new Float32Array((o.length / 11) * 2).fill(-1); } }, 'PointRobot', { episodes: 2, starts: s.slice(0, 2) });
    expect(seen[0][0]).toBeCloseTo(s[0][0], 5);
    expect(seen[0][1]).toBeCloseTo(s[0][1], 5);
    expect(seen[0][2]).toBeCloseTo(s[0][2], 5);
  });
});

describe('critics-first schedule and ablation switches', () => {
  it('safe preset = cpu + SAFE_CHANGES; critics-first needs criticSteps < steps; enums are checked', () => {
    const c = presetConfig('safe');
    for (const [k, { value }] of Object.entries(SAFE_CHANGES)) expect(k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], c)).toEqual(value);
    expect(presetConfig('paper')).toMatchObject({ schedule: 'joint', vhExpectile: 'reversed', actorWeights: 'feasibility' });
    expect(() => resolveConfig({ set: ['schedule=critics-first', 'criticSteps=100', 'steps=100'] })).toThrow(/criticSteps.*must be < steps.*--set criticSteps=60 /);
    expect(() => resolveConfig({ set: ['schedule=actor-first'] })).toThrow(/schedule.*one of joint, critics-first/);
    expect(() => resolveConfig({ set: ['vhExpectile=upper'] })).toThrow(/vhExpectile/);
    expect(() => resolveConfig({ set: ['actorWeights=none'] })).toThrow(/actorWeights/);
    const cf = resolveConfig({ set: ['schedule=critics-first', 'criticSteps=30', 'steps=100'] });
    expect(actorIterations(cf)).toBe(70);
    expect([0, 29, 30, 99].map((s) => iterationPhase(cf, s))).toEqual(['critics', 'critics', 'actor', 'actor']);
    expect(iterationPhase(presetConfig('cpu'), 0)).toBe('joint');
  });

  it('critics-first: the critic phase leaves the actor untouched, the actor phase leaves the critics untouched', () => {
    setBackend('js');
    const cfg = tiny(['schedule=critics-first', 'criticSteps=2', 'steps=4']);
    const agent = new FisorAgent(cfg, 3, 2, new Rng(0));
    const r = new Rng(1);
    const f = (n: number, s = 0.7) => Float32Array.from({ length: n }, () => s * r.normal());
    const batch = { size: 16, observations: f(48), nextObservations: f(48), actions: f(32, 0.4), rewards: f(16), h: f(16), masks: new Float32Array(16).fill(1) };
    const snap = () => Object.fromEntries(Object.entries(agent.stateTensors()).filter(([k]) => !k.startsWith('opt.')).map(([k, t]) => [k, Array.from(t.dataSync())]));
    const changed = (a: Record<string, number[]>, b: Record<string, number[]>, prefix: string) =>
      Object.keys(a).filter((k) => k.startsWith(prefix)).some((k) => a[k].some((v, i) => v !== b[k][i]));
    const s0 = snap();
    const m = agent.update(batch, 0);
    const s1 = snap();
    expect(m.actorLoss).toBe(0);
    expect(changed(s0, s1, 'qh.')).toBe(true);
    expect(changed(s0, s1, 'vh.')).toBe(true);
    expect(changed(s0, s1, 'actor.')).toBe(false);
    agent.update(batch, 2);
    const s2 = snap();
    expect(changed(s1, s2, 'actor.')).toBe(true);
    for (const p of ['qh.', 'qhTarget.', 'vh.', 'qr.', 'qrTarget.', 'vr.']) expect(changed(s1, s2, p), p).toBe(false);
  });

  it("ablations change the computation: 'plain' V_h expectile and 'reward' weights", () => {
    setBackend('js');
    const r = new Rng(1);
    const f = (n: number, s = 0.7) => Float32Array.from({ length: n }, () => s * r.normal());
    const batch = { size: 16, observations: f(48), nextObservations: f(48), actions: f(32, 0.4), rewards: f(16), h: f(16), masks: new Float32Array(16).fill(1) };
    const run = (extra: string[]) => new FisorAgent(tiny(extra), 3, 2, new Rng(0)).update(batch);
    const base = run([]);
    expect(run(['vhExpectile=plain']).vhLoss).not.toBe(base.vhLoss);
    const w = run(['actorWeights=reward']);
    expect(w.unsafeFraction).toBe(base.unsafeFraction); // the same V_h, different weights
    expect(w.weightMean).not.toBe(base.weightMean);
  });
});

describe('convergence measures', () => {
  it('ROC AUC and future-violation labels', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75);
    expect(rocAuc([1, 2, 3], [0, 0, 0])).toBeNaN();
    expect(rocAuc([1, 1], [0, 1])).toBe(0.5);
    // two episodes: [0, 1, 0] then [0, 0]; masks 0 ends an episode
    expect(Array.from(futureViolation([0, 1, 0, 0, 0], [1, 1, 0, 1, 0]))).toEqual([1, 1, 0, 0, 0]);
    expect(Array.from(stepsToViolation([0, 0, 1, 0, 1, 0, 0], [1, 1, 1, 0, 1, 1, 0]))).toEqual([2, 1, 0, Infinity, 0, Infinity, Infinity]);
  });
});

describe('data recipes', () => {
  it("'recovery' switches behaviour mid-episode in some episodes; deterministic; 'fixed' is the default; bad names rejected", () => {
    const fixed = collect('BallCircle', { episodes: 20, seed: 4 });
    expect(collect('BallCircle', { episodes: 20, seed: 4, recipe: 'fixed' }).actions).toEqual(fixed.actions);
    const rec = collect('BallCircle', { episodes: 20, seed: 4, recipe: 'recovery' });
    expect(collect('BallCircle', { episodes: 20, seed: 4, recipe: 'recovery' }).actions).toEqual(rec.actions);
    expect(rec.actions).not.toEqual(fixed.actions);
    expect(splitTrajectories(rec)).toHaveLength(20);
    expect(() => collect('BallCircle', { episodes: 2, seed: 0, recipe: 'mixed' as never })).toThrow(/recipe must be one of fixed, recovery, evasive, observed/);
  });

  it("'evasive' equals 'recovery' except on PointRobot, where the filtered episodes brake and turn away at the last feasible moment", () => {
    const rec = collect('BallCircle', { episodes: 20, seed: 4, recipe: 'recovery' });
    expect(collect('BallCircle', { episodes: 20, seed: 4, recipe: 'evasive' }).actions).toEqual(rec.actions);
    const prRec = collect('PointRobot', { transitions: 5000, seed: 4, recipe: 'recovery' });
    const prEva = collect('PointRobot', { transitions: 5000, seed: 4, recipe: 'evasive' });
    expect(prEva.actions).not.toEqual(prRec.actions);
    // Evasive actions exist: full braking with a full turn.
    let evasions = 0;
    for (let i = 0; i < prEva.size; i++) if (prEva.actions[2 * i] === -1 && Math.abs(prEva.actions[2 * i + 1]) === 1) evasions++;
    expect(evasions).toBeGreaterThan(0);
  });

  it("'observed' equals 'evasive' except on PointGoal1, whose scripted behaviours then act on the observation", () => {
    for (const [task, size] of [['BallCircle', { episodes: 20 }], ['PointRobot', { transitions: 5000 }]] as const) {
      const eva = collect(task, { ...size, seed: 4, recipe: 'evasive' });
      expect(collect(task, { ...size, seed: 4, recipe: 'observed' }).actions).toEqual(eva.actions);
    }
    const pgEva = collect('PointGoal1', { episodes: 2, seed: 4, recipe: 'evasive' });
    const pgObs = collect('PointGoal1', { episodes: 2, seed: 4, recipe: 'observed' });
    expect(pgObs.actions).not.toEqual(pgEva.actions);
    expect(collect('PointGoal1', { episodes: 2, seed: 4, recipe: 'observed' }).actions).toEqual(pgObs.actions);
  });
});

describe('PointGoal1 lidar behaviour', () => {
  const B = POINT_GOAL.lidarBins;
  /** A stand-in env that has nothing but an observation: the policy must not need anything else. */
  const observing = (goal: [bin: number, dist: number] | null, hazards: [bin: number, dist: number][]): Env => {
    const o = new Float32Array(4 + 2 * B);
    o[2] = 1;
    if (goal) o[4 + goal[0]] = (3 - goal[1]) / 3;
    for (const [bin, d] of hazards) o[4 + B + bin] = (3 - d) / 3;
    return { observe: () => o } as unknown as Env;
  };
  const act = (env: Env, risk = 0): Float64Array => {
    const out = new Float64Array(2);
    new PointGoalLidarPolicy(risk).act(env, out);
    return out;
  };
  const binCentre = (k: number): number => ((k + 0.5) * 2 * Math.PI) / B;

  it('steers at the goal bin\'s centre, and straight ahead when the goal is out of range', () => {
    const toGoal = act(observing([0, 2], []));
    expect(toGoal[1]).toBeCloseTo(3 * binCentre(0), 12);
    expect(toGoal[0]).toBeGreaterThan(0);
    const left = act(observing([3, 2], []));
    expect(left[1]).toBe(1); // 3 x 78.75 degrees saturates the turn
    expect(Array.from(act(observing(null, [])))).toEqual([0.4, 0]);
  });

  it('turns away from a hazard between it and the goal, and only while the hazard is within its margin', () => {
    const free = act(observing([0, 2], []));
    const blocked = act(observing([0, 2], [[0, 0.45]]));
    expect(Math.abs(blocked[1] - free[1])).toBeGreaterThan(0.5);
    expect(blocked[0]).toBeLessThan(free[0]); // slows while turning
    // Risk 0 reacts within 0.2 + 0.7 m of a hazard centre; farther than that the action is the free one.
    expect(Array.from(act(observing([0, 2], [[0, 1.0]])))).toEqual(Array.from(free));
    // Risk 1 (reckless) ignores hazards.
    expect(Array.from(act(observing([0, 2], [[0, 0.45]]), 1))).toEqual(Array.from(act(observing([0, 2], []), 1)));
  });
});

describe('PointRobot safety filter', () => {
  it('the ground truth turns away from the hazard ahead: left at the fixed start, none when no hazard is ahead', () => {
    const [x, y, , th] = POINT_ROBOT.fixedStart;
    expect(evasiveTurn(x, y, th)).toBe(1);
    expect(evasiveTurn(x, y, th - Math.PI)).toBe(0);
    // Heading just right of the upper hazard's centre line turns right.
    expect(evasiveTurn(-1.9, 1.3, -0.2)).toBe(-1);
  });
  it('passes actions through until the next state would be infeasible, then brakes and turns away from the hazard', () => {
    // From 1.1 m behind the fixed start on its line, accelerating with a right turn runs into the upper hazard
    // (at the fixed start itself the filter already intervenes: its margin is 0.06).
    const accelerate: BehaviourPolicy = { act: (_e, out) => { out[0] = 1; out[1] = -1; } };
    const filter = new PointRobotSafetyFilter(accelerate);
    const env = new PointRobot({ seed: 0 });
    env.reset();
    env.state.set([-2.6, -0.8, 2, Math.PI / 4]);
    const out = new Float64Array(2);
    const dt = POINT_ROBOT.dt;
    let overridden = -1;
    for (let t = 0; t < 40 && overridden < 0; t++) {
      filter.act(env, out);
      const [x, y, v, th] = env.state;
      const nx = x + dt * v * Math.cos(th), ny = y + dt * v * Math.sin(th);
      if (out[0] === 1) {
        expect(out[1]).toBe(-1);
        expect(isFeasibleState(nx, ny, v + dt, th - dt)).toBe(true); // passed through: its next state is feasible
        env.step(Float64Array.from(out));
      } else {
        overridden = t;
        expect(out[0]).toBe(-1);
        expect(out[1]).toBe(evasiveTurn(x, y, th)); // after the right turns the heading passes right of the centre
        expect(out[1]).not.toBe(0);
        expect(isFeasibleState(nx, ny, v + dt, th - dt)).toBe(false);
        expect(isFeasibleState(nx, ny, v - dt, th + dt * out[1])).toBe(true);
      }
    }
    expect(overridden).toBeGreaterThan(0);
  });
});

describe('violation-free episodes', () => {
  const constant = (a0: number, a1: number): Policy => ({ act: (obs) => new Float32Array((obs.length / 11) * 2).map((_, i) => (i % 2 === 0 ? a0 : a1)) });

  it('counts episodes without a single step of cost > 0, which cost <= kappa does not', () => {
    // From the fixed start, full throttle straight ahead enters the hazard; full braking with a full left turn is
    // the ground truth's way out (rl/envs/point_robot.ts).
    const straight = evaluate(constant(1, 0), 'PointRobot', { episodes: 2, seed: 0, fixedStart: true, costLimit: 1000 });
    expect(straight.episodes.every((e) => e.cost > 0)).toBe(true);
    expect(straight.safeFraction).toBe(1); // within a kappa of 1000 ...
    expect(straight.violationFree).toBe(0); // ... yet every episode violated
    const evade = evaluate(constant(-1, 1), 'PointRobot', { episodes: 2, seed: 0, fixedStart: true });
    expect(evade.violationFree).toBe(2);
  });
});
