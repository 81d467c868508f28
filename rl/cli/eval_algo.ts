/**
 * `fisor eval --checkpoint <dir>` for a checkpoint of rl/algos: the algorithm is read from the checkpoint; scores
 * use `--cost-limit K` if given, else the run's cost limit (its config.costLimit). A FISOR run of the common loop
 * (rl/algos/fisor_adapter.ts) is evaluated as rl/cli/eval.ts evaluates FISOR's own runs, with the same flags. A policy
 * that acts with noise (Algorithm.seedActing) draws it from --seed, so that the same networks give the same scores
 * whichever loop trained them and however many evaluations that ran.
 */
import { FisorAlgorithm } from '../algos/fisor_adapter.js';
import { loadAlgorithm } from '../algos/train.js';
import { evaluate, type Policy } from '../fisor/evaluate.js';
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
  const agent = algorithm instanceof FisorAlgorithm ? algorithm.agent : null;
  const choice = f['violating-choice'] as 'safest' | 'reward' | undefined; // checked by eval.ts
  if (!agent) {
    for (const [flag, given] of [['--monitor', f.monitor], ['--samples', f.samples !== undefined], ['--violating-choice', choice !== undefined]] as const) {
      if (given) throw new UsageError(`${flag} is FISOR's (its candidate actions and critics); ${f.checkpoint} holds a ${meta.algo} run`);
    }
  }
  checkFixedStartFlag(f['fixed-start'], meta.task);
  const costLimit = f['cost-limit'] ?? meta.config.costLimit;
  // The acting noise restarts from --seed (it used to continue the checkpoint's stream, which depends on how many
  // evaluations training ran: identical networks scored differently).
  algorithm.seedActing?.(f.seed);
  let policy: Policy = algorithm;
  if (agent) {
    // As rl/cli/eval.ts does for FISOR's own checkpoints (acting only).
    if (choice !== undefined) agent.cfg.violatingChoice = choice;
    policy = agent;
  }
  let prog: Progress | null = null;
  const res = evaluate(policy, meta.task, {
    episodes: f.episodes, seed: f.seed, fixedStart: f['fixed-start'], costLimit,
    ...(agent ? { numSamples: f.samples, monitor: f.monitor } : {}),
    onStep: (t, max) => {
      prog ??= new Progress(max, { label: `eval ${meta.algo} ${meta.task}`, unit: 'env steps', stream: io.stderr, quiet: f.quiet });
      prog.update(t);
    },
  });
  (prog as Progress | null)?.done();
  const out = f.out ?? defaultEvalOut(f); // FISOR's flags were refused above unless this is a FISOR run
  const acting = agent ? { numSamples: f.samples ?? agent.cfg.numSamples, violatingChoice: agent.cfg.violatingChoice, modeCandidate: agent.cfg.modeCandidate, modeMargin: agent.cfg.modeMargin, modeEstimate: agent.cfg.modeEstimate } : {};
  writeFileAtomic(out, JSON.stringify({ algo: meta.algo, checkpointStep: step, costLimit, ...acting, ...res }, null, 2) + '\n');
  io.stdout.write(
    `${meta.algo} on ${meta.task} (checkpoint step ${step}, ${f.episodes} episodes${f['fixed-start'] ? ', fixed start' : ''}):\n` +
      `  normalized reward ${res.normalizedReward.toFixed(3)} +- ${res.normalizedRewardStd.toFixed(3)}\n` +
      `  normalized cost   ${res.normalizedCost.toFixed(3)} +- ${res.normalizedCostStd.toFixed(3)}  (cost limit ${costLimit}; ${res.safe ? 'safe: <= 1' : 'UNSAFE: > 1'}; ${(100 * res.safeFraction).toFixed(0)}% of episodes safe)\n` +
      `  return ${res.meanReturn.toFixed(2)}, cost ${res.meanCost.toFixed(2)} per episode; ${res.seconds.toFixed(1)} s\n` +
      (res.monitor ? `  monitor: ${res.monitor.violations} violating steps; causes ${JSON.stringify(res.monitor.byCause)}; root causes ${JSON.stringify(res.monitor.rootCause)}\n` : '') +
      `  wrote ${out}\n` +
      `  (environments re-implement the task definitions; scores compare within this project only)\n`,
  );
}
