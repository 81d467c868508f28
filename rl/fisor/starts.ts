/**
 * PointRobot evaluation starts that the ground truth calls feasible: drawn from the env's own reset
 * distribution with a fixed generator (seed FEASIBLE_STARTS_SEED, the same for every run and algorithm; never
 * chosen per run), keeping those `isFeasibleState` accepts.
 */
import { Rng } from '../../core/index.js';
import { groundTruthPathH, isFeasibleState } from '../envs/point_robot.js';
import { makeEnv } from '../envs/registry.js';
import type { PointRobot } from '../envs/point_robot.js';

export const FEASIBLE_STARTS_SEED = 60_000;

/** Evaluation seeds (episode resets and action sampling) of the quickstart's random starts, the fixed start and the feasible starts: one definition for the quickstart and the results script. */
export const RANDOM_STARTS_EVAL_SEED = 1000;
export const FIXED_START_EVAL_SEED = 1001;
export const FEASIBLE_STARTS_EVAL_SEED = 1002;

export function feasibleStarts(count: number, seed = FEASIBLE_STARTS_SEED): Float64Array[] {
  const env = makeEnv('PointRobot') as PointRobot;
  const rng = new Rng(seed);
  const out: Float64Array[] = [];
  for (let tries = 0; out.length < count; tries++) {
    if (tries > 1000 * count) throw new Error(`feasibleStarts: fewer than ${count} feasible states in ${tries} draws`);
    env.reset({ seed: rng.nextU32() });
    const [x, y, v, th] = env.state;
    if (isFeasibleState(x, y, v, th)) out.push(Float64Array.from(env.state));
  }
  return out;
}

/** Generator seed of the near-boundary starts used to choose acting settings: never an evaluation seed above. */
export const NEAR_BOUNDARY_VALIDATION_SEED = 70_000;

/**
 * PointRobot starts heading for a hazard that the ground truth calls feasible by at most `band` (its margin, the
 * largest h along its braking turn, in [-band, 0]): states from which only a near-exact manoeuvre avoids the
 * hazard, where a critic's small error turns into a violation (the fixed start is one, margin 0.06). Drawn from the env's reset distribution with a fixed generator, as `feasibleStarts`.
 * For validation (choosing an acting setting without the evaluation's starts), not for the results.
 */
export function nearBoundaryStarts(count: number, seed = NEAR_BOUNDARY_VALIDATION_SEED, band = 0.2): Float64Array[] {
  if (!(band > 0)) throw new Error(`nearBoundaryStarts: band must be > 0, got ${band}`);
  const env = makeEnv('PointRobot') as PointRobot;
  const rng = new Rng(seed);
  const out: Float64Array[] = [];
  for (let tries = 0; out.length < count; tries++) {
    if (tries > 1000 * count) throw new Error(`nearBoundaryStarts: fewer than ${count} starts within ${band} of the boundary in ${tries} draws`);
    env.reset({ seed: rng.nextU32() });
    const [x, y, v, th] = env.state;
    const path = groundTruthPathH(x, y, v, th);
    const m = Math.max(...path);
    // path.length > 1: heading for a hazard, so the braking turn is needed (not just beside a hazard, moving away).
    if (path.length > 1 && m <= 0 && m >= -band) out.push(Float64Array.from(env.state));
  }
  return out;
}
