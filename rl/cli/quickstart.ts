/**
 * `fisor quickstart` (what `npm start` runs): collect PointRobot data, train FISOR with the safe10 preset
 * (recovery data, critics first, then the actor; V_h's target the min of Q_h over a 3 x 3 action grid, regressed
 * symmetrically; where no candidate is judged feasible by a margin of 0.05 the fallback grid's actions compete too; `--preset cpu` for
 * the paper's joint schedule, V_h target and choice at cpu size),
 * evaluate from the fixed start and from random starts, print normalized reward and cost, and write the
 * feasible-region figure. About 1.5 minutes on 2 cores (README's quick start has the measurement).
 */
import { join } from 'node:path';
import { getBackend } from '../../core/index.js';
import { collect } from '../data/collect.js';
import { summarizeDataset } from '../data/dataset.js';
import { PRESETS, resolveConfig } from '../fisor/config.js';
import { checkSeedFlag, extractRepeated, selectBackend } from './common.js';
import { existsSync, readdirSync } from 'node:fs';
import { evaluate } from '../fisor/evaluate.js';
import { FEASIBLE_STARTS_EVAL_SEED, FIXED_START_EVAL_SEED, RANDOM_STARTS_EVAL_SEED, feasibleStarts } from '../fisor/starts.js';
import { train } from '../fisor/train.js';
import { writeFeasibleFigure } from '../plot/feasible.js';
import { parseFlags, UsageError, type FlagSpecs } from './args.js';
import type { Command } from './command.js';
import { formatDuration, Progress } from './progress.js';
import { writeFileAtomic } from '../io/atomic.js';
import { nodeProvenance } from '../io/node_provenance.js';
import { NodeRunSink } from '../io/node_sink.js';

const flags = {
  out: { type: 'string', help: 'output directory (default runs/quickstart, or runs/quickstart-2, -3, ... if taken)', meta: 'DIR' },
  overwrite: { type: 'bool', help: 'replace what --out already holds (without it a non-empty directory is refused)', default: false },
  preset: { type: 'string', help: `config preset (${PRESETS.join(', ')})`, default: 'safe10', meta: 'NAME' },
  steps: { type: 'int', help: 'training iterations (default: the preset\'s)', meta: 'N' },
  seed: { type: 'int', help: 'training seed in [0, 2^32 - 1]', default: 0, meta: 'S' },
  episodes: { type: 'int', help: 'evaluation episodes per start mode', default: 20, meta: 'N' },
  'feasible-starts': { type: 'int', help: "episodes from the fixed list of ground-truth-feasible starts (issue 9's measure; 0 = skip)", default: 60, meta: 'N' },
  set: { type: 'string', help: 'override one config field (repeatable)', meta: 'KEY=VALUE' },
  backend: { type: 'string', help: 'tensor backend', meta: 'NAME' },
  quiet: { type: 'bool', help: 'no progress bars', default: false },
} satisfies FlagSpecs;

const TASK = 'PointRobot';

/** `base`, or the first `base-N` (N = 2, 3, ...) that is missing or empty: a second quickstart never overwrites the first. */
export function freeRunDir(base: string): string {
  const free = (d: string) => !existsSync(d) || readdirSync(d).length === 0;
  if (free(base)) return base;
  for (let n = 2; ; n++) if (free(`${base}-${n}`)) return `${base}-${n}`;
}

export const command: Command = {
  summary: 'collect PointRobot data, train FISOR (safe10 preset), evaluate, and plot the feasible region (~1.5 min on 2 cores)',
  flags,
  async run(argv, io) {
    const { values: sets, rest } = extractRepeated(argv, 'set');
    const f = parseFlags(rest, flags);
    if (f.steps !== undefined && f.steps <= 0) throw new UsageError(`--steps must be > 0, got ${f.steps}`);
    if (f.episodes <= 0) throw new UsageError(`--episodes must be > 0, got ${f.episodes}`);
    if (f['feasible-starts'] < 0) throw new UsageError(`--feasible-starts must be >= 0, got ${f['feasible-starts']}`);
    checkSeedFlag(f.seed);
    selectBackend(f.backend);
    const out = f.out ?? freeRunDir('runs/quickstart');
    // Before the data is collected. Quickstart always trains afresh: there is no --resume here.
    NodeRunSink.check(out); // a file in the way, as train says it
    if (!f.overwrite && existsSync(out) && readdirSync(out).length > 0) {
      throw new UsageError(`--out ${out} already holds files; pass --overwrite to replace the run there, or give another --out`);
    }
    let cfg;
    try {
      cfg = resolveConfig({ preset: f.preset, task: TASK, set: sets, overrides: { steps: f.steps, evalEvery: 0 } });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const t0 = performance.now();
    const say = (s: string) => io.stdout.write(s + '\n');
    const schedule = cfg.schedule === 'critics-first' ? `critics first for ${cfg.criticSteps} of ${cfg.steps} steps, then the actor` : `${cfg.steps} joint steps`;
    say(`FISOR quickstart: ${TASK}, ${f.preset} preset (${schedule}, batch ${cfg.batchSize}, data recipe ${cfg.dataRecipe}), seed ${f.seed}, backend ${getBackend().name}`);
    say('(the environment re-implements FISOR\'s PointRobot; scores compare within this project only)');

    // 1. data
    let bar: Progress | null = null;
    const ds = collect(TASK, {
      seed: 0,
      recipe: cfg.dataRecipe,
      onProgress: (done, total) => {
        bar ??= new Progress(total, { label: 'collect', stream: io.stderr, quiet: f.quiet });
        bar.update(done);
      },
    });
    (bar as Progress | null)?.done();
    const sum = summarizeDataset(ds);
    say(`1/4 data: ${sum.transitions} transitions, ${sum.trajectories} trajectories (expert + random behaviour, seed 0)`);

    // 2. training
    const tb = new Progress(cfg.steps, { label: 'train', stream: io.stderr, quiet: f.quiet });
    const res = await train({ task: TASK, config: cfg, seed: f.seed, outDir: out, overwrite: f.overwrite, dataset: ds, skipFinalEval: true, provenance: nodeProvenance(), onStep: (s) => tb.update(s) });
    tb.done();
    say(`2/4 trained ${res.step} steps in ${formatDuration(res.trainSeconds)} (${res.stepsPerSecond.toFixed(1)} steps/s); checkpoint ${join(out, 'checkpoint')}`);

    // 3. evaluation
    const evalOne = (fixedStart: boolean) => {
      let eb: Progress | null = null;
      const r = evaluate(res.agent, TASK, {
        episodes: f.episodes, seed: fixedStart ? FIXED_START_EVAL_SEED : RANDOM_STARTS_EVAL_SEED, fixedStart,
        onStep: (t, max) => {
          eb ??= new Progress(max, { label: `eval ${fixedStart ? 'fixed' : 'random'}`, unit: 'env steps', stream: io.stderr, quiet: f.quiet });
          eb.update(t);
        },
      });
      (eb as Progress | null)?.done();
      return r;
    };
    const fixed = evalOne(true);
    const random = evalOne(false);
    // The ground truth's feasible starts (a fixed list, rl/fisor/starts.ts): from each a safe policy exists.
    const starts = f['feasible-starts'] > 0 ? feasibleStarts(f['feasible-starts']) : [];
    const feasible = starts.length ? evaluate(res.agent, TASK, { episodes: starts.length, seed: FEASIBLE_STARTS_EVAL_SEED, starts }) : null;
    writeFileAtomic(join(out, 'quickstart-eval.json'), JSON.stringify({ fixedStart: fixed, randomStarts: random, ...(feasible ? { feasibleStarts: feasible } : {}) }, null, 2) + '\n');
    const line = (name: string, r: typeof fixed) =>
      `    ${name.padEnd(15)} normalized reward ${r.normalizedReward.toFixed(3)} +- ${r.normalizedRewardStd.toFixed(3)}   normalized cost ${r.normalizedCost.toFixed(3)} +- ${r.normalizedCostStd.toFixed(3)}   ${r.safe ? 'safe' : 'UNSAFE'} (${(100 * r.safeFraction).toFixed(0)}% of episodes cost <= 10)`;
    say(`3/4 evaluation (${f.episodes} episodes each, ${cfg.numSamples} candidate actions per state):`);
    say(line('fixed start', fixed));
    say(line('random starts', random));
    if (feasible) {
      const free = feasible.violationFree;
      say(`    ${'feasible starts'.padEnd(15)} ${free} of ${starts.length} ground-truth-feasible starts without a violation (${(100 * free / starts.length).toFixed(0)}%)`);
    }

    // 4. feasible region
    const fig = await writeFeasibleFigure((o) => res.agent.feasibilityValue(o), join(out, 'feasible'), { meta: { step: res.step, seed: f.seed } });
    say('4/4 feasible region, learned V_h <= 0 vs ground truth (IoU of the infeasible sets):');
    for (const s of fig.slices) say(`    ${s.label.padEnd(18)} IoU ${s.iou.toFixed(3)}`);
    say(`    figure ${fig.svg} and ${fig.png}; numbers ${fig.json}`);
    say(`total wall time ${formatDuration((performance.now() - t0) / 1000)}`);
  },
};
