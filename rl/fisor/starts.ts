/**
 * PointRobot evaluation starts that the ground truth calls feasible: drawn from the env's own reset
 * distribution with a fixed generator (seed FEASIBLE_STARTS_SEED, the same for every run and algorithm; never
 * chosen per run), keeping those `isFeasibleState` accepts.
 */
import { Rng } from '../../core/index.js';
import { isFeasibleState } from '../envs/point_robot.js';
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
