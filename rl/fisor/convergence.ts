/**
 * Convergence of the critics, measured on held-out transitions (behaviour data collected with another
 * seed, never trained on):
 *
 *   - qhResidual: RMS of max_i Q_h^target(s, a) - [(1 - g) h + g max(h, V_h(s'))] (terminal: h), the feasible
 *     Bellman residual; qrResidual: RMS of min_i Q_r^target(s, a) - (r + g mask V_r(s')).
 *   - vhSignAgreement: fraction of held-out states whose sign of V_h is the same as at the previous
 *     measurement (the learned feasible region has stopped moving when this is ~1).
 *   - qhInRange: fraction of Q_h within [min h, max h] of the training data (a converged Q_h stays inside).
 *   - vhAuc: ROC AUC of V_h(s) as a predictor of a violation later in the same episode (calibration).
 */
import { Rng, noGrad, tensor, tidy } from '../../core/index.js';
import { collect } from '../data/collect.js';
import { copyRow } from '../data/dataset.js';
import type { FisorAgent } from './agent.js';
import type { FisorConfig } from './config.js';
import { prepareData, type FisorData } from './data.js';

export interface ConvergenceMeasures {
  qhResidual: number;
  qrResidual: number;
  /** null at the first measurement. */
  vhSignAgreement: number | null;
  qhInRange: number;
  vhAuc: number;
  feasibleFraction: number;
}

/** Seed offset of the held-out behaviour data relative to the training data's seed. */
export const HELD_OUT_SEED_OFFSET = 1000;

/**
 * ROC AUC of `score` for binary `label` (ties counted half); NaN without both classes. A NaN score is refused: it
 * equals no other score, so the tie loop below never advanced past it (the probe hung on a NaN V_h).
 */
export function rocAuc(score: ArrayLike<number>, label: ArrayLike<number>): number {
  if (score.length !== label.length) throw new Error(`rocAuc: ${score.length} scores but ${label.length} labels`);
  for (let i = 0; i < score.length; i++) {
    if (Number.isNaN(score[i])) throw new Error(`rocAuc: score ${i} is NaN (a diverged V_h?); the AUC is undefined`);
  }
  const idx = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let pos = 0, rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && score[idx[j]] === score[idx[i]]) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (label[idx[k]]) { pos++; rankSum += rank; }
    i = j;
  }
  const neg = idx.length - pos;
  return pos === 0 || neg === 0 ? NaN : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Transitions from each one to the next violation (cost > 0) of the same episode: 0 where this transition
 * violates, Infinity where none follows (masks = 0 marks an episode's last transition).
 */
export function stepsToViolation(costs: ArrayLike<number>, masks: ArrayLike<number>): Float64Array {
  const out = new Float64Array(costs.length);
  let next = Infinity;
  for (let i = costs.length - 1; i >= 0; i--) {
    if (masks[i] === 0) next = Infinity;
    if (costs[i] > 0) next = 0;
    out[i] = next;
    next++;
  }
  return out;
}

/** 1 where a violation (cost > 0) happens at this transition or later in the same episode (masks = 0 ends one). */
export function futureViolation(costs: ArrayLike<number>, masks: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(stepsToViolation(costs, masks), (k) => (k < Infinity ? 1 : 0));
}

export class ConvergenceProbe {
  private readonly idx: Int32Array;
  private readonly labels: Uint8Array;
  private previousSign: Uint8Array | null = null;

  /**
   * `heldOut`: prepared like the training data; `rewardScale` of the training data (so that the reward
   * residual is in the units Q_r learns); `hRange` = [min h, max h] of the training data.
   */
  constructor(private readonly heldOut: FisorData, costs: Float32Array, private readonly hRange: [number, number], rows = 4096) {
    const rng = new Rng(20241);
    const n = Math.min(rows, heldOut.size);
    this.idx = new Int32Array(n);
    for (let i = 0; i < n; i++) this.idx[i] = rng.int(heldOut.size);
    const all = futureViolation(costs, heldOut.masks);
    this.labels = Uint8Array.from(this.idx, (j) => all[j]);
  }

  /**
   * The sign of V_h at the last measurement, as '0' / '1' per held-out row (null before the first): saved with each
   * checkpoint, so that a resumed run's next vhSignAgreement compares with the same measurement as an uninterrupted one.
   */
  state(): string | null {
    return this.previousSign ? Array.from(this.previousSign, (b) => (b ? '1' : '0')).join('') : null;
  }

  /** Restores what `state` returned (null: no measurement yet); `where` names the source in the error. */
  restore(saved: string | null, where: string): void {
    if (saved === null) {
      this.previousSign = null;
      return;
    }
    if (saved.length !== this.idx.length || !/^[01]*$/.test(saved)) {
      throw new Error(`${where}: field 'convergenceSign' must be ${this.idx.length} characters '0' / '1' (one per held-out row of this run's convergence probe), got ${saved.length} characters`);
    }
    this.previousSign = Uint8Array.from(saved, (c) => (c === '1' ? 1 : 0));
  }

  measure(agent: FisorAgent): ConvergenceMeasures {
    const d = this.heldOut, S = d.obsDim, A = d.actDim, n = this.idx.length, g = agent.cfg.discount;
    const s = new Float32Array(n * S), s2 = new Float32Array(n * S), a = new Float32Array(n * A);
    this.idx.forEach((j, k) => {
      copyRow(d.observations, j, s, k, S);
      copyRow(d.nextObservations, j, s2, k, S);
      copyRow(d.actions, j, a, k, A);
    });
    const { qh, qr, vh, vh2, vr2 } = tidy(() => noGrad(() => {
      const dtype = agent.cfg.dtype; // the agent's networks are in it (float64 runs too)
      const st = tensor(s, { shape: [n, S], dtype }), at = tensor(a, { shape: [n, A], dtype }), s2t = tensor(s2, { shape: [n, S], dtype });
      return {
        qh: Float32Array.from(agent.targetQh(st, at).dataSync()),
        qr: Float32Array.from(agent.targetQr(st, at).dataSync()),
        vh: Float32Array.from(agent.vh.forward(st).dataSync()),
        vh2: Float32Array.from(agent.vh.forward(s2t).dataSync()),
        vr2: Float32Array.from(agent.vr.forward(s2t).dataSync()),
      };
    }));
    let eh = 0, er = 0, inRange = 0, feasible = 0;
    const sign = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      const j = this.idx[k], h = d.h[j], m = d.masks[j];
      const th = m * ((1 - g) * h + g * Math.max(h, vh2[k])) + (1 - m) * h;
      eh += (qh[k] - th) ** 2;
      er += (qr[k] - (d.rewards[j] + g * m * vr2[k])) ** 2;
      if (qh[k] >= this.hRange[0] && qh[k] <= this.hRange[1]) inRange++;
      sign[k] = vh[k] > 0 ? 1 : 0;
      if (!sign[k]) feasible++;
    }
    let agree: number | null = null;
    if (this.previousSign) {
      let same = 0;
      for (let k = 0; k < n; k++) if (sign[k] === this.previousSign[k]) same++;
      agree = same / n;
    }
    this.previousSign = sign;
    return {
      qhResidual: Math.sqrt(eh / n), qrResidual: Math.sqrt(er / n), vhSignAgreement: agree,
      qhInRange: inRange / n, vhAuc: rocAuc(vh, this.labels), feasibleFraction: feasible / n,
    };
  }
}

/**
 * The probe for a run: held-out data = the task's behaviour data (recipe cfg.dataRecipe) collected with seed
 * datasetSeed + HELD_OUT_SEED_OFFSET, prepared with `cfg`, rewards in the training data's scale.
 */
export function makeConvergenceProbe(task: string, cfg: FisorConfig, train: FisorData, datasetSeed = 0): ConvergenceProbe {
  const ds = collect(task, { seed: datasetSeed + HELD_OUT_SEED_OFFSET, recipe: cfg.dataRecipe });
  const held = prepareData(ds, task, cfg);
  const rescale = train.rewardScale / held.rewardScale;
  const rewards = held.rewards.map((r) => r * rescale);
  let lo = Infinity, hi = -Infinity;
  for (const h of train.h) {
    if (h < lo) lo = h;
    if (h > hi) hi = h;
  }
  return new ConvergenceProbe({ ...held, rewards, rewardScale: train.rewardScale }, ds.costs, [lo, hi]);
}
