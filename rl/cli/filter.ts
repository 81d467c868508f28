/**
 * `fisor filter --data IN.hdf5 --out OUT.hdf5 [filters]`: DSRL's trajectory filters (rl/data/filter.ts) on a
 * DSRL or FISOR-layout file, writing a new DSRL file and a before/after cost-return scatter (SVG + PNG).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { splitTrajectories, summarizeDataset } from '../data/dataset.js';
import { checkFilterOptions, DSRL_GRID_DEFAULTS, filterDataset, FilterOptionError, type FilterOptionPath, type FilterOptions } from '../data/filter.js';
import { readDsrlHdf5, writeDsrlHdf5 } from '../data/hdf5.js';
import { beforeAfterScatterFigure } from '../data/scatter.js';
import { writeFigure } from '../plot/raster.js';
import { parseFlags, UsageError, type FlagSpecs } from './args.js';
import type { Command } from './command.js';
import { checkOutputFiles } from './outputs.js';

const flags = {
  data: { type: 'string', help: 'input HDF5 file (DSRL layout or FISOR PointRobot layout)', required: true, meta: 'FILE' },
  out: { type: 'string', help: 'output HDF5 file (DSRL layout); never overwritten without --force', required: true, meta: 'FILE' },
  'cost-limit': { type: 'float', help: 'cost limit kappa (epsilon split, scatter colours)', default: 10, meta: 'K' },
  'outlier-iqr': { type: 'float', help: "drop trajectories whose return or cost lies outside Tukey's fences Q1 - k IQR, Q3 + k IQR", meta: 'k' },
  grid: { type: 'bool', help: "DSRL's density grid filter on the (cost, return) plane (DSRL: density < 1)", default: false },
  cbins: { type: 'int', help: `grid cells along cost (default ${DSRL_GRID_DEFAULTS.cbins})`, meta: 'N' },
  rbins: { type: 'int', help: `grid cells along return (default ${DSRL_GRID_DEFAULTS.rbins})`, meta: 'N' },
  'max-per-bin': { type: 'int', help: `keep at most N random trajectories per cell (default ${DSRL_GRID_DEFAULTS.maxPerBin})`, meta: 'N' },
  'min-per-bin': { type: 'int', help: `drop cells with at most N trajectories (default ${DSRL_GRID_DEFAULTS.minPerBin})`, meta: 'N' },
  'add-outliers': { type: 'float', help: "DSRL outliers_percent: corrupt this fraction of the high-cost, high-return trajectories into fake safe ones (robustness tests; drops h)", meta: 'P' },
  epsilon: { type: 'float', help: "DSRL epsilon: > 0 drops safe trajectories within epsilon of the best safe return, < 0 the unsafe ones within |epsilon| of the best unsafe return", meta: 'E' },
  fraction: { type: 'float', help: 'keep a random fraction of the (remaining) trajectories, in (0, 1]', meta: 'F' },
  seed: { type: 'int', help: 'random seed (grid sampling, fraction)', default: 0, meta: 'S' },
  force: { type: 'bool', help: 'overwrite --out (and its before/after figure) if it exists', default: false },
} satisfies FlagSpecs;

/** The flag that sets each FilterOptions field (the compiler rejects a missing one). */
const FLAG_OF_OPTION: Record<FilterOptionPath, string> = {
  outlierIqr: 'outlier-iqr', 'grid.cbins': 'cbins', 'grid.rbins': 'rbins', 'grid.maxPerBin': 'max-per-bin',
  'grid.minPerBin': 'min-per-bin', epsilon: 'epsilon', addOutliers: 'add-outliers', fraction: 'fraction', kappa: 'cost-limit', seed: 'seed',
};

/** data.hdf5 -> data.filter (base of the before/after figure). */
export const figureBaseFor = (out: string): string => out.replace(/\.(hdf5|h5)$/i, '') + '.filter';

export const command: Command = {
  summary: "filter a dataset's trajectories the way DSRL does (density grid, epsilon, outliers, random fraction) into a new DSRL file + before/after scatter",
  flags,
  async run(argv, io) {
    const f = parseFlags(argv, flags);
    const gridFlags = ['cbins', 'rbins', 'max-per-bin', 'min-per-bin'] as const;
    if (!f.grid) for (const g of gridFlags) if (f[g] !== undefined) throw new UsageError(`--${g} only applies with --grid`);
    const opts: FilterOptions = {
      outlierIqr: f['outlier-iqr'],
      grid: f.grid
        ? { cbins: f.cbins ?? DSRL_GRID_DEFAULTS.cbins, rbins: f.rbins ?? DSRL_GRID_DEFAULTS.rbins, maxPerBin: f['max-per-bin'] ?? DSRL_GRID_DEFAULTS.maxPerBin, minPerBin: f['min-per-bin'] ?? DSRL_GRID_DEFAULTS.minPerBin }
        : undefined,
      addOutliers: f['add-outliers'],
      epsilon: f.epsilon,
      fraction: f.fraction,
      kappa: f['cost-limit'],
      seed: f.seed,
    };
    if (opts.outlierIqr === undefined && !opts.grid && opts.addOutliers === undefined && opts.epsilon === undefined && opts.fraction === undefined) {
      throw new UsageError('no filter given: use --outlier-iqr, --grid, --add-outliers, --epsilon and/or --fraction');
    }
    try {
      checkFilterOptions(opts);
    } catch (e) {
      // The library names options by meaning; here the user typed flags, so the message names the flag.
      if (!(e instanceof FilterOptionError)) throw e;
      throw new UsageError(`--${FLAG_OF_OPTION[e.option]} ${e.why.replace('maxPerBin', '--max-per-bin')}, got ${JSON.stringify(e.value)}`);
    }
    if (resolve(f.out) === resolve(f.data)) throw new UsageError('--out must differ from --data (the input is never overwritten)');
    const figBase = figureBaseFor(f.out);
    checkOutputFiles('--out', [f.out, `${figBase}.svg`, `${figBase}.png`], { force: f.force });
    const ds = await readDsrlHdf5(f.data);
    const res = filterDataset(ds, opts);
    mkdirSync(dirname(f.out) || '.', { recursive: true });
    const filters = JSON.stringify({ ...opts, seed: undefined });
    // The task travels with the data: training checks it against --task.
    const task = ds.attrs?.task;
    await writeDsrlHdf5(f.out, res.dataset, { attrs: { ...(task !== undefined ? { task } : {}), source: f.data, filters, seed: f.seed, generator: 'fisor-ts filter' } });
    const kappa = f['cost-limit'];
    const fig = await writeFigure(figBase, beforeAfterScatterFigure(ds, res.dataset, kappa, `fisor filter: ${f.data.split('/').pop()} -> ${f.out.split('/').pop()}`));
    const a = summarizeDataset(ds, kappa), b = summarizeDataset(res.dataset, kappa);
    const lines = [`wrote ${f.out}`, `  before        ${a.trajectories} trajectories, ${a.transitions} transitions, ${(100 * a.fractionSafe).toFixed(1)}% with cost <= ${kappa}`];
    // Rows after the last episode end are no episode (as in DSRL) and cannot be kept: say so rather than lose them quietly.
    const tail = ds.size - (splitTrajectories(ds).at(-1)?.end ?? 0);
    if (tail > 0) lines.push(`  dropped       ${tail} rows after the last terminal or timeout flag (no episode ends in them, so they are not a trajectory)`);
    for (const s of res.steps) {
      lines.push(s.name === 'add-outliers'
        ? `  add-outliers  relabelled ${res.injected.length} of ${s.before} as safe, high-return outliers (h dropped)`
        : `  ${s.name.padEnd(13)} removed ${s.removed} of ${s.before}`);
    }
    lines.push(`  after         ${b.trajectories} trajectories, ${b.transitions} transitions, ${(100 * b.fractionSafe).toFixed(1)}% with cost <= ${kappa}`);
    lines.push(`  scatter       ${fig.svg}, ${fig.png}`);
    io.stdout.write(lines.join('\n') + '\n');
  },
};
