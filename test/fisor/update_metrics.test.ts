import { describe, expect, it } from 'vitest';
import { Rng, setBackend, tensor, tidy } from '../../core/index.js';
import { FisorAgent, type FisorBatch } from '../../rl/fisor/agent.js';
import { expectile, fisorWeights } from '../../rl/fisor/critics.js';
import { tinyConfig } from './tiny.js';

/**
 * The scalars one joint `update` reports, against values computed from the agent's networks before the update
 * (the actor steps come first and touch no critic, so the weights and V_r's loss are those of the pre-update nets).
 */
const B = 16, S = 3, A = 2;

function setup(extra: string[] = []): { agent: FisorAgent; batch: FisorBatch } {
  setBackend('js');
  const agent = new FisorAgent(tinyConfig(['dtype=float64', 'weights.rewardTemperature=0.5', ...extra]), S, A, new Rng(0));
  const r = new Rng(1);
  const f = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * r.normal());
  const batch = { size: B, observations: f(B * S, 2), nextObservations: f(B * S), actions: f(B * A, 0.5), rewards: f(B), h: f(B), masks: Float32Array.from({ length: B }, (_, i) => (i % 5 === 4 ? 0 : 1)) };
  return { agent, batch };
}

const t = (v: Float32Array, shape: number[]) => tensor(v, { shape, dtype: 'float64' });

describe('UpdateMetrics of a joint update', () => {
  it('weight statistics and feasible / unsafe fractions are those of the policy weights over the whole actor batch', () => {
    const { agent, batch } = setup();
    const { w, vc } = tidy(() => {
      const o = agent.policyWeights(t(batch.observations, [B, S]), t(batch.actions, [B, A]));
      // the weights are FISOR's of (target Q_r min, V_r, target Q_h max, V_h) at (s, a)
      const s = t(batch.observations, [B, S]), a = t(batch.actions, [B, A]);
      const want = fisorWeights(agent.targetQr(s, a), agent.vr.forward(s).reshape([-1]), agent.targetQh(s, a), agent.vh.forward(s).reshape([-1]), agent.cfg.weights).toFlatArray();
      o.w.toFlatArray().forEach((x, i) => expect(x).toBeCloseTo(want[i], 12));
      expect(o.vc.toFlatArray()).toEqual(agent.vh.forward(s).reshape([-1]).toFlatArray());
      return { w: o.w.toFlatArray(), vc: o.vc.toFlatArray() };
    });
    const unsafe = vc.filter((v) => v > 0).length;
    const zero = w.filter((v) => v === 0).length;
    // the fixture exercises every branch: judged infeasible rows, zero-weight rows, positive weights
    expect(unsafe).toBeGreaterThan(0);
    expect(unsafe).toBeLessThan(B);
    expect(zero).toBeGreaterThan(0);
    // and reward-branch weights strictly inside (0, rewardUb), where V_r enters
    expect(w.filter((v, i) => vc[i] <= 0 && v > 0 && v < agent.cfg.weights.rewardUb).length).toBeGreaterThan(0);
    const m = agent.update(batch);
    expect(m.unsafeFraction).toBeCloseTo(unsafe / B, 12);
    expect(m.feasibleFraction).toBeCloseTo(1 - unsafe / B, 12);
    expect(m.zeroWeightFraction).toBeCloseTo(zero / B, 12);
    expect(m.weightMean).toBeCloseTo(w.reduce((a, b) => a + b, 0) / B, 10);
    expect(m.weightMax).toBe(Math.max(...w));
  });

  it("V_r's loss and mean are the expectile of min Q_r^target - V_r on the critic rows; the critic scalars equal a critic-only iteration's", () => {
    const { agent, batch } = setup();
    const C = agent.cfg.criticBatchSize;
    const { vrLoss, meanVr } = tidy(() => {
      const s = t(batch.observations.subarray(0, C * S), [C, S]), a = t(batch.actions.subarray(0, C * A), [C, A]);
      const v = agent.vr.forward(s).reshape([-1]);
      return { vrLoss: expectile(agent.targetQr(s, a).sub(v), agent.cfg.rewardExpectile).mean().item(), meanVr: v.mean().item() };
    });
    const m = agent.update(batch);
    expect(m.vrLoss).toBeCloseTo(vrLoss, 12);
    expect(m.meanVr).toBeCloseTo(meanVr, 12);
    // critics-first's critic phase (step 0) runs the same critic step without the actor: every critic scalar agrees,
    // each in its own field (the actor steps move no critic).
    const { agent: other } = setup(['schedule=critics-first', 'criticSteps=1', 'steps=2']);
    const c = other.update(batch, 0);
    for (const k of ['qrLoss', 'vrLoss', 'qhLoss', 'vhLoss', 'meanQr', 'meanVr', 'meanQh', 'meanVh'] as const) expect(m[k], k).toBeCloseTo(c[k], 12);
    const distinct = new Set([m.qrLoss, m.vrLoss, m.qhLoss, m.vhLoss, m.meanQr, m.meanVr, m.meanQh, m.meanVh]);
    expect(distinct.size).toBe(8);
    expect(c.actorLoss).toBe(0);
  });

  it('the actor loss is the mean over the actor splits; the EMA actor and the Q targets move by their own tau', () => {
    const { agent, batch } = setup();
    const { agent: twin } = setup();
    const cfg = agent.cfg;
    expect(cfg.actorSplits).toBe(2);
    expect(cfg.actor.emaTau).not.toBe(cfg.tau);
    const params = (m: { namedParameters(): [string, { dataSync(): ArrayLike<number> }][] }) => new Map(m.namedParameters().map(([k, t]) => [k, Float64Array.from(t.dataSync())]));
    const ema0 = params(agent.actorEma), qhT0 = params(agent.qhTarget), qrT0 = params(agent.qrTarget);
    const m = agent.update(batch);
    // The twin (same seed, same streams) takes the two actor steps by hand on the two halves of the batch.
    const half = B / 2;
    const step = (k: number) => tidy(() => (twin as unknown as { updateActor(s: unknown, a: unknown, st: { add(): void }): number }).updateActor(
      t(batch.observations.subarray(k * half * S, (k + 1) * half * S), [half, S]), t(batch.actions.subarray(k * half * A, (k + 1) * half * A), [half, A]), { add: () => undefined }));
    const l0 = step(0);
    const actor1 = params(twin.actor);
    const l1 = step(1);
    const actor2 = params(twin.actor);
    expect(l0).not.toBeCloseTo(l1, 6);
    expect(m.actorLoss).toBeCloseTo((l0 + l1) / 2, 10);
    // ema <- (1 - emaTau) ema + emaTau actor after each of the two actor steps (FISOR.md: actor EMA tau 0.001).
    const e = cfg.actor.emaTau;
    for (const [k, v] of params(agent.actorEma)) {
      const e0 = ema0.get(k)!, a1 = actor1.get(k)!, a2 = actor2.get(k)!;
      v.forEach((x, i) => expect(x, k).toBeCloseTo((1 - e) * ((1 - e) * e0[i] + e * a1[i]) + e * a2[i], 12));
    }
    // Q_h / Q_r targets <- (1 - tau) target + tau online after their critic update.
    for (const [name, before, target, online] of [['qh', qhT0, agent.qhTarget, agent.qh], ['qr', qrT0, agent.qrTarget, agent.qr]] as const) {
      const tp = params(target), op = params(online);
      for (const [k, v] of tp) v.forEach((x, i) => expect(x, `${name} ${k}`).toBeCloseTo((1 - cfg.tau) * before.get(k)![i] + cfg.tau * op.get(k)![i], 12));
    }
  });
});

