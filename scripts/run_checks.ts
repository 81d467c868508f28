/**
 * What the experiment scripts (results.ts, baselines.ts, ablations.ts, data_quantity.ts) check before they resume
 * or report a run: whether a leftover checkpoint is this invocation's run (checkResumeConfig, configDiff), and how
 * long a run trained across resumes (trainingSecondsFromMetrics).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withDefaults, type FisorConfig } from '../rl/fisor/config.js';
import { CHECKPOINT_DIR } from '../rl/fisor/train.js';
import { NodeRunSink } from '../rl/io/node_sink.js';

/** Dotted paths of the keys in which two configs (or any JSON values) differ, sorted; [] when equal. */
export function configDiff(a: unknown, b: unknown, prefix = ''): string[] {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => configDiff(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(root)'];
}

/**
 * Before a script resumes the checkpoint left in `runDir` (an interrupted run, or one whose evaluation never
 * finished): `train({ resume: true })` continues under the checkpoint's own task, seed and config, so one made
 * with other settings would be saved and reported under this invocation's. Throws naming the difference and
 * `fix`; does nothing when there is no checkpoint.
 */
export function checkResumeConfig(runDir: string, task: string, seed: number, config: FisorConfig, fix: string): void {
  const manifest = join(runDir, CHECKPOINT_DIR, 'manifest.json');
  if (!existsSync(manifest)) return;
  let meta: { task?: unknown; seed?: unknown; config?: unknown } | undefined;
  try {
    meta = (JSON.parse(readFileSync(manifest, 'utf8')) as { metadata?: typeof meta }).metadata;
  } catch (e) {
    throw new Error(`${manifest}: cannot read the checkpoint to resume (${(e as Error).message}); ${fix}`);
  }
  if (meta?.task !== task || meta.seed !== seed) throw new Error(`${manifest} is ${String(meta?.task)} seed ${String(meta?.seed)}, not ${task} seed ${seed}; ${fix}`);
  const diff = typeof meta.config === 'object' && meta.config !== null ? configDiff(withDefaults(meta.config as FisorConfig), config) : ['config'];
  if (diff.length) throw new Error(`${manifest} was trained with another config (differs in ${diff.join(', ')}); ${fix}`);
}

/**
 * Seconds a run's training took up to `upTo` steps, from its metrics.jsonl (each train line's window of steps
 * divided by its steps per second); 0 without metrics. Survives resumes and later invocations.
 */
export function trainingSecondsFromMetrics(metricsPath: string, upTo = Infinity): number {
  if (!existsSync(metricsPath)) return 0;
  let prev = 0, total = 0;
  for (const line of readFileSync(metricsPath, 'utf8').split('\n')) {
    if (!line.includes('"type":"train"')) continue;
    const m = JSON.parse(line) as { step: number; stepsPerSec?: number };
    if (m.step > upTo) break;
    if (m.stepsPerSec && m.stepsPerSec > 0) total += (m.step - prev) / m.stepsPerSec;
    prev = m.step;
  }
  return total;
}

/**
 * A finished run's training seconds. train() times only the steps its own process ran (none when the checkpoint had
 * already finished), so a run continued from a checkpoint (`resumed`) is timed from its metrics.jsonl instead, after
 * step `afterStep` (an ablation's actor arm starts from a copied critic phase, counted apart).
 */
export function runTrainSeconds(runDir: string, resumed: boolean, thisProcess: number, afterStep = 0): number {
  if (!resumed) return thisProcess;
  const metrics = join(runDir, 'metrics.jsonl');
  return trainingSecondsFromMetrics(metrics) - (afterStep > 0 ? trainingSecondsFromMetrics(metrics, afterStep) : 0);
}

/**
 * Whether the run in `runDir` has a checkpoint to continue. A save interrupted between its two renames is repaired
 * first (NodeRunSink.restoreInterruptedSave): without that the scripts saw no checkpoint and retrained the run from
 * step 0 with --overwrite, deleting the previous checkpoint that the interrupted save had set aside.
 */
export function hasCheckpoint(runDir: string, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): boolean {
  NodeRunSink.restoreInterruptedSaveNoted(runDir, log, CHECKPOINT_DIR);
  return existsSync(join(runDir, CHECKPOINT_DIR, 'manifest.json'));
}

/** The JSON in the file at `path`; a damaged file is named, with the parser's reason and `then` (what was or is to be done). */
export function readJsonFile(path: string, then: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}); ${then}`);
  }
}
