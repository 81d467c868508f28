/**
 * PointRobot's evaluations from given starts (the fixed start, the ground truth's feasible starts) as the
 * results script saves them, and issue 9's "without a violation" count read from them.
 */
import { evaluate, type EvalResult, type Policy } from '../rl/fisor/evaluate.js';
import type { MonitoredPolicy, MonitorSummary } from '../rl/fisor/monitor.js';
import { FEASIBLE_STARTS_EVAL_SEED, FIXED_START_EVAL_SEED, NEAR_BOUNDARY_EVAL_SEED, NEAR_BOUNDARY_STARTS_SEED, feasibleStarts, nearBoundaryStarts } from '../rl/fisor/starts.js';

/** The ground-truth-feasible starts each PointRobot run is evaluated from (rl/fisor/starts.ts). */
export const FEASIBLE_STARTS = 60;
/** The near-boundary starts (heading for a hazard, feasible by at most 0.2 in h) each PointRobot run is evaluated from. */
export const NEAR_BOUNDARY_STARTS = 60;

/** The results script's evaluation seed of the random starts, Rng(2000 + run seed) (PointRobot's starts: rl/fisor/starts.ts). */
export const randomStartsSeed = (seed: number): number => 2000 + seed;

/**
 * The results script's evaluation of one run, with the safety monitor, in its order (a sampling policy's action
 * stream runs on through them, so the order is part of the protocol): `episodes` random starts, and on PointRobot
 * `episodes` from the fixed start, one from each of the FEASIBLE_STARTS feasible starts and one from each of the
 * NEAR_BOUNDARY_STARTS near-boundary starts.
 */
export function evaluateRun(policy: Policy & MonitoredPolicy, task: string, seed: number, episodes: number): { random: EvalResult; fixedStart?: EvalResult; feasibleStarts?: EvalResult; nearBoundaryStarts?: EvalResult } {
  const random = evaluate(policy, task, { episodes, seed: randomStartsSeed(seed), monitor: true });
  if (task !== 'PointRobot') return { random };
  const fixedStart = evaluate(policy, task, { episodes, seed: FIXED_START_EVAL_SEED, fixedStart: true, monitor: true });
  const starts = feasibleStarts(FEASIBLE_STARTS);
  const feasible = evaluate(policy, task, { episodes: starts.length, seed: FEASIBLE_STARTS_EVAL_SEED, starts, monitor: true });
  // Last, so that the three evaluations above act exactly as before this one existed.
  const near = nearBoundaryStarts(NEAR_BOUNDARY_STARTS, NEAR_BOUNDARY_STARTS_SEED);
  return { random, fixedStart, feasibleStarts: feasible, nearBoundaryStarts: evaluate(policy, task, { episodes: near.length, seed: NEAR_BOUNDARY_EVAL_SEED, starts: near, monitor: true }) };
}

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

/** "16 of 20": violation-free episodes of `episodes` (the fixed start's count). */
export function violationFreeCount(x: StartResult, episodes: number): string {
  const [free, n] = violationFree(x, episodes);
  return `${free} of ${n}`;
}

/** "56 of 60 (93%)" for the feasible starts. */
export function violationFreeText(x: StartResult): string {
  const [free, n] = violationFree(x, FEASIBLE_STARTS);
  return `${free} of ${n} (${((100 * free) / n).toFixed(0)}%)`;
}
