import { describe, expect, it } from 'vitest';
import { Rng, setBackend } from '../../core/index.js';
import { FisorAgent } from '../../rl/fisor/agent.js';
import { PRESET_TASK_CHANGES, SAFE6_CHANGES, presetChain, presetConfig, resolveConfig, type FisorConfig } from '../../rl/fisor/config.js';
import { evaluate, type Policy } from '../../rl/fisor/evaluate.js';
import { withDefaults } from '../../rl/fisor/train_meta.js';

/** Config violatingChoice (not the paper): while the last step incurred a cost, the highest-Q_r candidate. */
function tiny(extra: string[] = []): FisorConfig {
  return resolveConfig({
    preset: 'cpu', task: 'PointGoal1',
    set: ['batchSize=16', 'criticBatchSize=16', 'criticHidden=16,16', 'actor.hidden=8', 'actor.blocks=1', 'actor.timeFeatures=4', 'actor.timeHidden=8',
      'numSamples=6', 'evalEpisodes=2', 'logEvery=5', 'checkpointEvery=0', 'evalEvery=0', ...extra],
  });
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

  it('evaluate passes each episode its last step cost > 0 as the flag (0 at the first step)', () => {
    // BallRun: full force along +x breaks the speed limit after a few steps, so the cost turns on mid-episode.
    const seen: number[][] = [];
    const policy: Policy = {
      act(o, _n, violating) {
        seen.push(Array.from(violating!));
        const out = new Float32Array((o.length / 7) * 2);
        for (let i = 0; i < out.length; i += 2) out[i] = 1;
        return out;
      },
    };
    const e = evaluate(policy, 'BallRun', { episodes: 2, seed: 5 });
    expect(seen[0]).toEqual([0, 0]);
    // Per episode: flags set = violating steps, except the last step's own cost (no step follows it).
    for (let ep = 0; ep < 2; ep++) {
      const flagged = seen.reduce((s, f) => s + (f[ep] ?? 0), 0);
      const lastStepCost = e.episodes[ep].cost - flagged;
      expect(e.episodes[ep].cost).toBeGreaterThan(5);
      expect(lastStepCost === 0 || lastStepCost === 1, `episode ${ep}: cost ${e.episodes[ep].cost}, flagged ${flagged}`).toBe(true);
    }
  });
});
