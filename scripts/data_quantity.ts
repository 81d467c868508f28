/**
 * Data-quantity study (FISOR paper's "sensitivity to data quantity"; FISOR's filter_data.py):
 *
 *   npx tsx scripts/data_quantity.ts [--tasks PointRobot,BallCircle] [--fractions 1,0.5,0.2,0.1]
 *     [--seeds 0,1,2] [--algos fisor] [--steps N] [--preset cpu] [--episodes 20]
 *     [--work runs/data_quantity] [--report docs/DATA_QUANTITY.md]
 *
 * For every task the default behaviour dataset (collect seed 0) is cut to a random `fraction` of its
 * trajectories (`fisor filter --fraction`, one subset per fraction, subset seed --subset-seed, the same for
 * every training seed, as FISOR's one file per ratio), each algorithm is trained on it per seed and
 * evaluated (DSRL normalisation). The markdown report, a JSON of every cell and a figure (reward and cost
 * against data fraction, seeds as dots, mean as a bold line) are rewritten after every finished cell.
 *
 * Resumable: a finished cell's result.json under --work is reused; an interrupted training continues from
 * its checkpoint. A cell whose saved settings differ from this call's is an error (use another --work).
 *
 * Algorithms are hooks (`ALGORITHMS`): FISOR is built in; others (BC-Safe, once rl/algos/ exists) register
 * with `registerAlgorithm(name, hook)` from a module passed as --plugin FILE.
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
import { train } from '../rl/fisor/train.js';
import { writeFileAtomic } from '../rl/io/atomic.js';
import { PALETTE, type FigureSpec, type PanelSpec, type Series } from '../rl/plot/chart.js';
import { writeFigure } from '../rl/plot/raster.js';

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
}

export interface AlgoRunOutput {
  normalizedReward: number;
  normalizedCost: number;
  safeFraction: number;
  steps: number;
  trainSeconds: number;
}

export type AlgorithmHook = (input: AlgoRunInput) => Promise<AlgoRunOutput>;

/** FISOR through rl/fisor/train.ts (final evaluation over `episodes` episodes). */
export const fisorHook: AlgorithmHook = async ({ task, dataset, seed, outDir, steps, preset, episodes }) => {
  const config = resolveConfig({ preset, task, overrides: { steps, evalEpisodes: episodes, evalEvery: 0 } });
  const resume = existsSync(join(outDir, 'checkpoint', 'manifest.json'));
  const res = await train({ task, config, seed, outDir, dataset, resume });
  const ev = res.lastEval;
  if (!ev) throw new Error(`FISOR run in ${outDir} finished without an evaluation`);
  return { normalizedReward: ev.normalizedReward, normalizedCost: ev.normalizedCost, safeFraction: ev.safeFraction, steps: res.step, trainSeconds: res.trainSeconds };
};

export const ALGORITHMS: Record<string, AlgorithmHook> = { fisor: fisorHook };

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
  subsetSeed: number;
  /** Run directories and per-cell results. */
  work: string;
  /** Markdown report; the JSON and the figure are written beside it (<report>.json, figures/data-quantity.*). */
  report: string;
  command: string;
  /** Dataset per task (default: the task's default behaviour dataset, collect seed 0). */
  datasetFor?: (task: string) => Dataset;
  log?: (line: string) => void;
}

/** Settings a saved cell must match to be reused. */
interface CellKey {
  algo: string;
  task: string;
  fraction: number;
  seed: number;
  /** --steps (null: the preset's). */
  stepsRequested: number | null;
  preset: string;
  episodes: number;
  subsetSeed: number;
  trajectories: number;
  transitions: number;
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
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));

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
}

const cellDir = (o: StudyOptions, k: Pick<CellKey, 'algo' | 'task' | 'fraction' | 'seed'>) => join(o.work, k.algo, k.task, `frac${+(k.fraction * 100).toFixed(2)}`, `seed${k.seed}`);

const sameKey = (a: CellKey, b: CellKey): boolean =>
  (['algo', 'task', 'fraction', 'seed', 'stepsRequested', 'preset', 'episodes', 'subsetSeed', 'trajectories', 'transitions'] as const).every((k) => a[k] === b[k]);

/** Runs (or reuses) every cell, rewriting the report after each; returns all cells. */
export async function runStudy(o: StudyOptions): Promise<StudyResult> {
  checkStudyOptions(o);
  const log = o.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const result: StudyResult = { cells: [], pending: [], failures: [], datasets: {} };
  const keys: { key: CellKey; data: Dataset }[] = [];
  for (const task of o.tasks) {
    const full = o.datasetFor ? o.datasetFor(task) : collect(task, { seed: 0 });
    const n = splitTrajectories(full).length;
    result.datasets[task] = { trajectories: n, transitions: full.size };
    for (const fraction of o.fractions) {
      const data = fraction < 1 ? filterDataset(full, { fraction, seed: o.subsetSeed }).dataset : full;
      const trajectories = splitTrajectories(data).length;
      for (const algo of o.algos) {
        for (const seed of o.seeds) {
          keys.push({ key: { algo, task, fraction, seed, stepsRequested: o.steps ?? null, preset: o.preset, episodes: o.episodes, subsetSeed: o.subsetSeed, trajectories, transitions: data.size }, data });
        }
      }
    }
  }
  result.pending = keys.map((k) => k.key);
  const write = async () => writeReport(o, result);
  for (const { key, data } of keys) {
    const dir = cellDir(o, key);
    const file = join(dir, 'result.json');
    let cell: Cell | null = null;
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Cell;
      if (!sameKey(saved, key)) throw new Error(`${file} was made with other settings (${JSON.stringify(saved)}); use another --work directory`);
      cell = saved;
      log(`${key.algo} ${key.task} ${pct(key.fraction)} seed ${key.seed}: reused ${file}`);
    } else {
      const t0 = performance.now();
      try {
        mkdirSync(dir, { recursive: true });
        const out = await ALGORITHMS[key.algo]({ task: key.task, dataset: data, seed: key.seed, outDir: join(dir, 'run'), steps: o.steps, preset: o.preset, episodes: o.episodes });
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
    await write();
  }
  return result;
}

/** Figure: per task, normalized reward and normalized cost against the data fraction (%). */
export function studyFigure(o: Pick<StudyOptions, 'tasks' | 'algos' | 'fractions'>, cells: Cell[]): FigureSpec {
  const panels: PanelSpec[] = [];
  const xlim: [number, number] = [0, 105];
  for (const task of o.tasks) {
    for (const metric of ['normalizedReward', 'normalizedCost'] as const) {
      const series: Series[] = [];
      o.algos.forEach((algo, ai) => {
        const color = PALETTE[ai % PALETTE.length];
        const mine = cells.filter((c) => c.task === task && c.algo === algo);
        series.push({ type: 'points', x: mine.map((c) => 100 * c.fraction), y: mine.map((c) => c[metric]), color, size: 2.5, opacity: 0.55 });
        const fr = [...o.fractions].sort((a, b) => a - b).filter((f) => mine.some((c) => c.fraction === f));
        series.push({ type: 'line', x: fr.map((f) => 100 * f), y: fr.map((f) => mean(mine.filter((c) => c.fraction === f).map((c) => c[metric]))), color, width: 2.4, label: `${algo} (mean; dots: seeds)` });
      });
      if (metric === 'normalizedCost') series.push({ type: 'hline', value: 1, color: '#d62728', dash: '6 4', text: 'cost limit' });
      panels.push({ title: `${task}: ${metric === 'normalizedReward' ? 'normalized reward' : 'normalized cost'}`, xlabel: '% of trajectories used', ylabel: metric === 'normalizedReward' ? 'normalized reward' : 'normalized cost', xlim, series });
    }
  }
  return { title: 'Data quantity: score against the fraction of trajectories trained on', panels, columns: 2, panelWidth: 320, panelHeight: 200 };
}

const figureBase = (o: StudyOptions) => join(dirname(o.report), 'figures', 'data-quantity');
const jsonPath = (o: StudyOptions) => o.report.replace(/\.md$/i, '') + '.json';

async function writeReport(o: StudyOptions, r: StudyResult): Promise<void> {
  mkdirSync(dirname(o.report) || '.', { recursive: true });
  const L: string[] = ['# Data-quantity study', ''];
  L.push('Made by `scripts/data_quantity.ts` (this file is rewritten as cells finish). Command:', '', '```', o.command, '```', '');
  L.push(`Settings: preset \`${o.preset}\`, steps ${o.steps ?? "the preset's"}, ${o.episodes} evaluation episodes per run, seeds ${o.seeds.join(', ')}, subset seed ${o.subsetSeed}, backend ${getBackend().name}. ` +
    'Each fraction is one random subset of the trajectories of the task\'s default dataset (collect seed 0), drawn without replacement and shared by all seeds (`fisor filter --fraction`).', '');
  for (const [task, d] of Object.entries(r.datasets)) L.push(`- ${task}: full dataset ${d.trajectories} trajectories, ${d.transitions} transitions`);
  L.push('', '| algorithm | task | data | trajectories | transitions | runs | normalized reward | normalized cost | runs with cost ≤ 1 |', '|---|---|---|---|---|---|---|---|---|');
  for (const algo of o.algos) {
    for (const task of o.tasks) {
      for (const fraction of o.fractions) {
        const c = r.cells.filter((x) => x.algo === algo && x.task === task && x.fraction === fraction);
        const want = o.seeds.length;
        const any = c[0] ?? r.pending.find((x) => x.algo === algo && x.task === task && x.fraction === fraction) ?? r.failures.find((x) => x.algo === algo && x.task === task && x.fraction === fraction);
        const nr = c.map((x) => x.normalizedReward), nc = c.map((x) => x.normalizedCost);
        const fmt = (v: number[]) => (v.length ? `${mean(v).toFixed(3)} ± ${std(v).toFixed(3)}` : 'not run');
        L.push(`| ${algo} | ${task} | ${pct(fraction)} | ${any?.trajectories ?? '?'} | ${any?.transitions ?? '?'} | ${c.length}/${want} | ${fmt(nr)} | ${fmt(nc)} | ${c.filter((x) => x.normalizedCost <= 1).length}/${c.length} |`);
      }
    }
  }
  L.push('', '± is the standard deviation over seeds. "not run": no finished run for that cell yet.', '');
  if (r.failures.length) {
    L.push('Failed runs:', '');
    for (const f of r.failures) L.push(`- ${f.algo} ${f.task} ${pct(f.fraction)} seed ${f.seed}: ${f.error}`);
    L.push('');
  }
  if (r.pending.length) L.push(`${r.pending.length} run(s) not finished when this file was written.`, '');
  if (r.cells.length) {
    const fig = await writeFigure(figureBase(o), studyFigure(o, r.cells));
    const rel = (p: string) => relative(dirname(o.report), p);
    L.push(`![data quantity](${rel(fig.png)})`, '', `(SVG: ${rel(fig.svg)}; JSON of every run: ${rel(jsonPath(o))})`, '');
  }
  writeFileAtomic(o.report, L.join('\n'));
  writeFileAtomic(jsonPath(o), JSON.stringify({ command: o.command, preset: o.preset, steps: o.steps ?? null, episodes: o.episodes, seeds: o.seeds, subsetSeed: o.subsetSeed, datasets: r.datasets, cells: r.cells, failures: r.failures, pending: r.pending.length }, null, 2) + '\n');
}

const flags = {
  tasks: { type: 'string', help: 'comma-separated tasks', default: 'PointRobot,BallCircle', meta: 'A,B' },
  fractions: { type: 'string', help: 'comma-separated fractions of the trajectories', default: '1,0.5,0.2,0.1', meta: 'F,...' },
  seeds: { type: 'string', help: 'comma-separated training seeds', default: '0,1,2', meta: 'S,...' },
  algos: { type: 'string', help: 'comma-separated algorithms (fisor; more through --plugin)', default: 'fisor', meta: 'A,...' },
  plugin: { type: 'string', help: 'module whose import calls registerAlgorithm(...) (e.g. a BC-Safe hook)', meta: 'FILE' },
  steps: { type: 'int', help: "training steps per run (default: the preset's)", meta: 'N' },
  preset: { type: 'string', help: 'FISOR config preset', default: 'cpu', meta: 'NAME' },
  episodes: { type: 'int', help: 'evaluation episodes per run', default: 20, meta: 'N' },
  'subset-seed': { type: 'int', help: 'seed of the random trajectory subsets', default: 0, meta: 'S' },
  work: { type: 'string', help: 'run directories and per-run results (resumable)', default: 'runs/data_quantity', meta: 'DIR' },
  report: { type: 'string', help: 'markdown report (JSON and figure beside it)', default: 'docs/DATA_QUANTITY.md', meta: 'FILE' },
} satisfies FlagSpecs;

const list = (s: string, num: boolean): (string | number)[] => s.split(',').map((x) => x.trim()).filter(Boolean).map((x) => (num ? Number(x) : x));

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), flags);
  if (f.plugin) await import(pathToFileURL(resolve(f.plugin)).href);
  await runStudy({
    tasks: list(f.tasks, false) as string[],
    fractions: list(f.fractions, true) as number[],
    seeds: list(f.seeds, true) as number[],
    algos: list(f.algos, false) as string[],
    steps: f.steps,
    preset: f.preset,
    episodes: f.episodes,
    subsetSeed: f['subset-seed'],
    work: f.work,
    report: f.report,
    command: `npx tsx scripts/data_quantity.ts ${process.argv.slice(2).join(' ')}`.trim(),
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
