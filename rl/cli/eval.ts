/** `fisor eval --checkpoint <dir> [--episodes 20] [--seed S] [--fixed-start] [--samples N] [--cost-limit K] [--out file [--force]]` */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { actingRngState } from '../algos/data.js';
import { taskReference } from '../envs/reference.js';
import { evaluate } from '../fisor/evaluate.js';
import { loadAgent } from '../fisor/train.js';
import { writeFileAtomic } from '../io/atomic.js';
import { parseFlags, UsageError, type FlagSpecs } from './args.js';
import type { Command } from './command.js';
import { checkCostLimitFlag, checkSeedFlag, runDirOf, selectBackend } from './common.js';
import { checkOutputFiles } from './outputs.js';
import { Progress } from './progress.js';
import { isAlgoCheckpoint } from '../algos/train.js';

const flags = {
  checkpoint: { type: 'string', help: 'training output directory (or its checkpoint/ directory)', required: true, meta: 'DIR' },
  episodes: { type: 'int', help: 'evaluation episodes (run in lockstep)', default: 20, meta: 'N' },
  seed: { type: 'int', help: 'seed of the episode resets and action sampling, in [0, 2^32 - 1]', default: 12345, meta: 'S' },
  'fixed-start': { type: 'bool', help: 'PointRobot: start every episode at [-1.8, 0, 2, pi/4]', default: false },
  monitor: { type: 'bool', help: 'safety monitor: attribute every violation to critic / actor / recovery (rl/fisor/monitor.ts)', default: false },
  samples: { type: 'int', help: 'candidate actions per state (default: the config\'s numSamples)', meta: 'N' },
  'violating-choice': {
    type: 'string', meta: 'NAME',
    help: "after a step with a cost: 'safest' (the paper: lowest Q_h) or 'reward' (highest Q_r); default: the run's config violatingChoice",
  },
  'cost-limit': { type: 'float', help: "cost limit kappa for the scores and safe marks (default: the run's, else the task's)", meta: 'K' },
  out: { type: 'string', help: 'write the result as JSON here (default <run>/eval-<seed>.json, with -fixed, -k<K>, -<choice>, -n<N> added for --fixed-start, --cost-limit, --violating-choice, --samples; -2, -3, ... when taken; never inside checkpoint/)', meta: 'FILE' },
  force: { type: 'bool', help: 'replace an existing --out file (without it an existing file is refused)', default: false },
  backend: { type: 'string', help: 'tensor backend', meta: 'NAME' },
  quiet: { type: 'bool', help: 'no progress bar', default: false },
} satisfies FlagSpecs;

export const MAX_EVAL_EPISODES = 100_000;
export const MAX_SAMPLES = 4096;

/** Refuses an output path that cannot be written, or that would replace a file without `force`, before minutes of evaluation are spent. */
export function checkOutFile(out: string, force = false): void {
  checkOutputFiles('--out', [out], { force, dirMustExist: true });
}

/** The eval flags that change the result, and so name the default result file. */
export interface EvalNameFlags {
  checkpoint: string;
  seed: number;
  'fixed-start': boolean;
  'cost-limit'?: number;
  'violating-choice'?: string;
  samples?: number;
}

/**
 * The default result file `<run>/eval-<seed>[-fixed][-k<K>][-<choice>][-n<N>].json`, one part per acting or scoring
 * flag given, or `-2`, `-3`, ... when taken: an earlier evaluation (another flag such as --monitor, or an older
 * checkpoint) is never replaced silently. Given the checkpoint directory itself, the file goes beside it: the next
 * checkpoint save replaces that directory whole.
 */
export function defaultEvalOut(f: EvalNameFlags): string {
  const suffix = `${f['fixed-start'] ? '-fixed' : ''}${f['cost-limit'] !== undefined ? `-k${f['cost-limit']}` : ''}${f['violating-choice'] !== undefined ? `-${f['violating-choice']}` : ''}${f.samples !== undefined ? `-n${f.samples}` : ''}`;
  const base = join(runDirOf(f.checkpoint), `eval-${f.seed}${suffix}`);
  if (!existsSync(`${base}.json`)) return `${base}.json`;
  let k = 2;
  while (existsSync(`${base}-${k}.json`)) k++;
  return `${base}-${k}.json`;
}

/** `--fixed-start` is PointRobot's fixed start; on another task it would silently do nothing. */
export function checkFixedStartFlag(fixedStart: boolean, task: string): void {
  if (fixedStart && task !== 'PointRobot') throw new UsageError(`--fixed-start is PointRobot's start [-1.8, 0, 2, pi/4]; this checkpoint is for ${task}, whose episodes start from its own reset`);
}

export const command: Command = {
  summary: 'evaluate a trained checkpoint, FISOR\'s or a baseline\'s (normalized reward and cost, DSRL formulas)',
  flags,
  async run(argv, io) {
    const f = parseFlags(argv, flags);
    // The episodes run in lockstep and every candidate is held at once: bounds that fit in memory.
    if (f.episodes <= 0 || f.episodes > MAX_EVAL_EPISODES) throw new UsageError(`--episodes must be in [1, ${MAX_EVAL_EPISODES}], got ${f.episodes}`);
    if (f.samples !== undefined && (f.samples <= 0 || f.samples > MAX_SAMPLES)) throw new UsageError(`--samples must be in [1, ${MAX_SAMPLES}], got ${f.samples}`);
    const choice = f['violating-choice'];
    if (choice !== undefined && choice !== 'safest' && choice !== 'reward') throw new UsageError(`--violating-choice must be 'safest' or 'reward', got '${choice}'`);
    checkSeedFlag(f.seed);
    checkCostLimitFlag(f['cost-limit']);
    selectBackend(f.backend);
    if (f.out !== undefined) checkOutFile(f.out, f.force);
    if (await isAlgoCheckpoint(f.checkpoint)) return (await import('./eval_algo.js')).runEvalAlgo(f, io);
    const { agent, meta, step } = await loadAgent(f.checkpoint);
    checkFixedStartFlag(f['fixed-start'], meta.task);
    // Acting only: the choice after a violating step (config violatingChoice) may differ from the run's.
    if (choice !== undefined) agent.cfg.violatingChoice = choice;
    const out = f.out ?? defaultEvalOut(f);
    const costLimit = f['cost-limit'] ?? meta.costLimit;
    agent.rngs.act.setState(actingRngState(f.seed)); // as the baselines' eval seeds theirs (Algorithm.seedActing)
    let prog: Progress | null = null;
    const res = evaluate(agent, meta.task, {
      episodes: f.episodes, seed: f.seed, fixedStart: f['fixed-start'], numSamples: f.samples, costLimit, monitor: f.monitor,
      onStep: (t, max) => {
        prog ??= new Progress(max, { label: `eval ${meta.task}`, unit: 'env steps', stream: io.stderr, quiet: f.quiet });
        prog.update(t);
      },
    });
    (prog as Progress | null)?.done();
    const kappa = costLimit ?? taskReference(meta.task).kappa;
    writeFileAtomic(out, JSON.stringify({ checkpointStep: step, costLimit: kappa, numSamples: f.samples ?? agent.cfg.numSamples, violatingChoice: agent.cfg.violatingChoice, modeCandidate: agent.cfg.modeCandidate, modeMargin: agent.cfg.modeMargin, modeEstimate: agent.cfg.modeEstimate, ...res }, null, 2) + '\n');
    io.stdout.write(
      `${meta.task} (checkpoint step ${step}, ${f.episodes} episodes${f['fixed-start'] ? ', fixed start' : ''}, cost limit ${kappa}${f.samples !== undefined ? `, ${f.samples} candidates per state` : ''}):\n` +
        (agent.cfg.violatingChoice !== 'safest' ? `  after a violating step: the candidate with the highest Q_r (violatingChoice ${agent.cfg.violatingChoice}; not the paper)\n` : '') +
        (agent.cfg.modeCandidate ? `  the actor's ${agent.cfg.modeEstimate === 'densest' ? 'densest candidate' : 'noise-free sample'} where judged feasible by ${agent.cfg.modeMargin} (modeCandidate, modeEstimate '${agent.cfg.modeEstimate}'; not the paper)\n` : '') +
        `  normalized reward ${res.normalizedReward.toFixed(3)} +- ${res.normalizedRewardStd.toFixed(3)}\n` +
        `  normalized cost   ${res.normalizedCost.toFixed(3)} +- ${res.normalizedCostStd.toFixed(3)}  (${res.safe ? 'safe: <= 1' : 'UNSAFE: > 1'}; ${(100 * res.safeFraction).toFixed(0)}% of episodes safe)\n` +
        `  return ${res.meanReturn.toFixed(2)}, cost ${res.meanCost.toFixed(2)} per episode; ${res.seconds.toFixed(1)} s\n` +
        (res.monitor ? `  monitor: ${res.monitor.violations} violating steps; causes ${JSON.stringify(res.monitor.byCause)}; root causes ${JSON.stringify(res.monitor.rootCause)}\n` : '') +
        `  wrote ${out}\n` +
        `  (environments re-implement the task definitions; scores compare within this project only)\n`,
    );
  },
};
