/**
 * One PointRobot episode from FISOR's fixed start [-1.8, 0, 2, pi/4], recording the (x, y) path and the
 * per-step cost, for drawing over the feasible-region map.
 */
import { PointRobot, POINT_ROBOT } from '../envs/point_robot.js';
import { violatedFlag } from '../envs/types.js';

export interface Rollout {
  /** Positions, starting with the initial state (length = steps + 1). */
  x: number[];
  y: number[];
  /** cost[t] = cost of step t, i.e. of reaching (x[t + 1], y[t + 1]) (1 inside a hazard). */
  cost: number[];
  ret: number;
  totalCost: number;
  goalReached: boolean;
  steps: number;
}

export interface RolloutPolicy {
  /** `violating`: [1] if the last step incurred a cost (see `Policy.act` in rl/fisor/evaluate.ts). */
  act(observations: Float32Array, n?: number, violating?: Uint8Array): Float32Array;
}

/** Runs one episode with `policy` from the fixed start (deterministic given the policy's own RNG state). */
export function pointRobotRollout(policy: RolloutPolicy, opts: { numSamples?: number } = {}): Rollout {
  const env = new PointRobot({ fixedStart: true });
  const obs = env.reset({ seed: 0 });
  return runEpisode(env, obs, policy, POINT_ROBOT.maxEpisodeSteps, opts.numSamples);
}

/**
 * Steps `policy` in `env` from `obs` (the environment already reset and placed) until the episode ends or
 * `maxSteps` steps, passing each step whether the last one incurred a cost (FISOR's `violatingChoice`).
 * Shared by the fixed-start figure and the web page's rollout from a clicked state.
 */
export function runEpisode(env: PointRobot, obs: Float32Array, policy: RolloutPolicy, maxSteps: number, numSamples?: number): Rollout {
  const out: Rollout = { x: [env.state[0]], y: [env.state[1]], cost: [], ret: 0, totalCost: 0, goalReached: false, steps: 0 };
  for (let t = 0; t < maxSteps; t++) {
    const violating = Uint8Array.of(out.cost.length > 0 ? violatedFlag(out.cost[out.cost.length - 1]) : 0);
    const r = env.step(policy.act(obs, numSamples, violating));
    out.x.push(env.state[0]);
    out.y.push(env.state[1]);
    out.cost.push(r.cost);
    out.ret += r.reward;
    out.totalCost += r.cost;
    out.steps++;
    obs = r.observation;
    if (r.info.goalReached) out.goalReached = true;
    if (r.terminated || r.truncated) break;
  }
  return out;
}
