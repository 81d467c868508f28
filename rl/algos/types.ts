/**
 * The one interface every offline safe-RL algorithm implements, so that one training loop, one checkpoint
 * format, one evaluation and one scoring serve them all (rl/algos/train.ts).
 *
 * An algorithm draws its own minibatch (`sample`, from the data it prepared at construction: transitions for
 * most, trajectory windows for CDT), learns from it (`update`, one method per loss inside), and acts
 * (`act`, a batch of observations at once; stateful policies such as CDT also implement the episode hooks of
 * rl/fisor/evaluate.ts's Policy). Everything that must survive a checkpoint is in `stateTensors` (networks,
 * targets, optimizers, scalars such as Lagrange multipliers held as tensors) and `rngStates`.
 */
import type { Rng, RngState, Tensor } from '../../core/index.js';
import type { LoadedCheckpoint } from '../../nn/index.js';
import type { Dataset } from '../data/dataset.js';
import type { Policy } from '../fisor/evaluate.js';

/** Scalars logged after each update (means over `logEvery` steps in metrics.jsonl). */
export type Metrics = Record<string, number>;

/** Loop settings every algorithm's config carries (the loop reads these; the algorithm the rest). */
export interface LoopConfig {
  /** Gradient steps. */
  steps: number;
  batchSize: number;
  /** Evaluate every evalEvery steps (0 = only at the end) over evalEpisodes episodes. */
  evalEvery: number;
  evalEpisodes: number;
  logEvery: number;
  /** Checkpoint every checkpointEvery steps (0 = only at the end). */
  checkpointEvery: number;
  /** Episode cost limit κ (OSRL cost_limit, 10 in every config). */
  costLimit: number;
  /** Tensor dtype of every network (float64 for audits). */
  dtype: 'float32' | 'float64';
}

export interface Algorithm<B = unknown> extends Policy {
  /** Draws one minibatch with `rng` (the loop's data stream). */
  sample(rng: Rng): B;
  /**
   * One training iteration on `batch`; returns the metrics it logs (all finite). `index` = iterations done before
   * this one (the loop passes it; FISOR's 'critics-first' schedule needs it, the baselines ignore it).
   */
  update(batch: B, index?: number): Metrics;
  /** Named tensors that make up the whole training state. */
  stateTensors(): Record<string, Tensor>;
  /** Loads what `stateTensors` saved (names and shapes checked first; nothing loaded on error). */
  loadState(loaded: LoadedCheckpoint): void;
  rngStates(): Record<string, RngState>;
  setRngStates(states: Record<string, RngState>): void;
  /**
   * Policies that draw noise when acting (BCQ-Lag's latent, FISOR's candidates): restart that stream from an
   * evaluation seed (`fisor eval --seed`), so that a checkpoint's scores depend on its networks and the seed only, not
   * on how many evaluations its training ran. Deterministic policies leave it out.
   */
  seedActing?(seed: number): void;
}

/** What `create` gets: the resolved config, the task, its training data and a seeded generator. */
export interface CreateContext<C> {
  cfg: C;
  task: string;
  obsDim: number;
  actDim: number;
  /** Training data; null when the algorithm is only rebuilt to act (evaluation from a checkpoint). */
  dataset: Dataset | null;
  /** Initialises networks and derives the algorithm's own streams. */
  rng: Rng;
}

/** A registered algorithm: its name, typed presets, checks and constructor. */
export interface AlgorithmDef<C extends LoopConfig = LoopConfig> {
  name: string;
  /** One line for `fisor algos`. */
  summary: string;
  /** OSRL's defaults (examples/configs/*_configs.py), i.e. what the paper's baselines ran. */
  paper: C;
  /** The cpu preset = paper with these changes, each with its reason. */
  cpuChanges: Record<string, { value: unknown; why: string }>;
  /** Per-task values from OSRL's task configs (episode_len, CDT's targets); applied to every preset. */
  taskOverrides?: (task: string) => Record<string, unknown>;
  /** Range checks across fields; throws naming the first bad key. */
  check(cfg: C): void;
  /** Completes a config saved before some key existed with the value that reproduces the old behaviour (optional). */
  withDefaults?(cfg: C): C;
  create(ctx: CreateContext<C>): Algorithm;
}
