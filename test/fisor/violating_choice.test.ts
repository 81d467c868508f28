import { describe, expect, it } from 'vitest';
import { Rng, setBackend } from '../../core/index.js';
import { FisorAgent } from '../../rl/fisor/agent.js';
import { PRESET_TASK_CHANGES, SAFE6_CHANGES, presetChain, presetConfig, resolveConfig, type FisorConfig } from '../../rl/fisor/config.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { monitoredAct, summarizeMonitor } from '../../rl/fisor/monitor.js';
import { withDefaults } from '../../rl/fisor/train_meta.js';
import { pointRobotRollout } from '../../rl/plot/rollout.js';
import { tinyConfig } from './tiny.js';

/** Config violatingChoice (not the paper): while the last step incurred a cost, the highest-Q_r candidate. */
function tiny(extra: string[] = []): FisorConfig {
  return tinyConfig(extra, { task: 'PointGoal1', critic: 16, numSamples: 6 });
}

const argmin = (xs: Float32Array, from: number, n: number) => { let b = 0; for (let j = 1; j < n; j++) if (xs[from + j] < xs[from + b]) b = j; return b; };
const argmax = (xs: Float32Array, from: number, n: number) => { let b = 0; for (let j = 1; j < n; j++) if (xs[from + j] > xs[from + b]) b = j; return b; };

describe('choice while violating (config violatingChoice)', () => {
  it("is the paper's 'safest' in the paper's preset and older configs; safe6 sets 'reward' on every task but PointRobot, acting only", () => {
    expect(presetConfig('paper').violatingChoice).toBe('safest');
    const old = { ...presetConfig('cpu') } as Partial<FisorConfig>;
    delete old.violatingChoice;
    expect(withDefaults(old as FisorConfig).violatingChoice).toBe('safest');
    expect(presetChain('safe6').map((c) => c.preset)).toEqual(['cpu', 'safe', 'safe3', 'safe4', 'safe5', 'safe6']);
    expect(SAFE6_CHANGES.violatingChoice.why).toMatch(/PointGoal1/);
    expect(PRESET_TASK_CHANGES.safe6?.PointRobot?.violatingChoice.value).toBe('safest');
    expect(resolveConfig({ preset: 'safe6', task: 'PointRobot' })).toEqual(resolveConfig({ preset: 'safe5', task: 'PointRobot' }));
    for (const task of ['BallCircle', 'CarCircle', 'BallRun', 'CarRun', 'PointGoal1']) {
      const safe6 = resolveConfig({ preset: 'safe6', task });
      expect(safe6.violatingChoice, task).toBe('reward');
      expect({ ...safe6, violatingChoice: 'safest' }, task).toEqual(resolveConfig({ preset: 'safe5', task }));
    }
    expect(() => resolveConfig({ set: ['violatingChoice=fastest'] })).toThrow(/violatingChoice/);
  });

  it("'reward' takes the highest Q_r on flagged rows and the lowest Q_h elsewhere; 'safest' ignores the flags", () => {
    setBackend('js');
    const S = 60, A = 2, B = 4, n = 6;
    const obs = Float32Array.from({ length: B * S }, (_, i) => Math.sin(0.7 * i + 1));
    const flags = Uint8Array.of(1, 0, 1, 0);
    const reward = new FisorAgent(tiny(['violatingChoice=reward']), S, A, new Rng(3));
    const r = reward.actWithCandidates(obs, n, flags);
    expect(r.candidateQr).not.toBeNull();
    for (let i = 0; i < B; i++) {
      const expected = flags[i] ? argmax(r.candidateQr!, i * n, n) : argmin(r.candidateQh, i * n, n);
      expect(r.chosen[i], `row ${i}`).toBe(expected);
      expect(r.chosenQh[i]).toBe(r.candidateQh[i * n + expected]);
    }
    // The flagged rows' choice differs from the argmin somewhere (else the test could not tell the rules apart).
    expect([0, 2].some((i) => r.chosen[i] !== argmin(r.candidateQh, i * n, n))).toBe(true);
    // No flag set: no Q_r is computed and the choice is the paper's.
    const none = new FisorAgent(tiny(['violatingChoice=reward']), S, A, new Rng(3)).actWithCandidates(obs, n, new Uint8Array(B));
    expect(none.candidateQr).toBeNull();
    for (let i = 0; i < B; i++) expect(none.chosen[i]).toBe(argmin(none.candidateQh, i * n, n));
    // 'safest' with flags: the same actions, bit for bit, as without them.
    const a = new FisorAgent(tiny(), S, A, new Rng(3)).act(obs, n, flags);
    const b = new FisorAgent(tiny(), S, A, new Rng(3)).act(obs, n);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(() => reward.act(obs, n, Uint8Array.of(1))).toThrow(/1 violating flags for 4 observations/);
  });

  it("evaluate passes each episode its own last step's cost > 0 as the flag (0 at the first step), with episodes ending at different times", () => {
    // PointRobot from random starts, 30 % throttle straight ahead: some episodes cross hazards, episodes end at
    // different steps, so the live rows shift; the monitor's traces give each episode's own per-step costs.
    const steps: { flags: number[]; rows: number }[] = [];
    const policy = {
      act: (o: Float32Array) => new Float32Array((o.length / 11) * 2),
      feasibilityValue: (o: Float32Array) => new Float32Array(o.length / 11),
      actWithCandidates(o: Float32Array, _n?: number, violating?: Uint8Array) {
        const rows = o.length / 11;
        steps.push({ flags: Array.from(violating!), rows });
        const actions = new Float32Array(rows * 2);
        for (let i = 0; i < rows; i++) { actions[2 * i] = 0.3; actions[2 * i + 1] = 0; }
        return { actions, candidateQh: new Float32Array(rows), chosen: new Int32Array(rows), chosenQh: new Float32Array(rows) };
      },
    };
    const E = 16;
    const e = evaluate(policy, 'PointRobot', { episodes: E, seed: 11, monitor: true, monitorTraces: true });
    const traces = e.monitor!.traces!;
    const lengths = e.episodes.map((x) => x.length);
    expect(new Set(lengths).size, `lengths ${lengths}`).toBeGreaterThan(1);
    expect(e.episodes.filter((x) => x.cost > 0).length, 'episodes with a violation').toBeGreaterThan(0);
    let flagged = 0;
    for (let t = 0; t < steps.length; t++) {
      const live = lengths.map((len, i) => (len > t ? i : -1)).filter((i) => i >= 0);
      expect(steps[t].rows).toBe(live.length);
      live.forEach((ep, k) => {
        const expected = t > 0 && traces[ep][t - 1].cost > 0 ? 1 : 0;
        expect(steps[t].flags[k], `step ${t}, episode ${ep}`).toBe(expected);
        flagged += expected;
      });
    }
    expect(flagged).toBeGreaterThan(0);
  });

  it("the fixed-start rollout (figure and web page) passes the same flag: the last step's cost > 0, 0 at the first step", () => {
    // Full throttle straight ahead from the fixed start drives through the hazard: costs on and off.
    const flags: number[] = [];
    const r = pointRobotRollout({ act: (_o, _n, violating) => { flags.push(violating![0]); return Float32Array.of(1, 0); } });
    expect(r.totalCost).toBeGreaterThan(0);
    expect(new Set(flags)).toEqual(new Set([0, 1]));
    expect(flags).toEqual(r.cost.map((_, t) => (t > 0 && r.cost[t - 1] > 0 ? 1 : 0)));
  });

  it("the monitor records the steps chosen by Q_r (rewardChoiceFraction)", () => {
    setBackend('js');
    const agent = new FisorAgent(tiny(['violatingChoice=reward', 'numSamples=3']), 60, 2, new Rng(4));
    const obs = Float32Array.from({ length: 120 }, (_, i) => Math.cos(i));
    const { records } = monitoredAct(agent, obs, 2, 3, Uint8Array.of(0, 1));
    expect(records.map((r) => !!r.rewardChoice)).toEqual([false, true]);
    const summary = summarizeMonitor([records.map((r) => ({ ...r }))]);
    expect(summary.rewardChoiceFraction).toBe(0.5);
  });
});
