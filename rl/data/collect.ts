/**
 * Behaviour data collection: roll out a mixture of scripted policies (risk ~ U[0, 1], Gaussian noise) and
 * uniform random policies into a DSRL-layout `Dataset`.
 *
 * Recipes (docs/DATASETS.md):
 *   - 'fixed' (the original data): one behaviour per episode.
 *   - 'recovery': the same mixture, and in RECOVERY_FRACTION of the episodes the behaviour switches at a
 *     uniformly drawn step to a cautious scripted one (risk ~ U[0, 0.3], noise ~ U[0, 0.1]): trajectories
 *     that go near or over the constraint boundary and then recover, as DSRL's data (many policies over the
 *     reward-cost plane, including ones that recover) holds and the fixed recipe lacks. The switch draws come
 *     from the same stream as the behaviours, so only the first episode is 'fixed''s (the later ones are other
 *     draws of the same mixture), and a switch step past the episode's end never comes (PointRobot's episodes
 *     end at the goal or the box edge: about 11 % of them switch, not half).
 *   - 'evasive': 'recovery' with the same draws, except on PointRobot, where the switching episodes keep their
 *     own behaviour and from the switch on run it behind a safety filter (PointRobotSafetyFilter): when the
 *     next state would be one that the ground truth calls infeasible, the robot brakes and turns away from
 *     the hazard instead (the ground truth's own manoeuvre). The scripted experts pass every hazard on the
 *     goal side, and the cautious ones never get close, so without it no behaviour in the data evades at
 *     the last feasible moment. Other tasks: identical to 'recovery'.
 *   - 'observed': 'evasive' with the same draws, except that PointGoal1's scripted behaviours act on the
 *     agent's observation (PointGoalLidarPolicy: the lidar bins) instead of the exact hazard and goal positions,
 *     as DSRL's behaviour agents, trained on the observation, do. Other tasks: identical to 'evasive'.
 */
import { Rng } from '../../core/rng.js';
import { makeEnv } from '../envs/registry.js';
import { taskReference } from '../envs/reference.js';
import { emptyDataset, truncateDataset, type Dataset } from './dataset.js';
import { drawBehaviour, makeBehaviourPolicy, PointRobotSafetyFilter, type BehaviourPolicy } from './policies.js';

export type CollectRecipe = 'fixed' | 'recovery' | 'evasive' | 'observed';
export const COLLECT_RECIPES: CollectRecipe[] = ['fixed', 'recovery', 'evasive', 'observed'];
/** The recipe `collect` uses when none is given. */
export const DEFAULT_RECIPE: CollectRecipe = 'fixed';
/** 'recovery': fraction of episodes that switch to a cautious behaviour mid-episode. */
export const RECOVERY_FRACTION = 0.5;

export interface CollectOptions {
  /** Number of episodes (default per task, see DEFAULT_EPISODES). Ignored when `transitions` is set. */
  episodes?: number;
  /** Collect exactly this many transitions (the last episode is cut and marked as a timeout). */
  transitions?: number;
  seed: number;
  /** Behaviour recipe (default DEFAULT_RECIPE). */
  recipe?: CollectRecipe;
  /** Called after each episode with (transitions so far, target transitions or the rows reserved, episodes so far). */
  onProgress?: (done: number, total: number, episodes: number) => void;
}

/** Default dataset sizes: PointRobot 100k transitions (FISOR); the others a number of full episodes. */
export const DEFAULT_EPISODES: Record<string, number> = {
  BallCircle: 500, // x 200 steps = 100k
  CarCircle: 400, // x 300 = 120k
  BallRun: 1000, // x 100 = 100k
  CarRun: 500, // x 200 = 100k
  PointGoal1: 100, // x 1000 = 100k
};
export const DEFAULT_TRANSITIONS: Record<string, number> = { PointRobot: 100_000 };

/** Tasks whose env reports a continuous constraint value `info.h`, stored as dataset key `h`. */
const HAS_H = new Set(['PointRobot', 'PointGoal1']);

export function collect(task: string, opts: CollectOptions): Dataset {
  const ref = taskReference(task);
  // A missing seed used to collect seed 0's data silently (Rng() and makeEnv default to 0).
  if (!Number.isInteger(opts.seed)) throw new Error(`collect: seed must be an integer, got ${describeValue(opts.seed)}`);
  let transitions = opts.transitions;
  let episodes = opts.episodes;
  if (transitions === undefined && episodes === undefined) {
    transitions = DEFAULT_TRANSITIONS[task];
    episodes = DEFAULT_EPISODES[task];
  }
  if (transitions !== undefined && !(Number.isInteger(transitions) && transitions > 0)) {
    throw new Error(`collect: transitions must be a positive integer, got ${describeValue(transitions)}`);
  }
  // A given `episodes` is checked even when `transitions` overrides it: -1 beside transitions was accepted silently.
  if ((transitions === undefined || opts.episodes !== undefined) && !(Number.isInteger(episodes) && episodes! > 0)) {
    throw new Error(`collect: episodes must be a positive integer, got ${describeValue(episodes)}`);
  }
  const recipe = opts.recipe ?? DEFAULT_RECIPE;
  if (!COLLECT_RECIPES.includes(recipe)) throw new Error(`collect: recipe must be one of ${COLLECT_RECIPES.join(', ')}, got '${recipe}'`);
  const cap = transitions ?? episodes! * ref.maxEpisodeSteps;
  const rng = new Rng(opts.seed);
  const env = makeEnv(task, { seed: opts.seed });
  const O = env.observationSize, A = env.actionSize;
  let ds: Dataset;
  try {
    ds = emptyDataset(cap, O, A, HAS_H.has(task));
  } catch (e) {
    // The typed arrays' own RangeError ('Invalid typed array length: 7000000000000') named neither the option nor the task.
    const asked = transitions !== undefined ? `transitions ${transitions}` : `episodes ${episodes} (x ${ref.maxEpisodeSteps} steps)`;
    throw new Error(`collect: ${asked} for ${task}: cannot allocate ${cap} rows of data (${(e as Error).message}); collect fewer`);
  }
  const act = new Float64Array(A);
  let n = 0;
  let ep = 0;
  const target = transitions ?? cap;
  while (transitions !== undefined ? n < transitions : ep < episodes!) {
    const spec = drawBehaviour(task, rng);
    const observed = recipe === 'observed';
    const first = makeBehaviourPolicy(task, spec, new Rng(rng.nextU32()), observed);
    let obs = env.reset({ seed: rng.nextU32() });
    let later: BehaviourPolicy | null = null;
    let switchAt = Infinity;
    if (recipe !== 'fixed' && rng.uniform53() < RECOVERY_FRACTION) {
      switchAt = rng.int(ref.maxEpisodeSteps);
      later = makeBehaviourPolicy(task, { kind: 'scripted', risk: 0.3 * rng.uniform53(), noise: 0.1 * rng.uniform53() }, new Rng(rng.nextU32()), observed);
      // The draws above are kept, so that 'evasive' differs from 'recovery' only in PointRobot's switched episodes
      // and 'observed' from 'evasive' only in PointGoal1's scripted actions.
      if ((recipe === 'evasive' || recipe === 'observed') && task === 'PointRobot') later = new PointRobotSafetyFilter(first);
    }
    for (let t = 0; ; t++) {
      (t >= switchAt ? later! : first).act(env, act);
      const r = env.step(act);
      ds.observations.set(obs, n * O);
      ds.nextObservations.set(r.observation, n * O);
      for (let k = 0; k < A; k++) ds.actions[n * A + k] = act[k] > 1 ? 1 : act[k] < -1 ? -1 : act[k];
      ds.rewards[n] = r.reward;
      ds.costs[n] = r.cost;
      ds.terminals[n] = r.terminated ? 1 : 0;
      ds.timeouts[n] = !r.terminated && r.truncated ? 1 : 0;
      if (ds.h) ds.h[n] = r.info.h ?? 0;
      n++;
      obs = r.observation;
      if (r.terminated || r.truncated) break;
      if (n >= cap) {
        ds.timeouts[n - 1] = 1; // end of collection cuts the episode
        break;
      }
    }
    ep++;
    opts.onProgress?.(n, target, ep);
  }
  return n === cap ? ds : truncateDataset(ds, n);
}

/** A value as an error message shows it: strings quoted, so that the string '3' does not read as the number 3. */
function describeValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
