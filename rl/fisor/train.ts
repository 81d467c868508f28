/**
 * FISOR training loop: seeded end to end, JSONL metrics, periodic evaluation, checkpoints and exact resume.
 *
 * Randomness: one master `Rng(seed)` derives, in this order, the agent's streams (network init, actor noise,
 * action sampling, dropout masks inside the actor), the minibatch stream and the evaluation stream. All of
 * their states are saved with each checkpoint, so `resume` continues exactly: on one backend, a run
 * interrupted and resumed equals an uninterrupted one bit for bit.
 *
 * Output directory:
 *   config.json      the resolved config, task, seed, data options
 *   metrics.jsonl    {"type":"train","step",...means over the last logEvery steps, "stepsPerSec"} and
 *                    {"type":"eval","step","normalizedReward","normalizedCost",...} lines
 *   checkpoint/      nn's checkpoint: all networks, targets, EMA, optimizers, Rng states, step
 *   eval.json        the last evaluation
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, getBackend, type RngState } from '../../core/index.js';
import { loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from '../../nn/index.js';
import { collect } from '../data/collect.js';
import type { Dataset } from '../data/dataset.js';
import { makeEnv } from '../envs/registry.js';
import { FisorAgent, deriveRng, type UpdateMetrics } from './agent.js';
import { checkConfig, type FisorConfig } from './config.js';
import { allocFisorBatch, prepareData, sampleBatch } from './data.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { makeConvergenceProbe } from './convergence.js';
import { writeFileAtomic } from '../io/atomic.js';

export interface TrainOptions {
  task: string;
  config: FisorConfig;
  seed: number;
  outDir: string;
  /** Training data; default: the task's default behaviour dataset (collect with `datasetSeed`). */
  dataset?: Dataset;
  datasetSeed?: number;
  /**
   * Continue from outDir/checkpoint: config and seed come from the checkpoint; `steps` (if given) extends
   * the run (with actor.decaySteps = 0 the cosine schedule then stretches to the new length).
   */
  resume?: boolean;
  steps?: number;
  /** Stop (with a checkpoint) once this step is reached, as if interrupted (tests). */
  stopAt?: number;
  /** Progress callback after every step. */
  onStep?: (step: number, total: number) => void;
  /** One line per log / eval event (human-readable). */
  log?: (line: string) => void;
  /** Skip the final evaluation (tests). */
  skipFinalEval?: boolean;
}

export interface TrainResult {
  agent: FisorAgent;
  step: number;
  /** Seconds spent in this call's updates only, and the resulting rate. */
  trainSeconds: number;
  stepsPerSecond: number;
  lastEval: EvalResult | null;
  outDir: string;
}

export const CHECKPOINT_DIR = 'checkpoint';

interface Streams {
  data: Rng;
  eval: Rng;
}

/** Builds the agent and the loop's streams from the seed (the same on a fresh start and on resume). */
export function buildAgent(cfg: FisorConfig, obsDim: number, actDim: number, seed: number): { agent: FisorAgent; streams: Streams } {
  const master = new Rng(seed);
  const agent = new FisorAgent(cfg, obsDim, actDim, deriveRng(master));
  return { agent, streams: { data: deriveRng(master), eval: deriveRng(master) } };
}

export interface CheckpointMetadata {
  task: string;
  seed: number;
  config: FisorConfig;
  rngs: Record<string, RngState>;
  obsDim: number;
  actDim: number;
  backend: string;
  dataset: { source: string; size: number; hSource: string; rewardScale: number };
}

/** Configs saved before a key existed get the value that reproduces the old behaviour. */
function withDefaults(c: FisorConfig): FisorConfig {
  return { ...c, criticUpdates: c.criticUpdates ?? 1, schedule: c.schedule ?? 'joint', criticSteps: c.criticSteps ?? 0, vhExpectile: c.vhExpectile ?? 'reversed', actorWeights: c.actorWeights ?? 'feasibility', convergenceEvery: c.convergenceEvery ?? 0, dataRecipe: c.dataRecipe ?? 'fixed' };
}

/**
 * The checkpoint's metadata, checked field by field (a hand-edited or foreign manifest gets an error naming
 * the field, not a TypeError later); the config is completed by `withDefaults` and range-checked.
 */
function checkpointMetadata(loaded: LoadedCheckpoint, ckptDir: string): CheckpointMetadata {
  const meta = loaded.metadata as unknown as CheckpointMetadata | null;
  const bad = (why: string): never => {
    throw new Error(`checkpoint ${ckptDir}: not a FISOR training checkpoint: metadata ${why}`);
  };
  if (typeof meta !== 'object' || meta === null) return bad('is missing');
  if (typeof meta.task !== 'string') bad("has no string 'task'");
  if (typeof meta.config !== 'object' || meta.config === null) bad("has no object 'config'");
  for (const k of ['seed', 'obsDim', 'actDim'] as const) {
    if (!Number.isInteger(meta[k]) || (k !== 'seed' && meta[k] < 1)) bad(`field '${k}' must be ${k === 'seed' ? 'an integer' : 'a positive integer'}, got ${JSON.stringify(meta[k])}`);
  }
  if (typeof meta.rngs !== 'object' || meta.rngs === null) bad("has no object 'rngs'");
  for (const k of ['actor', 'act', 'data', 'eval']) if (!Array.isArray(meta.rngs[k])) bad(`has no Rng state 'rngs.${k}'`);
  meta.config = withDefaults(meta.config);
  checkConfig(meta.config);
  return meta;
}

/** Loads a training checkpoint into a fresh agent (for eval / plots). */
export async function loadAgent(dir: string): Promise<{ agent: FisorAgent; meta: CheckpointMetadata; step: number; loaded: LoadedCheckpoint }> {
  const ckptDir = existsSync(join(dir, 'manifest.json')) ? dir : join(dir, CHECKPOINT_DIR);
  const loaded = await loadCheckpoint(ckptDir);
  const meta = checkpointMetadata(loaded, ckptDir);
  const { agent } = buildAgent(meta.config, meta.obsDim, meta.actDim, meta.seed);
  agent.loadState(loaded);
  agent.setRngStates(meta.rngs);
  return { agent, meta, step: loaded.step, loaded };
}

const METRIC_KEYS: (keyof UpdateMetrics)[] = [
  'actorLoss', 'qrLoss', 'vrLoss', 'qhLoss', 'vhLoss', 'meanQr', 'meanVr', 'meanQh', 'meanVh',
  'feasibleFraction', 'unsafeFraction', 'zeroWeightFraction', 'weightMean', 'weightMax', 'actorLr',
];

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { task, outDir } = opts;
  const log = opts.log ?? (() => {});
  mkdirSync(outDir, { recursive: true });
  const ckptDir = join(outDir, CHECKPOINT_DIR);
  const metricsPath = join(outDir, 'metrics.jsonl');

  let cfg = opts.config;
  let seed = opts.seed;
  let loaded: LoadedCheckpoint | null = null;
  if (opts.resume) {
    if (!existsSync(join(ckptDir, 'manifest.json'))) throw new Error(`--resume: no checkpoint in ${ckptDir}`);
    loaded = await loadCheckpoint(ckptDir);
    const meta = checkpointMetadata(loaded, ckptDir);
    if (meta.task !== task) throw new Error(`--resume: the checkpoint in ${ckptDir} is for task ${meta.task}, not ${task}`);
    seed = meta.seed;
    cfg = { ...withDefaults(meta.config), steps: opts.steps ?? meta.config.steps };
  }
  checkConfig(cfg);
  const env = makeEnv(task);
  const ds = opts.dataset ?? collect(task, { seed: opts.datasetSeed ?? 0, recipe: cfg.dataRecipe });
  if (ds.observationSize !== env.observationSize || ds.actionSize !== env.actionSize) {
    throw new Error(`dataset has obs ${ds.observationSize} / act ${ds.actionSize}, task ${task} needs ${env.observationSize} / ${env.actionSize}`);
  }
  const data = prepareData(ds, task, cfg);
  const dsSource = opts.dataset ? 'given' : `collect(${task}, seed ${opts.datasetSeed ?? 0})`;
  if (loaded) {
    // Exact resume needs the same transitions: a different dataset would silently change the run.
    const was = (loaded.metadata as unknown as CheckpointMetadata).dataset;
    if (was && (was.source !== dsSource || was.size !== data.size)) {
      throw new Error(`--resume: the checkpoint in ${ckptDir} was trained on ${was.source === 'given' ? 'a given dataset' : was.source} of ${was.size} transitions; this call gives ${dsSource === 'given' ? 'a given dataset' : dsSource} of ${data.size}`);
    }
  }
  const { agent, streams } = buildAgent(cfg, data.obsDim, data.actDim, seed);

  let step = 0;
  if (loaded) {
    agent.loadState(loaded);
    const rngs = (loaded.metadata as unknown as CheckpointMetadata).rngs;
    agent.setRngStates(rngs);
    streams.data.setState(rngs.data);
    streams.eval.setState(rngs.eval);
    step = loaded.step;
    // Drop log lines written after the checkpoint (they will be written again).
    if (existsSync(metricsPath)) {
      // A line torn by a crash mid-append does not parse; it lies after the checkpoint, so it goes too.
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
    log(`resumed from ${ckptDir} at step ${step}`);
  } else {
    writeFileSync(metricsPath, '');
  }
  writeFileAtomic(join(outDir, 'config.json'), JSON.stringify({ task, seed, config: cfg, hSource: data.hSource, rewardScale: data.rewardScale, dataset: dsSource, datasetSize: data.size }, null, 2) + '\n');

  const writeLine = (obj: Record<string, unknown>) => appendFileSync(metricsPath, JSON.stringify(obj) + '\n');
  const save = async () => {
    const metadata: CheckpointMetadata = {
      task, seed, config: cfg, obsDim: data.obsDim, actDim: data.actDim, backend: getBackend().name,
      rngs: { ...agent.rngStates(), data: streams.data.getState(), eval: streams.eval.getState() },
      dataset: { source: dsSource, size: data.size, hSource: data.hSource, rewardScale: data.rewardScale },
    };
    await saveCheckpoint(ckptDir, { tensors: agent.stateTensors(), step, metadata: metadata as unknown as Record<string, unknown> });
  };
  let lastEval: EvalResult | null = null;
  let lastEvalStep = -1;
  const runEval = () => {
    lastEval = evaluate(agent, task, { episodes: cfg.evalEpisodes, rng: streams.eval });
    lastEvalStep = step;
    const { normalizedReward, normalizedCost, normalizedRewardStd, normalizedCostStd, meanReturn, meanCost, safeFraction, seconds } = lastEval;
    writeLine({ type: 'eval', step, normalizedReward, normalizedCost, normalizedRewardStd, normalizedCostStd, meanReturn, meanCost, safeFraction, seconds });
    writeFileAtomic(join(outDir, 'eval.json'), JSON.stringify({ step, ...(lastEval as EvalResult) }, null, 2) + '\n');
    log(`eval step ${step}: normalized reward ${normalizedReward.toFixed(3)}, normalized cost ${normalizedCost.toFixed(3)} (${cfg.evalEpisodes} episodes, ${seconds.toFixed(1)} s)`);
  };

  if (step === 0 && cfg.evalEvery > 0) runEval();
  const stopAt = Math.min(cfg.steps, opts.stopAt ?? Infinity);
  const batch = allocFisorBatch(data, cfg.batchSize);
  const criticBatch = cfg.criticUpdates > 1 ? allocFisorBatch(data, cfg.criticBatchSize) : null;
  const sums: Record<string, number> = {};
  let window = 0;
  let windowStart = performance.now();
  let trainMs = 0;
  const startStep = step;
  const probe = cfg.convergenceEvery > 0 ? makeConvergenceProbe(task, cfg, data, opts.datasetSeed ?? 0) : null;
  while (step < stopAt) {
    const t0 = performance.now();
    for (let k = 1; k < cfg.criticUpdates; k++) agent.updateCritics(sampleBatch(data, streams.data, criticBatch!));
    sampleBatch(data, streams.data, batch);
    const m = agent.update(batch, step);
    trainMs += performance.now() - t0;
    step++;
    for (const k of METRIC_KEYS) sums[k] = (sums[k] ?? 0) + m[k];
    window++;
    if (!METRIC_KEYS.every((k) => Number.isFinite(m[k]))) throw new Error(`training diverged at step ${step}: ${JSON.stringify(m)}`);
    if (step % cfg.logEvery === 0 || step === stopAt) {
      const now = performance.now();
      const line: Record<string, unknown> = { type: 'train', step };
      for (const k of METRIC_KEYS) line[k] = sums[k] / window;
      line.stepsPerSec = (window * 1000) / (now - windowStart);
      writeLine(line);
      for (const k of METRIC_KEYS) sums[k] = 0;
      window = 0;
      windowStart = now;
    }
    if (probe && (step % cfg.convergenceEvery === 0 || step === cfg.steps || (cfg.schedule === 'critics-first' && step === cfg.criticSteps))) writeLine({ type: 'convergence', step, ...probe.measure(agent) });
    if (cfg.evalEvery > 0 && step % cfg.evalEvery === 0) runEval();
    if (cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0 && step < stopAt) await save();
    opts.onStep?.(step, cfg.steps);
  }
  if (step >= cfg.steps && !opts.skipFinalEval && lastEvalStep !== step) runEval();
  await save();
  const trainSeconds = trainMs / 1000;
  return { agent, step, trainSeconds, stepsPerSecond: trainSeconds > 0 ? (step - startStep) / trainSeconds : 0, lastEval, outDir };
}
