import { describe, expect, it } from 'vitest';
import { Rng, setBackend } from '../../core/index.js';
import { FisorAgent } from '../../rl/fisor/agent.js';
import { PRESET_TASK_CHANGES, presetChain, presetConfig, resolveConfig, withDefaults, type FisorConfig } from '../../rl/fisor/config.js';
import {
  FEASIBLE_STARTS_EVAL_SEED, FEASIBLE_VALIDATION_SEED, FIXED_START_EVAL_SEED, NEAR_BOUNDARY_EVAL_SEED, NEAR_BOUNDARY_STARTS_SEED, NEAR_BOUNDARY_VALIDATION_SEED, feasibleStarts, nearBoundaryStarts,
} from '../../rl/fisor/starts.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { groundTruthMargin, groundTruthPathH } from '../../rl/envs/point_robot.js';
import { evaluateRun, FEASIBLE_STARTS, NEAR_BOUNDARY_STARTS, randomStartsSeed } from '../../scripts/start_results.js';
import { shiftQh, tinyConfig } from './tiny.js';

/**
 * Config fallbackMargin (not the paper): the fallback grid competes also where the best candidate's Q_h > -margin; the
 * near-boundary starts it was chosen on, and the ones the results report.
 */
const tiny = (extra: string[] = []): FisorConfig => tinyConfig(extra, { critic: 16, numSamples: 4 });

describe('fallback margin (config fallbackMargin)', () => {
  const obs = Float32Array.from({ length: 9 }, (_, i) => Math.cos(3 * i + 1)); // 3 observations

  it('with every candidate judged feasible by less than the margin, the grid competes; by more, the paper\'s choice stands', () => {
    setBackend('js');
    const make = (m: number) => new FisorAgent(tiny(['fallbackGrid=3', `fallbackMargin=${m}`]), 3, 2, new Rng(0));
    // Shift Q_h so that the best candidate of every observation sits just below 0 (judged feasible by a hair).
    const probe = make(0);
    const { candidateQh } = probe.actWithCandidates(obs);
    const best = [0, 1, 2].map((i) => Math.min(...candidateQh.subarray(4 * i, 4 * i + 4)));
    const shift = -Math.max(...best) - 1e-3;

    const plain = make(0), wide = make(0.5), mTiny = make(1e-4);
    for (const a of [plain, wide, mTiny]) shiftQh(a, shift);
    const p = plain.actWithCandidates(obs);
    expect(Math.max(...Array.from(p.chosen, (c, i) => p.candidateQh[4 * i + c]))).toBeLessThan(0);
    expect(Math.min(...p.chosen)).toBeGreaterThanOrEqual(0); // margin 0: no fallback, every best candidate is < 0
    // A margin below every best candidate's distance to 0 changes nothing, bit for bit.
    const t = mTiny.actWithCandidates(obs);
    expect(Array.from(t.actions)).toEqual(Array.from(p.actions));
    // A wide margin lets the grid compete everywhere: the executed Q_h is the lower of the best candidate's and the grid's.
    const w = wide.actWithCandidates(obs);
    expect(Array.from(w.candidateQh)).toEqual(Array.from(p.candidateQh)); // same candidates (same sampling stream)
    let fellBack = 0;
    for (let i = 0; i < 3; i++) {
      expect(w.chosenQh[i]).toBeLessThanOrEqual(p.chosenQh[i]);
      if (w.chosen[i] === -1) fellBack++;
      else expect(w.chosen[i]).toBe(p.chosen[i]);
    }
    expect(fellBack).toBeGreaterThan(0);
  });

  it('is 0 in the paper, in old configs and in safe7; safe8 sets 0.05 on PointRobot and reward temperature 1 on BallCircle only', () => {
    expect(presetConfig('paper').fallbackMargin).toBe(0);
    const old = { ...presetConfig('cpu') } as Partial<FisorConfig>;
    delete old.fallbackMargin;
    expect(withDefaults(old as FisorConfig).fallbackMargin).toBe(0);
    expect(resolveConfig({ preset: 'safe7', task: 'PointRobot' }).fallbackMargin).toBe(0);
    expect(presetChain('safe8').map((c) => c.preset)).toEqual(['cpu', 'safe', 'safe3', 'safe4', 'safe5', 'safe6', 'safe7', 'safe8']);
    const pr = resolveConfig({ preset: 'safe8', task: 'PointRobot' });
    expect(pr.fallbackMargin).toBe(0.05);
    expect({ ...pr, fallbackMargin: 0 }).toEqual(resolveConfig({ preset: 'safe7', task: 'PointRobot' }));
    const bc = resolveConfig({ preset: 'safe8', task: 'BallCircle' });
    expect(bc.weights.rewardTemperature).toBe(1);
    expect({ ...bc, weights: { ...bc.weights, rewardTemperature: 3 } }).toEqual(resolveConfig({ preset: 'safe7', task: 'BallCircle' }));
    expect(PRESET_TASK_CHANGES.safe8?.PointRobot?.fallbackMargin.why).toMatch(/validation starts/);
    for (const task of ['CarCircle', 'BallRun', 'CarRun', 'PointGoal1']) {
      expect(resolveConfig({ preset: 'safe8', task }), task).toEqual(resolveConfig({ preset: 'safe7', task }));
    }
  });

  it('bad values are refused by name: negative, or without the grid it needs', () => {
    expect(() => resolveConfig({ set: ['fallbackGrid=3', 'fallbackMargin=-0.1'] })).toThrow(/fallbackMargin.*>= 0/);
    expect(() => resolveConfig({ set: ['fallbackMargin=0.05'] })).toThrow(/fallbackMargin.*fallbackGrid > 0/);
  });
});

describe('near-boundary validation starts', () => {
  it('are fixed, head for a hazard, are feasible by at most the band, and differ from the evaluation\'s starts', () => {
    const s = nearBoundaryStarts(30);
    expect(s).toHaveLength(30);
    expect(NEAR_BOUNDARY_STARTS_SEED).not.toBe(NEAR_BOUNDARY_VALIDATION_SEED);
    expect(nearBoundaryStarts(30, NEAR_BOUNDARY_VALIDATION_SEED)).toEqual(s);
    for (const [x, y, v, th] of s) {
      const m = groundTruthMargin(x, y, v, th);
      expect(m).toBeLessThanOrEqual(0);
      expect(m).toBeGreaterThanOrEqual(-0.2);
      expect(groundTruthPathH(x, y, v, th).length).toBeGreaterThan(1); // the braking turn is needed
    }
    const evalKeys = new Set(feasibleStarts(60).map((st) => st.join(',')));
    expect(s.filter((st) => evalKeys.has(st.join(',')))).toHaveLength(0);
    for (const [x, y, v, th] of nearBoundaryStarts(20, 1, 0.05)) expect(groundTruthMargin(x, y, v, th)).toBeGreaterThanOrEqual(-0.05);
    expect(() => nearBoundaryStarts(5, 1, 0)).toThrow(/band must be > 0/);
    // The set the results report is apart from the validation set (acting settings are chosen on the latter).
    const reported = nearBoundaryStarts(60, NEAR_BOUNDARY_STARTS_SEED);
    const validation = new Set(nearBoundaryStarts(60).map((st) => st.join(',')));
    expect(reported.filter((st) => validation.has(st.join(',')) || evalKeys.has(st.join(',')))).toHaveLength(0);
  });

  it('the feasible starts to choose acting settings on are feasible, fixed, and apart from the evaluation\'s', () => {
    const v = feasibleStarts(60, FEASIBLE_VALIDATION_SEED);
    expect(v).toHaveLength(60);
    expect(feasibleStarts(60, FEASIBLE_VALIDATION_SEED)).toEqual(v);
    for (const [x, y, sp, th] of v) expect(groundTruthMargin(x, y, sp, th)).toBeLessThanOrEqual(0);
    const evalKeys = new Set(feasibleStarts(60).map((st) => st.join(',')));
    expect(v.filter((st) => evalKeys.has(st.join(',')))).toHaveLength(0);
  });
});

describe('the results protocol', () => {
  it('evaluates PointRobot from the reported near-boundary starts last, so the random, fixed and feasible starts act as before', () => {
    setBackend('js');
    const make = () => new FisorAgent(tiny(['fallbackGrid=3']), 11, 2, new Rng(0));
    const ev = evaluateRun(make(), 'PointRobot', 0, 2);
    // The same three evaluations by hand, in the protocol's order, without the near-boundary one.
    const agent = make();
    const random = evaluate(agent, 'PointRobot', { episodes: 2, seed: randomStartsSeed(0), monitor: true });
    const fixed = evaluate(agent, 'PointRobot', { episodes: 2, seed: FIXED_START_EVAL_SEED, fixedStart: true, monitor: true });
    const starts = feasibleStarts(FEASIBLE_STARTS);
    const feasible = evaluate(agent, 'PointRobot', { episodes: starts.length, seed: FEASIBLE_STARTS_EVAL_SEED, starts, monitor: true });
    expect(ev.random.episodes).toEqual(random.episodes);
    expect(ev.fixedStart!.episodes).toEqual(fixed.episodes);
    expect(ev.feasibleStarts!.episodes).toEqual(feasible.episodes);
    const nearStarts = nearBoundaryStarts(NEAR_BOUNDARY_STARTS, NEAR_BOUNDARY_STARTS_SEED);
    const near = evaluate(agent, 'PointRobot', { episodes: nearStarts.length, seed: NEAR_BOUNDARY_EVAL_SEED, starts: nearStarts, monitor: true });
    expect(ev.nearBoundaryStarts!.episodes).toEqual(near.episodes);
    expect(ev.nearBoundaryStarts!.episodes).toHaveLength(60);
    expect(evaluateRun(new FisorAgent(tiny(), 7, 2, new Rng(0)), 'BallRun', 0, 1).nearBoundaryStarts).toBeUndefined();
  }, 60_000);
});
