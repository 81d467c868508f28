/**
 * Gymnasium-style environment interface shared by every task in `rl/envs/`.
 *
 * Conventions (all environments):
 * - `reset({ seed })` reseeds the environment's own generator (the project's `Rng`) when a seed is
 *   given and returns the first observation. Same seed + same actions => identical trajectory.
 *   A seed that is not an integer number throws an Error naming the env.
 * - `step(action)` refuses a non-finite action component (NaN, +-Infinity) or one that is not a number with an
 *   Error naming the env, the component and the value (a NaN policy must never be scored as a safe one that
 *   stood still), clips every component to [-1, 1], advances one
 *   control step and returns `{ observation, reward, cost, terminated, truncated, info }`.
 * - `step` before the first `reset()` or after the episode ended (terminated or truncated) throws; call
 *   `reset()` (PointRobot: or `setState`) to start an episode.
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

/** A value as an error message shows it: strings quoted, other non-numbers with their type. */
function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (v === null || v === undefined) return String(v);
  return `${String(v)} (${typeof v})`;
}

/**
 * Clip `action` into `out` (length `n`), checking the length; a non-finite component throws, and so does one
 * that is not a number at all (null, a string: JSON writes NaN as null, and `+null` is 0, so a NaN policy's
 * action sent through JSON would otherwise stand still and be scored as safe).
 */
export function clipAction(envName: string, action: ArrayLike<number>, n: number, out: Float64Array): Float64Array {
  if (action == null || action.length !== n) {
    throw new Error(`${envName}: action must have length ${n} (actionSize), got ${action == null ? String(action) : action.length}`);
  }
  for (let i = 0; i < n; i++) {
    const a: unknown = action[i];
    if (typeof a !== 'number') throw new Error(`${envName}: action component ${i} is ${describe(a)}, not a number`);
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

/**
 * Check a seed given to an env (constructor option or `reset({ seed })`): an integer number, or absent. The
 * error names the env; the Rng's own would call the string '3' "3" and not say whose seed it was.
 */
export function checkSeed(envName: string, seed: unknown, where: string): number | undefined {
  if (seed === undefined) return undefined;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new Error(`${envName}: ${where} seed must be an integer, got ${describe(seed)}`);
  return seed;
}

/** What `step` says before the first `reset()` (see `refuseStepWhenDone`). */
export const NOT_RESET = 'before the first reset()';

/**
 * Refuse `step()` outside a live episode. `done` is null while an episode runs, else why not: NOT_RESET, or how
 * the last episode ended. Stepping on would not be scored as anything meaningful (PointRobot pays the goal's +1
 * again on every step after reaching it; PointGoal1 before its first reset has the goal and every hazard at the
 * origin), so it is an error, as the Gymnasium contract makes it undefined.
 */
export function refuseStepWhenDone(envName: string, done: string | null): void {
  if (done !== null) throw new Error(`${envName}: step() ${done}; call reset() to start an episode`);
}

/** The `done` reason for an episode that ended at step `t` (see `refuseStepWhenDone`); null while it runs. */
export function episodeEnd(terminated: boolean, truncated: boolean, t: number): string | null {
  if (terminated) return `after the episode ended (terminated at step ${t})`;
  if (truncated) return `after the episode ended (truncated at the time limit, step ${t})`;
  return null;
}
