/**
 * `fisor train --algo <name> --task <task> ...` for the algorithms of rl/algos (all but FISOR, whose own path
 * stays rl/cli/train.ts): the same flags, the generic loop of rl/algos/train.ts. `--cost-limit K` sets the run's
 * kappa (config.costLimit: scores, safe marks and every threshold the algorithm derives from kappa); Ctrl-C saves
 * a checkpoint after the current step and exits 130, as FISOR's CLI (rl/cli/train.ts).
 */
import { getBackend } from '../../core/index.js';
import { resolveAlgoConfig } from '../algos/config.js';
import { algorithmDef, algorithmNames } from '../algos/registry.js';
import { trainAlgorithm } from '../algos/train.js';
import { COLLECT_RECIPES, DEFAULT_RECIPE } from '../data/collect.js';
import { readDsrlHdf5 } from '../data/hdf5.js';
import { taskReference } from '../envs/reference.js';
import { nodeProvenance } from '../io/node_provenance.js';
import { NodeRunSink } from '../io/node_sink.js';
import { checkCostLimitFlag, checkSeedFlag, continueCommand, defaultRunDir, extractRepeated, recipeFlag, selectBackend } from './common.js';
import { parseFlags, UsageError, type FlagSpecs } from './args.js';
import type { CliIO } from './command.js';
import { resumeTotal, runTrainingCli } from './train_run.js';

export const algoTrainFlags = {
  algo: { type: 'string', help: "algorithm (see 'fisor algos')", default: 'fisor', meta: 'NAME' },
  task: { type: 'string', help: "task name (see 'fisor tasks')", required: true, meta: 'NAME' },
  preset: { type: 'string', help: 'config preset: cpu (about a minute on 2 cores) or paper (OSRL defaults)', default: 'cpu', meta: 'NAME' },
  steps: { type: 'int', help: 'training iterations (default: the preset\'s)', meta: 'N' },
  seed: { type: 'int', help: 'random seed', default: 0, meta: 'S' },
  'cost-limit': { type: 'float', help: "cost limit kappa: scores, safe marks and the algorithm's own thresholds (default: the config's costLimit, 10)", meta: 'K' },
  dataset: { type: 'string', help: 'DSRL HDF5 dataset (default: collect the task\'s default dataset, seed 0)', meta: 'FILE' },
  'allow-task-mismatch': { type: 'bool', help: "train on a dataset whose 'task' attribute names another task", default: false },
  'data-recipe': { type: 'string', help: `recipe of the collected default dataset: ${COLLECT_RECIPES.join(' or ')} (docs/DATASETS.md; default ${DEFAULT_RECIPE})`, meta: 'NAME' },
  out: { type: 'string', help: 'run directory (config.json, metrics.jsonl/.csv, checkpoint/, eval.json; default runs/<algo>-<task>-<preset>-s<seed>-<config hash>; required with --resume)', meta: 'DIR' },
  resume: { type: 'bool', help: 'continue from <out>/checkpoint', default: false },
  overwrite: { type: 'bool', help: 'replace what --out already holds (without it a non-empty run directory is refused)', default: false },
  config: { type: 'string', help: 'JSON file of config overrides', meta: 'FILE' },
  set: { type: 'string', help: 'override one config field, dotted (repeatable)', meta: 'KEY=VALUE' },
  backend: { type: 'string', help: 'tensor backend', meta: 'NAME' },
  quiet: { type: 'bool', help: 'no progress bar', default: false },
} satisfies FlagSpecs;

/** The value of --algo in argv (either form), or undefined. */
export function algoOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--algo') return argv[i + 1];
    if (argv[i].startsWith('--algo=')) return argv[i].slice(7);
  }
  return undefined;
}

export async function runTrainAlgo(argv: string[], io: CliIO): Promise<number> {
  const { values: sets, rest } = extractRepeated(argv, 'set');
  const f = parseFlags(rest, algoTrainFlags);
  let def;
  try {
    def = algorithmDef(f.algo);
    taskReference(f.task);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (f.steps !== undefined && f.steps <= 0) throw new UsageError(`--steps must be > 0, got ${f.steps}`);
  checkSeedFlag(f.seed);
  checkCostLimitFlag(f['cost-limit']);
  if (f.resume && (f.config !== undefined || sets.length > 0)) {
    throw new UsageError('--resume takes the config from the checkpoint; drop --config / --set (only --steps may extend the run)');
  }
  if (f.resume && f.overwrite) throw new UsageError('--resume and --overwrite exclude each other');
  const recipe = f['data-recipe'] === undefined ? undefined : recipeFlag('--data-recipe', f['data-recipe']);
  if (recipe !== undefined && f.dataset !== undefined) throw new UsageError('--data-recipe chooses how the default dataset is collected; it does not apply to --dataset');
  selectBackend(f.backend);
  let cfg;
  try {
    cfg = resolveAlgoConfig(def, { preset: f.preset, task: f.task, configFile: f.config, set: sets, overrides: { steps: f.steps, costLimit: f['cost-limit'] } });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (f.resume && f.out === undefined) throw new UsageError('--resume needs --out DIR (the run to continue)');
  // As FISOR's: the hash covers the resolved config, the data recipe and the dataset path, so runs that differ in
  // --set, --steps, --config, --cost-limit or data never share a directory.
  const out = f.out ?? defaultRunDir(`${f.algo}-${f.task}`, f.preset, f.seed, { cfg, recipe: recipe ?? null }, f.dataset);
  NodeRunSink.check(out); // a file in the way: say so before reading data or training
  // A save interrupted between its two renames set the previous checkpoint aside: continue from it.
  if (f.resume) NodeRunSink.restoreInterruptedSaveNoted(out, (line) => io.stdout.write(line + '\n'));
  const dataset = f.dataset ? await readDsrlHdf5(f.dataset) : undefined;
  io.stdout.write(f.resume
    ? `resuming ${f.algo} on ${f.task} from ${out}/checkpoint, backend ${getBackend().name}\n`
    : `training ${f.algo} on ${f.task}: preset ${f.preset}, ${cfg.steps} steps, seed ${f.seed}, backend ${getBackend().name}, out ${out}\n`);
  return runTrainingCli(io, { total: f.resume ? resumeTotal(out, f.steps, cfg.steps) : cfg.steps, label: `train ${f.algo} ${f.task}`, quiet: f.quiet, out, continueCommand: continueCommand('fisor train', [['algo', f.algo], ['task', f.task], ['out', out], ['dataset', f.dataset], ['data-recipe', recipe], ['allow-task-mismatch', f['allow-task-mismatch']], ['cost-limit', f['cost-limit']], ['steps', f.resume ? f.steps : undefined], ['backend', f.backend]]) }, (hooks) => trainAlgorithm({
    algo: f.algo, task: f.task, config: cfg, seed: f.seed, outDir: out, dataset, datasetPath: f.dataset, allowTaskMismatch: f['allow-task-mismatch'], dataRecipe: recipe, resume: f.resume, overwrite: f.overwrite, steps: f.steps,
    costLimit: f['cost-limit'], provenance: nodeProvenance(), ...hooks,
  }));
}

export { algorithmNames };
