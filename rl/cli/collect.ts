/** `fisor collect --task <name> [--episodes N | --transitions N] [--seed S] [--recipe NAME] [--cost-limit K] --out <file.hdf5> [--force]` */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { taskReference } from '../envs/reference.js';
import { collect, COLLECT_RECIPES, DEFAULT_EPISODES, DEFAULT_RECIPE, DEFAULT_TRANSITIONS } from '../data/collect.js';
import { summarizeDataset } from '../data/dataset.js';
import { writeDsrlHdf5 } from '../data/hdf5.js';
import { costReturnScatterSvg } from '../data/scatter.js';
import { parseFlags, UsageError, type FlagSpecs } from './args.js';
import type { Command } from './command.js';
import { checkCostLimitFlag, checkSeedFlag, recipeFlag } from './common.js';
import { checkOutputFiles } from './outputs.js';
import { Progress } from './progress.js';
import { writeFileAtomic } from '../io/atomic.js';

const flags = {
  task: { type: 'string', help: "task name (see 'fisor tasks')", required: true, meta: 'NAME' },
  episodes: { type: 'int', help: 'number of episodes (default: per task)', meta: 'N' },
  transitions: { type: 'int', help: 'collect exactly N transitions instead (PointRobot default 100000)', meta: 'N' },
  seed: { type: 'int', help: 'random seed in [0, 2^32 - 1]', default: 0, meta: 'S' },
  recipe: { type: 'string', help: `behaviour recipe: ${COLLECT_RECIPES.join(', ')} (docs/DATASETS.md)`, default: DEFAULT_RECIPE, meta: 'NAME' },
  'cost-limit': { type: 'float', help: "cost limit kappa for the summary and the scatter's safe marks (default: the task's)", meta: 'K' },
  out: { type: 'string', help: 'output HDF5 file (DSRL layout); never overwritten without --force', required: true, meta: 'FILE' },
  force: { type: 'bool', help: 'overwrite --out (and its scatter SVG) if it exists', default: false },
  quiet: { type: 'bool', help: 'no progress bar', default: false },
} satisfies FlagSpecs;

/** The largest dataset collect builds in memory (float32 observations, next observations, actions and per-step fields). */
const MAX_DATASET_BYTES = 8 * 2 ** 30;

/** Path of the scatter SVG written next to an output file: data.hdf5 -> data.scatter.svg. */
export function scatterPathFor(out: string): string {
  return out.replace(/\.(hdf5|h5)$/i, '') + '.scatter.svg';
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(2));

export const command: Command = {
  summary: 'collect a behaviour dataset for a task and write it as DSRL HDF5 (+ cost/return scatter SVG)',
  flags,
  async run(argv, io) {
    const f = parseFlags(argv, flags);
    try {
      taskReference(f.task);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (f.episodes !== undefined && f.episodes <= 0) throw new UsageError(`--episodes must be > 0, got ${f.episodes}`);
    if (f.transitions !== undefined && f.transitions <= 0) throw new UsageError(`--transitions must be > 0, got ${f.transitions}`);
    if (f.episodes !== undefined && f.transitions !== undefined) throw new UsageError('give --episodes or --transitions, not both');
    checkSeedFlag(f.seed);
    checkCostLimitFlag(f['cost-limit']);
    const recipe = recipeFlag('--recipe', f.recipe);
    // Before collecting: a run trained on the old file would no longer resume (its content hash changes), and the
    // scatter beside it is checked too, so that nothing is half-written.
    checkOutputFiles('--out', [f.out, scatterPathFor(f.out)], { force: f.force, forceHint: 'pass --force to overwrite it (runs trained on it will no longer resume)' });
    const ref = taskReference(f.task);
    const rows = f.transitions ?? (f.episodes ?? 0) * ref.maxEpisodeSteps;
    if (rows * (2 * ref.observationSize + ref.actionSize + 6) * 4 > MAX_DATASET_BYTES) {
      throw new UsageError(`${f.transitions !== undefined ? `--transitions ${f.transitions}` : `--episodes ${f.episodes}`} would need more than ${MAX_DATASET_BYTES / 2 ** 30} GiB of memory for ${f.task}'s data; collect fewer`);
    }
    const kappa = f['cost-limit'] ?? ref.kappa;
    let bar: Progress | null = null;
    const t0 = performance.now();
    // Counted in episodes when episodes decide the size: PointRobot's end early, so a count of steps against
    // episodes x the time limit never reached its total.
    const episodeTarget = f.transitions === undefined ? (f.episodes ?? (DEFAULT_TRANSITIONS[f.task] === undefined ? DEFAULT_EPISODES[f.task] : undefined)) : undefined;
    const ds = collect(f.task, {
      episodes: f.episodes,
      transitions: f.transitions,
      seed: f.seed,
      recipe,
      onProgress: (done, total, episodes) => {
        bar ??= new Progress(episodeTarget ?? total, { label: `collect ${f.task}`, unit: episodeTarget ? 'episodes' : 'steps', stream: io.stderr, quiet: f.quiet });
        bar.update(episodeTarget ? episodes : done);
      },
    });
    (bar as Progress | null)?.done();
    const sec = (performance.now() - t0) / 1000;
    mkdirSync(dirname(f.out) || '.', { recursive: true });
    await writeDsrlHdf5(f.out, ds, { attrs: { task: f.task, seed: f.seed, recipe: f.recipe, generator: 'fisor-ts collect' } });
    const svgPath = scatterPathFor(f.out);
    writeFileAtomic(svgPath, costReturnScatterSvg(ds, { kappa, title: `${f.task}: episode return vs cost (${f.out.split('/').pop()})` }));
    const s = summarizeDataset(ds, kappa);
    io.stdout.write(
      [
        `wrote ${f.out}`,
        `  task          ${f.task} (obs ${ds.observationSize}, act ${ds.actionSize}), recipe ${f.recipe}`,
        `  transitions   ${s.transitions} (collected in ${sec.toFixed(2)} s)`,
        `  trajectories  ${s.trajectories}`,
        `  return        min ${fmt(s.returns.min)}  median ${fmt(s.returns.median)}  max ${fmt(s.returns.max)}`,
        `  cost          min ${fmt(s.costs.min)}  median ${fmt(s.costs.median)}  max ${fmt(s.costs.max)}`,
        `  cost <= ${kappa}`.padEnd(16) + `${(100 * s.fractionSafe).toFixed(1)}% of trajectories`,
        `  scatter       ${svgPath}`,
      ].join('\n') + '\n',
    );
  },
};
