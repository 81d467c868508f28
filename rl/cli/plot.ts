/**
 * `fisor plot <kind> [flags]`, every figure as SVG + PNG:
 *   feasible --checkpoint DIR [--out BASE] [--grid 200] [--no-rollout]  PointRobot learned vs true feasible region
 *   curves   --run DIR[,DIR...] [--out BASE] [--title T]               learning curves (runs overlaid: mean bold)
 *   scatter  --data FILE [--cost-limit K] [--out BASE] [--title T]     dataset episode return vs cost
 */
import { join } from 'node:path';
import { runDirOf, selectBackend } from './common.js';
import { splitTrajectories } from '../data/dataset.js';
import { readDsrlHdf5 } from '../data/hdf5.js';
import { costReturnScatterFigure } from '../data/scatter.js';
import { loadAgent } from '../fisor/train.js';
import { curvesFigure, readMetrics } from '../plot/curves.js';
import { writeFeasibleFigure } from '../plot/feasible.js';
import { writeFigure } from '../plot/raster.js';
import { pointRobotRollout } from '../plot/rollout.js';
import { parseFlags, UsageError, type FlagSpecs } from './args.js';
import { checkOutputFiles, freeOutputBase } from './outputs.js';
import type { Command } from './command.js';

const feasibleFlags = {
  checkpoint: { type: 'string', help: '[feasible] training output directory (or its checkpoint/ directory)', required: true, meta: 'DIR' },
  out: { type: 'string', help: 'output path without extension (default <run>/feasible, beside checkpoint/, or feasible-2, -3, ... when taken)', meta: 'BASE' },
  grid: { type: 'int', help: '[feasible] grid cells per axis', default: 200, meta: 'N' },
  rollout: { type: 'bool', help: '[feasible] draw the policy rollout from the fixed start', default: true },
  backend: { type: 'string', help: '[feasible] tensor backend', meta: 'NAME' },
  force: { type: 'bool', help: 'replace the existing files of an explicit --out (without it they are refused)', default: false },
} satisfies FlagSpecs;

const curvesFlags = {
  run: { type: 'string', help: '[curves] training output directory; several, comma-separated, are overlaid', required: true, meta: 'DIR[,DIR...]' },
  out: { type: 'string', help: 'output path without extension (default <run>/curves, or curves-2, ... when taken; required for several runs)', meta: 'BASE' },
  title: { type: 'string', help: 'figure title', meta: 'TEXT', allowEmpty: true },
  force: { type: 'bool', help: 'replace the existing files of an explicit --out (without it they are refused)', default: false },
} satisfies FlagSpecs;

const scatterFlags = {
  data: { type: 'string', help: '[scatter] HDF5 dataset (DSRL or FISOR PointRobot layout)', required: true, meta: 'FILE' },
  'cost-limit': { type: 'float', help: '[scatter] cost limit kappa to mark', default: 10, meta: 'K' },
  out: { type: 'string', help: 'output path without extension (default <data>.scatter, or <data>.scatter-2, ... when taken)', meta: 'BASE' },
  title: { type: 'string', help: 'figure title', meta: 'TEXT', allowEmpty: true },
  force: { type: 'bool', help: 'replace the existing files of an explicit --out (without it they are refused)', default: false },
} satisfies FlagSpecs;

const KINDS = ['feasible', 'curves', 'scatter'];
/** The files of one figure, and of the feasible map (its numbers too). */
const FIGURE_FILES = ['.svg', '.png'];
const FEASIBLE_FILES = ['.svg', '.png', '.json'];
/** 4000 x 4000 cells: the feasible map's largest grid (each cell is one V_h evaluation and one pixel). */
const MAX_GRID = 4000;

/** Every flag of every kind, for `fisor plot --help`. */
const allFlags: FlagSpecs = { ...feasibleFlags, ...curvesFlags, ...scatterFlags };
for (const k of ['checkpoint', 'run', 'data'] as const) allFlags[k] = { ...allFlags[k], required: false, help: `${allFlags[k].help} (required)` };
// Each kind has its own --out default; the merged table would show only the last one.
allFlags.out = { ...allFlags.out, help: 'output path without extension (default: feasible <run>/feasible, curves <run>/curves (required for several runs), scatter <data>.scatter; -2, -3, ... when taken)' };

export const command: Command = {
  summary: "plots (SVG + PNG): 'fisor plot feasible --checkpoint DIR', 'fisor plot curves --run DIR[,DIR...]', 'fisor plot scatter --data FILE'",
  flags: allFlags,
  async run(argv, io) {
    const [kind, ...rest] = argv;
    if (kind === undefined || kind.startsWith('--')) throw new UsageError(`missing plot kind; known: ${KINDS.join(', ')}`);
    if (!KINDS.includes(kind)) throw new UsageError(`unknown plot kind '${kind}'; known: ${KINDS.join(', ')}`);
    if (kind === 'feasible') {
      const f = parseFlags(rest, feasibleFlags);
      if (f.grid < 2 || f.grid > MAX_GRID) throw new UsageError(`--grid must be in [2, ${MAX_GRID}], got ${f.grid}`);
      selectBackend(f.backend);
      const base = f.out ?? freeOutputBase(join(runDirOf(f.checkpoint), 'feasible'), FEASIBLE_FILES);
      checkOutputFiles('--out', FEASIBLE_FILES.map((e) => base + e), { force: f.force });
      const { agent, meta, step } = await loadAgent(f.checkpoint);
      if (meta.task !== 'PointRobot') throw new Error(`plot feasible needs a PointRobot checkpoint (ground truth exists only there); this one is ${meta.task}`);
      const rollout = f.rollout ? pointRobotRollout(agent) : undefined;
      const res = await writeFeasibleFigure((o) => agent.feasibilityValue(o), base, {
        n: f.grid, rollout, meta: { checkpointStep: step, seed: meta.seed },
        title: `PointRobot feasible region, seed ${meta.seed}, step ${step}: learned V_h vs ground truth`,
      });
      io.stdout.write(`feasible region (learned V_h <= 0 vs ground truth), checkpoint step ${step}:\n`);
      for (const s of res.slices) io.stdout.write(`  ${s.label.padEnd(22)} IoU(infeasible) ${s.iou.toFixed(3)}  (learned ${(100 * s.learnedInfeasible).toFixed(1)}%, true ${(100 * s.trueInfeasible).toFixed(1)}% of cells)\n`);
      io.stdout.write(`  mean IoU ${res.meanIou.toFixed(3)}\n`);
      if (res.rollout) io.stdout.write(`  rollout from the fixed start: ${res.rollout.steps} steps, return ${res.rollout.ret.toFixed(2)}, cost ${res.rollout.totalCost}, goal ${res.rollout.goalReached ? 'reached' : 'not reached'}\n`);
      io.stdout.write(`  wrote ${res.svg}, ${res.png}, ${res.json}\n`);
      return;
    }
    if (kind === 'curves') {
      const f = parseFlags(rest, curvesFlags);
      const runs = f.run.split(',').map((s) => s.trim()).filter(Boolean);
      if (!runs.length) throw new UsageError('--run needs at least one directory');
      if (runs.length > 1 && !f.out) throw new UsageError('--out is required when overlaying several runs');
      const base = f.out ?? freeOutputBase(join(runs[0], 'curves'), FIGURE_FILES);
      checkOutputFiles('--out', FIGURE_FILES.map((e) => base + e), { force: f.force });
      const logs = runs.map(readMetrics);
      const fig = curvesFigure(logs, f.title);
      const out = await writeFigure(base, fig);
      io.stdout.write(`learning curves of ${runs.length} run(s), ${fig.panels.length} panels:\n  wrote ${out.svg}, ${out.png}\n`);
      return;
    }
    const f = parseFlags(rest, scatterFlags);
    if (!(f['cost-limit'] >= 0)) throw new UsageError(`--cost-limit must be >= 0, got ${f['cost-limit']}`);
    const base = f.out ?? freeOutputBase(f.data.replace(/\.(hdf5|h5)$/i, '') + '.scatter', FIGURE_FILES);
    checkOutputFiles('--out', FIGURE_FILES.map((e) => base + e), { force: f.force });
    const ds = await readDsrlHdf5(f.data);
    const out = await writeFigure(base, costReturnScatterFigure(ds, { kappa: f['cost-limit'], title: f.title ?? `${f.data.split('/').pop()}: episode return vs cost` }));
    io.stdout.write(`scatter of ${splitTrajectories(ds).length} trajectories (${ds.size} transitions), cost limit ${f['cost-limit']}:\n  wrote ${out.svg}, ${out.png}\n`);
  },
};
