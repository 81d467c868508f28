/**
 * One training loop for every algorithm in rl/algos, on the step loop FISOR's rl/fisor/train.ts uses too
 * (rl/io/train_loop.ts): seeded end to end, JSONL metrics, periodic and final evaluation (rl/fisor/evaluate.ts,
 * DSRL scoring), checkpoints and exact resume (the logging window in progress included).
 *
 * Randomness: one master Rng(seed) derives, in this order, the algorithm's generator (network init, then its
 * own streams), the minibatch stream and the evaluation stream; all their states go into each checkpoint.
 *
 * Output: it writes only through a `RunSink` (rl/io/sink.ts; `outDir` gives the Node run directory with its
 * lock file), under the same rules as FISOR's loop (rl/io/run_guard.ts): a fresh run refuses a run that
 * already holds files unless `overwrite`; a fresh run that fails before its first checkpoint leaves nothing
 * behind; resuming a finished run does nothing; a resume must give the same dataset (content hash) and may
 * only extend `steps` and must keep the cost limit (`costLimit`, stored as the checkpoint's config.costLimit).
 * `shouldStop` (Ctrl-C in the CLI) ends the run after the current step with a checkpoint that resumes exactly.
 *
 * Run contents: config.json (algo, task, seed, config, dataset with content hash, provenance),
 * metrics.jsonl ({"type":"train",...} means over logEvery steps, and {"type":"eval",...}) and metrics.csv
 * (the same lines; columns in order of first appearance), checkpoint/ (nn checkpoint; metadata names the
 * algorithm), eval.json.
 */
import { getBackend, Rng, type RngState } from '../../core/index.js';
import type { LoadedCheckpoint } from '../../nn/index.js';
import { collect, DEFAULT_RECIPE, type CollectRecipe } from '../data/collect.js';
import { checkDatasetTask, datasetHash, validateDataset, type Dataset } from '../data/dataset.js';
import { makeEnv } from '../envs/registry.js';
import { evaluate, type EvalResult } from '../fisor/evaluate.js';
import { checkSeed } from '../fisor/train_meta.js';
import { CsvColumns, csvRow } from '../io/metrics_csv.js';
import { badBestRecord, type BestRecord } from '../io/best.js';
import { badLogWindow, CHECKPOINT_DIR, LogWindow, runSteps, type LogWindowState } from '../io/train_loop.js';
import { resumedProvenance, runProvenance } from '../io/provenance.js';
import { checkResumeSteps, checkSameDataset, discardFresh, keepBestUpTo, keepMetricsUpTo, loadResumeCheckpoint, resolveSink, startFresh, type DatasetRecord } from '../io/run_guard.js';
import type { RunSink } from '../io/sink.js';
import { checkLoop } from './config.js';
import { deriveRng } from './data.js';
import { algorithmDef } from './registry.js';
import type { Algorithm, LoopConfig } from './types.js';

export { CHECKPOINT_DIR };

export interface AlgoTrainOptions {
  algo: string;
  task: string;
  config: LoopConfig;
  seed: number;
  /** Node: the run directory. Give this or `sink`. */
  outDir?: string;
  /** Where to write (default: a NodeRunSink on outDir, with its lock file). */
  sink?: RunSink;
  /** Training data; default: the task's default behaviour dataset, collected with `datasetSeed`. */
  dataset?: Dataset;
  datasetSeed?: number;
  /** Recipe of the collected default dataset (docs/DATASETS.md; default 'fixed'); ignored with `dataset`. */
  dataRecipe?: CollectRecipe;
  /** Where `dataset` was read from (recorded in config.json). */
  datasetPath?: string;
  /** Train even though the dataset's `task` attribute names another task. */
  allowTaskMismatch?: boolean;
  /** Continue from outDir/checkpoint (algorithm, config and seed from the checkpoint; `steps` may extend). */
  resume?: boolean;
  /** Replace whatever the run holds (a fresh run otherwise refuses a non-empty run). */
  overwrite?: boolean;
  /** With resume: extend the run to this many steps (never fewer than the checkpoint's step). */
  steps?: number;
  /** Extra provenance fields (Node callers add the package version and git commit). */
  provenance?: Record<string, unknown>;
  /**
   * The run's cost limit kappa (default: config.costLimit): it replaces config.costLimit, so the algorithm's
   * own uses (BC-Safe's trajectory split, CDT's target return, the per-step thresholds of BCQ-Lag / CPQ /
   * COptiDICE) and the evaluation scores all follow it. A resume refuses a different one.
   */
  costLimit?: number;
  /** Stop (with a checkpoint) once this step is reached, as if interrupted (tests). */
  stopAt?: number;
  /** Polled after every step (the loop yields to the event loop every ~100 ms so that Ctrl-C can set it): true stops with a checkpoint. */
  shouldStop?: () => boolean;
  onStep?: (step: number, total: number, algorithm: Algorithm) => void;
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
  /** Stopped by stopAt / shouldStop before config.steps (a checkpoint was saved). */
  interrupted: boolean;
  /** Resume found the run finished: nothing was trained or written. */
  alreadyFinished: boolean;
  /** The cost limit kappa the run scores with (its config.costLimit). */
  costLimit: number;
  /** The best evaluation so far (OSRL's rule) when periodic evaluation is on, else null. */
  best: BestRecord | null;
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
  dataset: DatasetRecord;
  /** True once the run reached config.steps and did its final evaluation (absent in older checkpoints). */
  finished?: boolean;
  provenance?: Record<string, unknown>;
  /** The best evaluation so far (absent in older checkpoints). */
  best?: BestRecord | null;
  /** The logging window in progress, so that a resumed run writes the same train lines (absent in older checkpoints). */
  logWindow?: LogWindowState;
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
  if (meta.finished !== undefined && typeof meta.finished !== 'boolean') bad(`field 'finished' must be true or false, got ${JSON.stringify(meta.finished)}`);
  const badBest = badBestRecord(meta.best);
  if (badBest) bad(badBest);
  const d = meta.dataset as unknown;
  if (typeof d !== 'object' || d === null || typeof (d as DatasetRecord).source !== 'string' || !Number.isInteger((d as DatasetRecord).size)) bad(`field 'dataset' must be { source, size }, got ${JSON.stringify(d)}`);
  if ((d as DatasetRecord).hash !== undefined && typeof (d as DatasetRecord).hash !== 'string') bad("field 'dataset.hash' must be a string");
  const complete = algorithmDef(meta.algo).withDefaults;
  if (complete) meta.config = complete(meta.config);
  checkLoop(meta.config);
  algorithmDef(meta.algo).check(meta.config);
  const badWindow = badLogWindow(meta.logWindow, meta.config.logEvery);
  if (badWindow) bad(badWindow);
  return meta;
}

/** Rebuilds a trained algorithm from a run directory (or its checkpoint/) for evaluation. Node only (reads a directory). */
export async function loadAlgorithm(dir: string): Promise<{ algorithm: Algorithm; meta: AlgoCheckpointMetadata; step: number }> {
  const [{ existsSync }, { join }, { loadCheckpoint }] = await Promise.all([import('node:fs'), import('node:path'), import('../../nn/checkpoint.js')]);
  const ckptDir = existsSync(join(dir, 'manifest.json')) ? dir : join(dir, CHECKPOINT_DIR);
  const loaded = await loadCheckpoint(ckptDir);
  const meta = algoMetadata(loaded, ckptDir);
  const { algorithm } = buildAlgorithm(meta.algo, meta.config, meta.task, meta.obsDim, meta.actDim, null, meta.seed);
  algorithm.loadState(loaded);
  algorithm.setRngStates(meta.rngs.algorithm);
  return { algorithm, meta, step: loaded.step };
}

/** Whether a checkpoint directory was written by this loop (its metadata names an algorithm). Node only. */
export async function isAlgoCheckpoint(dir: string): Promise<boolean> {
  const [{ existsSync, readFileSync }, { join }] = await Promise.all([import('node:fs'), import('node:path')]);
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
  const { task } = opts;
  const log = opts.log ?? (() => {});
  // Everything that can be checked before touching the run is checked first.
  if (!opts.resume) {
    checkSeed(opts.seed);
    checkLoop(opts.config);
    algorithmDef(opts.algo).check(opts.config);
  }
  if (opts.steps !== undefined && !(Number.isInteger(opts.steps) && opts.steps > 0)) throw new Error(`steps must be a positive integer, got ${opts.steps}`);
  if (opts.costLimit !== undefined && !(Number.isFinite(opts.costLimit) && opts.costLimit >= 0)) throw new Error(`cost limit must be a number >= 0, got ${opts.costLimit}`);
  const env = makeEnv(task);
  const recipe = opts.dataRecipe ?? DEFAULT_RECIPE;
  const ds = opts.dataset ?? collect(task, { seed: opts.datasetSeed ?? 0, recipe });
  validateDataset(ds, opts.datasetPath ?? 'dataset');
  if (ds.observationSize !== env.observationSize || ds.actionSize !== env.actionSize) {
    throw new Error(`${opts.datasetPath ?? 'the dataset'} has obs ${ds.observationSize} / act ${ds.actionSize}, task ${task} needs ${env.observationSize} / ${env.actionSize}`);
  }
  checkDatasetTask(ds, task, opts.datasetPath, opts.allowTaskMismatch);
  // The fixed recipe keeps its original label, so that runs made before recipes existed still resume.
  const dsSource = opts.dataset ? 'given' : `collect(${task}, seed ${opts.datasetSeed ?? 0}${recipe === 'fixed' ? '' : `, recipe ${recipe}`})`;
  const datasetRecord = { source: dsSource, path: opts.datasetPath, hash: datasetHash(ds), size: ds.size };

  // A fresh run makes its algorithm (which checks the data against the config) before it touches the run
  // directory, so a bad dataset or config cannot cost an --overwrite'd run.
  const prebuilt = opts.resume ? null : buildAlgorithm(opts.algo, opts.costLimit !== undefined ? { ...opts.config, costLimit: opts.costLimit } : opts.config, task, ds.observationSize, ds.actionSize, ds, opts.seed);

  const sink = await resolveSink(opts, 'trainAlgorithm');
  const where = sink.location;
  const existing = await sink.open();
  let wroteCheckpoint = false;
  let fresh = false;
  try {
    let { algo, seed } = opts;
    let cfg: LoopConfig = opts.costLimit !== undefined ? { ...opts.config, costLimit: opts.costLimit } : opts.config;
    let loaded: LoadedCheckpoint | null = null;
    let meta: AlgoCheckpointMetadata | null = null;
    if (opts.resume) {
      loaded = await loadResumeCheckpoint(sink, CHECKPOINT_DIR);
      meta = algoMetadata(loaded, `${where}/${CHECKPOINT_DIR}`);
      if (meta.task !== task) throw new Error(`--resume: the checkpoint in ${where} is for task ${meta.task}, not ${task}`);
      if (meta.algo !== algo) throw new Error(`--resume: the checkpoint in ${where} is of algorithm ${meta.algo}, not ${algo}`);
      checkResumeSteps(opts.steps, loaded.step, where);
      if (opts.costLimit !== undefined && opts.costLimit !== meta.config.costLimit) {
        throw new Error(`--resume: the run in ${where} uses cost limit ${meta.config.costLimit}; a resume cannot change it to ${opts.costLimit}`);
      }
      seed = meta.seed;
      cfg = { ...meta.config, steps: opts.steps ?? meta.config.steps };
      checkSameDataset(meta.dataset, datasetRecord, where);
      // Finished: the checkpoint reached its own config.steps (older checkpoints lack the flag) and no longer run was asked for.
      if (loaded.step >= cfg.steps && (meta.finished ?? loaded.step >= meta.config.steps)) {
        log(`the run in ${where} already finished at step ${loaded.step}: nothing to do (pass --steps N > ${loaded.step} to extend it)`);
        const { algorithm } = buildAlgorithm(algo, meta.config, task, meta.obsDim, meta.actDim, null, meta.seed);
        algorithm.loadState(loaded);
        algorithm.setRngStates(meta.rngs.algorithm);
        const lastText = await sink.read('eval.json');
        const lastEval = lastText ? (JSON.parse(lastText) as EvalResult) : null;
        return { algorithm, step: loaded.step, trainSeconds: 0, stepsPerSecond: 0, lastEval, outDir: where, interrupted: false, alreadyFinished: true, costLimit: meta.config.costLimit, best: meta.best ?? null };
      }
      if (meta.backend !== getBackend().name) {
        log(`note: the checkpoint was written on backend ${meta.backend} and resumes on ${getBackend().name}: the continuation will not be bit-identical to an uninterrupted ${meta.backend} run`);
      }
    } else {
      await startFresh(sink, existing, opts.overwrite, log);
      fresh = true;
    }
    const def = algorithmDef(algo);
    checkLoop(cfg);
    def.check(cfg);
    const { algorithm, data: dataRng, eval: evalRng } = prebuilt ?? buildAlgorithm(algo, cfg, task, ds.observationSize, ds.actionSize, ds, seed);
    // A resume keeps what trained the steps before it (other code, say) under provenance.earlier, as FISOR's loop does.
    const provenance = resumedProvenance(runProvenance(cfg, opts.provenance ?? {}), meta?.provenance, loaded?.step ?? 0);

    let step = 0;
    let best: BestRecord | null = null;
    let window = new LogWindow();
    const csv = new CsvColumns();
    const lines: Record<string, unknown>[] = [];
    if (loaded && meta) {
      algorithm.loadState(loaded);
      algorithm.setRngStates(meta.rngs.algorithm);
      dataRng.setState(meta.rngs.loop.data);
      evalRng.setState(meta.rngs.loop.eval);
      step = loaded.step;
      best = await keepBestUpTo(sink, loaded.step, meta.best ?? null, log);
      if (meta.logWindow) window = new LogWindow(meta.logWindow);
      lines.push(...(await keepMetricsUpTo(sink, step)));
      for (const l of lines) csv.add(l);
      await sink.writeAtomic('metrics.csv', csv.text(lines));
      log(`resumed ${algo} from ${where}/${CHECKPOINT_DIR} at step ${step}`);
    } else {
      await sink.writeAtomic('metrics.jsonl', '');
      await sink.writeAtomic('metrics.csv', csv.header());
    }
    await sink.writeAtomic('config.json', JSON.stringify({ algo, task, seed, config: cfg, dataset: datasetRecord, datasetSize: ds.size, provenance }, null, 2) + '\n');

    const writeLine = async (obj: Record<string, unknown>) => {
      lines.push(obj);
      await sink.append('metrics.jsonl', JSON.stringify(obj) + '\n');
      if (csv.add(obj)) await sink.writeAtomic('metrics.csv', csv.text(lines));
      else await sink.append('metrics.csv', csvRow(obj, csv.columns));
    };
    const metadataNow = (finished: boolean, best: BestRecord | null): AlgoCheckpointMetadata => ({
      algo, task, seed, config: cfg, obsDim: ds.observationSize, actDim: ds.actionSize, backend: getBackend().name,
      rngs: { algorithm: algorithm.rngStates(), loop: { data: dataRng.getState(), eval: evalRng.getState() } },
      dataset: datasetRecord, logWindow: window.state(), finished, provenance, best,
    });
    const ran = await runSteps({
      step, steps: cfg.steps, stopAt: Math.min(cfg.steps, opts.stopAt ?? Infinity),
      logEvery: cfg.logEvery, evalEvery: cfg.evalEvery, checkpointEvery: cfg.checkpointEvery, evalAtStart: false,
      skipFinalEval: opts.skipFinalEval, window, best, sink, log, costLimit: cfg.costLimit, evalEpisodes: cfg.evalEpisodes,
      extra: { algo }, writeLine,
      stateTensors: () => algorithm.stateTensors(),
      metadata: (finished, bestNow) => metadataNow(finished, bestNow) as unknown as Record<string, unknown>,
      onSaved: () => {
        wroteCheckpoint = true;
      },
      update: (index) => {
        const m = algorithm.update(algorithm.sample(dataRng), index);
        for (const [k, v] of Object.entries(m)) if (!Number.isFinite(v)) throw new Error(`${algo} diverged at step ${index + 1}: metric ${k} = ${v} (${JSON.stringify(m)})`);
        return m;
      },
      evaluate: () => evaluate(algorithm, task, { episodes: cfg.evalEpisodes, rng: evalRng, costLimit: cfg.costLimit }),
      onStep: (at) => opts.onStep?.(at, cfg.steps, algorithm),
      shouldStop: opts.shouldStop,
    });
    const trainSeconds = ran.trainMs / 1000;
    return { algorithm, step: ran.step, trainSeconds, stepsPerSecond: trainSeconds > 0 ? (ran.step - step) / trainSeconds : 0, lastEval: ran.lastEval, outDir: where, interrupted: !ran.finished, alreadyFinished: false, costLimit: cfg.costLimit, best: ran.best };
  } catch (e) {
    if (fresh && !wroteCheckpoint) await discardFresh(sink);
    throw e;
  } finally {
    await sink.close({ removeIfEmpty: true }); // e.g. a --resume of a directory that did not exist
  }
}
