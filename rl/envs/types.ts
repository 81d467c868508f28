/**
 * Gymnasium-style environment interface shared by every task in `rl/envs/`.
 *
 * Conventions (all environments):
 * - `reset({ seed })` reseeds the environment's own generator (the project's `Rng`) when a seed is
 *   given and returns the first observation. Same seed + same actions => identical trajectory.
 * - `step(action)` refuses a non-finite action component (NaN, +-Infinity) with an Error naming the env,
 *   the component and the value (a NaN policy must never be scored as a safe one that stood still), clips
 *   every component to [-1, 1], advances one
 *   control step and returns `{ observation, reward, cost, terminated, truncated, info }`.
 *   `terminated` is a true episode end (goal reached, left the arena); `truncated` is the time limit.
 * - An action whose length differs from `actionSize` throws an Error naming the env and both sizes.
 * - Returned observations are fresh Float32Arrays owned by the caller.
 */
export interface StepResult {
  observation: Float32Array;
  reward: number;
  cost: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

export interface StepInfo {
  /** Continuous constraint value (PointRobot: 0.8 - min hazard distance; > 0 iff violating). */
  h?: number;
  /** Goal reached on this step (PointRobot, PointGoal1). */
  goalReached?: boolean;
  [key: string]: number | boolean | undefined;
}

export interface ResetOptions {
  seed?: number;
}

export interface Env {
  readonly name: string;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly maxEpisodeSteps: number;
  reset(options?: ResetOptions): Float32Array;
  step(action: ArrayLike<number>): StepResult;
}

/** Options understood by `makeEnv`. Unknown options are ignored by tasks that do not use them. */
export interface EnvOptions {
  /** Seed for the env's generator (also settable per `reset({ seed })`). */
  seed?: number;
  /** PointRobot only: start every episode at [-1.8, 0, 2.0, pi/4]. */
  fixedStart?: boolean;
}

/** Clip `action` into `out` (length `n`), checking the length; a non-finite component throws. */
export function clipAction(envName: string, action: ArrayLike<number>, n: number, out: Float64Array): Float64Array {
  if (action == null || action.length !== n) {
    throw new Error(`${envName}: action must have length ${n} (actionSize), got ${action == null ? String(action) : action.length}`);
  }
  for (let i = 0; i < n; i++) {
    const a = +action[i];
    if (!Number.isFinite(a)) throw new Error(`${envName}: action component ${i} is ${a}; non-finite actions are refused (a diverged or NaN policy?)`);
    out[i] = a > 1 ? 1 : a < -1 ? -1 : a;
  }
  return out;
}

/**
 * The `violating` flag a policy acts on at the next step (FISOR's config violatingChoice): 1 where this step
 * incurred a cost, i.e. the agent is inside the violation set. The one definition evaluate, the rollout
 * figure and the diagnose scripts share.
 */
export function violatedFlag(cost: number): 0 | 1 {
  return cost > 0 ? 1 : 0;
}
