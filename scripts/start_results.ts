/**
 * PointRobot's evaluations from given starts (the fixed start, the ground truth's feasible starts) as the
 * results script saves them, and issue 9's "without a violation" count read from them.
 */
import type { EvalResult } from '../rl/fisor/evaluate.js';
import type { MonitorSummary } from '../rl/fisor/monitor.js';

/** The ground-truth-feasible starts each PointRobot run is evaluated from (rl/fisor/starts.ts). */
export const FEASIBLE_STARTS = 60;

/**
 * An evaluation from given starts. `safeFraction`: episodes with cost <= kappa (DSRL's "safe"); `episodes` and
 * `violationFree`: how many ran, and how many had no step with cost > 0 (issue 9's "without a violation").
 * run.json files written before these two fields derive them from the monitor (see violationFree).
 */
export interface StartResult { normalizedReward: number; normalizedCost: number; safeFraction: number; episodes?: number; violationFree?: number; monitor?: MonitorSummary }

export const startResult = (e: EvalResult): StartResult => ({
  normalizedReward: e.normalizedReward, normalizedCost: e.normalizedCost, safeFraction: e.safeFraction,
  episodes: e.episodes.length, violationFree: e.violationFree, monitor: e.monitor,
});

/** [violation-free episodes, episodes]; for older results `episodes` ran, and the monitor counted those with a violation. */
export function violationFree(x: StartResult, episodes: number): [number, number] {
  if (x.violationFree !== undefined && x.episodes !== undefined) return [x.violationFree, x.episodes];
  if (!x.monitor) throw new Error('a start evaluation without episode counts or a monitor summary: rerun it');
  return [episodes - x.monitor.violatingEpisodes, episodes];
}

/** "56 of 60 (93%)" for the feasible starts. */
export function violationFreeText(x: StartResult): string {
  const [free, n] = violationFree(x, FEASIBLE_STARTS);
  return `${free} of ${n} (${((100 * free) / n).toFixed(0)}%)`;
}
