/**
 * The Q-based algorithms' losses on a hand-made batch, recomputed in plain JavaScript from the networks' raw
 * outputs (each member of each ensemble read separately), so the test checks the loss formulas: group minima, the
 * soft double-Q mix, the max over candidates, the (1 - done) factors, the cost gate, the PID λ, the DICE weights.
 */
import { describe, expect, it } from 'vitest';
import { noGrad, Rng, tensor, type Tensor } from '../../core/index.js';
import { BCQLag, BCQL_PAPER } from '../../rl/algos/bcq_lag.js';
import { criticValues } from '../../rl/algos/common.js';
import { COptiDICE, COPTIDICE_PAPER } from '../../rl/algos/coptidice.js';
import { CPQ, CPQ_PAPER } from '../../rl/algos/cpq.js';
import { batchTensors } from '../../rl/algos/data.js';
import { bcqTargetReference, toyDataset, wholeBatch } from './helpers.js';

const rows = (q: Tensor): number[][] => q.toArray() as number[][];
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const ds = toyDataset({ len: 3, costs: [0, 1] }); // 6 rows, dones at rows 2 and 5
const B = ds.size;
const batch = wholeBatch(ds);

describe('BCQ-Lag by hand', () => {
  const algo = new BCQLag({ ...BCQL_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5], sampleActionNum: 3 }, 3, 2, 'BallRun', ds, new Rng(4));
  const t = batchTensors(batch, 3, 2, 'float64', 0.1, 1);
  it('target = max over candidates of 0.75·min(m1, m2) + 0.25·max(m1, m2), m_g = min within group g', () => {
    const { got, want } = bcqTargetReference(algo, t.s2, 3);
    want.forEach((x, b) => expect(got[b]).toBeCloseTo(x, 12));
  });
  it('critic loss = Σ_i mean (Q_i - (r + γ(1 - done)q))² with rewards scaled by 0.1; the cost loss has no (1 - done)', () => {
    const st = algo.rngs.noise.getState();
    const v = noGrad(() => algo.targetValue(algo.criticTarget, t.s2)).toFlatArray();
    const vc = noGrad(() => algo.targetValue(algo.costCriticTarget, t.s2)).toFlatArray();
    algo.rngs.noise.setState(st);
    const loss = noGrad(() => algo.criticLoss(t).loss.item());
    const closs = noGrad(() => algo.costCriticLoss(t).loss.item());
    const Q = noGrad(() => rows(criticValues(algo.critic, t.s, t.a)));
    const Qc = noGrad(() => rows(criticValues(algo.costCritic, t.s, t.a)));
    const y = v.map((x, b) => 0.1 * ds.rewards[b] + 0.99 * (1 - batch.dones[b]) * x);
    const yc = vc.map((x, b) => ds.costs[b] + 0.99 * x);
    expect(loss).toBeCloseTo(Q.reduce((s, q) => s + mean(q.map((x, b) => (x - y[b]) ** 2)), 0), 10);
    expect(closs).toBeCloseTo(Qc.reduce((s, q) => s + mean(q.map((x, b) => (x - yc[b]) ** 2)), 0), 10);
  });
  it('actor loss = -mean(min Q) + mean((min Qc - qc_thres)·λ), λ = PID(mean min Qc)', () => {
    const st = algo.rngs.noise.getState();
    const pid = Array.from(algo.pid.state.toFlatArray());
    const { loss, lambda } = noGrad(() => algo.actorLoss(t));
    algo.rngs.noise.setState(st);
    algo.pid.state.backend.write(algo.pid.state.buffer, pid);
    const a = noGrad(() => algo.perturb(algo.actor, t.s, algo.vae.decode(t.s, algo.rngs.noise)));
    const q = noGrad(() => rows(criticValues(algo.critic, t.s, a)));
    const qc = noGrad(() => rows(criticValues(algo.costCritic, t.s, a)));
    const minQ = q[0].map((_, b) => Math.min(...q.map((r) => r[b])));
    const minQc = qc[0].map((_, b) => Math.min(...qc.map((r) => r[b])));
    const e = mean(minQc) - algo.qcThres;
    const I = Math.max(0, pid[1] + e);
    const lam = Math.max(0, 0.1 * Math.max(0, e) + 0.003 * I + 0.001 * Math.max(0, e - pid[0]));
    expect(lambda).toBeCloseTo(lam, 12);
    expect(loss.item()).toBeCloseTo(-mean(minQ) + mean(minQc.map((x) => (x - algo.qcThres) * lam)), 10);
  });
});

describe('CPQ by hand', () => {
  const algo = new CPQ({ ...CPQ_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5] }, 3, 2, 'BallRun', ds, new Rng(6));
  const t = batchTensors(batch, 3, 2, 'float64', 0.1, 1);
  const a2 = tensor(Array.from({ length: B * 2 }, (_, i) => Math.sin(i)), { shape: [B, 2], dtype: 'float64' });
  it('critic target gates the reward backup by 1[Qc_targ(s\', a\') <= q_thres] and (1 - done)', () => {
    // Move the gate threshold so that some rows pass and some do not.
    const qc2 = noGrad(() => rows(criticValues(algo.costCriticTarget, t.s2, a2)));
    const minQc2 = qc2[0].map((_, b) => Math.min(qc2[0][b], qc2[1][b]));
    (algo as { qThres: number }).qThres = [...minQc2].sort((x, y) => x - y)[2];
    const q2 = noGrad(() => rows(criticValues(algo.criticTarget, t.s2, a2)));
    const y = minQc2.map((c, b) => 0.1 * ds.rewards[b] + 0.99 * (1 - batch.dones[b]) * (c <= algo.qThres ? 1 : 0) * Math.min(q2[0][b], q2[1][b]));
    const Q = noGrad(() => rows(criticValues(algo.critic, t.s, t.a)));
    const want = Q.reduce((s, q) => s + mean(q.map((x, b) => (x - y[b]) ** 2)), 0);
    expect(noGrad(() => algo.criticLoss(t, a2).loss.item())).toBeCloseTo(want, 10);
  });
  it('cost critic loss adds the constant -α(mean qc_ood - qc_thres); α steps by alphaLr·α·(qc_thres - mean qc_ood)', () => {
    const Qc = noGrad(() => rows(criticValues(algo.costCritic, t.s, t.a)));
    const qc2 = noGrad(() => rows(criticValues(algo.costCriticTarget, t.s2, a2)));
    const yc = qc2[0].map((_, b) => ds.costs[b] + 0.99 * Math.min(qc2[0][b], qc2[1][b]));
    const mse = Qc.reduce((s, q) => s + mean(q.map((x, b) => (x - yc[b]) ** 2)), 0);
    expect(noGrad(() => algo.costCriticLoss(t, a2, 2.5).loss.item())).toBeCloseTo(mse - 1 * (2.5 - algo.qcThres), 10);
    algo.alphaStep(algo.qcThres + 100); // far above the threshold: ln α falls by alphaLr·α·100
    expect(Math.log(algo.alpha)).toBeCloseTo(-1e-4 * 100, 12);
  });
  it("the cost critic's next actions are a draw of their own, not the critic's (OSRL samples a' in each loss)", () => {
    const fresh = new CPQ({ ...CPQ_PAPER, dtype: 'float64', vaeHidden: [5, 5], actorHidden: [5], criticHidden: [5] }, 3, 2, 'BallRun', ds, new Rng(6));
    const seen: { critic?: number[]; cost?: number[] } = {};
    const criticLoss = fresh.criticLoss.bind(fresh), costCriticLoss = fresh.costCriticLoss.bind(fresh);
    fresh.criticLoss = (tt, a) => ((seen.critic = Array.from(a.toFlatArray())), criticLoss(tt, a));
    fresh.costCriticLoss = (tt, a, m) => ((seen.cost = Array.from(a.toFlatArray())), costCriticLoss(tt, a, m));
    fresh.update(batch);
    expect(seen.critic).toHaveLength(B * 2);
    expect(seen.cost).toHaveLength(B * 2);
    expect(seen.cost!.some((x, i) => x !== seen.critic![i])).toBe(true);
  });
});

describe('COptiDICE by hand', () => {
  const algo = new COptiDICE({ ...COPTIDICE_PAPER, dtype: 'float64', actorHidden: [5], criticHidden: [5] }, 3, 2, 'BallRun', ds, new Rng(8));
  const t = batchTensors(batch, 3, 2, 'float64', 0.1, 1);
  const init = tensor([1, 0, 0, 1, 0, 0], { dtype: 'float64' });
  const nu = (s: Tensor) => noGrad(() => rows(criticValues(algo.nu, s, null))).reduce((m, r) => m.map((x, b) => Math.min(x, r[b])));
  const f = (x: number) => (x < 1 ? x * (Math.log(x + 1e-10) - 1) + 1 : 0.5 * (x - 1) ** 2);
  const finv = (y: number) => (y < 0 ? Math.exp(Math.min(y, 0)) : y + 1);
  it('ν loss = (1 - γ)·mean(ν(s)·init/p0) + mean(w·e - α f(w)), e = r - λc + γ(1 - done)ν(s\') - ν(s), w = max(0, (f′)⁻¹(e/α))', () => {
    const lam = 0.7, p0 = 0.5;
    const n = nu(t.s), n2 = nu(t.s2);
    const e = n.map((v, b) => 0.1 * ds.rewards[b] - lam * ds.costs[b] + 0.99 * (1 - batch.dones[b]) * n2[b] - v);
    const w = e.map((x) => Math.max(0, finv(x / 0.5)));
    const want = (0.01 * mean(n.map((v, b) => v * [1, 0, 0, 1, 0, 0][b]))) / p0 + mean(w.map((x, b) => x * e[b] - 0.5 * f(x)));
    expect(noGrad(() => algo.nuLoss(t, init, p0, lam).item())).toBeCloseTo(want, 10);
  });
  it('χ loss = mean(W·ℓ), W = B·softmax(ℓ/τ); ĉ = mean(W·w̄·c); D_KL = mean(W ln W - W + 1)', () => {
    const wBar = tensor([0.5, 1, 2, 0.1, 0, 3], { dtype: 'float64' });
    const chi = (s: Tensor) => noGrad(() => rows(criticValues(algo.chi, s, null))).reduce((m, r) => m.map((x, b) => Math.min(x, r[b])));
    const c1 = chi(t.s), c2 = chi(t.s2), wb = wBar.toFlatArray(), ini = [1, 0, 0, 1, 0, 0];
    const ell = c1.map((v, b) => (0.01 * v * ini[b]) / 0.5 + wb[b] * (ds.costs[b] + 0.99 * (1 - batch.dones[b]) * c2[b] - v));
    const z = ell.map((x) => x / algo.tau), mx = Math.max(...z);
    const ex = z.map((x) => Math.exp(x - mx)), sum = ex.reduce((a, b) => a + b);
    const W = ex.map((x) => (B * x) / sum);
    const got = noGrad(() => algo.chiTauLoss(t, wBar, init, 0.5));
    expect(got.chiLoss.item()).toBeCloseTo(mean(W.map((x, b) => x * ell[b])), 10);
    expect(got.cHat).toBeCloseTo(mean(W.map((x, b) => x * wb[b] * ds.costs[b])), 10);
    expect(got.dkl).toBeCloseTo(mean(W.map((x) => x * Math.log(x) - x + 1)), 10);
  });
});
