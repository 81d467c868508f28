/**
 * Behaviour data collection: roll out a mixture of scripted policies (risk ~ U[0, 1], Gaussian noise) and
 * uniform random policies, one behaviour per episode, into a DSRL-layout `Dataset`.
 */
import { Rng } from '../../core/rng.js';
import { makeEnv } from '../envs/registry.js';
import { taskReference } from '../envs/reference.js';
import { emptyDataset, truncateDataset, type Dataset } from './dataset.js';
import { drawBehaviour, makeBehaviourPolicy } from './policies.js';

export interface CollectOptions {
  /** Number of episodes (default per task, see DEFAULT_EPISODES). Ignored when `transitions` is set. */
  episodes?: number;
  /** Collect exactly this many transitions (the last episode is cut and marked as a timeout). */
  transitions?: number;
  seed: number;
  /** Called after each episode with (transitions so far, target). */
  onProgress?: (done: number, total: number) => void;
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
  let transitions = opts.transitions;
  let episodes = opts.episodes;
  if (transitions === undefined && episodes === undefined) {
    transitions = DEFAULT_TRANSITIONS[task];
    episodes = DEFAULT_EPISODES[task];
  }
  if (transitions !== undefined && !(Number.isInteger(transitions) && transitions > 0)) {
    throw new Error(`collect: transitions must be a positive integer, got ${transitions}`);
  }
  if (transitions === undefined && !(Number.isInteger(episodes) && episodes! > 0)) {
    throw new Error(`collect: episodes must be a positive integer, got ${episodes}`);
  }
  const cap = transitions ?? episodes! * ref.maxEpisodeSteps;
  const rng = new Rng(opts.seed);
  const env = makeEnv(task, { seed: opts.seed });
  const O = env.observationSize, A = env.actionSize;
  const ds = emptyDataset(cap, O, A, HAS_H.has(task));
  const act = new Float64Array(A);
  let n = 0;
  let ep = 0;
  const target = transitions ?? cap;
  while (transitions !== undefined ? n < transitions : ep < episodes!) {
    const spec = drawBehaviour(task, rng);
    const policy = makeBehaviourPolicy(task, spec, new Rng(rng.nextU32()));
    let obs = env.reset({ seed: rng.nextU32() });
    for (;;) {
      policy.act(env, act);
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
    opts.onProgress?.(n, target);
  }
  return n === cap ? ds : truncateDataset(ds, n);
}
