/**
 * Safety monitor for evaluation: at every step the learned V_h(s), the Q_h of every candidate action and
 * of the executed one; every violation (a step with cost > 0) is attributed to one cause:
 *
 *   - 'critic':    V_h(s) <= 0 and Q_h(s, a_chosen) <= 0: the critics judged the state and the executed
 *                  action feasible, and it violated (the critics are wrong here).
 *   - 'actor':     V_h(s) <= 0 and no candidate had Q_h <= 0: the actor offered no action the critics judge
 *                  feasible (or 'selection': one was offered but not executed; impossible with safest-of-N).
 *   - 'recovery':  V_h(s) > 0: the state was already judged infeasible (the agent failed to recover).
 *
 * A recovery failure has an earlier cause: the last step judged feasible before it (the entry into the
 * judged-infeasible region), classified the same way ('critic' / 'actor'), or 'start' when the episode was
 * judged infeasible from its first state. That is `rootCause`.
 */
import type { EvalOptions } from './evaluate.js';

/** What the monitor needs from a policy (FisorAgent has both). */
export interface MonitoredPolicy {
  actWithCandidates(observations: Float32Array, n?: number, violating?: Uint8Array): { actions: Float32Array; candidateQh: Float32Array; chosen: Int32Array; chosenQh: Float32Array; rewardChosen?: Uint8Array | null; modeChosen?: Uint8Array | null };
  feasibilityValue(observations: Float32Array): Float32Array;
}

export type StepCause = 'critic' | 'actor' | 'selection' | 'recovery';
export type RootCause = 'critic' | 'actor' | 'selection' | 'start';

/** One step of one episode, as seen by the monitor. */
export interface MonitorStep {
  vh: number;
  /** Q_h of the executed action; minQh / maxQh over the actor's N candidates (not the extra noise-free one of config modeCandidate). */
  chosenQh: number;
  minQh: number;
  maxQh: number;
  cost: number;
  /** The executed action came from the fallback grid (config fallbackGrid), not from the actor. */
  fallback?: boolean;
  /** The executed candidate was chosen by the highest Q_r, not the lowest Q_h (config violatingChoice 'reward'). */
  rewardChoice?: boolean;
  /** The mode rule executed the actor's mode estimate (config modeCandidate, modeEstimate); with 'densest' it may be the safest candidate too. */
  mode?: boolean;
}

export interface MonitorSummary {
  steps: number;
  /** Steps with cost > 0, and episodes with at least one. */
  violations: number;
  violatingEpisodes: number;
  byCause: Record<StepCause, number>;
  rootCause: Record<RootCause, number>;
  /** Fraction of steps judged infeasible (V_h > 0), and of steps where none of the N candidates was judged feasible. */
  judgedInfeasibleFraction: number;
  noFeasibleCandidateFraction: number;
  /** Fraction of steps that executed a fallback grid action (0 without config fallbackGrid; absent in older saved results). */
  fallbackFraction?: number;
  /** Fraction of steps whose candidate was chosen by Q_r while violating (config violatingChoice; absent in older saved results). */
  rewardChoiceFraction?: number;
  /** Fraction of steps that executed the mode estimate (config modeCandidate; absent in older saved results). */
  modeFraction?: number;
  /** Per-episode traces (only when EvalOptions.monitorTraces). */
  traces?: MonitorStep[][];
}

function causeAt(r: MonitorStep): StepCause {
  if (r.vh > 0) return 'recovery';
  if (r.chosenQh <= 0) return 'critic';
  return r.minQh <= 0 ? 'selection' : 'actor';
}

/** Attribution over the per-episode traces (every violation counted once). */
export function summarizeMonitor(traces: MonitorStep[][], keepTraces = false): MonitorSummary {
  const byCause: Record<StepCause, number> = { critic: 0, actor: 0, selection: 0, recovery: 0 };
  const rootCause: Record<RootCause, number> = { critic: 0, actor: 0, selection: 0, start: 0 };
  let steps = 0, violations = 0, episodes = 0, infeasible = 0, noCandidate = 0, fallback = 0, byReward = 0, byMode = 0;
  for (const tr of traces) {
    let any = false;
    for (let t = 0; t < tr.length; t++) {
      const r = tr[t];
      steps++;
      if (r.vh > 0) infeasible++;
      if (r.minQh > 0) noCandidate++;
      if (r.fallback) fallback++;
      if (r.rewardChoice) byReward++;
      if (r.mode) byMode++;
      if (r.cost <= 0) continue;
      violations++;
      any = true;
      const c = causeAt(r);
      byCause[c]++;
      if (c !== 'recovery') {
        rootCause[c]++;
        continue;
      }
      let k = t;
      while (k >= 0 && tr[k].vh > 0) k--;
      if (k < 0) rootCause.start++;
      else rootCause[causeAt(tr[k]) as RootCause]++;
    }
    if (any) episodes++;
  }
  return {
    steps, violations, violatingEpisodes: episodes, byCause, rootCause,
    judgedInfeasibleFraction: steps ? infeasible / steps : 0,
    noFeasibleCandidateFraction: steps ? noCandidate / steps : 0,
    fallbackFraction: steps ? fallback / steps : 0,
    rewardChoiceFraction: steps ? byReward / steps : 0,
    modeFraction: steps ? byMode / steps : 0,
    ...(keepTraces ? { traces } : {}),
  };
}

export function isMonitoredPolicy(p: unknown): p is MonitoredPolicy {
  const x = p as Partial<MonitoredPolicy>;
  return typeof x?.actWithCandidates === 'function' && typeof x?.feasibilityValue === 'function';
}

/**
 * One monitored action batch: actions plus one MonitorStep (cost filled in later) per observation.
 * `n` candidates per observation (default: the policy's); `violating` as for `Policy.act`.
 */
export function monitoredAct(
  p: MonitoredPolicy, batch: Float32Array, rows: number, n: EvalOptions['numSamples'], violating?: Uint8Array,
): { actions: Float32Array; records: MonitorStep[] } {
  const { actions, candidateQh, chosen, chosenQh, rewardChosen, modeChosen } = p.actWithCandidates(batch, n, violating);
  const vh = p.feasibilityValue(batch);
  const k = candidateQh.length / rows;
  const records: MonitorStep[] = [];
  for (let i = 0; i < rows; i++) {
    // A NaN compares false everywhere: V_h NaN read as judged feasible and the violation went to 'actor' or 'critic'.
    if (Number.isNaN(vh[i]) || Number.isNaN(chosenQh[i])) throw new Error(`monitor: row ${i}: V_h ${vh[i]}, Q_h of the executed action ${chosenQh[i]}; a NaN critic value cannot be attributed (a diverged critic?)`);
    let mn = Infinity, mx = -Infinity;
    for (let j = 0; j < k; j++) {
      const q = candidateQh[i * k + j];
      if (Number.isNaN(q)) throw new Error(`monitor: row ${i}: Q_h of candidate ${j} is NaN; a NaN critic value cannot be attributed (a diverged critic?)`);
      if (q < mn) mn = q;
      if (q > mx) mx = q;
    }
    records.push({
      vh: vh[i], chosenQh: chosenQh[i], minQh: mn, maxQh: mx, cost: 0,
      ...(chosen[i] < 0 ? { fallback: true } : {}), ...(rewardChosen?.[i] ? { rewardChoice: true } : {}),
      ...(modeChosen?.[i] ? { mode: true } : {}),
    });
  }
  return { actions, records };
}
