/**
 * `fisor eval --checkpoint <dir>` for a checkpoint of rl/algos: the algorithm is read from the checkpoint; scores
 * use `--cost-limit K` if given, else the run's cost limit (its config.costLimit).
 */
import { loadAlgorithm } from '../algos/train.js';
import { evaluate } from '../fisor/evaluate.js';
import { writeFileAtomic } from '../io/atomic.js';
import { UsageError } from './args.js';
import type { CliIO } from './command.js';
import { checkFixedStartFlag, defaultEvalOut } from './eval.js';
import { Progress } from './progress.js';

export interface AlgoEvalFlags {
  checkpoint: string;
  episodes: number;
  seed: number;
  'fixed-start': boolean;
  'cost-limit'?: number;
  out?: string;
  quiet: boolean;
  /** FISOR-only flags: refused here rather than ignored. */
  monitor?: boolean;
  samples?: number;
  'violating-choice'?: string;
}

/** `--out` was checked by the caller (eval.ts) before it got here. */
export async function runEvalAlgo(f: AlgoEvalFlags, io: CliIO): Promise<void> {
  const { algorithm, meta, step } = await loadAlgorithm(f.checkpoint);
  for (const [flag, given] of [['--monitor', f.monitor], ['--samples', f.samples !== undefined], ['--violating-choice', f['violating-choice'] !== undefined]] as const) {
    if (given) throw new UsageError(`${flag} is FISOR's (its candidate actions and critics); ${f.checkpoint} holds a ${meta.algo} run`);
  }
  checkFixedStartFlag(f['fixed-start'], meta.task);
  const costLimit = f['cost-limit'] ?? meta.config.costLimit;
  let prog: Progress | null = null;
  const res = evaluate(algorithm, meta.task, {
    episodes: f.episodes, seed: f.seed, fixedStart: f['fixed-start'], costLimit,
    onStep: (t, max) => {
      prog ??= new Progress(max, { label: `eval ${meta.algo} ${meta.task}`, unit: 'env steps', stream: io.stderr, quiet: f.quiet });
      prog.update(t);
    },
  });
  (prog as Progress | null)?.done();
  const suffix = `${f['fixed-start'] ? '-fixed' : ''}${f['cost-limit'] !== undefined ? `-k${f['cost-limit']}` : ''}`;
  const out = f.out ?? defaultEvalOut(f.checkpoint, f.seed, suffix);
  writeFileAtomic(out, JSON.stringify({ algo: meta.algo, checkpointStep: step, costLimit, ...res }, null, 2) + '\n');
  io.stdout.write(
    `${meta.algo} on ${meta.task} (checkpoint step ${step}, ${f.episodes} episodes${f['fixed-start'] ? ', fixed start' : ''}):\n` +
      `  normalized reward ${res.normalizedReward.toFixed(3)} +- ${res.normalizedRewardStd.toFixed(3)}\n` +
      `  normalized cost   ${res.normalizedCost.toFixed(3)} +- ${res.normalizedCostStd.toFixed(3)}  (cost limit ${costLimit}; ${res.safe ? 'safe: <= 1' : 'UNSAFE: > 1'}; ${(100 * res.safeFraction).toFixed(0)}% of episodes safe)\n` +
      `  return ${res.meanReturn.toFixed(2)}, cost ${res.meanCost.toFixed(2)} per episode; ${res.seconds.toFixed(1)} s\n` +
      `  wrote ${out}\n` +
      `  (environments re-implement the task definitions; scores compare within this project only)\n`,
  );
}
