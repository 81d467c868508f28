/**
 * One training loop for every algorithm in rl/algos (the same shape as FISOR's rl/fisor/train.ts): seeded end
 * to end, JSONL metrics, periodic and final evaluation (rl/fisor/evaluate.ts, DSRL scoring), checkpoints and
 * exact resume.
 *
 * Randomness: one master Rng(seed) derives, in this order, the algorithm's generator (network init, then its
 * own streams), the minibatch stream and the evaluation stream; all their states go into each checkpoint.
 *
 * Output directory: config.json, metrics.jsonl ({"type":"train",...} means over logEvery steps, and
 * {"type":"eval",...}), checkpoint/ (nn checkpoint; metadata names the algorithm), eval.json.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend, Rng, type RngState } from '../../core/index.js';
import { loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from '../../nn/index.js';
import { collect } from '../data/collect.js';
import type { Dataset } from '../data/dataset.js';
import { makeEnv } from '../envs/registry.js';
import { evaluate, type EvalResult } from '../fisor/evaluate.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkLoop } from './config.js';
import { deriveRng } from './data.js';
import { algorithmDef } from './registry.js';
import type { Algorithm, LoopConfig } from './types.js';

export const CHECKPOINT_DIR = 'checkpoint';

export interface AlgoTrainOptions {
  algo: string;
  task: string;
  config: LoopConfig;
  seed: number;
  outDir: string;
  /** Training data; default: the task's default behaviour dataset, collected with `datasetSeed`. */
  dataset?: Dataset;
  datasetSeed?: number;
  /** Continue from outDir/checkpoint (algorithm, config and seed from the checkpoint; `steps` may extend). */
  resume?: boolean;
  steps?: number;
  /** Stop (with a checkpoint) once this step is reached, as if interrupted (tests). */
  stopAt?: number;
  onStep?: (step: number, total: number) => void;
  log?: (line: string) => void;
  skipFinalEval?: boolean;
}

export interface AlgoTrainResult {
  algorithm: Algorithm;
  step: number;
  trainSeconds: number;
  stepsPerSecond: number;
  lastEval: EvalResult | null;
  outDir: string;
}

export interface AlgoCheckpointMetadata {
  algo: string;
  task: string;
  seed: number;
  config: LoopConfig;
  rngs: Record<string, Record<string, RngState>>;
  obsDim: number;
  actDim: number;
  backend: string;
  dataset: { source: string; size: number };
}

/** Builds the algorithm and the loop's streams from the seed (identical on a fresh start and on resume). */
export function buildAlgorithm(algo: string, cfg: LoopConfig, task: string, obsDim: number, actDim: number, dataset: Dataset | null, seed: number): { algorithm: Algorithm; data: Rng; eval: Rng } {
  const def = algorithmDef(algo);
  const master = new Rng(seed);
  const algorithm = def.create({ cfg, task, obsDim, actDim, dataset, rng: deriveRng(master) });
  return { algorithm, data: deriveRng(master), eval: deriveRng(master) };
}

/** Checks a checkpoint's metadata field by field (errors name the field). */
export function algoMetadata(loaded: LoadedCheckpoint, ckptDir: string): AlgoCheckpointMetadata {
  const meta = loaded.metadata as unknown as AlgoCheckpointMetadata | null;
  const bad = (why: string): never => {
    throw new Error(`checkpoint ${ckptDir}: not an rl/algos training checkpoint: metadata ${why}`);
  };
  if (typeof meta !== 'object' || meta === null) return bad('is missing');
  if (typeof meta.algo !== 'string') bad("has no string 'algo'");
  algorithmDef(meta.algo);
  if (typeof meta.task !== 'string') bad("has no string 'task'");
  if (typeof meta.config !== 'object' || meta.config === null) bad("has no object 'config'");
  for (const k of ['seed', 'obsDim', 'actDim'] as const) if (!Number.isInteger(meta[k])) bad(`field '${k}' must be an integer, got ${JSON.stringify(meta[k])}`);
  if (typeof meta.rngs !== 'object' || meta.rngs === null) bad("has no object 'rngs'");
  for (const k of ['algorithm', 'loop']) if (typeof meta.rngs[k] !== 'object') bad(`has no Rng states 'rngs.${k}'`);
  checkLoop(meta.config);
  algorithmDef(meta.algo).check(meta.config);
  return meta;
}

/** Rebuilds a trained algorithm from a run directory (or its checkpoint/) for evaluation. */
export async function loadAlgorithm(dir: string): Promise<{ algorithm: Algorithm; meta: AlgoCheckpointMetadata; step: number }> {
  const ckptDir = existsSync(join(dir, 'manifest.json')) ? dir : join(dir, CHECKPOINT_DIR);
  const loaded = await loadCheckpoint(ckptDir);
  const meta = algoMetadata(loaded, ckptDir);
  const { algorithm } = buildAlgorithm(meta.algo, meta.config, meta.task, meta.obsDim, meta.actDim, null, meta.seed);
  algorithm.loadState(loaded);
  algorithm.setRngStates(meta.rngs.algorithm);
  return { algorithm, meta, step: loaded.step };
}

/** Whether a checkpoint directory was written by this loop (its metadata names an algorithm). */
export function isAlgoCheckpoint(dir: string): boolean {
  const ckptDir = existsSync(join(dir, 'manifest.json')) ? dir : join(dir, CHECKPOINT_DIR);
  const manifest = join(ckptDir, 'manifest.json');
  if (!existsSync(manifest)) return false;
  try {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { metadata?: { algo?: unknown } };
    return typeof m.metadata?.algo === 'string';
  } catch {
    return false;
  }
}

export async function trainAlgorithm(opts: AlgoTrainOptions): Promise<AlgoTrainResult> {
  const { task, outDir } = opts;
  const log = opts.log ?? (() => {});
  mkdirSync(outDir, { recursive: true });
  const ckptDir = join(outDir, CHECKPOINT_DIR);
  const metricsPath = join(outDir, 'metrics.jsonl');

  let { algo, config: cfg, seed } = opts;
  let loaded: LoadedCheckpoint | null = null;
  let meta: AlgoCheckpointMetadata | null = null;
  if (opts.resume) {
    if (!existsSync(join(ckptDir, 'manifest.json'))) throw new Error(`--resume: no checkpoint in ${ckptDir}`);
    loaded = await loadCheckpoint(ckptDir);
    meta = algoMetadata(loaded, ckptDir);
    if (meta.task !== task) throw new Error(`--resume: the checkpoint in ${ckptDir} is for task ${meta.task}, not ${task}`);
    if (meta.algo !== algo) throw new Error(`--resume: the checkpoint in ${ckptDir} is of algorithm ${meta.algo}, not ${algo}`);
    seed = meta.seed;
    cfg = { ...meta.config, steps: opts.steps ?? meta.config.steps };
  }
  const def = algorithmDef(algo);
  checkLoop(cfg);
  def.check(cfg);
  const env = makeEnv(task);
  const ds = opts.dataset ?? collect(task, { seed: opts.datasetSeed ?? 0 });
  if (ds.observationSize !== env.observationSize || ds.actionSize !== env.actionSize) {
    throw new Error(`dataset has obs ${ds.observationSize} / act ${ds.actionSize}, task ${task} needs ${env.observationSize} / ${env.actionSize}`);
  }
  const dsSource = opts.dataset ? 'given' : `collect(${task}, seed ${opts.datasetSeed ?? 0})`;
  if (meta && (meta.dataset.source !== dsSource || meta.dataset.size !== ds.size)) {
    throw new Error(`--resume: the checkpoint in ${ckptDir} was trained on ${meta.dataset.source} of ${meta.dataset.size} transitions; this call gives ${dsSource} of ${ds.size}`);
  }
  const { algorithm, data: dataRng, eval: evalRng } = buildAlgorithm(algo, cfg, task, ds.observationSize, ds.actionSize, ds, seed);

  let step = 0;
  if (loaded && meta) {
    algorithm.loadState(loaded);
    algorithm.setRngStates(meta.rngs.algorithm);
    dataRng.setState(meta.rngs.loop.data);
    evalRng.setState(meta.rngs.loop.eval);
    step = loaded.step;
    if (existsSync(metricsPath)) {
      const stepOf = (l: string): number => {
        try {
          return (JSON.parse(l) as { step: number }).step;
        } catch {
          return Infinity;
        }
      };
      const kept = readFileSync(metricsPath, 'utf8').split('\n').filter((l) => l.trim() && stepOf(l) <= step);
      writeFileAtomic(metricsPath, kept.map((l) => l + '\n').join(''));
    }
    log(`resumed ${algo} from ${ckptDir} at step ${step}`);
  } else {
    writeFileSync(metricsPath, '');
  }
  writeFileAtomic(join(outDir, 'config.json'), JSON.stringify({ algo, task, seed, config: cfg, dataset: dsSource, datasetSize: ds.size }, null, 2) + '\n');

  const writeLine = (obj: Record<string, unknown>) => appendFileSync(metricsPath, JSON.stringify(obj) + '\n');
  const save = async () => {
    const metadata: AlgoCheckpointMetadata = {
      algo, task, seed, config: cfg, obsDim: ds.observationSize, actDim: ds.actionSize, backend: getBackend().name,
      rngs: { algorithm: algorithm.rngStates(), loop: { data: dataRng.getState(), eval: evalRng.getState() } },
      dataset: { source: dsSource, size: ds.size },
    };
    await saveCheckpoint(ckptDir, { tensors: algorithm.stateTensors(), step, metadata: metadata as unknown as Record<string, unknown> });
  };
  let lastEval: EvalResult | null = null;
  let lastEvalStep = -1;
  const runEval = () => {
    const ev = evaluate(algorithm, task, { episodes: cfg.evalEpisodes, rng: evalRng });
    lastEval = ev;
    lastEvalStep = step;
    const { normalizedReward, normalizedCost, normalizedRewardStd, normalizedCostStd, meanReturn, meanCost, safeFraction, seconds } = ev;
    writeLine({ type: 'eval', step, normalizedReward, normalizedCost, normalizedRewardStd, normalizedCostStd, meanReturn, meanCost, safeFraction, seconds });
    writeFileAtomic(join(outDir, 'eval.json'), JSON.stringify({ algo, step, ...ev }, null, 2) + '\n');
    log(`eval step ${step}: normalized reward ${normalizedReward.toFixed(3)}, normalized cost ${normalizedCost.toFixed(3)} (${cfg.evalEpisodes} episodes, ${seconds.toFixed(1)} s)`);
  };

  const stopAt = Math.min(cfg.steps, opts.stopAt ?? Infinity);
  const sums: Record<string, number> = {};
  let window = 0;
  let windowStart = performance.now();
  let trainMs = 0;
  const startStep = step;
  while (step < stopAt) {
    const t0 = performance.now();
    const m = algorithm.update(algorithm.sample(dataRng));
    trainMs += performance.now() - t0;
    step++;
    for (const [k, v] of Object.entries(m)) {
      if (!Number.isFinite(v)) throw new Error(`${algo} diverged at step ${step}: metric ${k} = ${v} (${JSON.stringify(m)})`);
      sums[k] = (sums[k] ?? 0) + v;
    }
    window++;
    if (step % cfg.logEvery === 0 || step === stopAt) {
      const now = performance.now();
      const line: Record<string, unknown> = { type: 'train', step };
      for (const k of Object.keys(sums)) line[k] = sums[k] / window;
      line.stepsPerSec = (window * 1000) / (now - windowStart);
      writeLine(line);
      for (const k of Object.keys(sums)) delete sums[k];
      window = 0;
      windowStart = now;
    }
    if (cfg.evalEvery > 0 && step % cfg.evalEvery === 0) runEval();
    if (cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0 && step < stopAt) await save();
    opts.onStep?.(step, cfg.steps);
  }
  if (step >= cfg.steps && !opts.skipFinalEval && lastEvalStep !== step) runEval();
  await save();
  const trainSeconds = trainMs / 1000;
  return { algorithm, step, trainSeconds, stepsPerSecond: trainSeconds > 0 ? (step - startStep) / trainSeconds : 0, lastEval, outDir };
}
