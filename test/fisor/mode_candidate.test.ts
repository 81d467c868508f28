import { describe, expect, it } from 'vitest';
import { Rng, setBackend } from '../../core/index.js';
import { FisorAgent, densestCandidate } from '../../rl/fisor/agent.js';
import { PRESET_TASK_CHANGES, checkConfig, presetChain, presetConfig, resolveConfig, withDefaults, type FisorConfig } from '../../rl/fisor/config.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { shiftQh, tinyConfig } from './tiny.js';

/**
 * Config modeCandidate / modeMargin / modeEstimate (not the paper): the actor's most likely action (its noise-free
 * sample, or the densest of the N candidates) is executed where its Q_h <= -modeMargin, instead of the safest of the N.
 */
const N = 4;
const tiny = (extra: string[] = []): FisorConfig => tinyConfig(extra, { critic: 16, numSamples: N });
const obs = Float32Array.from({ length: 9 }, (_, i) => Math.cos(3 * i + 1)); // 3 observations of size 3

describe('noise-free candidate (config modeCandidate)', () => {
  it('is executed where judged feasible by the margin, after the same N candidates; a margin no sample meets gives the paper\'s choice on that step', () => {
    setBackend('js');
    const make = (extra: string[]) => new FisorAgent(tiny(extra), 3, 2, new Rng(0));
    const plain = make([]), feasible = make(['modeCandidate=true', 'modeMargin=0.5']), strict = make(['modeCandidate=true', 'modeMargin=1e6']);
    for (const a of [plain, feasible, strict]) shiftQh(a, -100); // every action judged feasible by ~100
    const p = plain.actWithCandidates(obs);
    const f = feasible.actWithCandidates(obs);
    const s = strict.actWithCandidates(obs);
    // The N candidates come first from the acting stream: the same as the paper's.
    expect(Array.from(f.candidateQh)).toEqual(Array.from(p.candidateQh));
    expect(Array.from(f.chosen)).toEqual([N, N, N]);
    for (let i = 0; i < 3; i++) expect(f.chosenQh[i]).toBeLessThanOrEqual(-0.5);
    expect(Array.from(f.actions)).not.toEqual(Array.from(p.actions));
    // Never judged feasible by 1e6: the paper's choice, bit for bit, on this call. The extra sample advances the
    // acting stream, so the next call's candidates are no longer the paper's (the config's doc says so).
    expect(Array.from(s.actions)).toEqual(Array.from(p.actions));
    expect(Array.from(s.chosen)).toEqual(Array.from(p.chosen));
    expect(Array.from(strict.actWithCandidates(obs).candidateQh)).not.toEqual(Array.from(plain.actWithCandidates(obs).candidateQh));
  });

  it('with the fallback grid, a margin below fallbackMargin is refused (the grid would not compete where it should)', () => {
    expect(() => resolveConfig({ set: ['fallbackGrid=3', 'fallbackMargin=0.05', 'modeCandidate=true', 'modeMargin=0.01'] })).toThrow(/modeMargin.*>= fallbackMargin/);
    expect(resolveConfig({ set: ['fallbackGrid=3', 'fallbackMargin=0.05', 'modeCandidate=true', 'modeMargin=0.05'] }).modeMargin).toBe(0.05);
    // Where the noise-free sample is not judged feasible by the margin, the grid still competes as before.
    setBackend('js');
    const make = (extra: string[]) => new FisorAgent(tiny(['fallbackGrid=3', 'fallbackMargin=0.5', ...extra]), 3, 2, new Rng(0));
    const plain = make([]), mode = make(['modeCandidate=true', 'modeMargin=1e6']);
    for (const a of [plain, mode]) shiftQh(a, 100); // nothing judged feasible: the grid's lowest Q_h is executed where it is lower
    expect(Array.from(mode.actWithCandidates(obs).chosen)).toEqual(Array.from(plain.actWithCandidates(obs).chosen));
  });

  it('is noise-free: the sampler temperature moves the N candidates, not the executed noise-free one', () => {
    setBackend('js');
    const make = (temp: number) => new FisorAgent(tiny(['modeCandidate=true', `actor.temperature=${temp}`]), 3, 2, new Rng(0));
    const hot = make(1), cool = make(0.3);
    for (const a of [hot, cool]) shiftQh(a, -100);
    const h = hot.actWithCandidates(obs), c = cool.actWithCandidates(obs);
    expect(Array.from(h.candidateQh)).not.toEqual(Array.from(c.candidateQh));
    expect(Array.from(h.actions)).toEqual(Array.from(c.actions));
  });

  it('does not override rows chosen by Q_r while violating, nor act where judged infeasible', () => {
    setBackend('js');
    const agent = new FisorAgent(tiny(['modeCandidate=true', 'violatingChoice=reward']), 3, 2, new Rng(0));
    shiftQh(agent, -100);
    const r = agent.actWithCandidates(obs, N, Uint8Array.from([1, 0, 0]));
    expect(r.rewardChosen?.[0]).toBe(1);
    expect(r.chosen[0]).toBeLessThan(N);
    expect(Array.from(r.chosen.subarray(1))).toEqual([N, N]);
    const infeasible = new FisorAgent(tiny(['modeCandidate=true']), 3, 2, new Rng(0));
    shiftQh(infeasible, 100);
    expect(Math.max(...infeasible.actWithCandidates(obs).chosen)).toBeLessThan(N);
  });

  it('the monitor counts the steps that executed it', () => {
    setBackend('js');
    const agent = new FisorAgent(tiny(['modeCandidate=true']), 11, 2, new Rng(0));
    shiftQh(agent, -100);
    const e = evaluate(agent, 'PointRobot', { episodes: 2, seed: 3, monitor: true });
    expect(e.monitor?.modeFraction).toBe(1);
    const off = new FisorAgent(tiny(), 11, 2, new Rng(0));
    expect(evaluate(off, 'PointRobot', { episodes: 2, seed: 3, monitor: true }).monitor?.modeFraction).toBe(0);
  }, 60_000);

  it('is off in the paper and in old configs; bad values are refused by name', () => {
    expect([presetConfig('paper').modeCandidate, presetConfig('paper').modeMargin]).toEqual([false, 0]);
    const old = { ...presetConfig('cpu') } as Partial<FisorConfig>;
    delete old.modeCandidate;
    delete old.modeMargin;
    const c = withDefaults(old as FisorConfig);
    expect([c.modeCandidate, c.modeMargin]).toEqual([false, 0]);
    expect(() => resolveConfig({ set: ['modeCandidate=true', 'modeMargin=-0.1'] })).toThrow(/modeMargin.*>= 0/);
    expect(() => resolveConfig({ set: ['modeMargin=0.25'] })).toThrow(/modeMargin.*modeCandidate true/);
    expect(() => resolveConfig({ set: ['modeCandidate=maybe'] })).toThrow(/modeCandidate/);
    // A saved config (checkpoint, web page) with a string is refused, not read as true.
    expect(() => checkConfig({ ...presetConfig('cpu'), modeCandidate: 'false' as unknown as boolean })).toThrow(/modeCandidate.*true or false/);
  });
});

describe('the densest candidate (config modeEstimate densest)', () => {
  it('finds the centre of the bigger cluster, not a point of the smaller one nor the outlier', () => {
    // Two clusters in 2-d: 5 points near (0.6, -0.4), 3 near (-0.7, 0.5), one far outlier; rows start at `first`.
    const pts = [9, 9, /* padding row before first */ 0.62, -0.41, -0.71, 0.52, 0.58, -0.39, 0.6, -0.4, 1, 1, -0.69, 0.49, 0.61, -0.42, -0.7, 0.5, 0.59, -0.38];
    const j = densestCandidate(pts, 1, 9, 2);
    expect(j).toBe(3); // (0.6, -0.4): the centre of the bigger cluster
    // Shuffling the points moves the index with the point.
    const rows = Array.from({ length: 9 }, (_, k) => pts.slice(2 + 2 * k, 4 + 2 * k));
    const order = [8, 3, 0, 5, 1, 7, 2, 6, 4];
    const shuffled = order.flatMap((k) => rows[k]);
    expect(order[densestCandidate(shuffled, 0, 9, 2)]).toBe(3);
    // Identical points (no spread) and n <= 2 give the first; equal scores give the first of them.
    expect(densestCandidate([0.3, 0.3, 0.3, 0.3, 0.3, 0.3], 0, 3, 2)).toBe(0);
    expect(densestCandidate([0.1, 0.9], 0, 2, 1)).toBe(0);
    expect(densestCandidate([-1, 0, 1], 0, 3, 1)).toBe(1); // the middle point has two neighbours at the same distance
    expect(densestCandidate([-1, 1, -1, 1], 0, 4, 1)).toBe(0);
  });

  it('is one of the N candidates: no extra draw (the next call\'s candidates stay the paper\'s), executed where judged feasible by the margin', () => {
    setBackend('js');
    const make = (extra: string[]) => new FisorAgent(tiny(extra), 3, 2, new Rng(0));
    const plain = make([]), dense = make(['modeCandidate=true', 'modeEstimate=densest', 'modeMargin=0.5']);
    for (const a of [plain, dense]) shiftQh(a, -100);
    for (let call = 0; call < 2; call++) {
      const p = plain.actWithCandidates(obs), d = dense.actWithCandidates(obs);
      expect(Array.from(d.candidateQh)).toEqual(Array.from(p.candidateQh));
      expect(Array.from(d.modeChosen ?? [])).toEqual([1, 1, 1]);
      const cand = plain.cfg.numSamples;
      for (let i = 0; i < 3; i++) {
        const j = d.chosen[i];
        expect(j).toBeGreaterThanOrEqual(0);
        expect(j).toBeLessThan(cand);
        expect(d.chosenQh[i]).toBe(d.candidateQh[i * cand + j]);
        const replay = candidateActions(plain, call);
        expect(j).toBe(densestCandidate(replay, i * cand, cand, 2));
        // The executed action is that candidate's, bit for bit.
        expect(Array.from(d.actions.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(replay.subarray((i * cand + j) * 2, (i * cand + j) * 2 + 2)));
      }
    }
    // Judged infeasible: the paper's choice, and the monitor flag stays 0.
    const off = make(['modeCandidate=true', 'modeEstimate=densest', 'modeMargin=1e6']), ref = make([]);
    for (const a of [off, ref]) shiftQh(a, -100);
    const o = off.actWithCandidates(obs), r = ref.actWithCandidates(obs);
    expect(Array.from(o.actions)).toEqual(Array.from(r.actions));
    expect(Array.from(o.modeChosen ?? [])).toEqual([0, 0, 0]);
  });

  it('leaves rows chosen by Q_r while violating alone, and the monitor counts its steps', () => {
    setBackend('js');
    const agent = new FisorAgent(tiny(['modeCandidate=true', 'modeEstimate=densest', 'violatingChoice=reward']), 3, 2, new Rng(0));
    shiftQh(agent, -100);
    const r = agent.actWithCandidates(obs, N, Uint8Array.from([1, 0, 0]));
    expect(r.rewardChosen?.[0]).toBe(1);
    expect(Array.from(r.modeChosen ?? [])).toEqual([0, 1, 1]);
    // Row 0 executes the highest-Q_r candidate, not the densest one.
    const qr0 = Array.from(r.candidateQr!.subarray(0, N));
    expect(r.chosen[0]).toBe(qr0.indexOf(Math.max(...qr0)));
    const monitored = new FisorAgent(tiny(['modeCandidate=true', 'modeEstimate=densest']), 11, 2, new Rng(0));
    shiftQh(monitored, -100);
    expect(evaluate(monitored, 'PointRobot', { episodes: 2, seed: 3, monitor: true }).monitor?.modeFraction).toBe(1);
  }, 60_000);

  it('is refused without modeCandidate or with an unknown name; old configs get noise-free; one candidate is allowed (it is the mode)', () => {
    // An ablation over numSamples (N = 1: no selection) must still run on a preset that uses it.
    expect(resolveConfig({ set: ['modeCandidate=true', 'modeEstimate=densest', 'numSamples=1'] }).modeEstimate).toBe('densest');
    setBackend('js');
    const one = new FisorAgent(tiny(['modeCandidate=true', 'modeEstimate=densest', 'numSamples=1']), 3, 2, new Rng(0));
    shiftQh(one, -100);
    const r = one.actWithCandidates(obs, 1);
    expect(Array.from(r.chosen)).toEqual([0, 0, 0]);
    expect(Array.from(r.modeChosen ?? [])).toEqual([1, 1, 1]);
    expect(() => resolveConfig({ set: ['modeEstimate=densest'] })).toThrow(/modeEstimate.*modeCandidate true/);
    expect(() => resolveConfig({ set: ['modeCandidate=true', 'modeEstimate=median'] })).toThrow(/modeEstimate/);
    expect(() => checkConfig({ ...presetConfig('cpu'), modeCandidate: true, modeEstimate: 'mode' as unknown as 'densest' })).toThrow(/modeEstimate.*'noise-free' or 'densest'/);
    const old = { ...presetConfig('cpu') } as Partial<FisorConfig>;
    delete old.modeEstimate;
    expect(withDefaults(old as FisorConfig).modeEstimate).toBe('noise-free');
  });
});

/** The candidate actions an agent drew on its `call`-th act (a fresh agent of the same config replays its stream). */
function candidateActions(agent: FisorAgent, call: number): Float32Array {
  const twin = new FisorAgent(agent.cfg, 3, 2, new Rng(0));
  let out: Float32Array = new Float32Array(0);
  for (let c = 0; c <= call; c++) out = twin.sampleCandidates(obs);
  return out;
}

describe('the safe9 preset', () => {
  it('is safe8 with the noise-free candidate at margin 0.25 on the four circle and run tasks; PointRobot and PointGoal1 act as under safe8', () => {
    expect(presetChain('safe9').map((c) => c.preset).slice(-2)).toEqual(['safe8', 'safe9']);
    const margins: Record<string, number> = { BallCircle: 0.25, CarCircle: 0.25, BallRun: 0.25, CarRun: 0.25 };
    for (const task of ['PointRobot', 'BallCircle', 'CarCircle', 'BallRun', 'CarRun', 'PointGoal1']) {
      const c9 = resolveConfig({ preset: 'safe9', task }), c8 = resolveConfig({ preset: 'safe8', task });
      expect([c9.modeCandidate, c9.modeMargin], task).toEqual(task in margins ? [true, margins[task]] : [false, 0]);
      // Acting only: everything else, and so the training, is safe8's.
      expect({ ...c9, modeCandidate: false, modeMargin: 0 }, task).toEqual(c8);
    }
    expect(PRESET_TASK_CHANGES.safe9?.BallCircle?.modeMargin.why).toMatch(/validation episodes/);
    expect(PRESET_TASK_CHANGES.safe9?.PointRobot?.modeCandidate.why).toMatch(/feasible starts 60 \/ 57 \/ 55/);
  });
});

describe('the safe10 preset', () => {
  it('is safe9 with the densest candidate as the mode estimate on BallCircle only', () => {
    expect(presetChain('safe10').map((c) => c.preset).slice(-2)).toEqual(['safe9', 'safe10']);
    for (const task of ['PointRobot', 'BallCircle', 'CarCircle', 'BallRun', 'CarRun', 'PointGoal1']) {
      const c10 = resolveConfig({ preset: 'safe10', task }), c9 = resolveConfig({ preset: 'safe9', task });
      expect(c10.modeEstimate, task).toBe(task === 'BallCircle' ? 'densest' : 'noise-free');
      // Acting only, one key: the training and every other task are safe9's.
      expect({ ...c10, modeEstimate: 'noise-free' }, task).toEqual(c9);
    }
    expect(PRESET_TASK_CHANGES.safe10?.BallCircle?.modeEstimate.why).toMatch(/validation episodes only/);
  });
});
