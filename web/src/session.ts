/**
 * One FISOR run as the web app drives it, step by step so the page can show progress: collect the
 * behaviour data, prepare it, build the agent, update, and query the learned V_h and the policy.
 * Browser-safe (no Node built-ins); the Node tests run this same module to check the browser's numbers.
 *
 * The seeding is rl/fisor/train.ts's `buildAgent` (kept out of this bundle: that file writes files):
 * master Rng(seed) -> agent streams, then the minibatch stream, then the evaluation stream. A test checks
 * that a session and `train()` with the same seed end with identical weights.
 */
import { Rng, type RngState } from '../../core/index.js';
import { checkpointFromArrayBuffer, checkpointToArrayBuffer, type LoadedCheckpoint } from '../../nn/index.js';
import { collect } from '../../rl/data/collect.js';
import { feasibilityGrid, pointRobotObservation, PointRobot, POINT_ROBOT } from '../../rl/envs/point_robot.js';
import { runEpisode } from '../../rl/plot/rollout.js';
import { FisorAgent, deriveRng, type FisorBatch, type UpdateMetrics } from '../../rl/fisor/agent.js';
import { resolveConfig, type FisorConfig } from '../../rl/fisor/config.js';
import { checkAgentMetadata } from '../../rl/fisor/train_meta.js';
import { allocFisorBatch, prepareData, sampleBatch, type FisorData } from '../../rl/fisor/data.js';

export interface SessionOptions {
  task: string;
  /** Seed of the networks, minibatches and action sampling (as `fisor train --seed`). */
  seed: number;
  /** Training steps (overrides the preset's). */
  steps: number;
  /** Seed of the behaviour data (as train()'s datasetSeed; the CLI's default dataset is seed 0). */
  datasetSeed?: number;
  /** Config preset (default 'cpu') and `key=value` overrides (as `--set`). */
  preset?: string;
  set?: string[];
}

/** What a checkpoint's metadata holds (the fields of rl/fisor/train.ts's CheckpointMetadata that a viewer needs). */
export interface WebCheckpointMeta {
  task: string;
  seed: number;
  config: FisorConfig;
  obsDim: number;
  actDim: number;
  backend: string;
  rngs: Record<string, RngState>;
  dataset: { source: string; size: number; hSource: string; rewardScale: number };
}

export interface Rollout {
  /** Positions visited, start included (PointRobot x, y). */
  xs: number[];
  ys: number[];
  /** Per step: whether the state after it violates the constraint (cost > 0). */
  violations: boolean[];
  totalReward: number;
  totalCost: number;
  goalReached: boolean;
  steps: number;
}

/**
 * A picked file's metadata, checked field by field before anything is built from it (checkAgentMetadata, shared
 * with the CLI's loader): a file of another task, another program or a hand edit is refused naming the field, not
 * as a TypeError, an agent shown under the wrong task, or a list of every tensor whose shape differs. (The CLI's
 * own checks of a training checkpoint do not apply: the page saves no evaluation stream and no dataset record.)
 */
function webCheckpointMeta(loaded: LoadedCheckpoint): WebCheckpointMeta {
  const bad = (why: string): never => {
    throw new Error(`checkpoint: not a FISOR checkpoint: metadata ${why}`);
  };
  const { meta, config } = checkAgentMetadata(loaded, bad);
  return { ...(meta as unknown as WebCheckpointMeta), config };
}

export class FisorSession {
  step = 0;
  private batch: FisorBatch | null;
  private criticBatch: FisorBatch | null;

  private constructor(
    readonly task: string,
    readonly seed: number,
    readonly cfg: FisorConfig,
    readonly agent: FisorAgent,
    readonly data: FisorData | null,
    private readonly dataRng: Rng,
    readonly datasetSource: string,
  ) {
    this.batch = data ? allocFisorBatch(data, cfg.batchSize) : null;
    this.criticBatch = data && cfg.criticUpdates > 1 ? allocFisorBatch(data, cfg.criticBatchSize) : null;
  }

  /** Collects the task's default behaviour dataset and builds the agent (onCollect: transitions so far, target). */
  static create(opts: SessionOptions, onCollect?: (done: number, total: number) => void): FisorSession {
    const cfg = resolveConfig({ preset: opts.preset ?? 'cpu', task: opts.task, set: opts.set, overrides: { steps: opts.steps } });
    const datasetSeed = opts.datasetSeed ?? 0;
    const ds = collect(opts.task, { seed: datasetSeed, onProgress: onCollect });
    const data = prepareData(ds, opts.task, cfg);
    const master = new Rng(opts.seed);
    const agent = new FisorAgent(cfg, data.obsDim, data.actDim, deriveRng(master));
    const dataRng = deriveRng(master);
    return new FisorSession(opts.task, opts.seed, cfg, agent, data, dataRng, `collect(${opts.task}, seed ${datasetSeed})`);
  }

  /** A viewer of a saved agent (no data: it can draw and roll out, not train further). */
  static fromCheckpoint(buf: ArrayBuffer | Uint8Array): FisorSession {
    const loaded = checkpointFromArrayBuffer(buf);
    const meta = webCheckpointMeta(loaded);
    const master = new Rng(meta.seed);
    const agent = new FisorAgent(meta.config, meta.obsDim, meta.actDim, deriveRng(master));
    agent.loadState(loaded);
    const s = new FisorSession(meta.task, meta.seed, meta.config, agent, null, deriveRng(master), meta.dataset?.source ?? 'unknown');
    try {
      agent.setRngStates(meta.rngs);
      if (meta.rngs.data) s.dataRng.setState(meta.rngs.data);
    } catch (e) {
      throw new Error(`checkpoint: not a FISOR checkpoint: metadata field 'rngs': ${(e as Error).message}`);
    }
    s.step = loaded.step;
    return s;
  }

  get done(): boolean {
    return this.step >= this.cfg.steps;
  }

  /** One training step, exactly as train()'s loop does it. */
  update(): UpdateMetrics {
    if (!this.data || !this.batch) throw new Error('this session was loaded from a checkpoint without data: it cannot train');
    for (let k = 1; k < this.cfg.criticUpdates; k++) this.agent.updateCritics(sampleBatch(this.data, this.dataRng, this.criticBatch!));
    // The iteration index decides the phase under 'critics-first' (the safe presets), as in train()'s loop.
    const m = this.agent.update(sampleBatch(this.data, this.dataRng, this.batch), this.step);
    this.step++;
    return m;
  }

  /** The agent's full state as one ArrayBuffer (nn's checkpoint format; train()'s metadata fields). */
  checkpoint(backend: string): ArrayBuffer {
    const meta: WebCheckpointMeta = {
      task: this.task, seed: this.seed, config: this.cfg, obsDim: this.agent.obsDim, actDim: this.agent.actDim, backend,
      rngs: { ...this.agent.rngStates(), data: this.dataRng.getState() },
      dataset: { source: this.datasetSource, size: this.data?.size ?? 0, hSource: this.data?.hSource ?? '', rewardScale: this.data?.rewardScale ?? 1 },
    };
    return checkpointToArrayBuffer({ tensors: this.agent.stateTensors(), step: this.step, metadata: meta as unknown as Record<string, unknown> });
  }

  /**
   * PointRobot: learned V_h and the ground-truth feasibility on an n x n grid over [-3, 3]^2 at speed v and
   * heading theta. Layout of feasibilityGrid: index = row * n + col, row 0 = y = -3.
   */
  valueMap(v: number, theta: number, n: number): { values: Float32Array; truth: Uint8Array; xs: Float64Array; ys: Float64Array } {
    if (this.task !== 'PointRobot') throw new Error(`the feasibility map needs PointRobot's state space; task is ${this.task}`);
    const truth = feasibilityGrid({ v, theta, n, extent: POINT_ROBOT.bound });
    const obs = new Float32Array(n * n * 11);
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) pointRobotObservation(truth.xs[c], truth.ys[r], v, theta, obs, (r * n + c) * 11);
    return { values: this.agent.feasibilityValue(obs), truth: truth.grid, xs: truth.xs, ys: truth.ys };
  }

  /** PointRobot: one episode of the policy from the state (x, y, v, theta). */
  rollout(x: number, y: number, v: number, theta: number, maxSteps: number = POINT_ROBOT.maxEpisodeSteps): Rollout {
    if (this.task !== 'PointRobot') throw new Error(`rollouts from a chosen state need PointRobot; task is ${this.task}`);
    const env = new PointRobot();
    env.reset({ seed: 0 });
    const r = runEpisode(env, env.setState(x, y, v, theta), this.agent, maxSteps);
    // Positions as float32, as the page draws them: Chromium's and Node's Math.cos may differ in the last bit
    // of the float64 state, and the browser test compares the two engines' rollouts.
    return {
      xs: r.x.map(Math.fround), ys: r.y.map(Math.fround), violations: r.cost.map((c) => c > 0),
      totalReward: r.ret, totalCost: r.totalCost, goalReached: r.goalReached, steps: r.steps,
    };
  }
}
