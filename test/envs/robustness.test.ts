import { describe, expect, it } from 'vitest';
import { collect } from '../../rl/data/collect.js';
import { feasibilityGrid, groundTruthDiscounted, groundTruthMargin, isFeasibleState, PointRobot } from '../../rl/envs/point_robot.js';
import { makeEnv, TASK_NAMES, taskReference } from '../../rl/envs/registry.js';
import { evaluate } from '../../rl/fisor/evaluate.js';

describe.each(TASK_NAMES)('%s: bad input', (task) => {
  it('refuses step() before the first reset() and after the episode ended; reset() starts a new episode', () => {
    const env = makeEnv(task);
    expect(() => env.step([0, 0])).toThrow(new RegExp(`${task}: step\\(\\) before the first reset\\(\\); call reset\\(\\)`));
    const first = env.reset({ seed: 4 });
    let last;
    for (let t = 0; t < env.maxEpisodeSteps; t++) {
      last = env.step([0, 0]);
      if (last.terminated || last.truncated) break;
    }
    expect(last!.terminated || last!.truncated).toBe(true);
    expect(() => env.step([0, 0])).toThrow(new RegExp(`${task}: step\\(\\) after the episode ended \\((terminated|truncated)`));
    expect(Array.from(env.reset({ seed: 4 }))).toEqual(Array.from(first)); // same seed, same start
    expect(env.step([0, 0]).observation.length).toBe(env.observationSize);
  });
  it('refuses action components that are not numbers (JSON writes NaN as null, and +null is 0)', () => {
    const env = makeEnv(task);
    env.reset({ seed: 0 });
    expect(() => env.step([null, 0] as unknown as number[])).toThrow(new RegExp(`${task}: action component 0 is null, not a number`));
    expect(() => env.step([0, '0.5'] as unknown as number[])).toThrow(/action component 1 is the string "0.5", not a number/);
    expect(env.step([0.5, -3]).observation.length).toBe(env.observationSize); // numbers still pass (and clip)
  });
  it('refuses seeds that are not integer numbers, naming the env', () => {
    const env = makeEnv(task);
    expect(() => env.reset({ seed: '3' as unknown as number })).toThrow(new RegExp(`${task}: the reset seed must be an integer, got the string "3"`));
    expect(() => env.reset({ seed: null as unknown as number })).toThrow(/reset seed must be an integer, got null/);
    expect(() => env.reset({ seed: 1.5 })).toThrow(/reset seed must be an integer, got 1.5/);
    expect(() => makeEnv(task, { seed: NaN })).toThrow(new RegExp(`${task}: the constructor seed must be an integer, got NaN`));
    expect(env.reset({ seed: -1 }).length).toBe(env.observationSize); // negative integers fold to 32 bits (core/rng.ts)
  });
});

describe('task names', () => {
  it("Object.prototype's keys are unknown tasks, not an env or a reference", () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(() => makeEnv(name)).toThrow(new RegExp(`unknown task '${name}'; known tasks: PointRobot`));
      expect(() => taskReference(name)).toThrow(new RegExp(`unknown task '${name}'`));
    }
    expect(() => collect('constructor', { seed: 0, episodes: 1 })).toThrow(/unknown task 'constructor'/);
  });
});

describe('PointRobot: non-finite states', () => {
  it('setState refuses a non-finite component, so a NaN start is never scored as a safe episode', () => {
    const env = new PointRobot();
    expect(() => env.setState(NaN, 0, 1, 0)).toThrow(/PointRobot.setState: x must be a finite number, got NaN/);
    expect(() => env.setState(0, 0, Infinity, 0)).toThrow(/v must be a finite number, got Infinity/);
    const still = { act: (o: Float32Array): Float32Array => new Float32Array((o.length / 11) * 2) };
    expect(() => evaluate(still, 'PointRobot', { episodes: 1, seed: 0, starts: [[0, NaN, 1, 0]] })).toThrow(/y must be a finite number, got NaN/);
    expect(env.setState(0, 0, 1, 0).length).toBe(11);
    expect(env.step([0, 0]).truncated).toBe(false);
  });
  it('the ground truth refuses non-finite states instead of calling them feasible (NaN) or braking forever (v = Infinity)', () => {
    expect(() => isFeasibleState(NaN, 0, 1, 0)).toThrow(/PointRobot ground truth: x must be a finite number, got NaN/);
    expect(() => isFeasibleState(0.4, -3, NaN, Math.PI / 2)).toThrow(/v must be a finite number, got NaN/);
    expect(() => groundTruthMargin(0.4, -3, Infinity, Math.PI / 2)).toThrow(/v must be a finite number, got Infinity/);
    expect(() => groundTruthDiscounted(0, 0, 1, NaN, 0.99)).toThrow(/theta must be a finite number, got NaN/);
    expect(() => feasibilityGrid({ v: NaN, theta: 0, n: 5 })).toThrow(/feasibilityGrid: v and theta must be finite numbers, got v NaN/);
    expect(() => feasibilityGrid({ v: 1, theta: 0, n: 5, extent: NaN })).toThrow(/extent must be a finite number > 0, got NaN/);
    expect(isFeasibleState(0.4, -3, 1, Math.PI / 2)).toBe(true); // finite states still answer
  });
});
