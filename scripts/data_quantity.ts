/**
 * Data-quantity study (FISOR paper's "sensitivity to data quantity"; FISOR's filter_data.py):
 *
 *   npx tsx scripts/data_quantity.ts [--tasks PointRobot,BallCircle] [--fractions 1,0.5,0.2,0.1]
 *     [--seeds 0,1,2] [--algos fisor,bc-safe] [--steps N] [--preset safe] [--episodes 20]
 *     [--reuse DIR --reuse-critics DIR] [--work runs/data_quantity] [--report docs/STUDIES.md]
 *     [--json studies.json] [--figures figures]
 *   npx tsx scripts/data_quantity.ts --figure-only [--json studies.json] [--figures figures]
 *
 * For every task the default behaviour dataset (collect seed 0) is cut to a random `fraction` of its
 * trajectories (`fisor filter --fraction`, one subset per fraction, subset seed --subset-seed, the same for
 * every training seed, as FISOR's one file per ratio), each algorithm is trained on it per seed and
 * evaluated over `episodes` episodes with reset seeds from Rng(2000 + seed) (scripts/results.ts's protocol;
 * DSRL normalisation). The report section `data-quantity` of --report (between generated markers; the rest
 * of the page is kept) and the key `dataQuantity` of --json are rewritten after every finished cell, the
 * figure (reward and cost against data fraction, seeds as dots, mean as a bold line) at most every 30 s and
 * at the end.
 *
 * --reuse DIR: FISOR's 100 % cells are the finished runs DIR/<Task>-s<seed> (scripts/results.ts's layout),
 * accepted only if their config equals this study's and their critics equal, bit for bit, the critic phase
 * of the same (task, seed) that scripts/ablations.ts ran under --reuse-critics DIR (<DIR>/critics/<Task>/seed<k>/run).
 *
 * Resumable: a finished cell's result.json under --work is reused; an interrupted training continues from
 * its checkpoint. A cell whose saved settings differ from this call's is an error (use another --work).
 *
 * Algorithms are hooks (`ALGORITHMS`): FISOR and BC-Safe (scripts/bc_safe.ts, the BC-Safe of RESULTS.md) are
 * built in; others register with `registerAlgorithm(name, hook)` from a module passed as --plugin FILE.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getBackend } from '../core/index.js';
import { parseFlags, type FlagSpecs } from '../rl/cli/args.js';
import { collect } from '../rl/data/collect.js';
import { splitTrajectories, type Dataset } from '../rl/data/dataset.js';
import { filterDataset } from '../rl/data/filter.js';
import { taskReference } from '../rl/envs/reference.js';
import { resolveConfig } from '../rl/fisor/config.js';
import { evaluate } from '../rl/fisor/evaluate.js';
import { loadAgent, train } from '../rl/fisor/train.js';
import { writeFileAtomic } from '../rl/io/atomic.js';
import { PALETTE, type FigureSpec, type LegendEntry, type Marker, type PanelSpec, type Series } from '../rl/plot/chart.js';
import { writeFigure } from '../rl/plot/raster.js';
import { verifyReuse } from './ablations.js';
import { BC_SAFE_DEFAULTS, trainBcSafe } from './bc_safe.js';
import { checkResumeConfig, hasCheckpoint, runTrainSeconds } from './run_checks.js';
import { cellBackend, checkCellBackend, mean, readStudyRecord, std, writeStudy, type BackendKeyed } from './studies_io.js';

export interface AlgoRunInput {
  task: string;
  dataset: Dataset;
  seed: number;
  /** Directory for the run's own files (checkpoints, metrics); resume from it if it holds a checkpoint. */
  outDir: string;
  /** Training steps (undefined: the algorithm's default for `preset`). */
  steps?: number;
  preset: string;
  episodes: number;
  /** Evaluation reset seeds come from Rng(evalSeed). */
  evalSeed: number;
  /** A finished run standing for this cell (checked by the hook), instead of training. */
  reuseDir?: string;
  /** With reuseDir: the critic phase of the same (task, seed) its critics must equal. */
  reuseCriticsDir?: string;
}

export interface AlgoRunOutput {
  normalizedReward: number;
  normalizedCost: number;
  safeFraction: number;
  steps: number;
  trainSeconds: number;
  /** Set when a finished run was reused instead of trained. */
  reusedFrom?: string;
}

export type AlgorithmHook = (input: AlgoRunInput) => Promise<AlgoRunOutput>;

/** FISOR through rl/fisor/train.ts, then `episodes` evaluation episodes (or a checked reused run). */
export const fisorHook: AlgorithmHook = async ({ task, dataset, seed, outDir, steps, preset, episodes, evalSeed, reuseDir, reuseCriticsDir }) => {
  const config = resolveConfig({ preset, task, overrides: { steps } });
  if (reuseDir !== undefined) {
    if (reuseCriticsDir === undefined) throw new Error('fisor: a reused run needs the critic phase to check it against (--reuse-critics)');
    await verifyReuse(reuseDir, reuseCriticsDir, task, seed, config);
    const { agent, step } = await loadAgent(reuseDir);
    const ev = evaluate(agent, task, { episodes, seed: evalSeed });
    return { normalizedReward: ev.normalizedReward, normalizedCost: ev.normalizedCost, safeFraction: ev.safeFraction, steps: step, trainSeconds: 0, reusedFrom: reuseDir };
  }
  const resume = hasCheckpoint(outDir);
  // A leftover checkpoint (an interrupted cell) is resumed under its own config: it must be this cell's.
  checkResumeConfig(outDir, task, seed, config, 'use another --work directory');
  const res = await train({ task, config, seed, outDir, dataset, resume, skipFinalEval: true });
  if (res.interrupted) throw new Error(`FISOR run in ${outDir} stopped at step ${res.step} of ${config.steps}`);
  const ev = evaluate(res.agent, task, { episodes, seed: evalSeed });
  return { normalizedReward: ev.normalizedReward, normalizedCost: ev.normalizedCost, safeFraction: ev.safeFraction, steps: res.step, trainSeconds: runTrainSeconds(outDir, resume, res.trainSeconds) };
};

/** BC-Safe as in RESULTS.md (scripts/bc_safe.ts: its 3000 steps; `steps` and `preset` do not apply), same evaluation. */
export const bcSafeHook: AlgorithmHook = async ({ task, dataset, seed, episodes, evalSeed }) => {
  const t0 = performance.now();
  const policy = trainBcSafe(task, dataset, seed);
  const trainSeconds = (performance.now() - t0) / 1000;
  const ev = evaluate(policy, task, { episodes, seed: evalSeed });
  return { normalizedReward: ev.normalizedReward, normalizedCost: ev.normalizedCost, safeFraction: ev.safeFraction, steps: BC_SAFE_DEFAULTS.steps, trainSeconds };
};

export const ALGORITHMS: Record<string, AlgorithmHook> = { fisor: fisorHook, 'bc-safe': bcSafeHook };

export function registerAlgorithm(name: string, hook: AlgorithmHook): void {
  ALGORITHMS[name] = hook;
}

export interface StudyOptions {
  tasks: string[];
  fractions: number[];
  seeds: number[];
  algos: string[];
  steps?: number;
  preset: string;
  episodes: number;
  /** Evaluation reset seeds come from Rng(evalSeedBase + seed). */
  evalSeedBase: number;
  subsetSeed: number;
  /** FISOR's 100 % cells: the finished runs <reuse>/<Task>-s<seed>, checked against <reuseCritics>/critics/<Task>/seed<k>/run. */
  reuse?: string;
  reuseCritics?: string;
  /** Run directories and per-cell results. */
  work: string;
  /** Markdown page (its `data-quantity` section is rewritten) and JSON file (its `dataQuantity` key). */
  report: string;
  json: string;
  /** Directory of the figure (data-quantity.svg / .png). */
  figures: string;
  command: string;
  /** Dataset per task (default: the task's default behaviour dataset, collect seed 0). */
  datasetFor?: (task: string) => Dataset;
  log?: (line: string) => void;
}

/** Settings a saved cell must match to be reused. */
interface CellKey extends BackendKeyed {
  algo: string;
  task: string;
  fraction: number;
  seed: number;
  /** --steps (null: the preset's). */
  stepsRequested: number | null;
  preset: string;
  episodes: number;
  evalSeed: number;
  subsetSeed: number;
  trajectories: number;
  transitions: number;
  /** The run reused for this cell (null: trained here). */
  reuse: string | null;
}

export interface Cell extends CellKey, AlgoRunOutput {
  wallSeconds: number;
}

export interface StudyResult {
  cells: Cell[];
  pending: CellKey[];
  failures: (CellKey & { error: string })[];
  datasets: Record<string, { trajectories: number; transitions: number }>;
}

const pct = (f: number): string => `${+(100 * f).toFixed(2)}%`;

export function checkStudyOptions(o: StudyOptions): void {
  if (!o.tasks.length) throw new Error('--tasks: give at least one task');
  for (const t of o.tasks) taskReference(t);
  if (!o.fractions.length) throw new Error('--fractions: give at least one fraction');
  for (const f of o.fractions) if (!(f > 0 && f <= 1)) throw new Error(`--fractions: each fraction must be in (0, 1], got ${f}`);
  if (!o.seeds.length) throw new Error('--seeds: give at least one seed');
  for (const s of o.seeds) if (!Number.isInteger(s)) throw new Error(`--seeds: seeds must be integers, got ${s}`);
  for (const a of o.algos) if (!ALGORITHMS[a]) throw new Error(`--algos: unknown algorithm '${a}'; known: ${Object.keys(ALGORITHMS).join(', ')} (others register through --plugin)`);
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps >= 1)) throw new Error(`--steps must be a positive integer, got ${o.steps}`);
  if (!(Number.isInteger(o.episodes) && o.episodes >= 1)) throw new Error(`--episodes must be a positive integer, got ${o.episodes}`);
  if ((o.reuse === undefined) !== (o.reuseCritics === undefined)) throw new Error('--reuse and --reuse-critics go together (the reused runs are checked against the critic phase of scripts/ablations.ts)');
  if (o.reuse !== undefined && !existsSync(o.reuse)) throw new Error(`--reuse: no directory ${o.reuse}`);
  if (o.reuseCritics !== undefined && !existsSync(o.reuseCritics)) throw new Error(`--reuse-critics: no directory ${o.reuseCritics}`);
}

const cellDir = (o: StudyOptions, k: Pick<CellKey, 'algo' | 'task' | 'fraction' | 'seed'>) => join(o.work, k.algo, k.task, `frac${+(k.fraction * 100).toFixed(2)}`, `seed${k.seed}`);

const sameKey = (a: CellKey, b: CellKey): boolean =>
  (['algo', 'task', 'fraction', 'seed', 'stepsRequested', 'preset', 'episodes', 'evalSeed', 'subsetSeed', 'trajectories', 'transitions', 'reuse'] as const).every((k) => a[k] === b[k]) && cellBackend(a) === b.backend;

/** The finished run standing for a cell: FISOR on all the data, with --reuse. */
const reuseFor = (o: StudyOptions, algo: string, task: string, fraction: number, seed: number): string | null =>
  o.reuse !== undefined && algo === 'fisor' && fraction === 1 ? join(o.reuse, `${task}-s${seed}`) : null;

/** Runs (or reuses) every cell, rewriting the report after each; returns all cells. */
export async function runStudy(o: StudyOptions): Promise<StudyResult> {
  checkStudyOptions(o);
  const log = o.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const result: StudyResult = { cells: [], pending: [], failures: [], datasets: {} };
  const keys: { key: CellKey; data: Dataset }[] = [];
  for (const task of o.tasks) {
    const full = o.datasetFor ? o.datasetFor(task) : collect(task, { seed: 0, recipe: resolveConfig({ preset: o.preset, task }).dataRecipe });
    const n = splitTrajectories(full).length;
    result.datasets[task] = { trajectories: n, transitions: full.size };
    for (const fraction of o.fractions) {
      const data = fraction < 1 ? filterDataset(full, { fraction, seed: o.subsetSeed }).dataset : full;
      const trajectories = splitTrajectories(data).length;
      for (const algo of o.algos) {
        for (const seed of o.seeds) {
          keys.push({ key: { backend: getBackend().name, algo, task, fraction, seed, stepsRequested: o.steps ?? null, preset: o.preset, episodes: o.episodes, evalSeed: o.evalSeedBase + seed, subsetSeed: o.subsetSeed, trajectories, transitions: data.size, reuse: reuseFor(o, algo, task, fraction, seed) }, data });
        }
      }
    }
  }
  result.pending = keys.map((k) => k.key);
  // The table is rewritten after every run; the figure (a PNG render) at most every 30 s and at the end.
  let lastFigure = -Infinity;
  const write = async (final: boolean) => {
    const figure = final || performance.now() - lastFigure > 30_000;
    if (figure) lastFigure = performance.now();
    await writeReport(o, result, figure);
  };
  for (const { key, data } of keys) {
    const dir = cellDir(o, key);
    const file = join(dir, 'result.json');
    let cell: Cell | null = null;
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Cell;
      checkCellBackend(file, saved, key.backend);
      if (!sameKey(saved, key)) throw new Error(`${file} was made with other settings (${JSON.stringify(saved)}); use another --work directory`);
      cell = saved;
      log(`${key.algo} ${key.task} ${pct(key.fraction)} seed ${key.seed}: reused ${file}`);
    } else {
      const t0 = performance.now();
      try {
        mkdirSync(dir, { recursive: true });
        const out = await ALGORITHMS[key.algo]({
          task: key.task, dataset: data, seed: key.seed, outDir: join(dir, 'run'), steps: o.steps, preset: o.preset, episodes: o.episodes, evalSeed: key.evalSeed,
          ...(key.reuse !== null ? { reuseDir: key.reuse, reuseCriticsDir: join(o.reuseCritics!, 'critics', key.task, `seed${key.seed}`, 'run') } : {}),
        });
        cell = { ...key, ...out, wallSeconds: (performance.now() - t0) / 1000 };
        writeFileAtomic(file, JSON.stringify(cell, null, 2) + '\n');
        log(`${key.algo} ${key.task} ${pct(key.fraction)} seed ${key.seed}: normalized reward ${cell.normalizedReward.toFixed(3)}, cost ${cell.normalizedCost.toFixed(3)} (${cell.wallSeconds.toFixed(0)} s)`);
      } catch (e) {
        result.failures.push({ ...key, error: (e as Error).message });
        log(`${key.algo} ${key.task} ${pct(key.fraction)} seed ${key.seed}: FAILED: ${(e as Error).message}`);
      }
    }
    result.pending = result.pending.filter((k) => k !== key);
    if (cell) result.cells.push(cell);
    if (result.pending.length) await write(false);
  }
  await write(true);
  return result;
}

/**
 * Each algorithm after the first is drawn dashed with its own marker, so that where two means are equal the one
 * drawn first shows through: BC-Safe's line hid FISOR's along BallCircle's cost 0.
 */
function algoStyle(ai: number): { marker: Marker; dash?: string } {
  const markers: Marker[] = ['circle', 'diamond', 'square', 'triangle'];
  return { marker: markers[ai % markers.length], dash: ai === 0 ? undefined : '7 4' };
}

/** Figure: per task, normalized reward and normalized cost against the data fraction (%). */
export function studyFigure(o: Pick<StudyOptions, 'tasks' | 'algos' | 'fractions'>, cells: Cell[]): FigureSpec {
  const panels: PanelSpec[] = [];
  const xlim: [number, number] = [0, 105];
  for (const task of o.tasks) {
    for (const metric of ['normalizedReward', 'normalizedCost'] as const) {
      const series: Series[] = [];
      if (metric === 'normalizedCost') series.push({ type: 'hline', value: 1, color: '#d62728', dash: '6 4' });
      o.algos.forEach((algo, ai) => {
        const color = PALETTE[ai % PALETTE.length], { marker, dash } = algoStyle(ai);
        const mine = cells.filter((c) => c.task === task && c.algo === algo);
        series.push({ type: 'points', x: mine.map((c) => 100 * c.fraction), y: mine.map((c) => c[metric]), color, size: 2.5, opacity: 0.55, marker });
        const fr = [...o.fractions].sort((a, b) => a - b).filter((f) => mine.some((c) => c.fraction === f));
        const ys = fr.map((f) => mean(mine.filter((c) => c.fraction === f).map((c) => c[metric])));
        series.push({ type: 'line', x: fr.map((f) => 100 * f), y: ys, color, width: 2.4, dash });
        series.push({ type: 'points', x: fr.map((f) => 100 * f), y: ys, color, size: 4.5, marker });
      });
      panels.push({ title: `${task}: ${metric === 'normalizedReward' ? 'normalized reward' : 'normalized cost'}`, xlabel: '% of trajectories used', ylabel: metric === 'normalizedReward' ? 'normalized reward' : 'normalized cost', xlim, legend: 'none', series });
    }
  }
  const legend: LegendEntry[] = [
    ...o.algos.map((algo, ai) => ({ label: algo, color: PALETTE[ai % PALETTE.length], kind: 'line' as const, width: 2.4, dash: algoStyle(ai).dash })),
    { label: 'cost limit', color: '#d62728', kind: 'line', dash: '6 4' },
  ];
  return {
    title: 'Data quantity: score against the fraction of trajectories trained on', panels, columns: 2, panelWidth: 320, panelHeight: 200, legend,
    caption: ['line and large markers: mean over seeds; small markers: one seed each (mean over its evaluation episodes)'],
  };
}

const figureBase = (o: StudyOptions) => join(o.figures, 'data-quantity');

async function writeReport(o: StudyOptions, r: StudyResult, renderFigure: boolean): Promise<void> {
  mkdirSync(dirname(o.report) || '.', { recursive: true });
  const L: string[] = ['## Data quantity', ''];
  L.push('Made by `scripts/data_quantity.ts` (this section is rewritten as runs finish). Command:', '', '```', o.command, '```', '');
  const be = getBackend() as { name: string; threads?: number };
  L.push(`Settings: FISOR preset \`${o.preset}\`, steps ${o.steps ?? "the preset's"}; BC-Safe: scripts/bc_safe.ts (${BC_SAFE_DEFAULTS.steps} steps, the BC-Safe of RESULTS.md); ${o.episodes} evaluation episodes per run (reset seeds from Rng(${o.evalSeedBase} + seed), as scripts/results.ts), seeds ${o.seeds.join(', ')}, subset seed ${o.subsetSeed}, backend ${be.name} (${be.threads ?? 1} thread(s)). ` +
    'Each fraction is one random subset of the trajectories of the task\'s default dataset (collect seed 0), drawn without replacement and shared by all seeds and algorithms (`fisor filter --fraction`).' +
    (o.reuse !== undefined ? ` FISOR's 100 % runs are the finished runs in \`${o.reuse}\` (config equal; critics bit-identical to the critic phase scripts/ablations.ts ran in \`${o.reuseCritics}\`), evaluated here.` : ''), '');
  for (const [task, d] of Object.entries(r.datasets)) L.push(`- ${task}: full dataset ${d.trajectories} trajectories, ${d.transitions} transitions`);
  L.push('', '| algorithm | task | data | trajectories | transitions | runs | normalized reward | normalized cost | safe episodes | runs with cost ≤ 1 | per seed (reward / cost) |', '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const algo of o.algos) {
    for (const task of o.tasks) {
      for (const fraction of o.fractions) {
        const c = r.cells.filter((x) => x.algo === algo && x.task === task && x.fraction === fraction).sort((a, b) => a.seed - b.seed);
        const want = o.seeds.length;
        const any = c[0] ?? r.pending.find((x) => x.algo === algo && x.task === task && x.fraction === fraction) ?? r.failures.find((x) => x.algo === algo && x.task === task && x.fraction === fraction);
        const nr = c.map((x) => x.normalizedReward), nc = c.map((x) => x.normalizedCost), sf = c.map((x) => x.safeFraction);
        const fmt = (v: number[]) => (v.length ? `${mean(v).toFixed(3)} ± ${std(v).toFixed(3)}` : 'not run');
        const safe = sf.length ? `${(100 * mean(sf)).toFixed(0)}%` : 'not run';
        const per = c.map((x) => `s${x.seed}: ${x.normalizedReward.toFixed(3)} / ${x.normalizedCost.toFixed(3)}`).join('; ');
        L.push(`| ${algo} | ${task} | ${pct(fraction)} | ${any?.trajectories ?? '?'} | ${any?.transitions ?? '?'} | ${c.length}/${want} | ${fmt(nr)} | ${fmt(nc)} | ${safe} | ${c.filter((x) => x.normalizedCost <= 1).length}/${c.length} | ${per} |`);
      }
    }
  }
  L.push('', '± is the sample standard deviation over seeds of each seed\'s mean over its evaluation episodes; "safe episodes": mean fraction of episodes with normalized cost ≤ 1. "not run": no finished run for that cell.', '');
  const train = r.cells.reduce((a, c) => a + c.trainSeconds, 0), wall = r.cells.reduce((a, c) => a + c.wallSeconds, 0);
  L.push(`Time of the cells in the table: training ${(train / 60).toFixed(0)} min, wall ${(wall / 60).toFixed(0)} min (reused runs count 0 training).`, '');
  if (r.failures.length) {
    L.push('Failed runs:', '');
    for (const f of r.failures) L.push(`- ${f.algo} ${f.task} ${pct(f.fraction)} seed ${f.seed}: ${f.error}`);
    L.push('');
  }
  if (r.pending.length) L.push(`${r.pending.length} run(s) not finished when this section was written.`, '');
  if (r.cells.length) {
    const base = figureBase(o);
    if (renderFigure) await writeFigure(base, studyFigure(o, r.cells));
    const rel = (p: string) => relative(dirname(o.report), p);
    L.push(`![data quantity](${rel(`${base}.png`)})`, '', `(SVG: ${rel(`${base}.svg`)}; every run in \`${o.json}\` under \`dataQuantity\`.)`, '');
  }
  writeStudy(
    { path: o.report, section: 'data-quantity', body: L.join('\n') },
    { path: o.json, key: 'dataQuantity', value: { command: o.command, preset: o.preset, steps: o.steps ?? null, episodes: o.episodes, evalSeedBase: o.evalSeedBase, seeds: o.seeds, subsetSeed: o.subsetSeed, reuse: o.reuse ?? null, datasets: r.datasets, cells: r.cells, failures: r.failures, pending: r.pending.length } },
  );
}

const flags = {
  tasks: { type: 'string', help: 'comma-separated tasks', default: 'PointRobot,BallCircle', meta: 'A,B' },
  fractions: { type: 'string', help: 'comma-separated fractions of the trajectories', default: '1,0.5,0.2,0.1', meta: 'F,...' },
  seeds: { type: 'string', help: 'comma-separated training seeds', default: '0,1,2', meta: 'S,...' },
  algos: { type: 'string', help: 'comma-separated algorithms (fisor, bc-safe; more through --plugin)', default: 'fisor,bc-safe', meta: 'A,...' },
  plugin: { type: 'string', help: 'module whose import calls registerAlgorithm(...) (e.g. a BC-Safe hook)', meta: 'FILE' },
  steps: { type: 'int', help: "training steps per run (default: the preset's)", meta: 'N' },
  preset: { type: 'string', help: 'FISOR config preset', default: 'safe', meta: 'NAME' },
  episodes: { type: 'int', help: 'evaluation episodes per run', default: 20, meta: 'N' },
  'eval-seed': { type: 'int', help: 'evaluation resets come from Rng(eval-seed + seed)', default: 2000, meta: 'N' },
  reuse: { type: 'string', help: "scripts/results.ts output directory whose <Task>-s<seed> runs stand for FISOR's 100 % cells (checked)", meta: 'DIR' },
  'reuse-critics': { type: 'string', help: 'scripts/ablations.ts --work directory whose critic phases the reused runs are checked against', meta: 'DIR' },
  'subset-seed': { type: 'int', help: 'seed of the random trajectory subsets', default: 0, meta: 'S' },
  work: { type: 'string', help: 'run directories and per-run results (resumable)', default: 'runs/data_quantity', meta: 'DIR' },
  report: { type: 'string', help: "markdown page whose 'data-quantity' section is rewritten", default: 'docs/STUDIES.md', meta: 'FILE' },
  json: { type: 'string', help: "JSON file whose 'dataQuantity' key is rewritten", default: 'studies.json', meta: 'FILE' },
  figures: { type: 'string', help: 'directory of the figure', default: 'figures', meta: 'DIR' },
  'figure-only': { type: 'bool', help: "redraw the figure from --json's 'dataQuantity' record and stop (no training, no report)", default: false },
} satisfies FlagSpecs;

const list = (s: string, num: boolean): (string | number)[] => s.split(',').map((x) => x.trim()).filter(Boolean).map((x) => (num ? Number(x) : x));

/**
 * Redraws `<figures>/data-quantity.svg|png` from --json's `dataQuantity` record: the figure is a function of the
 * cells alone (tasks, algorithms and fractions in the order the cells name them), so a change to how figures are
 * drawn needs no run.
 */
export async function redrawDataQuantityFigure(json: string, figures: string): Promise<string> {
  const { cells } = readStudyRecord<{ cells: Cell[] }>(json, 'dataQuantity');
  const uniq = <T>(v: T[]) => [...new Set(v)];
  const base = join(figures, 'data-quantity');
  await writeFigure(base, studyFigure({ tasks: uniq(cells.map((c) => c.task)), algos: uniq(cells.map((c) => c.algo)), fractions: uniq(cells.map((c) => c.fraction)) }, cells));
  return base;
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), flags);
  if (f['figure-only']) {
    const base = await redrawDataQuantityFigure(f.json, f.figures);
    process.stdout.write(`wrote ${base}.svg, ${base}.png from ${f.json}\n`);
    return;
  }
  if (f.plugin) await import(pathToFileURL(resolve(f.plugin)).href);
  await runStudy({
    tasks: list(f.tasks, false) as string[],
    fractions: list(f.fractions, true) as number[],
    seeds: list(f.seeds, true) as number[],
    algos: list(f.algos, false) as string[],
    steps: f.steps,
    preset: f.preset,
    episodes: f.episodes,
    evalSeedBase: f['eval-seed'],
    subsetSeed: f['subset-seed'],
    reuse: f.reuse,
    reuseCritics: f['reuse-critics'],
    work: f.work,
    report: f.report,
    json: f.json,
    figures: f.figures,
    command: `npx tsx scripts/data_quantity.ts ${process.argv.slice(2).join(' ')}`.trim(),
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
