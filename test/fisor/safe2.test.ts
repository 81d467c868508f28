import { describe, expect, it } from 'vitest';
import { Rng, setBackend } from '../../core/index.js';
import { FisorAgent } from '../../rl/fisor/agent.js';
import { PAPER, PRESETS, PRESET_TASK_CHANGES, SAFE2_CHANGES, SAFE3_CHANGES, SAFE_CHANGES, presetChain, presetConfig, resolveConfig } from '../../rl/fisor/config.js';

/** Every dotted key where two configs differ. */
function diffKeys(a: unknown, b: unknown, prefix = ''): string[] {
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
  return Object.keys(a).flatMap((k) => diffKeys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
}

describe('safe2 preset (a more pessimistic feasibility estimate)', () => {
  it('is safe + SAFE2_CHANGES and nothing else; safe, cpu and paper keep the paper\'s expectile', () => {
    expect(PRESETS).toContain('safe2');
    const safe = presetConfig('safe'), safe2 = presetConfig('safe2');
    expect(diffKeys(safe, safe2).sort()).toEqual(Object.keys(SAFE2_CHANGES).sort());
    expect(safe2.feasibilityExpectile).toBe(SAFE2_CHANGES.feasibilityExpectile.value);
    expect(safe2.feasibilityExpectile).toBeLessThan(PAPER.feasibilityExpectile);
    for (const p of ['paper', 'cpu', 'safe']) expect(presetConfig(p).feasibilityExpectile).toBe(0.9);
    // safe is still cpu + SAFE_CHANGES exactly.
    expect(diffKeys(presetConfig('cpu'), safe).sort()).toEqual(Object.keys(SAFE_CHANGES).sort());
  });

  it('presetChain lists every preset from cpu down, each change with its reason', () => {
    expect(presetChain('paper')).toEqual([]);
    expect(presetChain('safe2').map((c) => [c.preset, c.parent])).toEqual([['cpu', 'paper'], ['safe', 'cpu'], ['safe2', 'safe']]);
    for (const { changes } of presetChain('safe2')) for (const [k, { why }] of Object.entries(changes)) expect(why.trim().length, k).toBeGreaterThan(0);
    expect(() => presetChain('safe99')).toThrow(/unknown preset 'safe99'.*safe2/);
    expect(() => presetConfig('safe99')).toThrow(/unknown preset 'safe99'/);
  });

  it('per-task exceptions: PointRobot keeps the paper\'s expectile under safe2 (its config is the safe preset\'s), the cost tasks get 0.7', () => {
    expect(PRESET_TASK_CHANGES.safe2?.PointRobot?.feasibilityExpectile.value).toBe(0.9);
    expect(resolveConfig({ preset: 'safe2', task: 'PointRobot' })).toEqual(resolveConfig({ preset: 'safe', task: 'PointRobot' }));
    for (const task of ['BallCircle', 'CarCircle', 'BallRun', 'CarRun', 'PointGoal1']) expect(resolveConfig({ preset: 'safe2', task }).feasibilityExpectile).toBe(0.7);
    // Without a task the preset's own value holds; --set still wins over the exception.
    expect(resolveConfig({ preset: 'safe2' }).feasibilityExpectile).toBe(0.7);
    expect(resolveConfig({ preset: 'safe2', task: 'PointRobot', set: ['feasibilityExpectile=0.6'] }).feasibilityExpectile).toBe(0.6);
    expect(presetChain('safe2').at(-1)!.tasks.PointRobot.feasibilityExpectile.why).toMatch(/IoU/);
  });

  it('task overrides and --set still apply on top of safe2; feasibilityExpectile is range-checked', () => {
    const c = resolveConfig({ preset: 'safe2', task: 'PointRobot', set: ['feasibilityExpectile=0.8'] });
    expect(c.feasibilityExpectile).toBe(0.8);
    expect(c.numSamples).toBe(8);
    expect(() => resolveConfig({ preset: 'safe2', set: ['feasibilityExpectile=1'] })).toThrow(/feasibilityExpectile.*\(0, 1\)/);
  });

  it('a lower feasibilityExpectile gives a higher (more pessimistic) V_h from the same Q_h; nothing else changes', () => {
    setBackend('js');
    const make = (tau: number) => {
      const cfg = resolveConfig({
        preset: 'cpu', task: 'BallCircle',
        set: ['batchSize=32', 'criticBatchSize=32', 'criticHidden=16,16', 'actor.hidden=8', 'actor.blocks=1', 'actor.timeFeatures=4', 'actor.timeHidden=8',
          'schedule=critics-first', 'criticSteps=400', 'steps=401', `feasibilityExpectile=${tau}`, 'criticLr=0.01'],
      });
      return new FisorAgent(cfg, 2, 1, new Rng(3));
    };
    // Two states; per state, half of the actions (a > 0) violate (h = +25) and half stay safe (h = -1).
    // masks = 0: the Q_h target is h itself, so both agents' Q_h see the same targets and V_h differs only by tau.
    const B = 32, r = new Rng(5);
    const obs = new Float32Array(2 * B), act = new Float32Array(B), h = new Float32Array(B);
    for (let i = 0; i < B; i++) {
      obs[2 * i] = i % 2;
      obs[2 * i + 1] = 1 - (i % 2);
      act[i] = (i % 4 < 2 ? -1 : 1) * (0.2 + 0.6 * r.uniform53());
      h[i] = act[i] > 0 ? 25 : -1;
    }
    const batch = { size: B, observations: obs, nextObservations: obs, actions: act, rewards: new Float32Array(B), h, masks: new Float32Array(B) };
    const pessimistic = make(0.7), paper = make(0.9);
    for (let k = 0; k < 400; k++) {
      pessimistic.update(batch, k);
      paper.update(batch, k);
    }
    const states = Float32Array.from([1, 0, 0, 1]);
    const vPess = Array.from(pessimistic.feasibilityValue(states)), vPaper = Array.from(paper.feasibilityValue(states));
    // The reversed expectile of {-1, 25} with equal mass: tau 0.9 -> 1.6, tau 0.7 -> 6.8 (weights tau below, 1 - tau above).
    for (let s = 0; s < 2; s++) expect(vPess[s]).toBeGreaterThan(vPaper[s] + 2);
    // Q_h's targets did not depend on V_h (masks = 0), so Q_h is bit-identical.
    const qh = (a: FisorAgent) => a.qh.parameters().map((p) => Array.from(p.dataSync()));
    expect(qh(pessimistic)).toEqual(qh(paper));
  });
});

describe('safe3 preset (recovery data with a feasibility expectile of 0.8)', () => {
  it('is safe plus exactly SAFE3_CHANGES, each with a reason; PointRobot keeps the paper\'s expectile but takes the recovery data', () => {
    expect(PRESETS).toContain('safe3');
    const safe = presetConfig('safe'), safe3 = presetConfig('safe3');
    expect(diffKeys(safe, safe3).sort()).toEqual(Object.keys(SAFE3_CHANGES).sort());
    expect(safe3.dataRecipe).toBe('recovery');
    expect(safe3.feasibilityExpectile).toBe(0.8);
    expect(presetChain('safe3').map((c) => [c.preset, c.parent])).toEqual([['cpu', 'paper'], ['safe', 'cpu'], ['safe3', 'safe']]);
    for (const { why } of Object.values(SAFE3_CHANGES)) expect(why.trim().length).toBeGreaterThan(40);
    const pr = resolveConfig({ preset: 'safe3', task: 'PointRobot' });
    expect(pr.feasibilityExpectile).toBe(0.9);
    expect(pr.dataRecipe).toBe('recovery');
    expect(PRESET_TASK_CHANGES.safe3?.PointRobot?.feasibilityExpectile.why).toMatch(/IoU/);
    for (const task of ['BallCircle', 'CarCircle', 'BallRun', 'CarRun', 'PointGoal1']) expect(resolveConfig({ preset: 'safe3', task }).feasibilityExpectile).toBe(0.8);
  });
});
