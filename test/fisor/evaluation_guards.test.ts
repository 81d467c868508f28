/** What the reported measures do with inputs they cannot score: NaN critic values, mismatched lengths. */
import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../rl/fisor/convergence.js';
import { monitoredAct, type MonitoredPolicy } from '../../rl/fisor/monitor.js';
import { evaluateSlice, iouInfeasible, PAPER_SLICES } from '../../rl/plot/feasible.js';

describe('ROC AUC of V_h (convergence probe)', () => {
  it('refuses a NaN score instead of looping forever on it, and labels of another length', () => {
    // Before: the tie loop never advanced past a NaN (NaN === NaN is false) and rocAuc never returned.
    expect(() => rocAuc([NaN, 1, 2, 3], [1, 0, 1, 0])).toThrow(/score 0 is NaN/);
    expect(() => rocAuc([1, 2, NaN], [1, 0, 1])).toThrow(/score 2 is NaN/);
    // Before: the missing label read as 0 and the AUC came out 0.
    expect(() => rocAuc([1, 2, 3], [1, 0])).toThrow(/3 scores but 2 labels/);
    // Infinite scores still rank (a saturated V_h), and one class is still NaN.
    expect(rocAuc([-Infinity, 0, Infinity], [0, 1, 1])).toBe(1);
    expect(rocAuc([1, 2], [1, 1])).toBeNaN();
  });
});

describe('IoU of the learned infeasible set', () => {
  it('refuses NaN V_h values and a value count that is not the grid size', () => {
    // Before: NaN is not > 0, so those cells counted as judged feasible and the IoU came out 0.5.
    expect(() => iouInfeasible([NaN, NaN, 1], Uint8Array.from([0, 1, 0]))).toThrow(/V_h of cell 0 is NaN/);
    expect(() => iouInfeasible([1], Uint8Array.from([0, 0, 0]))).toThrow(/1 V_h values for a grid of 3 cells/);
    expect(() => iouInfeasible([], new Uint8Array(0))).toThrow(/no cells/);
    expect(iouInfeasible([Infinity, -Infinity], Uint8Array.from([0, 1])).iou).toBe(1);
  });

  it('evaluateSlice refuses a value function that answers fewer values than observations', () => {
    // Before: the unanswered cells stayed 0 (judged feasible) and the IoU was computed on them.
    const short = (o: Float32Array) => new Float32Array(o.length / 11 - 1).fill(1);
    expect(() => evaluateSlice(short, PAPER_SLICES[0], 4)).toThrow(/returned 15 values for 16 observations/);
    expect(evaluateSlice((o) => new Float32Array(o.length / 11).fill(1), PAPER_SLICES[0], 4).learnedInfeasible).toBe(1);
  });
});

describe('safety monitor', () => {
  const policy = (vh: number, qh: number[]): MonitoredPolicy => ({
    actWithCandidates: () => ({ actions: new Float32Array(2), candidateQh: Float32Array.from(qh), chosen: Int32Array.of(0), chosenQh: Float32Array.of(qh[0]) }),
    feasibilityValue: () => Float32Array.of(vh),
  });
  it('refuses NaN critic values rather than attributing the violation to the actor', () => {
    const obs = new Float32Array(11);
    expect(monitoredAct(policy(-1, [-0.5, 0.3]), obs, 1, 2).records[0]).toMatchObject({ vh: -1, chosenQh: -0.5, minQh: -0.5, maxQh: expect.closeTo(0.3, 6) });
    // Before: V_h NaN read as judged feasible, and a violation there was counted as the actor's.
    expect(() => monitoredAct(policy(NaN, [0.5, 0.3]), obs, 1, 2)).toThrow(/row 0: V_h NaN/);
    expect(() => monitoredAct(policy(-1, [NaN, 0.3]), obs, 1, 2)).toThrow(/NaN/);
    expect(() => monitoredAct(policy(-1, [0.5, NaN]), obs, 1, 2)).toThrow(/Q_h of candidate 1 is NaN/);
  });
});
