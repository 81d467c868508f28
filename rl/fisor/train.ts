/**
 * FISOR training loop: seeded end to end, metrics (JSONL + CSV), periodic evaluation, checkpoints (latest and
 * best) and exact resume. The step loop itself (when to log, evaluate, save, yield) is rl/io/train_loop.ts,
 * shared with the baselines' loop. It writes only through a `RunSink` (rl/io/sink.ts): `outDir` gives the Node run
 * directory (rl/io/node_sink.ts, loaded on demand so nothing here imports a Node built-in); a browser passes
 * its own `sink`.
 *
 * Randomness: one master `Rng(seed)` derives, in this order, the agent's streams (network init, actor noise,
 * action sampling, dropout masks inside the actor), the minibatch stream and the evaluation stream. All of
 * their states are saved with each checkpoint, so `resume` continues exactly: on one backend, a run
 * interrupted and resumed equals an uninterrupted one bit for bit, metrics lines included (the logging
 * window in progress is saved too; only timings differ).
 *
 * Run contents:
 *   config.json      task, seed, resolved config, cost limit, dataset (source, path, content hash, size),
 *                    provenance (package, git commit, Node, backend, threads, config hash)
 *   metrics.jsonl    {"type":"train","step",...means over the last logEvery steps, "stepsPerSec"} and
 *                    {"type":"eval","step","normalizedReward","normalizedCost",...} lines; metrics.csv the same
 *   checkpoint/      nn's checkpoint: networks, targets, EMA, optimizers, Rng states, step, metadata
 *   checkpoint-best/ with periodic evaluation: the evaluated state with the lowest normalized cost, then the
 *                    highest normalized reward (OSRL's rule); best.json says which step
 *   eval.json        the last evaluation
 *
 * Safety rules: a fresh run refuses a run that already holds files (unless `overwrite`); the run is locked
 * while training; a fresh run that fails before its first checkpoint leaves nothing behind; resuming a
 * finished run does nothing; every loss is checked each step and every parameter and optimizer tensor at
 * each log line and before each save, stopping with the tensor's name and the step.
 */
import { Rng, getBackend } from '../../core/index.js';
import type { LoadedCheckpoint } from '../../nn/index.js';
import { collect } from '../data/collect.js';
import { checkDatasetTask, datasetHash, validateDataset, type Dataset } from '../data/dataset.js';
import { makeEnv } from '../envs/registry.js';
import { taskReference } from '../envs/reference.js';
import { CSV_HEADER, csvRow } from '../io/metrics_csv.js';
import { firstNonFinite } from '../io/best.js';
import { CHECKPOINT_DIR, LogWindow, runSteps } from '../io/train_loop.js';
import { resumedProvenance, runProvenance } from '../io/provenance.js';
import { checkResumeSteps, checkSameDataset, discardFresh, keepBestUpTo, keepMetricsUpTo, loadResumeCheckpoint, resolveSink, startFresh } from '../io/run_guard.js';
import type { RunSink } from '../io/sink.js';
import { FisorAgent, deriveRng, type FisorBatch, type UpdateMetrics } from './agent.js';
import { checkConfig, type FisorConfig } from './config.js';
import { allocFisorBatch, prepareData, sampleBatch, type FisorData } from './data.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { checkSeed, checkpointMetadata, type BestRecord, type CheckpointMetadata } from './train_meta.js';

export { checkpointMetadata, type CheckpointMetadata, type BestRecord } from './train_meta.js';
import { makeConvergenceProbe } from './convergence.js';

export interface TrainOptions {
  task: string;
  config: FisorConfig;
  seed: number;
  /** Node: the run directory. Give this or `sink`. */
  outDir?: string;
  /** Where to write (default: a NodeRunSink on outDir). */
  sink?: RunSink;
  /** Training data; default: the task's default behaviour dataset (collect with `datasetSeed`). */
  dataset?: Dataset;
  datasetSeed?: number;
  /** Where `dataset` was read from (recorded in config.json). */
  datasetPath?: string;
  /** Train even though the dataset's `task` attribute names another task. */
  allowTaskMismatch?: boolean;
  /**
   * Continue from the run's checkpoint: config and seed come from the checkpoint; `steps` (if given) extends
   * the run (with actor.decaySteps = 0 the cosine schedule then stretches to the new length).
   */
  resume?: boolean;
  /** Replace whatever the run holds (a fresh run otherwise refuses a non-empty run). */
  overwrite?: boolean;
  steps?: number;
  /** Cost limit kappa for evaluation scores and safe marks (default: the task's, 10). Fixed at the start. */
  costLimit?: number;
  /** Stop (with a checkpoint) once this step is reached, as if interrupted (tests). */
  stopAt?: number;
  /** Polled after every step: true stops the run with a checkpoint (the CLI's Ctrl-C). */
  shouldStop?: () => boolean;
  /** Extra provenance fields (Node's CLI adds the package version and git commit). */
  provenance?: Record<string, unknown>;
  /** Progress callback after every step (the agent is passed for inspection; tests inject faults through it). */
  onStep?: (step: number, total: number, agent: FisorAgent) => void;
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
  /** Stopped by stopAt / shouldStop before config.steps (a checkpoint was saved). */
  interrupted: boolean;
  /** Resume found the run finished: nothing was trained or written. */
  alreadyFinished: boolean;
  best: BestRecord | null;
  /** The cost limit the evaluations used. */
  costLimit: number;
}

export { CHECKPOINT_DIR };
export { BEST_CHECKPOINT_DIR, isBetter } from '../io/best.js';

interface Streams {
  data: Rng;
  eval: Rng;
}

/** The prepared data and the agent of a fresh run (throws on data or config the agent cannot use). */
function freshAgent(ds: Dataset, task: string, cfg: FisorConfig, seed: number): { data: FisorData; agent: FisorAgent; streams: Streams } {
  const data = prepareData(ds, task, cfg);
  return { data, ...buildAgent(cfg, data.obsDim, data.actDim, seed) };
}

/** Builds the agent and the loop's streams from the seed (the same on a fresh start and on resume). */
export function buildAgent(cfg: FisorConfig, obsDim: number, actDim: number, seed: number): { agent: FisorAgent; streams: Streams } {
  const master = new Rng(seed);
  const agent = new FisorAgent(cfg, obsDim, actDim, deriveRng(master));
  return { agent, streams: { data: deriveRng(master), eval: deriveRng(master) } };
}

/** Loads a training checkpoint into a fresh agent (for eval / plots). Node only (reads a directory). */
export async function loadAgent(dir: string): Promise<{ agent: FisorAgent; meta: CheckpointMetadata; step: number; loaded: LoadedCheckpoint }> {
  const [{ existsSync }, { join }, { loadCheckpoint }] = await Promise.all([import('node:fs'), import('node:path'), import('../../nn/checkpoint.js')]);
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


/** The rows drawn for the minibatch (replayed from the data stream's state before the draw), largest inputs first. */
function batchRowsReport(data: FisorData, before: ReturnType<Rng['getState']>, size: number): string {
  const r = new Rng(0);
  r.setState(before);
  const rows = Array.from({ length: size }, () => r.int(data.size));
  const mag = (j: number): [number, string] => {
    let best: [number, string] = [Math.abs(data.rewards[j]), 'rewards'];
    for (const [key, arr, w] of [['observations', data.observations, data.obsDim], ['next_observations', data.nextObservations, data.obsDim]] as const) {
      for (let k = 0; k < w; k++) if (Math.abs(arr[j * w + k]) > best[0]) best = [Math.abs(arr[j * w + k]), key];
    }
    return best;
  };
  const top = [...new Set(rows)].map((j) => [j, ...mag(j)] as const).sort((a, b) => b[1] - a[1]).slice(0, 3);
  return `the batch's data rows with the largest inputs: ${top.map(([j, v, k]) => `row ${j} (|${k}| up to ${v.toPrecision(3)})`).join(', ')}`;
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { task } = opts;
  const log = opts.log ?? (() => {});
  // Everything that can be checked before touching the run is checked first.
  const env = makeEnv(task);
  const ref = taskReference(task);
  let costLimit = opts.costLimit ?? ref.kappa;
  if (!(Number.isFinite(costLimit) && costLimit >= 0)) throw new Error(`cost limit must be a number >= 0, got ${costLimit}`);
  if (!opts.resume) {
    checkSeed(opts.seed);
    checkConfig(opts.config);
  }
  if (opts.steps !== undefined && !(Number.isInteger(opts.steps) && opts.steps > 0)) throw new Error(`steps must be a positive integer, got ${opts.steps}`);
  const collectDefault = (c: FisorConfig) => collect(task, { seed: opts.datasetSeed ?? 0, recipe: c.dataRecipe ?? 'fixed' });
  const checkData = (d: Dataset) => {
    validateDataset(d, opts.datasetPath ?? 'dataset');
    if (d.observationSize !== env.observationSize || d.actionSize !== env.actionSize) {
      throw new Error(`${opts.datasetPath ?? 'the dataset'} has obs ${d.observationSize} / act ${d.actionSize}, task ${task} needs ${env.observationSize} / ${env.actionSize}`);
    }
    checkDatasetTask(d, task, opts.datasetPath, opts.allowTaskMismatch);
  };
  // A resume without a given dataset collects once, below, with the checkpoint's recipe (collecting first with this
  // call's config collected the data twice when the two recipes differed).
  let ds: Dataset | null = opts.dataset ?? (opts.resume ? null : collectDefault(opts.config));
  if (ds) checkData(ds);
  // The label names the recipe (as the baselines' loop does): 'recovery' data is not the 'fixed' data of that seed.
  const sourceOf = (c: FisorConfig) => opts.dataset ? 'given' : `collect(${task}, seed ${opts.datasetSeed ?? 0}${(c.dataRecipe ?? 'fixed') === 'fixed' ? '' : `, recipe ${c.dataRecipe}`})`;
  let dsSource = sourceOf(opts.config);
  let dsHash = ds ? datasetHash(ds) : '';

  // A fresh run makes its data and agent before it touches the run directory (so a bad dataset or config
  // cannot cost an --overwrite'd run); a resume makes them from the checkpoint's config below.
  const prebuilt = ds && !opts.resume ? freshAgent(ds, task, opts.config, opts.seed) : null;

  const sink = await resolveSink(opts);
  const where = sink.location;
  const existing = await sink.open();
  let wroteCheckpoint = false;
  let fresh = false;
  try {
    let cfg = opts.config;
    let seed = opts.seed;
    let loaded: LoadedCheckpoint | null = null;
    let meta: CheckpointMetadata | null = null;
    if (opts.resume) {
      loaded = await loadResumeCheckpoint(sink, CHECKPOINT_DIR);
      meta = checkpointMetadata(loaded, `${where}/${CHECKPOINT_DIR}`);
      if (meta.task !== task) throw new Error(`--resume: the checkpoint in ${where} is for task ${meta.task}, not ${task}`);
      checkResumeSteps(opts.steps, loaded.step, where);
      if (opts.costLimit !== undefined && meta.costLimit !== undefined && opts.costLimit !== meta.costLimit) {
        throw new Error(`--resume: the run in ${where} scores with cost limit ${meta.costLimit}; a resume cannot change it to ${opts.costLimit}`);
      }
      seed = meta.seed;
      costLimit = meta.costLimit ?? costLimit;
      cfg = { ...meta.config, steps: opts.steps ?? meta.config.steps };
      // The collected data follows the checkpoint's recipe too, not the resuming call's config (the CLI's continue
      // command names no preset: a 'recovery' run resumed with the cpu preset's 'fixed' data was refused as other data).
      dsSource = sourceOf(cfg);
      if (!ds) {
        ds = collectDefault(cfg);
        checkData(ds);
        dsHash = datasetHash(ds);
      }
      checkSameDataset(meta.dataset, { source: dsSource, path: opts.datasetPath, hash: dsHash, size: ds.size }, where);
      // Finished: the checkpoint reached its own config.steps (older checkpoints lack the flag) and no longer run was asked for.
      if (loaded.step >= cfg.steps && (meta.finished ?? loaded.step >= meta.config.steps)) {
        log(`the run in ${where} already finished at step ${loaded.step}: nothing to do (pass --steps N > ${loaded.step} to extend it)`);
        const { agent } = buildAgent(meta.config, meta.obsDim, meta.actDim, meta.seed);
        agent.loadState(loaded);
        agent.setRngStates(meta.rngs);
        const lastText = await sink.read('eval.json');
        const lastEval = lastText ? (JSON.parse(lastText) as EvalResult) : null;
        return { agent, step: loaded.step, trainSeconds: 0, stepsPerSecond: 0, lastEval, outDir: where, interrupted: false, alreadyFinished: true, best: meta.best ?? null, costLimit };
      }
      if (meta.backend !== getBackend().name) {
        log(`note: the checkpoint was written on backend ${meta.backend} and resumes on ${getBackend().name}: the continuation will not be bit-identical to an uninterrupted ${meta.backend} run`);
      }
    } else {
      await startFresh(sink, existing, opts.overwrite, log);
      fresh = true;
    }
    checkConfig(cfg);
    const data = prebuilt?.data ?? prepareData(ds!, task, cfg); // a resume collected ds above
    const { agent, streams } = prebuilt ?? buildAgent(cfg, data.obsDim, data.actDim, seed);
    // A resume keeps what trained the steps before it (other code, say) under provenance.earlier.
    const provenance = resumedProvenance(runProvenance(cfg, opts.provenance ?? {}), meta?.provenance, loaded?.step ?? 0);

    let step = 0;
    let best: BestRecord | null = null;
    let window = new LogWindow();
    if (loaded && meta) {
      agent.loadState(loaded);
      agent.setRngStates(meta.rngs);
      streams.data.setState(meta.rngs.data);
      streams.eval.setState(meta.rngs.eval);
      step = loaded.step;
      best = await keepBestUpTo(sink, loaded.step, meta.best ?? null, log);
      if (meta.logWindow) window = new LogWindow(meta.logWindow);
      const kept = await keepMetricsUpTo(sink, step);
      await sink.writeAtomic('metrics.csv', CSV_HEADER + kept.map((l) => csvRow(l)).join(''));
      log(`resumed from ${where}/${CHECKPOINT_DIR} at step ${step}`);
    } else {
      await sink.writeAtomic('metrics.jsonl', '');
      await sink.writeAtomic('metrics.csv', CSV_HEADER);
    }
    const datasetRecord = { source: dsSource, path: opts.datasetPath, hash: dsHash, size: data.size, hSource: data.hSource, rewardScale: data.rewardScale };
    await sink.writeAtomic('config.json', JSON.stringify({ task, seed, config: cfg, costLimit, hSource: data.hSource, rewardScale: data.rewardScale, dataset: datasetRecord, datasetSize: data.size, provenance }, null, 2) + '\n');

    const writeLine = async (obj: Record<string, unknown>) => {
      await sink.append('metrics.jsonl', JSON.stringify(obj) + '\n');
      await sink.append('metrics.csv', csvRow(obj));
    };
    const metadataNow = (finished: boolean, best: BestRecord | null): CheckpointMetadata => ({
      task, seed, config: cfg, obsDim: data.obsDim, actDim: data.actDim, backend: getBackend().name,
      rngs: { ...agent.rngStates(), data: streams.data.getState(), eval: streams.eval.getState() },
      dataset: datasetRecord, costLimit, logWindow: window.state(), best, finished,
      ...(probe ? { convergenceSign: probe.state() } : {}), provenance,
    });
    const batch: FisorBatch = allocFisorBatch(data, cfg.batchSize);
    const criticBatch = cfg.criticUpdates > 1 ? allocFisorBatch(data, cfg.criticBatchSize) : null;
    const probe = cfg.convergenceEvery > 0 ? makeConvergenceProbe(task, cfg, data, opts.datasetSeed ?? 0) : null;
    // The probe's last signs continue too (older checkpoints lack them: the next agreement is then null, as before).
    if (probe && meta?.convergenceSign !== undefined) probe.restore(meta.convergenceSign, `checkpoint ${where}/${CHECKPOINT_DIR}`);
    const row: Record<string, number> = {};
    const ran = await runSteps({
      step, steps: cfg.steps, stopAt: Math.min(cfg.steps, opts.stopAt ?? Infinity),
      logEvery: cfg.logEvery, evalEvery: cfg.evalEvery, checkpointEvery: cfg.checkpointEvery, evalAtStart: true,
      skipFinalEval: opts.skipFinalEval, window, best, sink, log, costLimit, evalEpisodes: cfg.evalEpisodes,
      writeLine,
      stateTensors: () => agent.stateTensors(),
      metadata: (finished, bestNow) => metadataNow(finished, bestNow) as unknown as Record<string, unknown>,
      onSaved: () => {
        wroteCheckpoint = true;
      },
      update: (index) => {
        for (let k = 1; k < cfg.criticUpdates; k++) agent.updateCritics(sampleBatch(data, streams.data, criticBatch!));
        const before = streams.data.getState();
        sampleBatch(data, streams.data, batch);
        const m = agent.update(batch, index);
        const badKeys = METRIC_KEYS.filter((k) => !Number.isFinite(m[k]));
        if (badKeys.length) {
          const bad = firstNonFinite(agent.stateTensors());
          throw new Error(`training diverged at step ${index + 1}: non-finite ${badKeys.join(', ')}${bad ? `; first non-finite state: ${bad}` : ''}; ${batchRowsReport(data, before, batch.size)}`);
        }
        for (const k of METRIC_KEYS) row[k] = m[k]; // in METRIC_KEYS order (the CSV header's), one object reused
        return row;
      },
      afterStep: async (at) => {
        if (probe && (at % cfg.convergenceEvery === 0 || at === cfg.steps || (cfg.schedule === 'critics-first' && at === cfg.criticSteps))) {
          await writeLine({ type: 'convergence', step: at, ...probe.measure(agent) });
        }
      },
      evaluate: () => evaluate(agent, task, { episodes: cfg.evalEpisodes, rng: streams.eval, costLimit }),
      onStep: (at) => opts.onStep?.(at, cfg.steps, agent),
      shouldStop: opts.shouldStop,
    });
    const trainSeconds = ran.trainMs / 1000;
    return { agent, step: ran.step, trainSeconds, stepsPerSecond: trainSeconds > 0 ? (ran.step - step) / trainSeconds : 0, lastEval: ran.lastEval, outDir: where, interrupted: !ran.finished, alreadyFinished: false, best: ran.best, costLimit };
  } catch (e) {
    // A fresh run that never reached a checkpoint leaves nothing behind (not even an empty directory).
    if (fresh && !wroteCheckpoint) await discardFresh(sink);
    throw e;
  } finally {
    await sink.close({ removeIfEmpty: true }); // e.g. a --resume of a directory that did not exist
  }
}
