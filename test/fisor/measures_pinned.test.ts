import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/index.js';
import { rocAuc, stepsToViolation } from '../../rl/fisor/convergence.js';
import { monitoredAct, summarizeMonitor, type MonitoredPolicy, type MonitorStep } from '../../rl/fisor/monitor.js';
import { iouInfeasible } from '../../rl/plot/feasible.js';

/**
 * The evaluation measures against definitions written another way: ROC AUC as the pairwise probability
 * P(score of a positive > score of a negative) + 1/2 P(tie); steps to the next violation by a forward scan; IoU by
 * set operations; the monitor's attribution rules at their boundaries (V_h = 0 and Q_h = 0 are judged feasible).
 */
const st = (vh: number, chosenQh: number, minQh: number, cost: number, extra: Partial<MonitorStep> = {}): MonitorStep => ({ vh, chosenQh, minQh, maxQh: Math.max(chosenQh, minQh), cost, ...extra });

describe('ROC AUC', () => {
  function pairwise(score: number[], label: number[]): number {
    let num = 0, den = 0;
    for (let i = 0; i < score.length; i++) {
      for (let j = 0; j < score.length; j++) {
        if (!label[i] || label[j]) continue;
        den++;
        num += score[i] > score[j] ? 1 : score[i] === score[j] ? 0.5 : 0;
      }
    }
    return num / den;
  }

  it('equals the pairwise definition on seeded random scores with ties', () => {
    const r = new Rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + r.int(25);
      const score = Array.from({ length: n }, () => r.int(6) / 2 - 1); // few distinct values: many ties
      const label = Array.from({ length: n }, () => (r.uniform() < 0.4 ? 1 : 0));
      if (!label.includes(0) || !label.includes(1)) {
        expect(rocAuc(score, label)).toBeNaN();
        continue;
      }
      expect(rocAuc(score, label), `trial ${trial}`).toBeCloseTo(pairwise(score, label), 12);
    }
  });

  it('is 1 for perfectly separated scores, 0 for reversed ones, whatever the order of the rows', () => {
    expect(rocAuc([5, -1, 3, 0, 4], [1, 0, 1, 0, 1])).toBe(1);
    expect(rocAuc([5, -1, 3, 0, 4], [0, 1, 0, 1, 0])).toBe(0);
    expect(rocAuc([2, 2, 1, 3], [1, 0, 0, 1])).toBeCloseTo(pairwise([2, 2, 1, 3], [1, 0, 0, 1]), 12); // 0.875
  });
});

describe('steps to the next violation', () => {
  it('equals a forward scan within each episode (masks 0 end an episode) on seeded random traces', () => {
    const r = new Rng(5);
    for (let trial = 0; trial < 100; trial++) {
      const n = 1 + r.int(30);
      const costs = Array.from({ length: n }, () => (r.uniform() < 0.2 ? 1 + r.int(2) : 0));
      const masks = Array.from({ length: n }, () => (r.uniform() < 0.15 ? 0 : 1));
      const want = costs.map((_, i) => {
        for (let k = i; k < n; k++) {
          if (costs[k] > 0) return k - i;
          if (masks[k] === 0) break; // the episode ends at k
        }
        return Infinity;
      });
      expect(Array.from(stepsToViolation(costs, masks)), `trial ${trial}`).toEqual(want);
    }
  });
});

describe('IoU of the infeasible sets', () => {
  it('equals |learned ∩ true| / |learned ∪ true| by sets, V_h = 0 judged feasible, with both cell fractions', () => {
    const r = new Rng(3);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + r.int(40);
      const values = Array.from({ length: n }, () => r.int(5) - 2); // includes exact zeros
      const feasible = Uint8Array.from({ length: n }, () => (r.uniform() < 0.5 ? 1 : 0));
      const learned = new Set(values.flatMap((v, i) => (v > 0 ? [i] : [])));
      const truth = new Set(Array.from(feasible).flatMap((f, i) => (f === 0 ? [i] : [])));
      const inter = [...learned].filter((i) => truth.has(i)).length;
      const union = new Set([...learned, ...truth]).size;
      const got = iouInfeasible(values, feasible);
      expect(got.iou, `trial ${trial}`).toBeCloseTo(union === 0 ? 1 : inter / union, 12);
      expect(got.learned).toBeCloseTo(learned.size / n, 12);
      expect(got.truth).toBeCloseTo(truth.size / n, 12);
    }
    expect(iouInfeasible([0, 0.5, 2], Uint8Array.from([1, 0, 1]))).toEqual({ iou: 0.5, learned: 2 / 3, truth: 1 / 3 });
  });
});

describe('safety monitor attribution at the boundaries', () => {
  it('V_h = 0, Q_h = 0 are judged feasible; cost 0 is no violation; fractions count their steps', () => {
    const m = summarizeMonitor([
      [st(0, 0, 0, 1)], // V_h = 0 feasible, executed Q_h = 0 feasible: critic
      [st(0, 0.2, 0, 1)], // a candidate with Q_h = 0 existed: selection
      [st(-0.5, 0.1, 0.1, 1, { fallback: true })], // actor
      [st(1e-3, 1, 1, 0), st(0.2, 0.3, 0.3, 0, { rewardChoice: true }), st(0.4, 0.5, 0.5, 2, { mode: true })], // recovery from the start
      [st(-1, -1, -1, 0, { mode: true }), st(-1, 0.4, 0.4, 0), st(0.1, 0.2, 0.2, 0), st(0.2, 0.3, 0.3, 1)], // recovery, root actor (step 1)
      [st(-1, -1, -1, 0)],
    ]);
    expect(m.steps).toBe(11);
    expect(m.violations).toBe(5);
    expect(m.violatingEpisodes).toBe(5);
    expect(m.byCause).toEqual({ critic: 1, actor: 1, selection: 1, recovery: 2 });
    expect(m.rootCause).toEqual({ critic: 1, actor: 2, selection: 1, start: 1 });
    expect(m.judgedInfeasibleFraction).toBeCloseTo(5 / 11, 12); // vh > 0 on 5 steps (vh = 0 not counted)
    expect(m.noFeasibleCandidateFraction).toBeCloseTo(7 / 11, 12); // minQh > 0: 0.1, 1, 0.3, 0.5, 0.4, 0.2, 0.3
    expect(m.fallbackFraction).toBeCloseTo(1 / 11, 12);
    expect(m.rewardChoiceFraction).toBeCloseTo(1 / 11, 12);
    expect(m.modeFraction).toBeCloseTo(2 / 11, 12);
    expect(summarizeMonitor([])).toMatchObject({ steps: 0, judgedInfeasibleFraction: 0, noFeasibleCandidateFraction: 0, fallbackFraction: 0, rewardChoiceFraction: 0, modeFraction: 0 });
  });

  it('monitoredAct records min / max over every candidate and marks fallback (chosen < 0) rows only', () => {
    const qh = [0.3, -0.2, 0.7, 0.1, 0.5, 0.9];
    const p: MonitoredPolicy = {
      actWithCandidates: () => ({ actions: new Float32Array(4), candidateQh: Float32Array.from(qh), chosen: Int32Array.of(-1, 0), chosenQh: Float32Array.of(-0.4, 0.1) }),
      feasibilityValue: () => Float32Array.of(-1, 2),
    };
    const { records } = monitoredAct(p, new Float32Array(22), 2, 3);
    expect(records[0]).toMatchObject({ vh: -1, minQh: expect.closeTo(-0.2, 6), maxQh: expect.closeTo(0.7, 6), fallback: true, cost: 0 });
    expect(records[1]).toMatchObject({ vh: 2, minQh: expect.closeTo(0.1, 6), maxQh: expect.closeTo(0.9, 6) });
    expect(records[1].fallback).toBeUndefined();
  });
});
