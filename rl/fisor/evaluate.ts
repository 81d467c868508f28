/**
 * Policy evaluation: E episodes stepped in lockstep, the observations of all running episodes batched into
 * one `act` call per step; scored with DSRL's normalisation (rl/data/scoring.ts).
 */
import { Rng } from '../../core/index.js';
import { scoreEpisode } from '../data/scoring.js';
import { makeEnv } from '../envs/registry.js';
import { violatedFlag } from '../envs/types.js';
import type { PointRobot } from '../envs/point_robot.js';
import { checkCandidateCount } from './agent.js';
import { checkSeed } from './train_meta.js';
import { isMonitoredPolicy, monitoredAct, summarizeMonitor, type MonitorStep, type MonitorSummary } from './monitor.js';

export interface Policy {
  /**
   * Actions for a batch of observations; `violating` [rows]: 1 where that episode's last step incurred a cost
   * (0 at an episode's first step). FISOR uses it with config violatingChoice 'reward'; other policies ignore it.
   */
  act(observations: Float32Array, n?: number, violating?: Uint8Array): Float32Array;
  /**
   * Optional hooks for policies with per-episode state (CDT's return- and cost-to-go tokens): called once
   * with the number of episodes, then each step `actEpisodes` (instead of `act`) with the ids of the live
   * episodes, and `observeStep` with the rewards and costs those episodes received.
   */
  beginEpisodes?(count: number): void;
  actEpisodes?(observations: Float32Array, live: readonly number[]): Float32Array;
  observeStep?(live: readonly number[], rewards: Float64Array, costs: Float64Array): void;
}

export interface EpisodeResult {
  ret: number;
  cost: number;
  length: number;
  normalizedReward: number;
  normalizedCost: number;
  /** Ended by the goal / a terminal state rather than the time limit. */
  terminated: boolean;
}

export interface EvalResult {
  task: string;
  episodes: EpisodeResult[];
  /** Means over episodes (DSRL / FISOR report these) and standard deviations. */
  normalizedReward: number;
  normalizedCost: number;
  normalizedRewardStd: number;
  normalizedCostStd: number;
  meanReturn: number;
  meanCost: number;
  /** Fraction of episodes with normalised cost <= 1. */
  safeFraction: number;
  /** Episodes without a single step of cost > 0 (stricter than safeFraction's cost <= kappa: a hard constraint). */
  violationFree: number;
  /** Mean normalised cost <= 1 (DSRL's criterion). */
  safe: boolean;
  seconds: number;
  /** With EvalOptions.monitor: the violation attribution (rl/fisor/monitor.ts). */
  monitor?: MonitorSummary;
}

export interface EvalOptions {
  episodes: number;
  /** Seeds of the episodes' resets are drawn from this generator (or `new Rng(seed)`). */
  rng?: Rng;
  seed?: number;
  /** PointRobot: start from the fixed state [-1.8, 0, 2, pi/4]. */
  fixedStart?: boolean;
  /** Candidates per observation (default: the policy's). */
  numSamples?: number;
  /** Cost limit kappa for the normalised cost and every safe mark (default: the task's; 0 uses eps = 1, as DSRL). */
  costLimit?: number;
  /** PointRobot: start episode i from the state starts[i] = [x, y, v, theta] (episodes must equal starts.length). */
  starts?: ArrayLike<number>[];
  /** Record V_h and the candidates' Q_h at every step and attribute every violation (policy must be a FisorAgent). */
  monitor?: boolean;
  /** With monitor: keep the per-step traces in the result. */
  monitorTraces?: boolean;
  /** Called after each lockstep step with (steps so far, max steps). */
  onStep?: (t: number, maxSteps: number) => void;
}

function meanStd(v: number[]): [number, number] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const s = Math.sqrt(v.reduce((a, b) => a + (b - m) * (b - m), 0) / v.length);
  return [m, s];
}

export function evaluate(policy: Policy, task: string, opts: EvalOptions): EvalResult {
  const t0 = performance.now();
  const E = opts.episodes;
  if (!(Number.isInteger(E) && E > 0)) throw new Error(`evaluate: episodes must be a positive integer, got ${E}`);
  // Options checked before any episode runs (a bad cost limit used to fail only when scoring, after all of them).
  if (opts.numSamples !== undefined) checkCandidateCount(opts.numSamples, 'evaluate: numSamples');
  if (opts.costLimit !== undefined && !(Number.isFinite(opts.costLimit) && opts.costLimit >= 0)) throw new Error(`evaluate: costLimit must be a number >= 0, got ${opts.costLimit}`);
  if (opts.seed !== undefined) checkSeed(opts.seed, 'evaluate: seed');
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  const envs = Array.from({ length: E }, () => makeEnv(task, { fixedStart: opts.fixedStart }));
  const S = envs[0].observationSize;
  const maxSteps = envs[0].maxEpisodeSteps;
  let obs = envs.map((env) => env.reset({ seed: rng.nextU32() }));
  if (opts.starts) {
    if (task !== 'PointRobot') throw new Error(`evaluate: starts are supported for PointRobot only, not ${task}`);
    if (opts.starts.length !== E) throw new Error(`evaluate: ${opts.starts.length} starts given for ${E} episodes`);
    obs = envs.map((env, i) => {
      const st = opts.starts![i];
      if (st.length !== 4) throw new Error(`evaluate: start ${i} has ${st.length} numbers, need [x, y, v, theta]`);
      return (env as PointRobot).setState(st[0], st[1], st[2], st[3]);
    });
  }
  const monitor = opts.monitor ?? false;
  if (monitor && !isMonitoredPolicy(policy)) throw new Error('evaluate: monitor needs a policy with actWithCandidates and feasibilityValue (a FisorAgent)');
  const traces: MonitorStep[][] = Array.from({ length: monitor ? E : 0 }, () => []);
  const ret = new Float64Array(E), cost = new Float64Array(E), len = new Int32Array(E);
  /** 1 where the episode's last step incurred a cost: the `violating` flags passed to the policy. */
  const lastViolated = new Uint8Array(E);
  const done = new Uint8Array(E), term = new Uint8Array(E);
  const A = envs[0].actionSize;
  policy.beginEpisodes?.(E);
  for (let t = 0; t < maxSteps; t++) {
    const live: number[] = [];
    for (let i = 0; i < E; i++) if (!done[i]) live.push(i);
    if (live.length === 0) break;
    const batch = new Float32Array(live.length * S);
    live.forEach((i, k) => batch.set(obs[i], k * S));
    const violating = Uint8Array.from(live, (i) => lastViolated[i]);
    let actions: Float32Array;
    let records: MonitorStep[] | null = null;
    if (monitor) ({ actions, records } = monitoredAct(policy as unknown as Parameters<typeof monitoredAct>[0], batch, live.length, opts.numSamples, violating));
    else actions = policy.actEpisodes ? policy.actEpisodes(batch, live) : policy.act(batch, opts.numSamples, violating);
    const stepR = new Float64Array(live.length), stepC = new Float64Array(live.length);
    live.forEach((i, k) => {
      const r = envs[i].step(actions.subarray(k * A, k * A + A));
      stepR[k] = r.reward;
      stepC[k] = r.cost;
      if (records) {
        records[k].cost = r.cost;
        traces[i].push(records[k]);
      }
      ret[i] += r.reward;
      cost[i] += r.cost;
      lastViolated[i] = violatedFlag(r.cost);
      len[i]++;
      obs[i] = r.observation;
      if (r.terminated || r.truncated) {
        done[i] = 1;
        term[i] = r.terminated ? 1 : 0;
      }
    });
    policy.observeStep?.(live, stepR, stepC);
    opts.onStep?.(t + 1, maxSteps);
  }
  const episodes: EpisodeResult[] = [];
  for (let i = 0; i < E; i++) {
    const s = scoreEpisode(task, ret[i], cost[i], opts.costLimit);
    episodes.push({ ret: ret[i], cost: cost[i], length: len[i], normalizedReward: s.normalizedReward, normalizedCost: s.normalizedCost, terminated: !!term[i] });
  }
  const [nr, nrs] = meanStd(episodes.map((e) => e.normalizedReward));
  const [nc, ncs] = meanStd(episodes.map((e) => e.normalizedCost));
  return {
    task, episodes,
    normalizedReward: nr, normalizedCost: nc, normalizedRewardStd: nrs, normalizedCostStd: ncs,
    meanReturn: meanStd(episodes.map((e) => e.ret))[0], meanCost: meanStd(episodes.map((e) => e.cost))[0],
    safeFraction: episodes.filter((e) => e.normalizedCost <= 1).length / E,
    violationFree: episodes.filter((e) => e.cost === 0).length,
    safe: nc <= 1,
    seconds: (performance.now() - t0) / 1000,
    ...(monitor ? { monitor: summarizeMonitor(traces, opts.monitorTraces) } : {}),
  };
}
