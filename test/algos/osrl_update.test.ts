/**
 * One `update` of BCQ-Lag, CPQ and COptiDICE, watched from outside (BASELINES.md §2-4): which samples, thresholds
 * and weights each loss receives, and the Polyak updates of the targets θ' ← τθ + (1 - τ)θ' after the critics
 * moved. The loss formulas themselves are pinned in by_hand.test.ts and osrl_pieces.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { noGrad, Rng, tensor, type Tensor } from '../../core/index.js';
import type { Module } from '../../nn/index.js';
import { BCQLag, BCQL_PAPER } from '../../rl/algos/bcq_lag.js';
import { BC, BC_PAPER } from '../../rl/algos/bc.js';
import { PidLagrangian } from '../../rl/algos/common.js';
import { COptiDICE, COPTIDICE_PAPER, datasetStats } from '../../rl/algos/coptidice.js';
import { CPQ, CPQ_PAPER } from '../../rl/algos/cpq.js';
import { batchTensors, selectTrajectories } from '../../rl/algos/data.js';
import { bcqTargetReference, cpqOodCostReference, toyDataset, wholeBatch } from './helpers.js';

const flat = (x: Tensor) => Array.from(x.toFlatArray());
const params = (m: Module) => m.parameters().flatMap(flat);
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const ds = toyDataset({ len: 3, costs: [0, 1, 2] }); // 9 rows, dones at rows 2, 5, 8

/** target' = τ·source' + (1 - τ)·target, elementwise, and the source did move. */
function expectPolyak(before: { t: number[]; s: number[] }, target: Module, source: Module, tau: number) {
  const t1 = params(target), s1 = params(source);
  expect(s1.some((x, i) => Math.abs(x - before.s[i]) > 1e-6)).toBe(true);
  t1.forEach((x, i) => expect(x).toBeCloseTo(tau * s1[i] + (1 - tau) * before.t[i], 12));
}

describe('BCQ-Lag update', () => {
  it('Polyak-updates the actor, critic and cost-critic targets with τ after their sources stepped; the targets read the target actor', () => {
    const algo = new BCQLag({ ...BCQL_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], sampleActionNum: 3, tau: 0.3 }, 3, 2, 'BallRun', ds, new Rng(4));
    const pairs: [Module, Module][] = [[algo.actorTarget, algo.actor], [algo.criticTarget, algo.critic], [algo.costCriticTarget, algo.costCritic]];
    const before = pairs.map(([t, s]) => ({ t: params(t), s: params(s) }));
    const batch = wholeBatch(ds);
    algo.update(batch);
    pairs.forEach(([t, s], k) => expectPolyak(before[k], t, s, 0.3));
    // now actor ≠ actorTarget: the critic target's candidates come from the target actor
    const t = batchTensors(batch, 3, 2, 'float64', 0.1, 1);
    const { got, want } = bcqTargetReference(algo, t.s2, 3);
    want.forEach((x, b) => expect(got[b]).toBeCloseTo(x, 12));
  });
});

describe('CPQ update', () => {
  it("a' and a'' are two fresh actor draws at s' after the VAE's draw; the α step and the cost loss get mean qc_ood; both targets Polyak-updated", () => {
    const algo = new CPQ({ ...CPQ_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], tau: 0.3, sampleActionNum: 3 }, 3, 2, 'BallRun', ds, new Rng(6));
    const batch = wholeBatch(ds);
    const t = batchTensors(batch, 3, 2, 'float64', 0.1, 1);
    const B = ds.size;
    // replay the noise stream: the VAE's latent draw (B × 2·act_dim), then a' and a'' from the untouched actor at s'
    const r = new Rng(0);
    r.setState(algo.rngs.noise.getState());
    for (let i = 0; i < B * 4; i++) r.normal();
    const a2 = flat(noGrad(() => algo.actor.sample(t.s2, r).action));
    const a2c = flat(noGrad(() => algo.actor.sample(t.s2, r).action));
    const seen: { a2?: number[]; a2c?: number[]; ood?: number[]; oodArg?: number; alphaArg?: number } = {};
    const [cl, ccl, ood, alphaStep] = [algo.criticLoss.bind(algo), algo.costCriticLoss.bind(algo), algo.oodCost.bind(algo), algo.alphaStep.bind(algo)];
    algo.criticLoss = (tt, a) => ((seen.a2 = flat(a)), cl(tt, a));
    algo.costCriticLoss = (tt, a, m) => ((seen.a2c = flat(a)), (seen.oodArg = m), ccl(tt, a, m));
    algo.oodCost = (tt) => { const o = ood(tt); seen.ood = Array.from(o); return o; };
    algo.alphaStep = (m) => ((seen.alphaArg = m), alphaStep(m));
    const pairs: [Module, Module][] = [[algo.criticTarget, algo.critic], [algo.costCriticTarget, algo.costCritic]];
    const before = pairs.map(([tg, s]) => ({ t: params(tg), s: params(s) }));
    algo.update(batch);
    seen.a2!.forEach((x, i) => expect(x).toBeCloseTo(a2[i], 12));
    seen.a2c!.forEach((x, i) => expect(x).toBeCloseTo(a2c[i], 12));
    const m = mean(seen.ood!);
    expect(m).not.toBe(0);
    expect(seen.oodArg).toBeCloseTo(m, 12);
    expect(seen.alphaArg).toBeCloseTo(m, 12);
    expect(Math.log(algo.alpha)).toBeCloseTo(1e-4 * (algo.qcThres - m), 12);
    pairs.forEach(([tg, s], k) => expectPolyak(before[k], tg, s, 0.3));
  });
});

describe('CPQ OOD cost with a spread-out VAE', () => {
  it('the KL that ranks the samples is the mean over latent dims (its 0.75 quantile gates the cost)', () => {
    const algo = new CPQ({ ...CPQ_PAPER, dtype: 'float64', vaeHidden: [6, 6], actorHidden: [5], criticHidden: [5], sampleActionNum: 10 }, 3, 2, 'BallRun', ds, new Rng(6));
    const r = new Rng(21);
    for (const p of algo.vae.parameters()) p.backend.write(p.buffer, Float64Array.from({ length: p.size }, () => r.uniformRange(-0.5, 0.5)));
    const t = batchTensors(wholeBatch(ds), 3, 2, 'float64', 0.1, 1);
    const want = cpqOodCostReference(algo, t.s, 10);
    const got = Array.from(algo.oodCost(t));
    want.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 10));
  });
});

describe('COptiDICE update', () => {
  it('init flags of the sampled rows and p0 reach the χ and ν losses; λ follows ĉ; the policy is weighted by w from the updated ν and the step\'s starting λ', () => {
    const algo = new COptiDICE({ ...COPTIDICE_PAPER, dtype: 'float64', actorHidden: [5], criticHidden: [5], batchSize: 8, scalarLr: 0.05, criticLr: 0.05 }, 3, 2, 'BallRun', ds, new Rng(8));
    const stats = datasetStats(ds);
    expect(Array.from(stats.isInit)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0]);
    const seen: { init?: number[]; p0?: number; nuP0?: number; nuLam?: number; cHat?: number; lamArg?: number; w?: number[] } = {};
    const [ct, nl, ll, al] = [algo.chiTauLoss.bind(algo), algo.nuLoss.bind(algo), algo.lambdaLoss.bind(algo), algo.actorLoss.bind(algo)];
    algo.chiTauLoss = (t, w, init, p0) => {
      seen.init = flat(init); seen.p0 = p0;
      const out = ct(t, w, init, p0);
      seen.cHat = out.cHat;
      return out;
    };
    algo.nuLoss = (t, init, p0, lam) => ((seen.nuP0 = p0), (seen.nuLam = lam), nl(t, init, p0, lam));
    algo.lambdaLoss = (c) => ((seen.lamArg = c), ll(c));
    algo.actorLoss = (t, w) => ((seen.w = flat(w)), al(t, w));
    const db = algo.sample(new Rng(2));
    const idx = Array.from(algo.sampler!.idx);
    const want = idx.map((i) => stats.isInit[i]);
    expect(want).not.toEqual(Array.from(stats.isInit.slice(0, 8))); // the rows drawn are not the first 8
    const lam0 = algo.lambda;
    const t = batchTensors(db.batch, 3, 2, 'float64', 0.1, 1);
    const wBefore = flat(noGrad(() => algo.advantage(t, lam0).w));
    const metrics = algo.update(db);
    expect(Array.from(db.isInit)).toEqual(want);
    expect(seen.init).toEqual(want);
    expect(seen.p0).toBeCloseTo(1 / 3, 12);
    expect(seen.nuP0).toBeCloseTo(1 / 3, 12);
    expect(seen.nuLam).toBe(lam0);
    expect(seen.lamArg).toBe(seen.cHat);
    expect(algo.lambda).not.toBeCloseTo(lam0, 6);
    const w2 = flat(noGrad(() => algo.advantage(t, lam0).w)); // ν has its final values: the actor step does not touch it
    expect(w2.some((x, i) => Math.abs(x - wBefore[i]) > 1e-6)).toBe(true);
    seen.w!.forEach((x, i) => expect(x).toBeCloseTo(w2[i], 12));
    expect(metrics.wMean).toBeCloseTo(mean(w2), 12);
  });
});

describe('BCQ-Lag perturbation network and the PID integral', () => {
  it('ξ(s, â) is an MLP with tanh hidden activations (OSRL bcql.py:86-88)', () => {
    const algo = new BCQLag({ ...BCQL_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [4, 3], criticHidden: [5] }, 3, 2, 'BallRun', null, new Rng(4));
    const ps = algo.actor.parameters().map(flat);
    const x = [0.9, -1.3, 0.4, 0.7, -0.2];
    let h = x;
    for (let l = 0; l < ps.length; l += 2) {
      const m = ps[l + 1].length;
      const y = Array.from({ length: m }, (_, j) => h.reduce((acc, v, i) => acc + v * ps[l][i * m + j], ps[l + 1][j]));
      h = l + 2 < ps.length ? y.map(Math.tanh) : y;
    }
    const got = flat(noGrad(() => algo.actor.forward(tensor([x], { dtype: 'float64' }))));
    h.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
  });
  it('the integral term is clamped at 0: a long stretch below the limit does not bank negative I', () => {
    const pid = new PidLagrangian(0, 1, 0, 10); // λ = I
    pid.control(0); // e = -10: I = max(0, -10) = 0
    pid.control(0);
    expect(pid.control(13)).toBeCloseTo(3, 12); // I = 0 + 3, not -20 + 3
  });
});

describe('BC-Safe data selection', () => {
  it('copies every field of the kept rows', () => {
    const d = toyDataset({ len: 3, costs: [0, 9, 1] });
    d.terminals[1] = 1; // a terminal inside episode 0 splits it: [0, 1] and [2]; episode 1 (cost 27) is dropped
    const out = selectTrajectories(d, (t) => t.cost <= 9, 'test');
    const rows = [0, 1, 2, 6, 7, 8];
    expect(out.size).toBe(rows.length);
    rows.forEach((j, i) => {
      expect(Array.from(out.nextObservations.subarray(3 * i, 3 * i + 3))).toEqual(Array.from(d.nextObservations.subarray(3 * j, 3 * j + 3)));
      expect(Array.from(out.observations.subarray(3 * i, 3 * i + 3))).toEqual(Array.from(d.observations.subarray(3 * j, 3 * j + 3)));
      expect(Array.from(out.actions.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(d.actions.subarray(2 * j, 2 * j + 2)));
      expect([out.rewards[i], out.costs[i], out.terminals[i], out.timeouts[i]]).toEqual([d.rewards[j], d.costs[j], d.terminals[j], d.timeouts[j]]);
    });
    expect(Array.from(out.timeouts)).toEqual([0, 0, 1, 0, 0, 1]);
    expect(Array.from(out.terminals)).toEqual([0, 1, 0, 0, 0, 0]);
  });
});

describe('batchTensors', () => {
  it('scales rewards by rewardScale and costs by costScale; done = terminal or timeout', () => {
    const b = wholeBatch(ds);
    const t = batchTensors(b, 3, 2, 'float64', 0.1, 2.5);
    flat(t.r).forEach((x, i) => expect(x).toBeCloseTo(0.1 * ds.rewards[i], 12));
    expect(flat(t.c)).toEqual(Array.from(ds.costs, (c) => 2.5 * c));
    expect(flat(t.done)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1]);
    expect(flat(t.s)).toEqual(Array.from(ds.observations));
    expect(flat(t.s2)).toEqual(Array.from(ds.nextObservations));
    expect(flat(t.a)).toEqual(Array.from(ds.actions));
  });
});

describe('BC policy', () => {
  it('π(s) = tanh(MLP(s))·maxAction; actionMean = mean |π(s)|', () => {
    const bc = new BC({ ...BC_PAPER, dtype: 'float64', hidden: [4], maxAction: 0.4, batchSize: 9 }, 3, 2, ds, new Rng(1));
    const obs = Float32Array.from(ds.observations);
    const raw = flat(noGrad(() => bc.actor.forward(tensor(obs, { shape: [9, 3], dtype: 'float64' }))));
    const got = bc.act(obs);
    raw.forEach((x, i) => expect(got[i]).toBeCloseTo(0.4 * Math.tanh(x), 6));
    const m = bc.update(wholeBatch(ds));
    expect(m.actionMean).toBeCloseTo(mean(raw.map((x) => Math.abs(0.4 * Math.tanh(x)))), 10);
  });
});
