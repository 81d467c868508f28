/**
 * The run-directory rules every training loop keeps (FISOR's rl/fisor/train.ts and rl/algos/train.ts):
 * resolve the sink, refuse a non-empty run without resume / overwrite, keep only the metrics lines a
 * checkpoint covers on resume, compare the training data with the checkpoint's, and leave nothing behind
 * when a fresh run fails before its first checkpoint. Platform-neutral: the Node sink is imported on demand.
 */
import type { LoadedCheckpoint } from '../../nn/index.js';
import { BEST_CHECKPOINT_DIR, type BestRecord } from './best.js';
import type { RunSink } from './sink.js';

/** The given sink, or a Node run directory on `outDir` (imported here so browsers never load it). */
export async function resolveSink(opts: { sink?: RunSink; outDir?: string }, who = 'train'): Promise<RunSink> {
  if (opts.sink) return opts.sink;
  if (!opts.outDir) throw new Error(`${who}: give outDir (a run directory) or sink`);
  const spec = './node_sink.js';
  const { NodeRunSink } = (await import(/* @vite-ignore */ spec)) as typeof import('./node_sink.js');
  return new NodeRunSink(opts.outDir);
}

/**
 * A fresh run: refuses a location that already holds entries, unless `overwrite`, which clears it; and
 * `overwrite` clears only a run (a config.json with `task` and `config`, as every training writes first),
 * never a directory of other files (`--out .` or a folder of runs).
 */
export async function startFresh(sink: RunSink, existing: string[], overwrite: boolean | undefined, log: (line: string) => void): Promise<void> {
  if (existing.length === 0) return;
  const list = `${existing.slice(0, 5).join(', ')}${existing.length > 5 ? ', ...' : ''}`;
  if (!overwrite) {
    throw new Error(`${sink.location} already holds a run (${list}); pass --resume to continue it or --overwrite to replace it`);
  }
  if (!(await holdsRun(sink))) {
    throw new Error(`--overwrite replaces a training run, and ${sink.location} is not one: it holds ${list} but no run's config.json; nothing was deleted; choose a new or empty --out`);
  }
  await sink.clear();
  log(`--overwrite: cleared ${sink.location}`);
}

/** The location holds a training run: its config.json parses and names a task and a config. */
async function holdsRun(sink: RunSink): Promise<boolean> {
  try {
    const c = JSON.parse((await sink.read('config.json')) ?? 'null') as { task?: unknown; config?: unknown } | null;
    return typeof c?.task === 'string' && typeof c.config === 'object' && c.config !== null;
  } catch {
    return false;
  }
}

/** `--resume --steps N` may only extend a run. */
/**
 * The checkpoint a `--resume` continues from; when there is none, the error says why (the sink's load
 * error names a checkpoint that an interrupted save left aside, with the rename that restores it).
 */
export async function loadResumeCheckpoint(sink: RunSink, checkpointDir: string): Promise<LoadedCheckpoint> {
  if (!(await sink.hasCheckpoint(checkpointDir))) {
    let why = 'no checkpoint';
    try {
      await sink.loadCheckpoint(checkpointDir);
    } catch (e) {
      why = (e as Error).message;
    }
    throw new Error(`--resume: no checkpoint in ${sink.location} (${why})`);
  }
  return sink.loadCheckpoint(checkpointDir);
}

export function checkResumeSteps(steps: number | undefined, checkpointStep: number, where: string): void {
  if (steps !== undefined && steps < checkpointStep) {
    throw new Error(`--resume --steps ${steps}: the checkpoint in ${where} is already at step ${checkpointStep}; give --steps >= ${checkpointStep} (or no --steps)`);
  }
}

export interface DatasetRecord {
  source: string;
  size: number;
  hash?: string;
  path?: string;
}

/** Exact resume needs the same transitions: a different dataset would silently change the run. */
export function checkSameDataset(was: DatasetRecord | undefined, now: Required<Pick<DatasetRecord, 'source' | 'size' | 'hash'>> & { path?: string }, where: string): void {
  if (!was) return;
  const same = was.hash !== undefined ? was.hash === now.hash && was.size === now.size : was.source === now.source && was.size === now.size;
  if (same) return;
  const desc = (src: string, size: number) => `${src === 'given' ? 'a given dataset' : src} of ${size} transitions`;
  throw new Error(`--resume: the checkpoint in ${where} was trained on ${desc(was.path ?? was.source, was.size)}; this call gives ${desc(now.path ?? now.source, now.size)}${was.hash ? ` (content hash ${was.hash}, now ${now.hash})` : ''}; resume with the same data or start a new run`);
}

/**
 * On resume: drops the metrics.jsonl lines written after the checkpoint (they will be written again; a line
 * torn by a crash mid-append does not parse, lies after the checkpoint, and goes too). Returns the kept lines, parsed.
 */
export async function keepMetricsUpTo(sink: RunSink, step: number): Promise<Record<string, unknown>[]> {
  const stepOf = (l: string): number => {
    try {
      return (JSON.parse(l) as { step: number }).step;
    } catch {
      return Infinity;
    }
  };
  const kept = ((await sink.read('metrics.jsonl')) ?? '').split('\n').filter((l) => l.trim() && stepOf(l) <= step);
  await sink.writeAtomic('metrics.jsonl', kept.map((l) => l + '\n').join(''));
  return kept.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * On resume: the best checkpoint must be the one the resumed checkpoint's record names. A process stopped after
 * saving a new best but before its next latest checkpoint leaves a best from steps this run replays (like the
 * metrics lines keepMetricsUpTo drops): its record is not in the resumed checkpoint, and the state that record names
 * was overwritten. Such a best (or one that cannot be read) is deleted with its best.json, and the best record starts
 * over (null), so the next evaluation saves a best again; a bit-exact resume reaches the same best as an uninterrupted
 * run (the order is total), a non-bit-exact one no longer keeps a best it never reached. Returns the record to go on
 * with and logs what it deleted.
 */
export async function keepBestUpTo(sink: RunSink, step: number, best: BestRecord | null, log: (line: string) => void): Promise<BestRecord | null> {
  if (!(await sink.hasCheckpoint(BEST_CHECKPOINT_DIR))) return best;
  let savedStep: number | null = null;
  try {
    savedStep = (await sink.loadCheckpoint(BEST_CHECKPOINT_DIR)).step;
  } catch {
    // unreadable: it cannot be the record's state
  }
  if (savedStep !== null && best !== null && savedStep === best.step && savedStep <= step) return best;
  await sink.remove(BEST_CHECKPOINT_DIR);
  await sink.remove('best.json');
  const what = savedStep === null ? 'could not be read'
    : savedStep > step ? `holds step ${savedStep}, after the resumed step ${step} (the stopped process saved it, then stopped before its next checkpoint)`
    : best === null ? `holds step ${savedStep}, but the resumed checkpoint records no best`
    : `holds step ${savedStep}, not step ${best.step} that the resumed checkpoint records as best`;
  log(`note: ${sink.location}/${BEST_CHECKPOINT_DIR} ${what}; deleted it and best.json, and the best checkpoint starts over from the next evaluation`);
  return null;
}

/** A fresh run that never reached a checkpoint leaves nothing behind (not even an empty directory). Best effort. */
export async function discardFresh(sink: RunSink): Promise<void> {
  try {
    await sink.clear();
    await sink.close({ removeIfEmpty: true });
  } catch {
    // cleaning up is best effort; the original error matters
  }
}
