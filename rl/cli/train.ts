/**
 * `fisor train --task <name> [--preset cpu|paper] [--steps N] [--seed S] [--dataset file.hdf5] [--out dir]
 *  [--resume | --overwrite] [--config file.json] [--set key=value ...] [--cost-limit K] [--backend js|wasm]`
 *
 * The default run directory is runs/<task>-<preset>-s<seed>-<hash>, the hash covering the resolved config
 * (so --set / --steps / --config / --preset give distinct runs) and the dataset path. Ctrl-C saves a
 * checkpoint at the next step and exits 130; a second Ctrl-C quits at once.
 */
import { getBackend } from '../../core/index.js';
import { readDsrlHdf5 } from '../data/hdf5.js';
import { taskReference } from '../envs/reference.js';
import { resolveConfig } from '../fisor/config.js';
import { train } from '../fisor/train.js';
import { nodeProvenance } from '../io/node_provenance.js';
import { NodeRunSink } from '../io/node_sink.js';
import { parseFlags, UsageError, type FlagSpecs } from './args.js';
import type { Command } from './command.js';
import { resumeTotal, runTrainingCli } from './train_run.js';
import { checkCostLimitFlag, checkSeedFlag, continueCommand, defaultRunDir, extractRepeated, selectBackend } from './common.js';
import { algoOf, algoTrainFlags } from './train_algo.js';

const flags = {
  algo: { type: 'string', help: "algorithm: fisor (default) or one of 'fisor algos' (their flags: fisor train --algo NAME --help)", default: 'fisor', meta: 'NAME' },
  task: { type: 'string', help: "task name (see 'fisor tasks')", required: true, meta: 'NAME' },
  preset: { type: 'string', help: 'config preset: cpu (minutes on 2 cores), paper (official values), or safe, safe2, ..., safe10 (cpu with the changes of rl/fisor/config.ts, each with its reason)', default: 'cpu', meta: 'NAME' },
  steps: { type: 'int', help: 'training iterations (default: the preset\'s); with --resume: extend the run to N', meta: 'N' },
  seed: { type: 'int', help: 'random seed in [0, 2^32 - 1] (networks, minibatches, sampling, evaluation)', default: 0, meta: 'S' },
  dataset: { type: 'string', help: 'DSRL HDF5 dataset (default: collect the task\'s default dataset, seed 0)', meta: 'FILE' },
  'allow-task-mismatch': { type: 'bool', help: "train on a dataset whose 'task' attribute names another task", default: false },
  out: { type: 'string', help: 'run directory (default runs/<task>-<preset>-s<seed>-<config hash>; required with --resume)', meta: 'DIR' },
  resume: { type: 'bool', help: 'continue the run in --out from its checkpoint', default: false },
  overwrite: { type: 'bool', help: 'replace what --out already holds (without it a non-empty run directory is refused)', default: false },
  config: { type: 'string', help: 'JSON file of config overrides', meta: 'FILE' },
  set: { type: 'string', help: 'override one config field, dotted (repeatable): --set actor.hidden=128', meta: 'KEY=VALUE' },
  'cost-limit': { type: 'float', help: "cost limit kappa for evaluation scores and safe marks (default: the task's, 10)", meta: 'K' },
  backend: { type: 'string', help: 'tensor backend (js, wasm, ...; default: $FISOR_BACKEND or the fastest)', meta: 'NAME' },
  quiet: { type: 'bool', help: 'no progress bar', default: false },
} satisfies FlagSpecs;

export { defaultRunDir };

export const command: Command = {
  summary: 'train FISOR on a task (offline, from a DSRL dataset); --algo NAME trains a baseline instead',
  flags,
  flagsFor: (argv) => {
    const algo = algoOf(argv);
    return algo !== undefined && algo !== 'fisor' ? algoTrainFlags : flags;
  },
  async run(argv, io) {
    const algo = algoOf(argv);
    if (algo !== undefined && algo !== 'fisor') return (await import('./train_algo.js')).runTrainAlgo(argv, io);
    const { values: sets, rest } = extractRepeated(argv, 'set');
    const f = parseFlags(rest, flags);
    try {
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
    if (f.resume && f.out === undefined) throw new UsageError('--resume needs --out DIR, the run directory to continue (a fresh run prints it)');
    selectBackend(f.backend);
    let cfg;
    try {
      cfg = resolveConfig({ preset: f.preset, task: f.task, configFile: f.config, set: sets, overrides: { steps: f.steps } });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const out = f.out ?? defaultRunDir(f.task, f.preset, f.seed, cfg, f.dataset);
    NodeRunSink.check(out); // a file in the way: say so before reading data or training
    // A save interrupted between its two renames set the previous checkpoint aside: continue from it.
    if (f.resume) NodeRunSink.restoreInterruptedSaveNoted(out, (line) => io.stdout.write(line + '\n'));
    const dataset = f.dataset ? await readDsrlHdf5(f.dataset) : undefined;
    io.stdout.write(f.resume
      ? `resuming FISOR on ${f.task} from ${out}/checkpoint (config and seed from the checkpoint), backend ${getBackend().name}\n`
      : `training FISOR on ${f.task}: preset ${f.preset}, ${cfg.steps} steps, seed ${f.seed}, backend ${getBackend().name}, out ${out}\n`);
    return runTrainingCli(io, { total: f.resume ? resumeTotal(out, f.steps, cfg.steps) : cfg.steps, label: `train ${f.task}`, quiet: f.quiet, out, continueCommand: continueCommand('fisor train', [['task', f.task], ['out', out], ['dataset', f.dataset], ['allow-task-mismatch', f['allow-task-mismatch']], ['cost-limit', f['cost-limit']], ['steps', f.resume ? f.steps : undefined], ['backend', f.backend]]) }, (hooks) => train({
      task: f.task, config: cfg, seed: f.seed, outDir: out, dataset, datasetPath: f.dataset, allowTaskMismatch: f['allow-task-mismatch'],
      resume: f.resume, overwrite: f.overwrite, steps: f.steps, costLimit: f['cost-limit'], provenance: nodeProvenance(), ...hooks,
    }));
  },
};
