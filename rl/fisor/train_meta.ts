/**
 * The metadata a FISOR training checkpoint carries, and its validation: every field's type and range is
 * checked when a checkpoint is loaded (nn/checkpoint.ts has already verified its checksum), so a foreign,
 * hand-edited or mismatched checkpoint gets an error naming the field instead of a TypeError, a wrong
 * network size or a silently different run later.
 */
import type { RngState } from '../../core/index.js';
import type { LoadedCheckpoint } from '../../nn/index.js';
import { taskReference } from '../envs/reference.js';
import { badBestRecord, type BestRecord } from '../io/best.js';
import { badLogWindow } from '../io/train_loop.js';
import { checkConfig, withDefaults, type FisorConfig } from './config.js';

export { withDefaults };

/** Seeds are 32-bit: `Rng` folds larger values, so -1 and 2^32 - 1 would give the same run. */
export const MAX_SEED = 0xffffffff;

export type { BestRecord } from '../io/best.js';

export interface CheckpointMetadata {
  task: string;
  seed: number;
  config: FisorConfig;
  rngs: Record<string, RngState>;
  obsDim: number;
  actDim: number;
  backend: string;
  dataset: { source: string; size: number; hSource: string; rewardScale: number; hash?: string; path?: string };
  /** Cost limit kappa used for scoring (default: the task's). */
  costLimit?: number;
  /** The metrics window in progress at the checkpoint (so a resumed run logs the same lines). */
  logWindow?: { count: number; sums: Record<string, number> };
  /** Best evaluation so far (lowest normalized cost, then highest normalized reward). */
  best?: BestRecord | null;
  /** True once the run reached config.steps and did its final evaluation. */
  finished?: boolean;
  /**
   * The convergence probe's V_h signs at its last measurement ('0' / '1' per held-out row; null before the first;
   * absent in older checkpoints and runs without the probe): a resumed run's next vhSignAgreement needs them.
   */
  convergenceSign?: string | null;
  provenance?: Record<string, unknown>;
}

export function checkSeed(seed: number, what = 'seed'): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new Error(`${what} must be an integer in [0, ${MAX_SEED}] (2^32 - 1), got ${seed}`);
}

function isRngState(s: unknown): boolean {
  if (!Array.isArray(s) || s.length !== 5) return false;
  const words = s.slice(0, 4);
  if (!words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) return false;
  if (words.every((w) => w === 0)) return false; // xoshiro's one forbidden state
  return s[4] === null || (typeof s[4] === 'number' && Number.isFinite(s[4]));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The fields every saved FISOR agent carries, wherever it was saved (a training run's checkpoint here, the web
 * page's file in web/src/session.ts): not a baseline's run, a known task whose sizes the networks fit, a 32-bit
 * seed, a config that checks once completed by `withDefaults`, Rng states, and a step within config.steps. `bad`
 * throws with the caller's prefix; `algoHint(algo)` is added to the message for a baseline's run.
 */
export function checkAgentMetadata(loaded: LoadedCheckpoint, bad: (why: string) => never, algoHint: (algo: string) => string = () => ''): { meta: Record<string, unknown>; config: FisorConfig } {
  const meta = loaded.metadata as unknown;
  if (!isObject(meta)) return bad('is missing');
  if (typeof meta.algo === 'string') bad(`holds a ${meta.algo} run, not FISOR's${algoHint(meta.algo)}`);
  if (typeof meta.task !== 'string') bad("has no string 'task'");
  let ref;
  try {
    ref = taskReference(meta.task as string);
  } catch (e) {
    return bad(`field 'task': ${(e as Error).message}`);
  }
  if (!isObject(meta.config)) bad("has no object 'config'");
  if (!Number.isInteger(meta.seed) || (meta.seed as number) < 0 || (meta.seed as number) > MAX_SEED) bad(`field 'seed' must be an integer in [0, ${MAX_SEED}], got ${JSON.stringify(meta.seed)}`);
  for (const k of ['obsDim', 'actDim'] as const) {
    if (!Number.isInteger(meta[k]) || (meta[k] as number) < 1) bad(`field '${k}' must be a positive integer, got ${JSON.stringify(meta[k])}`);
  }
  if (meta.obsDim !== ref.observationSize || meta.actDim !== ref.actionSize) {
    bad(`says task ${meta.task} (observations ${ref.observationSize}, actions ${ref.actionSize}) but its networks take observations ${meta.obsDim}, actions ${meta.actDim}: a checkpoint of another task?`);
  }
  if (!isObject(meta.rngs)) bad("has no object 'rngs'");
  let config: FisorConfig;
  try {
    config = withDefaults(meta.config as unknown as FisorConfig);
    checkConfig(config);
  } catch (e) {
    return bad(`field 'config': ${(e as Error).message}`);
  }
  if (loaded.step > config.steps) bad(`step ${loaded.step} is beyond the run's config.steps ${config.steps}`);
  return { meta, config };
}

/**
 * A training checkpoint's metadata, checked field by field: checkAgentMetadata's fields, then what only a training
 * run saves (every Rng stream, the backend, the dataset record, the cost limit, the log window, the best record).
 */
export function checkpointMetadata(loaded: LoadedCheckpoint, where: string): CheckpointMetadata {
  const bad = (why: string): never => {
    throw new Error(`checkpoint ${where}: not a valid FISOR training checkpoint: metadata ${why}`);
  };
  // A FISOR run of the baselines' common loop (rl/algos/fisor_adapter.ts) is not continued by `--algo fisor` (that is
  // this loop): the script that made it resumes it.
  const hint = (algo: string) => algo === 'fisor'
    ? ": it is a FISOR run of the baselines' common loop (rl/algos; e.g. scripts/baselines.ts --algos fisor), which continues it when rerun; fisor eval evaluates it"
    : `: continue or evaluate it with --algo ${algo}`;
  const { meta, config } = checkAgentMetadata(loaded, bad, hint);
  const rngs = meta.rngs as Record<string, unknown>;
  for (const k of ['actor', 'act', 'data', 'eval']) if (!(k in rngs)) bad(`has no Rng state 'rngs.${k}'`);
  for (const [k, s] of Object.entries(rngs)) if (!isRngState(s)) bad(`field 'rngs.${k}' is not an Rng state (four 32-bit words, not all 0, and a spare number or null): ${JSON.stringify(s)}`);
  if (typeof meta.backend !== 'string') bad("has no string 'backend'");
  if (meta.dataset !== undefined) {
    const d = meta.dataset;
    if (!isObject(d) || typeof d.source !== 'string' || !Number.isInteger(d.size) || (d.size as number) < 1 || !finite(d.rewardScale) || (d.rewardScale as number) <= 0 || (d.hSource !== 'cost' && d.hSource !== 'continuous')) {
      bad(`field 'dataset' must be { source, size >= 1, hSource: 'cost' | 'continuous', rewardScale > 0 }, got ${JSON.stringify(d)}`);
    }
    if ((d as Record<string, unknown>).hash !== undefined && typeof (d as Record<string, unknown>).hash !== 'string') bad("field 'dataset.hash' must be a string");
  }
  if (meta.costLimit !== undefined && !(finite(meta.costLimit) && meta.costLimit >= 0)) bad(`field 'costLimit' must be a number >= 0, got ${JSON.stringify(meta.costLimit)}`);
  if (meta.finished !== undefined && typeof meta.finished !== 'boolean') bad(`field 'finished' must be true or false, got ${JSON.stringify(meta.finished)}`);
  if (meta.convergenceSign !== undefined && meta.convergenceSign !== null && !(typeof meta.convergenceSign === 'string' && /^[01]+$/.test(meta.convergenceSign))) {
    bad(`field 'convergenceSign' must be null or a string of '0' / '1', got ${JSON.stringify(meta.convergenceSign).slice(0, 80)}`);
  }
  const badWindow = badLogWindow(meta.logWindow, config.logEvery);
  if (badWindow) bad(badWindow);
  const badBest = badBestRecord(meta.best);
  if (badBest) bad(badBest);
  return { ...(meta as unknown as CheckpointMetadata), config };
}
