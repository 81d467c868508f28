/**
 * The baselines' pieces the loss tests do not reach, recomputed in float64 JavaScript from the networks' raw outputs
 * and the same noise draws: the VAE's and the squashed actor's sampling and clamps, BCQ-Lag's perturbation, CPQ's OOD
 * cost, α step and actor loss, COptiDICE's policy loss, τ loss and softplus scalars, CDT's temperature loss, cost
 * token, warm-up, window sampling and evaluation clip, and the paper presets against BASELINES.md.
 */
import { describe, expect, it } from 'vitest';
import { concat, noGrad, Rng, tensor, type Tensor } from '../../core/index.js';
import type { Module } from '../../nn/index.js';
import { BCQLag, BCQL_PAPER } from '../../rl/algos/bcq_lag.js';
import { BC, BC_PAPER } from '../../rl/algos/bc.js';
import { bestSafeReturn, CDT, CDT_PAPER } from '../../rl/algos/cdt.js';
import { criticValues, SquashedGaussianActor, VAE } from '../../rl/algos/common.js';
import { COptiDICE, COPTIDICE_PAPER } from '../../rl/algos/coptidice.js';
import { CPQ, CPQ_PAPER } from '../../rl/algos/cpq.js';
import { batchTensors } from '../../rl/algos/data.js';
import { cpqOodCostReference, peekNormals, toyDataset, wholeBatch } from './helpers.js';

const f64 = (x: number[], shape: number[]) => tensor(x, { shape, dtype: 'float64' });
const flat = (x: Tensor) => Array.from(x.toFlatArray());
const rows = (q: Tensor): number[][] => q.toArray() as number[][];
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const minRows = (q: number[][]) => q[0].map((_, b) => Math.min(...q.map((r) => r[b])));
const LOG2PI = Math.log(2 * Math.PI);
/** Writes `v` (broadcast if one number) into the bias of the last Linear of `m` and zeros into its weight. */
function setHead(m: Module, bias: number[]) {
  const ps = m.namedParameters();
  const [, w] = ps[ps.length - 2];
  const [, b] = ps[ps.length - 1];
  w.backend.write(w.buffer, new Float64Array(w.size));
  b.backend.write(b.buffer, Float64Array.from(bias));
}

const ds = toyDataset({ len: 3, costs: [0, 1] }); // 6 rows, S = 3, A = 2
const B = ds.size;
const batch = wholeBatch(ds);

describe('VAE and squashed Gaussian actor (OSRL net.py)', () => {
  it('decode(s) draws z ~ N(0, I) clipped to ±0.5 and returns tanh(decoder([s, z]))·maxAction', () => {
    const vae = new VAE(3, 2, 4, [5, 5], 0.7, new Rng(1), 'float64');
    const s = f64(Array.from(ds.observations.subarray(0, 9)), [3, 3]);
    const rng = new Rng(9);
    const eps = peekNormals(rng, 12);
    expect(eps.some((e) => Math.abs(e) > 0.5)).toBe(true); // the clip matters
    const got = flat(noGrad(() => vae.decode(s, rng)));
    const z = f64(eps.map((e) => Math.max(-0.5, Math.min(0.5, e))), [3, 4]);
    const raw = flat(noGrad(() => vae.decoder.forward(concat([s, z], -1))));
    raw.forEach((v, i) => expect(got[i]).toBeCloseTo(0.7 * Math.tanh(v), 12));
  });
  it('forward: z = μ + e^{log σ}·ε (unclipped), recon = decode(s, z); log σ clamped to [-4, 15]', () => {
    const vae = new VAE(3, 2, 4, [5, 5], 0.7, new Rng(1), 'float64');
    const s = f64(Array.from(ds.observations.subarray(0, 9)), [3, 3]);
    const a = f64(Array.from(ds.actions.subarray(0, 6)), [3, 2]);
    const rng = new Rng(3);
    const eps = peekNormals(rng, 12);
    const { mu, logStd } = noGrad(() => vae.encode(s, a));
    const m = flat(mu), l = flat(logStd);
    const z = f64(m.map((x, i) => x + Math.exp(l[i]) * eps[i]), [3, 4]);
    const want = flat(noGrad(() => vae.decode(s, new Rng(0), z)));
    const got = noGrad(() => vae.forward(s, a, rng));
    flat(got.recon).forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
    setHead(vae.logStd, [-10, 20, -3.5, 14]);
    expect(flat(noGrad(() => vae.encode(s, a).logStd)).slice(0, 4)).toEqual([-4, 15, -3.5, 14]);
  });
  it('actor: u = μ + e^{log σ}·ε, action = tanh(u)·maxAction, log σ clamped to [-20, 2]', () => {
    const actor = new SquashedGaussianActor(3, 2, [5, 5], 0.7, new Rng(2), 'float64');
    const s = f64(Array.from(ds.observations.subarray(0, 9)), [3, 3]);
    const rng = new Rng(4);
    const eps = peekNormals(rng, 6);
    const { mu, logStd } = noGrad(() => actor.dist(s));
    const m = flat(mu), l = flat(logStd);
    const got = noGrad(() => actor.sample(s, rng));
    const u = flat(got.u), act = flat(got.action);
    m.forEach((x, i) => {
      expect(u[i]).toBeCloseTo(x + Math.exp(l[i]) * eps[i], 12);
      expect(act[i]).toBeCloseTo(0.7 * Math.tanh(u[i]), 12);
    });
    setHead(actor.logStdHead, [-30, 5]);
    expect(flat(noGrad(() => actor.dist(s).logStd)).slice(0, 2)).toEqual([-20, 2]);
    setHead(actor.logStdHead, [-19.5, 1.5]);
    expect(flat(noGrad(() => actor.dist(s).logStd)).slice(0, 2)).toEqual([-19.5, 1.5]);
  });
});

describe('BCQ-Lag pieces', () => {
  const algo = new BCQLag({ ...BCQL_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], phi: 1, maxAction: 0.6 }, 3, 2, 'BallRun', ds, new Rng(4));
  const t = batchTensors(batch, 3, 2, 'float64', 0.1, 1);
  it('perturb = clip(â + φ·maxAction·tanh(ξ(s, â)), ±maxAction)', () => {
    const aHat = f64(Array.from({ length: B * 2 }, (_, i) => [0.59, -0.59, 0.1][i % 3]), [B, 2]);
    const xi = flat(noGrad(() => algo.actor.forward(concat([t.s, aHat], -1))));
    const ah = flat(aHat);
    const want = ah.map((x, i) => Math.max(-0.6, Math.min(0.6, x + 1 * 0.6 * Math.tanh(xi[i]))));
    expect(want.some((x) => Math.abs(x) === 0.6) && want.some((x) => Math.abs(x) < 0.6)).toBe(true);
    const got = flat(noGrad(() => algo.perturb(algo.actor, t.s, aHat)));
    want.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 12));
  });
  it('actor loss with λ > 0: -mean(min_i Q_i) + mean((min_i Qc_i - qc_thres)·λ), both minima over all 2·numQ nets', () => {
    // κ < 0 puts qc_thres below every Qc, so the PID's first λ is KP·e + KI·e + KD·e > 0 and the cost term counts.
    const a2 = new BCQLag({ ...BCQL_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], costLimit: -50 }, 3, 2, 'BallRun', ds, new Rng(5));
    const st = a2.rngs.noise.getState();
    const { loss, lambda } = noGrad(() => a2.actorLoss(t));
    a2.rngs.noise.setState(st);
    const a = noGrad(() => a2.perturb(a2.actor, t.s, a2.vae.decode(t.s, a2.rngs.noise)));
    const q = noGrad(() => rows(criticValues(a2.critic, t.s, a)));
    const qc = noGrad(() => rows(criticValues(a2.costCritic, t.s, a)));
    expect(q.length).toBe(4);
    const minQ = minRows(q), minQc = minRows(qc);
    const e = mean(minQc) - a2.qcThres;
    expect(lambda).toBeCloseTo((0.1 + 0.003 + 0.001) * e, 12);
    expect(lambda).toBeGreaterThan(1);
    expect(loss.item()).toBeCloseTo(-mean(minQ) + mean(minQc.map((x) => (x - a2.qcThres) * lambda)), 10);
  });
  it('the evaluation action is one perturbed VAE sample drawn from the acting stream', () => {
    const st = algo.rngs.act.getState();
    const obs = Float32Array.from(ds.observations);
    const got = algo.act(obs);
    algo.rngs.act.setState(st);
    const want = flat(noGrad(() => algo.perturb(algo.actor, f64(Array.from(obs), [B, 3]), algo.vae.decode(f64(Array.from(obs), [B, 3]), algo.rngs.act))));
    want.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 6));
  });
});

describe('CPQ pieces', () => {
  const make = () => new CPQ({ ...CPQ_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], sampleActionNum: 4, maxAction: 0.7 }, 3, 2, 'BallRun', ds, new Rng(6));
  const t = batchTensors(batch, 3, 2, 'float64', 0.1, 1);
  it('q_thres = κ(1 - γ^T)/((1 - γ)T) with T = the task episode length (or episodeLen), qc_thres = 1.5·q_thres', () => {
    const algo = make();
    expect(algo.qThres).toBeCloseTo(6.340, 3); // BallRun T = 100
    expect(algo.qcThres).toBeCloseTo(1.5 * 6.340, 3);
    const c = new CPQ({ ...CPQ_PAPER, vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], episodeLen: 200 }, 3, 2, 'BallRun', null, new Rng(0));
    expect(c.qThres).toBeCloseTo(4.330, 3);
    const one = new CPQ({ ...CPQ_PAPER, vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], episodeLen: 1 }, 3, 2, 'BallRun', null, new Rng(0));
    expect(one.qThres).toBeCloseTo(10, 12); // T = 1: the whole κ in one step
  });
  it('qc_ood(s) = mean over N pre-tanh samples u of 1[KL(s, u) >= q75]·min_i Qc_targ,i(s, u), q75 the 0.75 quantile of all N·B KLs', () => {
    const algo = make();
    const want = cpqOodCostReference(algo, t.s, 4);
    const got = Array.from(algo.oodCost(t));
    expect(want.filter((x) => x !== 0).length).toBeGreaterThan(0);
    want.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 10));
  });
  it('α step: ln α moves by alphaLr·α·(qc_thres - mean qc_ood) and is clamped to [-5, 5]', () => {
    const algo = new CPQ({ ...CPQ_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], alphaLr: 0.01 }, 3, 2, 'BallRun', null, new Rng(0));
    algo.alphaStep(algo.qcThres - 30); // ln α: 0 + 0.01·1·30
    expect(Math.log(algo.alpha)).toBeCloseTo(0.3, 12);
    algo.alphaStep(algo.qcThres - 1e6);
    expect(Math.log(algo.alpha)).toBeCloseTo(5, 12);
    algo.alphaStep(algo.qcThres + 1e9);
    expect(Math.log(algo.alpha)).toBeCloseTo(-5, 12);
  });
  it('actor loss = -mean(1[min Qc(s, a) <= q_thres]·min Q(s, a)), a = tanh(μ + σε)·maxAction', () => {
    const algo = make();
    const A = 2;
    const eps = peekNormals(algo.rngs.noise, B * A);
    const { mu, logStd } = noGrad(() => algo.actor.dist(t.s));
    const m = flat(mu), l = flat(logStd);
    const a = f64(m.map((x, i) => 0.7 * Math.tanh(x + Math.exp(l[i]) * eps[i])), [B, A]);
    const q = minRows(noGrad(() => rows(criticValues(algo.critic, t.s, a))));
    const qc = minRows(noGrad(() => rows(criticValues(algo.costCritic, t.s, a))));
    (algo as { qThres: number }).qThres = [...qc].sort((x, y) => x - y)[2]; // some rows pass the gate, some do not
    const want = -mean(q.map((x, b) => (qc[b] <= algo.qThres ? x : 0)));
    expect(noGrad(() => algo.actorLoss(t).item())).toBeCloseTo(want, 10);
  });
  it('evaluation action = tanh(μ(s))·maxAction', () => {
    const algo = make();
    const obs = Float32Array.from(ds.observations);
    const m = flat(noGrad(() => algo.actor.dist(f64(Array.from(obs), [B, 3])).mu));
    const got = algo.act(obs);
    m.forEach((x, i) => expect(got[i]).toBeCloseTo(0.7 * Math.tanh(x), 6));
  });
});

describe('COptiDICE pieces', () => {
  const make = (over: Record<string, unknown> = {}) => new COptiDICE({ ...COPTIDICE_PAPER, dtype: 'float64', actorHidden: [5], criticHidden: [5], maxAction: 0.5, ...over }, 3, 2, 'BallRun', ds, new Rng(8));
  const t = batchTensors(batch, 3, 2, 'float64', 0.1, 1);
  const std = (x: Float32Array, d: number, j: number) => {
    const v = Array.from({ length: x.length / d }, (_, i) => x[i * d + j]);
    const m = mean(v);
    return Math.sqrt(mean(v.map((y) => (y - m) ** 2)));
  };
  it('λ = softplus(λ̃), τ = softplus(τ̃), both ln(1 + e) ≈ 1.3133 at the start', () => {
    const algo = make();
    expect(algo.lambda).toBeCloseTo(Math.log(1 + Math.E), 12);
    expect(algo.tau).toBeCloseTo(1.3133, 4);
    algo.lambdaRaw.backend.write(algo.lambdaRaw.buffer, [-2]);
    expect(algo.lambda).toBeCloseTo(Math.log(1 + Math.exp(-2)), 12);
  });
  it('policy loss = -mean(w̄·Σ_d ln N(ã_d; μ_d(s̃), σ_d(s̃))), s̃ = s + k·std_s·ε, ã = a + k·std_a·ε (pre-tanh Gaussian)', () => {
    const algo = make({ augmentNoise: 0.3 });
    const wBar = f64([0.5, 1, 2, 0.1, 0, 3], [B]);
    const eps = peekNormals(algo.rngs.noise, B * 3 + B * 2);
    const sN = Array.from(ds.observations, (x, i) => x + 0.3 * std(ds.observations, 3, i % 3) * eps[i]);
    const aN = Array.from(ds.actions, (x, i) => x + 0.3 * std(ds.actions, 2, i % 2) * eps[B * 3 + i]);
    const { mu, logStd } = noGrad(() => algo.actor.dist(f64(sN, [B, 3])));
    const m = flat(mu), l = flat(logStd);
    const lp = Array.from({ length: B }, (_, b) => [0, 1].reduce((s, d) => {
      const i = b * 2 + d, z = (aN[i] - m[i]) / Math.exp(l[i]);
      return s - 0.5 * z * z - l[i] - 0.5 * LOG2PI;
    }, 0));
    const w = flat(wBar);
    expect(noGrad(() => algo.actorLoss(t, wBar).item())).toBeCloseTo(-mean(lp.map((x, b) => w[b] * x)), 7); // the stds are float32
  });
  it('τ loss = softplus(τ̃)·(ε - D_KL) with D_KL a number', () => {
    const algo = make({ costUbEpsilon: 0.3 });
    const init = f64([1, 0, 0, 1, 0, 0], [B]);
    const r = noGrad(() => algo.chiTauLoss(t, f64([0.5, 1, 2, 0.1, 0, 3], [B]), init, 0.5));
    expect(r.dkl).toBeGreaterThan(0);
    expect(r.tauLoss.item()).toBeCloseTo(algo.tau * (0.3 - r.dkl), 12);
  });
  it('evaluation action = tanh(μ(s)), not multiplied by maxAction (OSRL)', () => {
    const algo = make();
    const obs = Float32Array.from(ds.observations);
    const m = flat(noGrad(() => algo.actor.dist(f64(Array.from(obs), [B, 3])).mu));
    const got = algo.act(obs);
    m.forEach((x, i) => expect(got[i]).toBeCloseTo(Math.tanh(x), 6));
  });
});

describe('CDT pieces', () => {
  const cfg = { ...CDT_PAPER, dtype: 'float64' as const, embedDim: 8, heads: 2, blocks: 1, seqLen: 3, targetReturn: 1 };
  it('temperature loss = T·(H̄ + act_dim) on ln T (H_target = -act_dim)', () => {
    const c = new CDT(cfg, 3, 2, 'BallRun', null, new Rng(0));
    expect(c.temperature).toBeCloseTo(0.1, 12);
    const l = c.temperatureLoss(0.7);
    expect(l.item()).toBeCloseTo(0.1 * (0.7 + 2), 12);
    l.backward();
    expect(c.logTemp.grad!.item()).toBeCloseTo(0.1 * 2.7, 12); // d(e^x·k)/dx = e^x·k
  });
  it('the cost token embeds costTransform - C_t (OSRL 50 - C)', () => {
    const c = new CDT(cfg, 3, 2, 'BallRun', null, new Rng(0));
    const seen: number[][] = [];
    const fwd = c.model.embedCost.forward.bind(c.model.embedCost);
    c.model.embedCost.forward = (x: Tensor) => (seen.push(flat(x)), fwd(x));
    const ctg = [3, 7.5, -1];
    noGrad(() => c.model.forward(f64(new Array(9).fill(0.1), [1, 3, 3]), f64(new Array(6).fill(0), [1, 3, 2]), f64([1, 2, 3], [1, 3]), f64(ctg, [1, 3]), Int32Array.from([0, 1, 2])));
    expect(seen[0]).toEqual(ctg.map((x) => 50 - x));
  });
  it('the key-padding mask follows each window\'s own steps: with right padding, the outputs at real steps equal the unmasked ones', () => {
    const c = new CDT({ ...cfg, seqLen: 4 }, 3, 2, 'BallRun', null, new Rng(3));
    c.model.eval();
    const B2 = 3, T = 4;
    const r = new Rng(7);
    const v = (n: number) => Array.from({ length: n }, () => r.uniformRange(-1, 1));
    const args = [f64(v(B2 * T * 3), [B2, T, 3]), f64(v(B2 * T * 2), [B2, T, 2]), f64(v(B2 * T), [B2, T]), f64(v(B2 * T), [B2, T]), Int32Array.from([0, 1, 2, 3, 5, 6, 7, 8, 0, 1, 2, 3])] as const;
    const valid = [1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0];
    const masked = noGrad(() => c.model.forward(...args, valid));
    const plain = noGrad(() => c.model.forward(...args));
    const [mm, pm, mc, pc] = [flat(masked.mu), flat(plain.mu), flat(masked.costLogp), flat(plain.costLogp)];
    valid.forEach((ok, step) => {
      if (!ok) return;
      for (let d = 0; d < 2; d++) {
        expect(mm[step * 2 + d]).toBeCloseTo(pm[step * 2 + d], 12);
        expect(mc[step * 2 + d]).toBeCloseTo(pc[step * 2 + d], 12);
      }
    });
  });
  it('AdamW rate warms up linearly: lr·min((k + 1)/warmup, 1)', () => {
    const c = new CDT({ ...cfg, warmupSteps: 4, lr: 0.01 }, 3, 2, 'BallRun', null, new Rng(0));
    const lrs = [0, 1, 2, 3, 4, 9].map((k) => ((c.opt.stepCount = k), c.opt.lr));
    [0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01].forEach((x, i) => expect(lrs[i]).toBeCloseTo(x, 15));
  });
  it('windows: R·0.1 and C·1 from the episode row onward, binary costs, timesteps start + k (clipped to the table), mask; episodes ∝ max(0, 70 - C_0)', () => {
    // episode costs: 3·0 = 0 (weight 70), 3·1 = 3 (weight 67), 3·30 = 90 (weight 0)
    const d = toyDataset({ len: 3, costs: [0, 1, 30] });
    const c = new CDT({ ...cfg, batchSize: 4000, costScale: 0.5, episodeLen: 1 }, 3, 2, 'BallRun', d, new Rng(1));
    const b = c.sample(new Rng(2));
    const L = 3;
    const count = [0, 0, 0];
    for (let w = 0; w < b.size; w++) {
      // find the dataset row of the window's first step from its state
      const j = [...Array(d.size).keys()].find((r) => [0, 1, 2].every((q) => b.states[w * L * 3 + q] === d.observations[r * 3 + q]))!;
      const ep = Math.floor(j / 3), start = j % 3;
      count[ep]++;
      for (let k = 0; k < L; k++) {
        const o = w * L + k;
        expect(b.timesteps[o]).toBe(Math.min(start + k, 1 + L - 1)); // table of episodeLen + L rows
        if (start + k >= 3) {
          expect(b.mask[o]).toBe(0);
          continue;
        }
        const r = j + k;
        let R = 0, C = 0;
        for (let q = r; q < ep * 3 + 3; q++) { R += d.rewards[q]; C += d.costs[q]; }
        expect(b.mask[o]).toBe(1);
        expect(b.rtg[o]).toBeCloseTo(0.1 * R, 5);
        expect(b.ctg[o]).toBeCloseTo(0.5 * C, 5);
        expect(b.costs[o]).toBe(d.costs[r] > 0 ? 1 : 0);
      }
    }
    expect(count[2]).toBe(0);
    expect(Math.abs(count[0] / b.size - 70 / 137)).toBeLessThan(0.025);
  });
  it('default target return = the best return among episodes with cost <= κ (inclusive)', () => {
    const d = toyDataset({ len: 2, costs: [0, 5, 6], seed: 3 }); // episode costs 0, 10, 12
    const ret = (e: number) => d.rewards[2 * e] + d.rewards[2 * e + 1];
    expect(bestSafeReturn(d, 10)).toBeCloseTo(Math.max(ret(0), ret(1)), 5);
    expect(bestSafeReturn(d, 9)).toBeCloseTo(ret(0), 5);
    const c = (targetReturn: number) => new CDT({ ...cfg, targetReturn }, 3, 2, 'BallRun', d, new Rng(0)).targetReturn;
    expect(c(0.5)).toBe(0.5); // a set target is used as given
    expect(c(0)).toBeCloseTo(Math.max(ret(0), ret(1)), 5);
  });
  it('the evaluation action is μ at the last s-token clipped to ±maxAction', () => {
    const c = new CDT({ ...cfg, maxAction: 0.003 }, 3, 2, 'BallRun', null, new Rng(0));
    const obs = Float32Array.from({ length: 6 }, (_, i) => i - 2);
    c.model.eval();
    const mu = flat(noGrad(() => c.model.forward(f64(Array.from(obs), [2, 1, 3]), f64([0, 0, 0, 0], [2, 1, 2]), f64([0.1, 0.1], [2, 1]), f64([10, 10], [2, 1]), Int32Array.from([0, 0])).mu));
    const got = c.act(obs);
    expect(mu.some((x) => Math.abs(x) > 0.003)).toBe(true);
    mu.forEach((x, i) => expect(got[i]).toBeCloseTo(Math.max(-0.003, Math.min(0.003, x)), 9));
  });
});

describe('BC-Safe', () => {
  it('clones the episodes whose cost is <= κ, the episode at exactly κ included; BC-All clones all', () => {
    const d = toyDataset({ len: 5, costs: [0, 1, 2, 3] }); // episode costs 0, 5, 10, 15
    const make = (mode: 'all' | 'safe') => new BC({ ...BC_PAPER, mode, hidden: [4], batchSize: 4 }, 3, 2, d, new Rng(0));
    expect(make('safe').sampler!.dataset.size).toBe(15);
    expect(make('all').sampler!.dataset.size).toBe(20);
  });
});

describe('paper presets = OSRL configs (BASELINES.md §1-5)', () => {
  it('BC, BCQ-Lag, CPQ, COptiDICE, CDT', () => {
    expect(BC_PAPER).toMatchObject({ steps: 100_000, batchSize: 512, hidden: [256, 256], lr: 1e-3, costLimit: 10 });
    expect(BCQL_PAPER).toMatchObject({
      steps: 100_000, batchSize: 512, actorLr: 1e-3, criticLr: 1e-3, vaeLr: 1e-3, phi: 0.05, lmbda: 0.75, beta: 0.5, gamma: 0.99, tau: 0.005,
      vaeHidden: [400, 400], actorHidden: [256, 256], criticHidden: [256, 256], numQ: 2, sampleActionNum: 10, rewardScale: 0.1, costScale: 1,
      pid: [0.1, 0.003, 0.001], costLimit: 10,
    });
    expect(CPQ_PAPER).toMatchObject({
      steps: 100_000, batchSize: 512, actorLr: 1e-4, criticLr: 1e-3, vaeLr: 1e-3, alphaLr: 1e-4, beta: 0.5, gamma: 0.99, tau: 0.005,
      vaeHidden: [400, 400], actorHidden: [256, 256], criticHidden: [256, 256], numQ: 2, sampleActionNum: 10, qcScalar: 1.5, rewardScale: 0.1, costScale: 1,
    });
    expect(COPTIDICE_PAPER).toMatchObject({
      steps: 100_000, batchSize: 512, actorLr: 1e-4, criticLr: 1e-4, scalarLr: 1e-4, gamma: 0.99, alpha: 0.5, costUbEpsilon: 0.01,
      actorHidden: [256, 256], criticHidden: [256, 256], numNu: 2, augmentNoise: 0.1, rewardScale: 0.1, costScale: 1,
    });
    expect(CDT_PAPER).toMatchObject({
      steps: 100_000, batchSize: 2048, embedDim: 128, blocks: 3, heads: 8, seqLen: 10, dropout: 0.1, lr: 1e-4, weightDecay: 1e-4, warmupSteps: 500,
      clipGrad: 0.25, costWeight: 0.02, initTemperature: 0.1, temperatureLr: 1e-4, rewardScale: 0.1, costScale: 1, costTransform: 50, costSampleCap: 70,
    });
  });
});
