/**
 * What both `fisor train` paths (FISOR's rl/cli/train.ts and the baselines' rl/cli/train_algo.ts) do around
 * their training call: the progress bar, Ctrl-C (a checkpoint at the next step, exit 130), log lines that do
 * not tear the bar, and the closing report. Returns the exit code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalResult } from '../fisor/evaluate.js';
import type { BestRecord } from '../io/best.js';
import type { CliIO } from './command.js';
import { backendLabel } from './common.js';
import { formatDuration, Progress } from './progress.js';
import { sigintStopper } from './sigint.js';

/** What the report reads of a training result (both loops' results have it). */
export interface TrainOutcome {
  step: number;
  stepsPerSecond: number;
  lastEval: EvalResult | null;
  interrupted: boolean;
  alreadyFinished: boolean;
  best: BestRecord | null;
  costLimit: number;
}

/**
 * The progress bar's total for `--resume`: --steps if given, else the run's own length from its checkpoint (the
 * preset's step count, which the bar used, is not the run's when it was made with --steps or --set). A checkpoint
 * that cannot be read gives `fallback`; the training call then reports what is wrong with it.
 */
export function resumeTotal(out: string, steps: number | undefined, fallback: number): number {
  if (steps !== undefined) return steps;
  try {
    const m = JSON.parse(readFileSync(join(out, 'checkpoint', 'manifest.json'), 'utf8')) as { metadata?: { config?: { steps?: unknown } } };
    const s = m.metadata?.config?.steps;
    return typeof s === 'number' && Number.isInteger(s) && s > 0 ? s : fallback;
  } catch {
    return fallback;
  }
}

/** The hooks the training call is given. */
export interface TrainHooks {
  shouldStop: () => boolean;
  onStep: (step: number) => void;
  log: (line: string) => void;
}

export async function runTrainingCli(
  io: CliIO,
  o: { total: number; label: string; quiet: boolean; out: string; continueCommand: string },
  start: (hooks: TrainHooks) => Promise<TrainOutcome>,
): Promise<number> {
  const bar = new Progress(o.total, { label: o.label, stream: io.stderr, quiet: o.quiet });
  const t0 = performance.now();
  const interrupt = sigintStopper(io);
  let res: TrainOutcome;
  try {
    res = await start({
      shouldStop: interrupt.shouldStop,
      onStep: (s) => bar.update(s),
      log: (line) => {
        if (io.stderr.isTTY && !o.quiet) io.stderr.write('\r\x1b[K');
        io.stdout.write(line + '\n');
      },
    });
  } finally {
    interrupt.dispose();
  }
  bar.done();
  if (res.alreadyFinished) return 0; // the loop said so; nothing was trained or written
  if (res.interrupted) {
    io.stdout.write(`stopped at step ${res.step}; checkpoint ${o.out}/checkpoint saved. Continue with: ${o.continueCommand}\n`);
    return interrupt.shouldStop() ? 130 : 0;
  }
  const ev = res.lastEval;
  io.stdout.write(`done: ${res.step} steps, ${res.stepsPerSecond.toFixed(1)} updates/s (${backendLabel()}), wall ${formatDuration((performance.now() - t0) / 1000)}\n`);
  if (ev) io.stdout.write(`normalized reward ${ev.normalizedReward.toFixed(3)} +- ${ev.normalizedRewardStd.toFixed(3)}, normalized cost ${ev.normalizedCost.toFixed(3)} +- ${ev.normalizedCostStd.toFixed(3)} (${ev.episodes.length} episodes; ${ev.safe ? 'safe' : 'UNSAFE'} at cost limit ${res.costLimit})\n`);
  if (res.best) io.stdout.write(`best checkpoint ${o.out}/checkpoint-best (step ${res.best.step}: normalized cost ${res.best.normalizedCost.toFixed(3)}, reward ${res.best.normalizedReward.toFixed(3)})\n`);
  io.stdout.write(`checkpoint ${o.out}/checkpoint, metrics ${o.out}/metrics.jsonl and metrics.csv\n`);
  return 0;
}
