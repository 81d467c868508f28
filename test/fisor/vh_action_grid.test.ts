import { describe, expect, it } from 'vitest';
import { Rng, setBackend, tensor } from '../../core/index.js';
import { collect } from '../../rl/data/collect.js';
import { FisorAgent, MAX_VH_GRID_ACTIONS, fallbackGridActions } from '../../rl/fisor/agent.js';
import { PRESET_TASK_CHANGES, checkConfig, presetChain, presetConfig, resolveConfig, type FisorConfig } from '../../rl/fisor/config.js';
import { reversedExpectile } from '../../rl/fisor/critics.js';
import { allocFisorBatch, prepareData, sampleBatch } from '../../rl/fisor/data.js';
import { withDefaults } from '../../rl/fisor/train_meta.js';
import { tinyConfig } from './tiny.js';

/** Config vhActionGrid (not the paper): V_h's target also takes the lowest Q_h over a grid of actions. */
function tiny(extra: string[] = []): FisorConfig {
  return tinyConfig(extra, { critic: 16, numSamples: 4 });
}

const rows = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

describe('V_h target over an action grid (config vhActionGrid)', () => {
  it("is off in the paper's preset and in older checkpoints' configs; bad sizes are rejected by name", () => {
    expect(presetConfig('paper').vhActionGrid).toBe(0);
    const old = { ...presetConfig('cpu') } as Partial<FisorConfig>;
    delete old.vhActionGrid;
    expect(withDefaults(old as FisorConfig).vhActionGrid).toBe(0);
    expect(() => resolveConfig({ set: ['vhActionGrid=1'] })).toThrow(/vhActionGrid.*0 \(off\) or an integer >= 2/);
    expect(() => resolveConfig({ set: ['vhActionGrid=2.5'] })).toThrow(/vhActionGrid/);
    // A config that did not come through --set (a checkpoint's, the web page's) is held to the same rule.
    expect(() => checkConfig({ ...presetConfig('cpu'), vhActionGrid: 2.5 })).toThrow(/'vhActionGrid' must be 0 \(off\) or an integer >= 2.*got 2\.5/);
    expect(() => checkConfig({ ...presetConfig('cpu'), fallbackGrid: 2.5 })).toThrow(/'fallbackGrid' must be 0 \(off\) or an integer/);
    // 17^2 = 289 grid actions, each a Q_h pass over the critic batch: refused, naming the key.
    expect(() => new FisorAgent(tiny(['vhActionGrid=17']), 11, 2, new Rng(0))).toThrow(new RegExp(`config vhActionGrid 17 gives 17\\^2 = 289 actions for 2-d actions, more than ${MAX_VH_GRID_ACTIONS}`));
  });

  it('vhTarget is the target Q_h at the data action without the grid, and with it the lower of that and every grid action', () => {
    setBackend('js');
    const r = new Rng(3);
    const B = 5, S = 11, A = 2;
    const obs = Float32Array.from({ length: B * S }, () => r.normal());
    const act = Float32Array.from({ length: B * A }, () => r.uniformRange(-1, 1));
    const s = tensor(obs, { shape: [B, S] }), a = tensor(act, { shape: [B, A] });

    const plain = new FisorAgent(tiny(), S, A, new Rng(0));
    expect(rows(plain.vhTarget(s, a))).toEqual(rows(plain.targetQh(s, a)));

    const agent = new FisorAgent(tiny(['vhActionGrid=3']), S, A, new Rng(0));
    const atData = rows(agent.targetQh(s, a));
    const grid = fallbackGridActions(3, A);
    // Each grid action on its own, for every row: the expected target is the smallest of the ten values.
    const perAction = Array.from({ length: grid.length / A }, (_, k) => {
      const ak = new Float32Array(B * A);
      for (let b = 0; b < B; b++) ak.set(grid.subarray(k * A, k * A + A), b * A);
      return rows(agent.targetQh(s, tensor(ak, { shape: [B, A] })));
    });
    const expected = atData.map((q, b) => Math.min(q, ...perAction.map((p) => p[b])));
    const got = rows(agent.vhTarget(s, a));
    expect(got).toEqual(expected);
    // The grid lowers the target somewhere (a random critic does not rank the data's random actions first everywhere).
    expect(got.some((v, b) => v < atData[b])).toBe(true);
  });

  it('training with it updates V_h toward the grid target, stays finite and is deterministic', () => {
    setBackend('js');
    const cfg = tiny(['vhActionGrid=3', 'feasibilityExpectile=0.5']);
    const ds = collect('PointRobot', { transitions: 400, seed: 4 });
    const d = prepareData(ds, 'PointRobot', cfg);
    const run = () => {
      const agent = new FisorAgent(cfg, 11, 2, new Rng(0));
      const rng = new Rng(1);
      const batch = allocFisorBatch(d, cfg.batchSize);
      let first = NaN, expectedFirst = NaN, last = NaN;
      for (let i = 0; i < 4; i++) {
        const b = sampleBatch(d, rng, batch);
        if (i === 0) {
          // V_h is updated before Q_h, so the first update's V_h loss is the objective on the untouched critics.
          const s = tensor(b.observations, { shape: [b.size, 11] }), a = tensor(b.actions, { shape: [b.size, 2] });
          const diff = agent.vhTarget(s, a).sub(agent.vh.forward(s).reshape([-1]));
          expectedFirst = reversedExpectile(diff, cfg.feasibilityExpectile).mean().item();
        }
        last = agent.update(b, i).vhLoss;
        if (i === 0) first = last;
      }
      return { agent, first, expectedFirst, last };
    };
    const one = run(), two = run();
    expect(one.first).toBeCloseTo(one.expectedFirst, 6);
    expect(Number.isFinite(one.last)).toBe(true);
    const ta = one.agent.stateTensors(), tb = two.agent.stateTensors();
    for (const k of Object.keys(ta)) expect(rows(tb[k]), k).toEqual(rows(ta[k]));
    // The same seed without the grid trains another V_h: the option reaches the update.
    const plain = new FisorAgent(tiny(['feasibilityExpectile=0.5']), 11, 2, new Rng(0));
    const rng = new Rng(1);
    const batch = allocFisorBatch(d, cfg.batchSize);
    for (let i = 0; i < 4; i++) plain.update(sampleBatch(d, rng, batch), i);
    const vh = Object.keys(ta).filter((k) => k.startsWith('vh.'));
    expect(vh.length).toBeGreaterThan(0);
    expect(vh.some((k) => rows(plain.stateTensors()[k]).some((v, i) => v !== rows(ta[k])[i]))).toBe(true);
  });

  it('safe7 sets it on PointRobot only (with a symmetric V_h regression and a longer critic phase); every other task is safe6', () => {
    expect(presetChain('safe7').map((c) => c.preset)).toEqual(['cpu', 'safe', 'safe3', 'safe4', 'safe5', 'safe6', 'safe7']);
    const pr = resolveConfig({ preset: 'safe7', task: 'PointRobot' });
    expect([pr.vhActionGrid, pr.feasibilityExpectile, pr.criticSteps, pr.steps]).toEqual([3, 0.5, 10000, 14000]);
    expect({ ...pr, vhActionGrid: 0, feasibilityExpectile: 0.9, criticSteps: 6000, steps: 10000 }).toEqual(resolveConfig({ preset: 'safe6', task: 'PointRobot' }));
    expect(PRESET_TASK_CHANGES.safe7?.PointRobot?.vhActionGrid.why).toMatch(/IoU/);
    for (const task of ['BallCircle', 'CarCircle', 'BallRun', 'CarRun', 'PointGoal1']) {
      expect(resolveConfig({ preset: 'safe7', task }), task).toEqual(resolveConfig({ preset: 'safe6', task }));
    }
  });
});
