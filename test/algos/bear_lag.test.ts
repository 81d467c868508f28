/**
 * BEAR-Lag's formulas on a hand-made batch, recomputed in plain JavaScript from the networks' raw outputs (OSRL
 * bearl.py): the MMD with both kernels, the soft double-Q target with its max over copies, the (1 - done) factors,
 * the actor's MMD constraint, Q and PID cost penalty, the warm-up gate, the ascent on ln α, the target updates.
 */
import { describe, expect, it } from 'vitest';
import { gradcheck, noGrad, Rng, tensor, type Tensor } from '../../core/index.js';
import { BEARLag, BEARL_PAPER, BEAR_LAG, mmd, type BEARLagConfig } from '../../rl/algos/bear_lag.js';
import { criticValues } from '../../rl/algos/common.js';
import { batchTensors } from '../../rl/algos/data.js';
import { softClippedMaxReference, toyDataset, wholeBatch } from './helpers.js';

const rows = (q: Tensor): number[][] => q.toArray() as number[][];
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const ds = toyDataset({ len: 3, costs: [0, 1] }); // 6 rows, dones at rows 2 and 5
const B = ds.size;
const batch = wholeBatch(ds);
const S = 3, A = 2;

/** OSRL's mmd_loss_gaussian / _laplacian for one state's sample sets x, y (N x A each). */
function mmdByHand(x: number[][], y: number[][], sigma: number, kernel: 'gaussian' | 'laplacian'): number {
  const k = (p: number[], q: number[]) => Math.exp(-p.reduce((s, v, i) => s + (kernel === 'gaussian' ? (v - q[i]) ** 2 : Math.abs(v - q[i])), 0) / (2 * sigma));
  const m = (p: number[][], q: number[][]) => mean(p.flatMap((a) => q.map((b) => k(a, b))));
  return Math.sqrt(m(x, x) + m(y, y) - 2 * m(x, y) + 1e-6);
}

const make = (o: Partial<BEARLagConfig> = {}, seed = 4) =>
  new BEARLag({ ...BEARL_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], sampleActionNum: 3, numSamplesMmdMatch: 4, ...o }, S, A, 'BallRun', ds, new Rng(seed));

describe('BEAR-Lag: the MMD', () => {
  const rng = new Rng(9);
  const draw = (n: number) => Array.from({ length: n }, () => rng.uniformRange(-2, 2));
  const [b, n, a] = [3, 4, 2];
  const xs = draw(b * n * a), ys = draw(b * n * a);
  const sets = (v: number[], i: number) => Array.from({ length: n }, (_, j) => v.slice((i * n + j) * a, (i * n + j + 1) * a));
  for (const kernel of ['gaussian', 'laplacian'] as const) {
    it(`${kernel}: sqrt(mean k(x, x') + mean k(y, y') - 2 mean k(x, y) + 1e-6) per state, k with 2σ (not 2σ²)`, () => {
      const got = mmd(tensor(xs, { shape: [b, n, a], dtype: 'float64' }), tensor(ys, { shape: [b, n, a], dtype: 'float64' }), 0.7, kernel).toFlatArray();
      for (let i = 0; i < b; i++) expect(got[i]).toBeCloseTo(mmdByHand(sets(xs, i), sets(ys, i), 0.7, kernel), 12);
    });
  }
  it('one sample each, a distance of 1, σ = 0.5: sqrt(2 - 2/e + 1e-6); equal sets give sqrt(1e-6)', () => {
    const x = tensor([0, 0], { shape: [1, 1, 2], dtype: 'float64' }), y = tensor([1, 0], { shape: [1, 1, 2], dtype: 'float64' });
    expect(mmd(x, y, 0.5, 'gaussian').item()).toBeCloseTo(Math.sqrt(2 - 2 / Math.E + 1e-6), 12);
    expect(mmd(x, y, 0.5, 'laplacian').item()).toBeCloseTo(Math.sqrt(2 - 2 / Math.E + 1e-6), 12);
    expect(mmd(y, y, 0.5, 'gaussian').item()).toBeCloseTo(1e-3, 14);
    // The Laplacian kernel sums |d| (L1), so a diagonal step of (1, 1) is a distance of 2 for it, 2 squared for the Gaussian.
    const d = tensor([1, 1], { shape: [1, 1, 2], dtype: 'float64' });
    expect(mmd(x, d, 1, 'laplacian').item()).toBeCloseTo(Math.sqrt(2 - 2 * Math.exp(-1) + 1e-6), 12);
    expect(mmd(x, d, 1, 'gaussian').item()).toBeCloseTo(Math.sqrt(2 - 2 * Math.exp(-1) + 1e-6), 12);
    expect(mmd(x, tensor([2, 0], { shape: [1, 1, 2], dtype: 'float64' }), 1, 'gaussian').item()).toBeCloseTo(Math.sqrt(2 - 2 * Math.exp(-2) + 1e-6), 12);
    expect(mmd(x, tensor([2, 0], { shape: [1, 1, 2], dtype: 'float64' }), 1, 'laplacian').item()).toBeCloseTo(Math.sqrt(2 - 2 * Math.exp(-1) + 1e-6), 12);
  });
  it('its gradient in the actor samples agrees with finite differences (both kernels)', () => {
    const x = tensor(xs, { shape: [b, n, a], dtype: 'float64' });
    for (const kernel of ['gaussian', 'laplacian'] as const) {
      const r = gradcheck((y) => mmd(x, y, 0.7, kernel).sum(), [tensor(ys, { shape: [b, n, a], dtype: 'float64' })]);
      expect(r.ok).toBe(true);
    }
  });
});

describe('BEAR-Lag by hand', () => {
  const algo = make();
  // One update first, so that every target network differs from its source (a target read where the source is
  // meant, or the reverse, then shows).
  algo.update(batch, 0);
  const t = batchTensors(batch, S, A, 'float64', 0.1, 1);
  const N = 3;
  /** The target actor's samples at the N copies of s' and the target critic there, with the noise stream restored. */
  const targetQ = (target: typeof algo.criticTarget) => {
    const st = algo.rngs.noise.getState();
    const got = noGrad(() => algo.targetValue(target, t.s2)).toFlatArray();
    algo.rngs.noise.setState(st);
    const q = noGrad(() => {
      const rep = t.s2.reshape([B, 1, S]).expand([B, N, S]).reshape([B * N, S]);
      return rows(criticValues(target, rep, algo.actorTarget.sample(rep, algo.rngs.noise).action));
    });
    algo.rngs.noise.setState(st);
    return { got, want: softClippedMaxReference(q, B, N) };
  };

  it('target = max over the copies of 0.75·min(m1, m2) + 0.25·max(m1, m2), m_g = min within group g, a\' from the target actor', () => {
    for (const target of [algo.criticTarget, algo.costCriticTarget]) {
      const { got, want } = targetQ(target);
      for (let b = 0; b < B; b++) expect(got[b]).toBeCloseTo(want[b], 12);
    }
  });

  it('critic loss = Σ_i mean (Q_i - (r + γ(1 - done)q))² with rewards scaled by 0.1; the cost loss has no (1 - done)', () => {
    const v = targetQ(algo.criticTarget).want;
    const vc = targetQ(algo.costCriticTarget).want;
    const st = algo.rngs.noise.getState();
    const loss = noGrad(() => algo.criticLoss(t).loss.item());
    algo.rngs.noise.setState(st);
    const closs = noGrad(() => algo.costCriticLoss(t).loss.item());
    algo.rngs.noise.setState(st);
    const Q = noGrad(() => rows(criticValues(algo.critic, t.s, t.a)));
    const Qc = noGrad(() => rows(criticValues(algo.costCritic, t.s, t.a)));
    const y = v.map((x, b) => 0.1 * ds.rewards[b] + 0.99 * (1 - batch.dones[b]) * x);
    const yc = vc.map((x, b) => ds.costs[b] + 0.99 * x);
    expect(batch.dones.some((d) => d === 1)).toBe(true);
    expect(loss).toBeCloseTo(Q.reduce((s, q) => s + mean(q.map((x, b) => (x - y[b]) ** 2)), 0), 10);
    expect(closs).toBeCloseTo(Qc.reduce((s, q) => s + mean(q.map((x, b) => (x - yc[b]) ** 2)), 0), 10);
  });

  /** The actor loss recomputed from the VAE's and the actor's draws, the critics on the first sample and a copy of the PID. */
  function actorByHand(a: BEARLag, index: number) {
    const M = a.cfg.numSamplesMmdMatch;
    const st = a.rngs.noise.getState();
    const pid = Array.from(a.pid.state.toFlatArray());
    const got = noGrad(() => {
      const r = a.actorLoss(t, index);
      return { loss: r.loss.item(), mmd: r.mmd.toFlatArray(), lambda: r.lambda, qc: r.qc };
    });
    a.rngs.noise.setState(st);
    const { raw, u, act } = noGrad(() => {
      const rep = t.s.reshape([B, 1, S]).expand([B, M, S]).reshape([B * M, S]);
      const raw = rows(a.vae.decodeRaw(rep, a.rngs.noise));
      const smp = a.actor.sample(rep, a.rngs.noise);
      return { raw, u: rows(smp.u), act: rows(smp.action) };
    });
    a.rngs.noise.setState(st);
    const a0 = act.filter((_, j) => j % M === 0);
    const q = noGrad(() => rows(criticValues(a.critic, t.s, tensor(a0.flat(), { shape: [B, A], dtype: 'float64' }))));
    const qc = noGrad(() => rows(criticValues(a.costCritic, t.s, tensor(a0.flat(), { shape: [B, A], dtype: 'float64' }))));
    const mm = Array.from({ length: B }, (_, b) => mmdByHand(raw.slice(b * M, (b + 1) * M), u.slice(b * M, (b + 1) * M), a.cfg.mmdSigma, a.cfg.kernel));
    const qMin = Array.from({ length: B }, (_, b) => Math.min(q[0][b], q[1][b], q[2][b], q[3][b]));
    const qcMin = Array.from({ length: B }, (_, b) => Math.min(Math.min(qc[0][b], qc[1][b]), Math.min(qc[2][b], qc[3][b])));
    // OSRL's LagrangianPIDController from the saved state [e_prev, I, λ].
    const e = mean(qcMin) - a.qcThres;
    const integral = Math.max(0, pid[1] + e);
    const [kp, ki, kd] = a.cfg.pid;
    const lambda = Math.max(0, kp * Math.max(0, e) + ki * integral + kd * Math.max(0, e - pid[0]));
    const alpha = a.alpha;
    const perState = mm.map((m, b) => (index >= a.cfg.startUpdatePolicyStep ? -qMin[b] : 0) + alpha * (m - a.cfg.targetMmdThresh));
    const want = mean(perState) + mean(qcMin.map((c) => (c - a.qcThres) * lambda));
    return { got, want, mm, lambda, meanQc: mean(qcMin) };
  }

  it('actor loss = mean(-min Q + α(MMD - ε)) + mean((min Qc - qc_thres)·λ) on the first sample, λ = PID(mean Qc)', () => {
    const a = make({ pid: [0.5, 0.2, 0.3] }, 6);
    // Drive the PID above its setpoint so that λ > 0 and the penalty term is tested.
    a.pid.control(a.qcThres + 20);
    const r = actorByHand(a, 0);
    expect(r.lambda).toBeGreaterThan(0);
    expect(r.got.lambda).toBeCloseTo(r.lambda, 12);
    expect(r.got.qc).toBeCloseTo(r.meanQc, 12);
    r.mm.forEach((m, b) => expect(r.got.mmd[b]).toBeCloseTo(m, 12));
    expect(r.got.loss).toBeCloseTo(r.want, 10);
  });

  it('the Laplacian kernel and α ≠ 1 go through the same loss', () => {
    const a = make({ kernel: 'laplacian', mmdSigma: 0.3 }, 7);
    a.logAlpha.buffer.view()[0] = 0.4;
    const r = actorByHand(a, 0);
    expect(r.got.loss).toBeCloseTo(r.want, 10);
  });

  it('before startUpdatePolicyStep the actor loss leaves out -Q (the MMD constraint and the cost penalty stay)', () => {
    const a = make({ startUpdatePolicyStep: 5 }, 8);
    const before = actorByHand(a, 4);
    expect(before.got.loss).toBeCloseTo(before.want, 10);
    const after = actorByHand(a, 5);
    expect(after.got.loss).toBeCloseTo(after.want, 10);
    expect(Math.abs(after.got.loss - before.got.loss)).toBeGreaterThan(1e-6);
  });

  it('ln α ← clamp(ln α + alphaLr·α·(mean MMD - ε), -5, 5)', () => {
    const a = make({ alphaLr: 0.1, targetMmdThresh: 0.05 });
    a.logAlpha.buffer.view()[0] = 0.3;
    a.alphaStep(0.25);
    expect(a.logAlpha.buffer.view()[0]).toBeCloseTo(0.3 + 0.1 * Math.exp(0.3) * 0.2, 14);
    a.alphaStep(0.01);
    const l = 0.3 + 0.1 * Math.exp(0.3) * 0.2;
    expect(a.logAlpha.buffer.view()[0]).toBeCloseTo(l + 0.1 * Math.exp(l) * -0.04, 14);
    a.logAlpha.buffer.view()[0] = 4.9;
    a.alphaStep(100);
    expect(a.logAlpha.buffer.view()[0]).toBe(5);
    a.logAlpha.buffer.view()[0] = -4.99;
    a.alphaStep(-100);
    expect(a.logAlpha.buffer.view()[0]).toBe(-5);
  });

  it('update: the α step uses that update\'s mean MMD, and the actor and both critics\' targets move by τ', () => {
    const a = make({ alphaLr: 0.5, tau: 0.3 }, 5);
    const before = { actorT: a.actorTarget.muHead.parameters()[0].toFlatArray(), criticT: a.criticTarget.parameters()[0].toFlatArray(), costT: a.costCriticTarget.parameters()[0].toFlatArray() };
    const m = a.update(batch, 0);
    expect(a.logAlpha.buffer.view()[0]).toBeCloseTo(0.5 * (m.mmd - 0.05), 12);
    expect(m.alpha).toBeCloseTo(Math.exp(0.5 * (m.mmd - 0.05)), 12);
    const pairs: [number[], number[], number[]][] = [
      [before.actorT, a.actorTarget.muHead.parameters()[0].toFlatArray(), a.actor.muHead.parameters()[0].toFlatArray()],
      [before.criticT, a.criticTarget.parameters()[0].toFlatArray(), a.critic.parameters()[0].toFlatArray()],
      [before.costT, a.costCriticTarget.parameters()[0].toFlatArray(), a.costCritic.parameters()[0].toFlatArray()],
    ];
    for (const [old, now, src] of pairs) {
      expect(now.some((v, i) => v !== old[i])).toBe(true);
      now.forEach((v, i) => expect(v).toBeCloseTo(0.7 * old[i] + 0.3 * src[i], 12));
    }
    for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
  });

  it('acts deterministically: tanh(μ(s))·maxAction, the same twice', () => {
    const obs = new Float32Array([0.1, -0.2, 0.3, 0.5, 0.4, -0.6]);
    const a1 = algo.act(obs), a2 = algo.act(obs);
    expect(Array.from(a1)).toEqual(Array.from(a2));
    const mu = noGrad(() => algo.actor.dist(tensor(Array.from(obs), { shape: [2, S], dtype: 'float64' })).mu.toFlatArray());
    mu.forEach((m, i) => expect(a1[i]).toBeCloseTo(Math.tanh(m), 6));
  });
});

describe('BEAR-Lag config', () => {
  const bad = (o: Partial<BEARLagConfig>) => () => BEAR_LAG.check({ ...BEARL_PAPER, ...o });
  it('OSRL defaults: σ 50, ε 0.05, 10 MMD samples, the Gaussian kernel, 2 x 2 critics, 300k steps', () => {
    expect(BEARL_PAPER).toMatchObject({ mmdSigma: 50, targetMmdThresh: 0.05, numSamplesMmdMatch: 10, kernel: 'gaussian', numQ: 2, steps: 300_000, batchSize: 512, alphaLr: 1e-3, lmbda: 0.75, beta: 0.5, startUpdatePolicyStep: 0 });
    expect(bad({})).not.toThrow();
  });
  it('names the key of a bad value', () => {
    expect(bad({ kernel: 'cosine' as never })).toThrow(/'kernel' must be "gaussian" or "laplacian", got "cosine"/);
    expect(bad({ numSamplesMmdMatch: 0 })).toThrow(/numSamplesMmdMatch/);
    expect(bad({ mmdSigma: 0 })).toThrow(/mmdSigma/);
    expect(bad({ targetMmdThresh: -1 })).toThrow(/targetMmdThresh/);
    expect(bad({ startUpdatePolicyStep: 1.5 })).toThrow(/startUpdatePolicyStep/);
    expect(bad({ pid: [1, 2] })).toThrow(/'pid' must be three gains/);
  });
});
