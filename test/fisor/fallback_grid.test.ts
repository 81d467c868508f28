import { describe, expect, it } from 'vitest';
import { Rng, setBackend, tensor } from '../../core/index.js';
import { FisorAgent, MAX_FALLBACK_ACTIONS, fallbackGridActions } from '../../rl/fisor/agent.js';
import { PRESET_TASK_CHANGES, presetChain, presetConfig, resolveConfig, type FisorConfig } from '../../rl/fisor/config.js';
import { monitoredAct, summarizeMonitor } from '../../rl/fisor/monitor.js';
import { withDefaults } from '../../rl/fisor/train_meta.js';
import { shiftQh, tinyConfig } from './tiny.js';

/** Config fallbackGrid (not the paper): grid actions compete where no actor candidate is judged feasible. */
function tiny(extra: string[] = []): FisorConfig {
  return tinyConfig(extra, { critic: 16, numSamples: 4 });
}

/** Target Q_h of each action row for one observation. */
function qhOf(agent: FisorAgent, obs: Float32Array, actions: Float32Array): Float32Array {
  const K = actions.length / agent.actDim;
  const s = new Float32Array(K * agent.obsDim);
  for (let k = 0; k < K; k++) s.set(obs, k * agent.obsDim);
  return Float32Array.from(agent.targetQh(tensor(s, { shape: [K, agent.obsDim] }), tensor(actions, { shape: [K, agent.actDim] })).dataSync());
}

describe('fallback grid (config fallbackGrid)', () => {
  it('grid actions: every coordinate in linspace(-1, 1, g), first coordinate fastest; sizes checked', () => {
    expect(Array.from(fallbackGridActions(3, 2))).toEqual([-1, -1, 0, -1, 1, -1, -1, 0, 0, 0, 1, 0, -1, 1, 0, 1, 1, 1]);
    expect(Array.from(fallbackGridActions(2, 1))).toEqual([-1, 1]);
    expect(() => fallbackGridActions(1, 2)).toThrow(/>= 2/);
    expect(() => fallbackGridActions(3, 8)).toThrow(new RegExp(`3\\^8 = 6561 actions for 8-d actions, more than ${MAX_FALLBACK_ACTIONS}`));
    expect(() => resolveConfig({ set: ['fallbackGrid=1'] })).toThrow(/fallbackGrid.*0 \(off\) or an integer >= 2/);
    expect(() => new FisorAgent(tiny(['fallbackGrid=5']), 3, 6, new Rng(0))).toThrow(/fallbackGrid 5 gives 5\^6/);
  });

  it("is off in the paper's preset, in older checkpoints' configs, and everywhere in safe4 but PointRobot", () => {
    expect(presetConfig('paper').fallbackGrid).toBe(0);
    const old = { ...presetConfig('cpu') } as Partial<FisorConfig>;
    delete old.fallbackGrid;
    expect(withDefaults(old as FisorConfig).fallbackGrid).toBe(0);
    expect(presetChain('safe4').map((c) => c.preset)).toEqual(['cpu', 'safe', 'safe3', 'safe4']);
    expect(resolveConfig({ preset: 'safe4', task: 'PointRobot' }).fallbackGrid).toBe(3);
    expect(PRESET_TASK_CHANGES.safe4?.PointRobot?.fallbackGrid.why).toMatch(/fixed start/);
    for (const task of ['BallCircle', 'CarCircle', 'BallRun', 'CarRun', 'PointGoal1']) {
      const safe4 = resolveConfig({ preset: 'safe4', task });
      expect(safe4, task).toEqual(resolveConfig({ preset: 'safe3', task }));
    }
  });

  it('safe5 is safe4 with, on BallRun only, feasibility expectile 0.95 (the other tasks train and act as in safe4)', () => {
    expect(presetChain('safe5').map((c) => c.preset)).toEqual(['cpu', 'safe', 'safe3', 'safe4', 'safe5']);
    const ballRun = resolveConfig({ preset: 'safe5', task: 'BallRun' });
    expect(ballRun.feasibilityExpectile).toBe(0.95);
    expect({ ...ballRun, feasibilityExpectile: 0.8 }).toEqual(resolveConfig({ preset: 'safe4', task: 'BallRun' }));
    expect(PRESET_TASK_CHANGES.safe5?.BallRun?.feasibilityExpectile.why).toMatch(/BC-Safe/);
    for (const task of ['PointRobot', 'BallCircle', 'CarCircle', 'CarRun', 'PointGoal1']) {
      expect(resolveConfig({ preset: 'safe5', task }), task).toEqual(resolveConfig({ preset: 'safe4', task }));
    }
    expect(resolveConfig({ preset: 'safe5', task: 'BallRun', set: ['feasibilityExpectile=0.8'] }).feasibilityExpectile).toBe(0.8);
  });

  it('acts as the paper where a candidate is judged feasible, and the lowest Q_h of candidates and grid where none is', () => {
    setBackend('js');
    const obs = Float32Array.from({ length: 9 }, (_, i) => Math.cos(3 * i + 1)); // 3 observations
    const grid = fallbackGridActions(3, 2);
    const make = (g: number) => new FisorAgent(tiny([`fallbackGrid=${g}`]), 3, 2, new Rng(0));

    // Every candidate judged feasible: both agents take exactly the paper's action (same sampling stream).
    const paper = make(0), fb = make(3);
    shiftQh(paper, -100);
    shiftQh(fb, -100);
    const p = paper.actWithCandidates(obs);
    const f = fb.actWithCandidates(obs);
    expect(Array.from(f.actions)).toEqual(Array.from(p.actions));
    expect(Array.from(f.chosen)).toEqual(Array.from(p.chosen));
    expect(Math.min(...f.chosen)).toBeGreaterThanOrEqual(0);

    // Every action judged infeasible: the lowest Q_h over candidates and grid, per observation.
    const paper2 = make(0), fb2 = make(3);
    shiftQh(paper2, 100);
    shiftQh(fb2, 100);
    const p2 = paper2.actWithCandidates(obs);
    const f2 = fb2.actWithCandidates(obs);
    let fellBack = 0;
    for (let i = 0; i < 3; i++) {
      const o = obs.subarray(3 * i, 3 * i + 3);
      const gq = qhOf(fb2, o, grid);
      const bestGrid = gq.indexOf(Math.min(...gq));
      const candidateBest = p2.candidateQh[4 * i + p2.chosen[i]];
      expect(candidateBest).toBeGreaterThan(0);
      if (gq[bestGrid] < candidateBest) {
        fellBack++;
        expect(f2.chosen[i]).toBe(-1);
        expect(Array.from(f2.actions.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(grid.subarray(2 * bestGrid, 2 * bestGrid + 2)));
        expect(f2.chosenQh[i]).toBeCloseTo(gq[bestGrid], 5);
      } else {
        expect(f2.chosen[i]).toBe(p2.chosen[i]);
        expect(Array.from(f2.actions.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(p2.actions.subarray(2 * i, 2 * i + 2)));
      }
    }
    // Nine grid actions against four candidates: the test must see the fallback act at least once.
    expect(fellBack).toBeGreaterThan(0);
  });

  it('the monitor records the executed action\'s Q_h and counts fallback steps', () => {
    setBackend('js');
    const agent = new FisorAgent(tiny(['fallbackGrid=3']), 3, 2, new Rng(0));
    shiftQh(agent, 100);
    const obs = Float32Array.from({ length: 9 }, (_, i) => Math.cos(3 * i + 1));
    const { records } = monitoredAct(agent, obs, 3, undefined);
    const fallbacks = records.filter((r) => r.fallback);
    expect(fallbacks.length).toBeGreaterThan(0);
    for (const r of fallbacks) expect(r.chosenQh).toBeLessThan(r.minQh); // the grid beat every candidate
    const m = summarizeMonitor([records]);
    expect(m.fallbackFraction).toBeCloseTo(fallbacks.length / 3);
  });
});
