import { describe, expect, it } from 'vitest';
import { Rng, setBackend, tensor, tidy } from '../../core/index.js';
import type { LoadedCheckpoint } from '../../nn/index.js';
import { FisorAgent } from '../../rl/fisor/agent.js';
import { collect } from '../../rl/data/collect.js';
import { ConvergenceProbe, HELD_OUT_SEED_OFFSET, makeConvergenceProbe } from '../../rl/fisor/convergence.js';
import { prepareData, type FisorData } from '../../rl/fisor/data.js';
import { tinyConfig } from './tiny.js';

/**
 * ConvergenceProbe.measure against the reference formulas (FISOR.md) evaluated in float64 on the agent's own
 * networks: the feasible Bellman residual with target (1 - g) h + g max(h, V_h(s')) (h where mask = 0), the reward
 * residual r + g mask V_r(s'), Q_h within [min h, max h], V_h's sign and its ROC AUC as a pairwise probability.
 */
describe('convergence probe measures', () => {
  it('match the reference formulas on a hand-made held-out set', () => {
    setBackend('js');
    const S = 3, A = 2, N = 40;
    const agent = new FisorAgent(tinyConfig(['dtype=float64']), S, A, new Rng(0));
    const r = new Rng(4);
    const f = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * r.normal());
    const costs = Float32Array.from({ length: N }, () => (r.uniform() < 0.25 ? 1 : 0));
    const masks = Float32Array.from({ length: N }, (_, i) => (i % 3 === 2 ? 0 : 1));
    const data: FisorData = {
      size: N, obsDim: S, actDim: A, observations: f(N * S, 2), nextObservations: f(N * S, 2), actions: f(N * A, 0.5),
      rewards: f(N), h: f(N, 0.3), masks, hSource: 'continuous', rewardScale: 1,
    };
    const hRange: [number, number] = [-0.05, 0.12];
    const probe = new ConvergenceProbe(data, costs, hRange, 25);
    const idx = Array.from((probe as unknown as { idx: Int32Array }).idx);
    expect(idx).toHaveLength(25);
    const g = agent.cfg.discount;

    const nets = () => tidy(() => {
      const rows = (src: Float32Array, w: number) => Float64Array.from(idx.flatMap((j) => Array.from(src.subarray(j * w, (j + 1) * w))));
      const T = (v: Float64Array, w: number) => tensor(v, { shape: [idx.length, w], dtype: 'float64' });
      const s = T(rows(data.observations, S), S), s2 = T(rows(data.nextObservations, S), S), a = T(rows(data.actions, A), A);
      return {
        qh: agent.targetQh(s, a).toFlatArray(), qr: agent.targetQr(s, a).toFlatArray(), vh: agent.vh.forward(s).toFlatArray(),
        vh2: agent.vh.forward(s2).toFlatArray(), vr2: agent.vr.forward(s2).toFlatArray(),
      };
    });
    // labels: a violation at this transition or later in its episode (masks 0 end one), by a forward scan
    const label = idx.map((j) => {
      for (let k = j; k < N; k++) {
        if (costs[k] > 0) return 1;
        if (masks[k] === 0) break;
      }
      return 0;
    });
    const expected = () => {
      const { qh, qr, vh, vh2, vr2 } = nets();
      let eh = 0, er = 0, inRange = 0;
      idx.forEach((j, k) => {
        const h = data.h[j], m = data.masks[j];
        const target = m === 0 ? h : (1 - g) * h + g * Math.max(h, vh2[k]);
        eh += (qh[k] - target) ** 2;
        er += (qr[k] - data.rewards[j] - g * m * vr2[k]) ** 2;
        if (hRange[0] <= qh[k] && qh[k] <= hRange[1]) inRange++;
      });
      let num = 0, den = 0;
      for (let p = 0; p < idx.length; p++) for (let q = 0; q < idx.length; q++) {
        if (!label[p] || label[q]) continue;
        den++;
        num += vh[p] > vh[q] ? 1 : vh[p] === vh[q] ? 0.5 : 0;
      }
      return {
        qhResidual: Math.sqrt(eh / idx.length), qrResidual: Math.sqrt(er / idx.length), qhInRange: inRange / idx.length,
        vhAuc: num / den, feasibleFraction: vh.filter((v) => v <= 0).length / idx.length, sign: vh.map((v) => v > 0),
      };
    };

    const want = expected();
    const got = probe.measure(agent);
    expect(got.vhSignAgreement).toBeNull();
    for (const k of ['qhResidual', 'qrResidual', 'vhAuc'] as const) expect(got[k], k).toBeCloseTo(want[k], 5);
    expect(got.qhInRange).toBeCloseTo(want.qhInRange, 12);
    expect(got.feasibleFraction).toBeCloseTo(want.feasibleFraction, 12);
    // the fixture is not degenerate: some rows in range and out, feasible and not, terminal rows sampled
    expect(want.qhInRange).toBeGreaterThan(0);
    expect(want.qhInRange).toBeLessThan(1);
    expect(want.feasibleFraction).toBeGreaterThan(0);
    expect(want.feasibleFraction).toBeLessThan(1);
    expect(idx.some((j) => masks[j] === 0)).toBe(true);

    // Move V_h (its last bias) so that some signs flip: the agreement is the fraction of unchanged signs.
    const tensors: Record<string, Float32Array> = {}, shapes: Record<string, number[]> = {};
    for (const [k, t] of Object.entries(agent.stateTensors())) {
      tensors[k] = Float32Array.from(t.dataSync());
      shapes[k] = [...t.shape];
    }
    const last = Object.keys(tensors).filter((k) => k.startsWith('vh.') && k.endsWith('.bias')).sort().at(-1)!;
    tensors[last] = tensors[last].map((b) => b + 0.15);
    agent.loadState({ tensors, shapes, step: 0, metadata: {} } as unknown as LoadedCheckpoint);
    const after = expected();
    const same = after.sign.filter((s, k) => s === want.sign[k]).length / idx.length;
    expect(same).toBeLessThan(1);
    expect(probe.measure(agent).vhSignAgreement).toBeCloseTo(same, 12);
  });

  it("the held-out rewards are in the training data's scale (DSRL's reward scale differs between the two collections)", () => {
    // BallRun's DSRL scale is maxEpisodeSteps / (return span), and the span of the held-out collection is not the
    // training collection's: the reward residual is only in the units Q_r learns if the held-out rewards are rescaled.
    const cfg = tinyConfig([], { task: 'BallRun' });
    const train = prepareData(collect('BallRun', { seed: 0, recipe: cfg.dataRecipe }), 'BallRun', cfg);
    const raw = collect('BallRun', { seed: HELD_OUT_SEED_OFFSET, recipe: cfg.dataRecipe });
    const heldScale = prepareData(raw, 'BallRun', cfg).rewardScale;
    expect(train.rewardScale).not.toBe(1);
    expect(Math.abs(heldScale / train.rewardScale - 1)).toBeGreaterThan(1e-3);
    const held = (makeConvergenceProbe('BallRun', cfg, train, 0) as unknown as { heldOut: FisorData }).heldOut;
    expect(held.rewardScale).toBe(train.rewardScale);
    expect(held.size).toBe(raw.size);
    let worst = 0;
    for (let i = 0; i < raw.size; i++) worst = Math.max(worst, Math.abs(held.rewards[i] - raw.rewards[i] * train.rewardScale) / (Math.abs(raw.rewards[i] * train.rewardScale) + 1e-6));
    expect(worst).toBeLessThan(1e-5);
  });
});
