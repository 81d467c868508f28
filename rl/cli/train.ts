/**
 * `fisor train --task <name> [--preset cpu|paper] [--steps N] [--seed S] [--dataset file.hdf5] [--out dir]
 *  [--resume] [--config file.json] [--set key=value ...] [--backend js|wasm]`
 */
import { getBackend } from '../../core/index.js';
import { readDsrlHdf5 } from '../data/hdf5.js';
import { taskReference } from '../envs/reference.js';
import { resolveConfig } from '../fisor/config.js';
import { extractRepeated, selectBackend } from '../fisor/cli_common.js';
import { train } from '../fisor/train.js';
import { parseFlags, UsageError, type FlagSpecs } from './args.js';
import type { Command } from './command.js';
import { formatDuration, Progress } from './progress.js';
import { algoOf } from './train_algo.js';

const flags = {
  algo: { type: 'string', help: "algorithm: fisor (default) or one of 'fisor algos'", default: 'fisor', meta: 'NAME' },
  task: { type: 'string', help: "task name (see 'fisor tasks')", required: true, meta: 'NAME' },
  preset: { type: 'string', help: 'config preset: cpu (minutes on 2 cores) or paper (official values)', default: 'cpu', meta: 'NAME' },
  steps: { type: 'int', help: 'training iterations (default: the preset\'s)', meta: 'N' },
  seed: { type: 'int', help: 'random seed (networks, minibatches, sampling, evaluation)', default: 0, meta: 'S' },
  dataset: { type: 'string', help: 'DSRL HDF5 dataset (default: collect the task\'s default dataset, seed 0)', meta: 'FILE' },
  out: { type: 'string', help: 'output directory (metrics.jsonl, checkpoint/, eval.json)', meta: 'DIR' },
  resume: { type: 'bool', help: 'continue from <out>/checkpoint', default: false },
  config: { type: 'string', help: 'JSON file of config overrides', meta: 'FILE' },
  set: { type: 'string', help: 'override one config field, dotted (repeatable): --set actor.hidden=128', meta: 'KEY=VALUE' },
  backend: { type: 'string', help: 'tensor backend (js, wasm, ...; default: $FISOR_BACKEND or the fastest)', meta: 'NAME' },
  quiet: { type: 'bool', help: 'no progress bar', default: false },
} satisfies FlagSpecs;

export const command: Command = {
  summary: 'train FISOR on a task (offline, from a DSRL dataset)',
  flags,
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
    if (f.resume && (f.config !== undefined || sets.length > 0)) {
      throw new UsageError('--resume takes the config from the checkpoint; drop --config / --set (only --steps may extend the run)');
    }
    selectBackend(f.backend);
    let cfg;
    try {
      cfg = resolveConfig({ preset: f.preset, task: f.task, configFile: f.config, set: sets, overrides: { steps: f.steps } });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const out = f.out ?? `runs/${f.task}-${f.preset}-s${f.seed}`;
    const dataset = f.dataset ? await readDsrlHdf5(f.dataset) : undefined;
    io.stdout.write(f.resume
      ? `resuming FISOR on ${f.task} from ${out}/checkpoint (config and seed from the checkpoint), backend ${getBackend().name}\n`
      : `training FISOR on ${f.task}: preset ${f.preset}, ${cfg.steps} steps, seed ${f.seed}, backend ${getBackend().name}, out ${out}\n`);
    const bar = new Progress(f.resume ? (f.steps ?? cfg.steps) : cfg.steps, { label: `train ${f.task}`, stream: io.stderr, quiet: f.quiet });
    const t0 = performance.now();
    const res = await train({
      task: f.task, config: cfg, seed: f.seed, outDir: out, dataset, resume: f.resume, steps: f.steps,
      onStep: (s) => bar.update(s),
      log: (line) => {
        if (io.stderr.isTTY && !f.quiet) io.stderr.write('\r\x1b[K');
        io.stdout.write(line + '\n');
      },
    });
    bar.done();
    const ev = res.lastEval;
    io.stdout.write(`done: ${res.step} steps, ${res.stepsPerSecond.toFixed(1)} steps/s, wall ${formatDuration((performance.now() - t0) / 1000)}\n`);
    if (ev) io.stdout.write(`normalized reward ${ev.normalizedReward.toFixed(3)} +- ${ev.normalizedRewardStd.toFixed(3)}, normalized cost ${ev.normalizedCost.toFixed(3)} +- ${ev.normalizedCostStd.toFixed(3)} (${ev.episodes.length} episodes; ${ev.safe ? 'safe' : 'UNSAFE'})\n`);
    io.stdout.write(`checkpoint ${out}/checkpoint, metrics ${out}/metrics.jsonl\n`);
  },
};
