/**
 * Results: `npx tsx scripts/results.ts [--tasks a,b] [--seeds 3] [--preset safe10] [--set k=v ...] [--steps N]
 *   [--episodes 20] [--out runs/results] [--shard i/n] [--fresh]`, and `--merge a.json,b.json` to join shards.
 *
 * For every task x seed: collect the default dataset (seed 0), train FISOR, evaluate `episodes` episodes with
 * the safety monitor (every violation attributed to critic / actor / recovery), train and evaluate BC-Safe
 * (the reward reference) on the same seed and episodes; PointRobot also from the fixed start, from 60
 * ground-truth-feasible random starts (rl/fisor/starts.ts), and the feasible-region IoU per slice. The
 * critics' convergence measures are read from the run's metrics.jsonl. Each finished run is saved as
 * OUT/TASK-sSEED/run.json and reused on a rerun with the same config (resumable; interrupted training
 * resumes from its checkpoint); --shard i/n runs every n-th (task, seed) pair so that n processes split a sweep.
 * Writes OUT/results.json and the markdown report (default RESULTS.md) with results.json beside it.
 * Failures (exceptions, unsafe results) are reported, not hidden.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { getBackend } from '../core/index.js';
import { collect } from '../rl/data/collect.js';
import { summarizeDataset } from '../rl/data/dataset.js';
import { TASK_NAMES, taskReference } from '../rl/envs/reference.js';
import { presetChain, resolveConfig, type FisorConfig } from '../rl/fisor/config.js';
import { CHECKPOINT_DIR, train } from '../rl/fisor/train.js';
import { evaluate } from '../rl/fisor/evaluate.js';
import type { MonitorSummary } from '../rl/fisor/monitor.js';
import { evaluateRun, FEASIBLE_STARTS, randomStartsSeed, startResult, violationFreeCount, violationFreeText, type StartResult } from './start_results.js';
import type { ConvergenceMeasures } from '../rl/fisor/convergence.js';
import { extractRepeated } from '../rl/cli/common.js';
import { writeFeasibleFigure, type FeasibleFigureSummary } from '../rl/plot/feasible.js';
import { pointRobotRollout } from '../rl/plot/rollout.js';
import { parseFlags, type FlagSpecs } from '../rl/cli/args.js';
import { formatDuration, Progress } from '../rl/cli/progress.js';
import { recoverInterruptedWrites, writeFileAtomic, writeFilesAtomic } from '../rl/io/atomic.js';
import { nodeProvenance } from '../rl/io/node_provenance.js';
import { trainBcSafe } from './bc_safe.js';
import { baselinesFor, table1Section } from './table1.js';
import { checkResumeConfig, configDiff, hasCheckpoint, readJsonFile, runTrainSeconds } from './run_checks.js';
import { mean, std } from './studies_io.js';
import { readConvergence } from './results_convergence.js';

const flags = {
  tasks: { type: 'string', help: 'comma-separated tasks', default: TASK_NAMES.join(','), meta: 'A,B' },
  seeds: { type: 'int', help: 'seeds per task (0..n-1)', default: 3, meta: 'N' },
  steps: { type: 'int', help: 'training steps per run (default: the preset\'s)', meta: 'N' },
  'task-steps': { type: 'string', help: 'per-task steps overriding --steps, e.g. PointRobot=12000,BallRun=4000', default: '', meta: 'T=N,...' },
  preset: { type: 'string', help: 'config preset (default: the one RESULTS.md reports)', default: 'safe10', meta: 'NAME' },
  episodes: { type: 'int', help: 'evaluation episodes per run', default: 20, meta: 'N' },
  out: { type: 'string', help: 'output directory for runs', default: 'runs/results', meta: 'DIR' },
  report: { type: 'string', help: 'markdown report path (results.json is written beside it)', default: 'RESULTS.md', meta: 'FILE' },
  shard: { type: 'string', help: 'i/n: run only the (task, seed) pairs whose index mod n is i', default: '0/1', meta: 'I/N' },
  fresh: { type: 'bool', help: 'retrain runs that already have a run.json (default: reuse them)', default: false },
  'report-only': { type: 'bool', help: 'train nothing: report the runs that already have a run.json', default: false },
  quiet: { type: 'bool', help: 'no progress bars', default: false },
  compare: { type: 'string', help: 'results.json of an earlier sweep (e.g. another preset): the report shows its per-task and per-seed numbers beside this one\'s', default: '', meta: 'FILE' },
  merge: { type: 'string', help: 'write the report from these results.json files (comma-separated) instead of running', default: '', meta: 'A,B' },
} satisfies FlagSpecs;

interface RunResult {
  task: string;
  seed: number;
  /**
   * The code that trained and evaluated the run: this checkout's git commit, '+dirty' with uncommitted changes to
   * the sources (node_provenance.ts; absent in runs saved before it was recorded, and outside a git checkout).
   * --merge says when runs differ.
   */
  commit?: string;
  /** The tensor backend the run was trained on (its checkpoint's metadata; older run.json files lack it). */
  backend?: string;
  ok: boolean;
  error?: string;
  preset: string;
  schedule: string;
  steps: number;
  criticSteps: number;
  normalizedReward?: number;
  normalizedCost?: number;
  safeFraction?: number;
  monitor?: MonitorSummary;
  trainSeconds?: number;
  /** This invocation's seconds (training from resumedAtStep on, evaluation, BC-Safe). */
  wallSeconds: number;
  /** The step of the checkpoint this invocation continued from (absent: trained from step 0 here). */
  resumedAtStep?: number;
  stepsPerSecond?: number;
  /** Convergence on held-out data at the end of the critic phase (critics-first) and at the end of the run. */
  convergence?: { afterCritics?: ConvergenceMeasures & { step: number }; final?: ConvergenceMeasures & { step: number } };
  bcSafe?: { normalizedReward: number; normalizedCost: number; safeFraction: number };
  feasible?: FeasibleFigureSummary;
  /** PointRobot only: from the fixed start, and from 60 ground-truth-feasible random starts. */
  fixedStart?: StartResult;
  feasibleStarts?: StartResult;
  /** PointRobot only: from 60 starts heading for a hazard, feasible by at most 0.2 in h (absent in older results). */
  nearBoundaryStarts?: StartResult;
}

/** 'PointRobot=12000,BallRun=4000' -> { PointRobot: 12000, BallRun: 4000 }; names are checked. */
function parseTaskSteps(spec: string, tasks: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of spec.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [name, value] = part.split('=');
    const n = Number(value);
    if (!tasks.includes(name)) throw new Error(`--task-steps: '${name}' is not one of the tasks run (${tasks.join(', ')})`);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--task-steps: steps for ${name} must be a positive integer, got '${value}'`);
    out[name] = n;
  }
  return out;
}

function parseShard(spec: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  const i = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i >= n) throw new Error(`--shard must be i/n with 0 <= i < n, got '${spec}'`);
  return [i, n];
}

const f3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/**
 * A run.json this script saved, checked enough to be reused: a damaged one (cut short by a crash or a full disk) is
 * named with what to do, instead of a bare JSON error or a report that fails later on a missing field.
 */
function readSavedRun(runPath: string): { config: FisorConfig; episodes: number; run: RunResult } {
  const fix = 'delete it to rerun this (task, seed), or pass --fresh';
  const saved = readJsonFile(runPath, fix) as { config?: unknown; episodes?: unknown; run?: Partial<RunResult> } | null;
  const run = saved?.run;
  if (typeof saved?.config !== 'object' || saved.config === null || typeof run !== 'object' || run === null || typeof run.task !== 'string' || typeof run.seed !== 'number' || typeof run.ok !== 'boolean') {
    throw new Error(`${runPath}: not a run.json of this script (needs 'config' and 'run' with task, seed and ok); ${fix}`);
  }
  return saved as { config: FisorConfig; episodes: number; run: RunResult };
}

/** The backend a saved run was trained on, from its checkpoint's metadata ('unknown' if there is none). */
function checkpointBackend(outDir: string): string {
  const manifest = join(outDir, CHECKPOINT_DIR, 'manifest.json');
  if (!existsSync(manifest)) return 'unknown';
  const b = (JSON.parse(readFileSync(manifest, 'utf8')) as { metadata?: { backend?: unknown } }).metadata?.backend;
  return typeof b === 'string' ? b : 'unknown';
}

/**
 * The backends the runs were trained on, as the report states it ('wasm', or 'wasm, wasm-fma' for a
 * mix): taken from the runs, not from this process, whose default may differ from the one that trained
 * them (reports made with --report-only after the default became wasm-fma said 'wasm-fma' for wasm runs).
 */
function backendsOf(runs: RunResult[], fallback: string[] = []): string {
  const names = [...new Set(runs.map((r) => r.backend).filter((b): b is string => !!b))];
  return (names.length ? names : [...new Set(fallback)]).sort().join(', ') || 'unknown';
}

async function runOne(task: string, seed: number, cfg: FisorConfig, preset: string, episodes: number, outDir: string, ds: ReturnType<typeof collect>, quiet: boolean, fresh: boolean): Promise<RunResult> {
  const tr = performance.now();
  const provenance = nodeProvenance();
  const commit = provenance.gitCommit;
  const base = { task, seed, ...(commit ? { commit } : {}), backend: getBackend().name, preset, schedule: cfg.schedule, steps: cfg.steps, criticSteps: cfg.schedule === 'critics-first' ? cfg.criticSteps : 0 };
  const bar = new Progress(cfg.steps, { label: `${task} seed ${seed}`, quiet });
  try {
    // --fresh retrains from step 0 (replacing the run directory); else a checkpoint there is continued.
    const manifest = join(outDir, CHECKPOINT_DIR, 'manifest.json');
    const resume = !fresh && hasCheckpoint(outDir);
    const resumedAtStep = resume ? (JSON.parse(readFileSync(manifest, 'utf8')) as { step: number }).step : undefined;
    // The package and commit go into the run's config.json and checkpoints too (as the CLI's train records them; a
    // resume by other code keeps the earlier commit there).
    const res = await train({ task, config: cfg, seed, outDir, dataset: ds, resume, overwrite: !resume, skipFinalEval: true, provenance, onStep: (k) => bar.update(k) });
    bar.done();
    const trainSeconds = runTrainSeconds(outDir, resume, res.trainSeconds);
    const stepsPerSecond = resume ? (trainSeconds > 0 ? res.step / trainSeconds : 0) : res.stepsPerSecond;
    // Evaluation with the monitor (it does not change the actions: same bits as without).
    const { random: ev, fixedStart, feasibleStarts, nearBoundaryStarts } = evaluateRun(res.agent, task, seed, episodes);
    const bc = evaluate(trainBcSafe(task, ds, seed), task, { episodes, seed: randomStartsSeed(seed) });
    const run: RunResult = {
      ...base, ok: true, normalizedReward: ev.normalizedReward, normalizedCost: ev.normalizedCost, safeFraction: ev.safeFraction, monitor: ev.monitor,
      trainSeconds, stepsPerSecond, wallSeconds: 0, ...(resumedAtStep !== undefined ? { resumedAtStep } : {}), convergence: readConvergence(outDir, cfg),
      bcSafe: { normalizedReward: bc.normalizedReward, normalizedCost: bc.normalizedCost, safeFraction: bc.safeFraction },
    };
    if (fixedStart && feasibleStarts) {
      // FISOR's own PointRobot rollouts start at [-1.8, 0, 2, pi/4]; the policy samples, so 20 episodes differ.
      run.fixedStart = startResult(fixedStart);
      run.feasibleStarts = startResult(feasibleStarts);
      if (nearBoundaryStarts) run.nearBoundaryStarts = startResult(nearBoundaryStarts);
      // The paper-style figure with one rollout from the fixed start drawn over it (last: the rollout samples actions).
      run.feasible = await writeFeasibleFigure((o) => res.agent.feasibilityValue(o), join(outDir, 'feasible'), { meta: { seed, step: res.step }, rollout: pointRobotRollout(res.agent) });
    }
    run.wallSeconds = (performance.now() - tr) / 1000;
    return run;
  } catch (e) {
    bar.done();
    return { ...base, ok: false, error: (e as Error).message, wallSeconds: (performance.now() - tr) / 1000 };
  }
}

async function main(): Promise<void> {
  const { values: sets, rest } = extractRepeated(process.argv.slice(2), 'set');
  const f = parseFlags(rest, flags);
  if (f.merge) return mergeReports(f.merge.split(',').map((x) => x.trim()).filter(Boolean), f.report, f.compare);
  const tasks = f.tasks.split(',').map((s) => s.trim()).filter(Boolean);
  for (const t of tasks) taskReference(t);
  // A task listed twice would be run, reported and averaged twice.
  const twice = tasks.find((t, i) => tasks.indexOf(t) !== i);
  if (twice) throw new Error(`--tasks: '${twice}' is listed twice`);
  const taskSteps = parseTaskSteps(f['task-steps'], tasks);
  const [shard, shards] = parseShard(f.shard);
  if (f.seeds < 1) throw new Error(`--seeds must be >= 1, got ${f.seeds}`);
  const command = `npx tsx scripts/results.ts ${process.argv.slice(2).join(' ')}`.trim();
  const t0 = performance.now();
  const runs: RunResult[] = [];
  const configs: Record<string, FisorConfig> = {};
  const datasets: Record<string, string> = {};
  const data = new Map<string, ReturnType<typeof collect>>();
  for (const task of tasks) {
    const cfg = resolveConfig({ preset: f.preset, task, set: sets, overrides: { steps: taskSteps[task] ?? f.steps, evalEpisodes: f.episodes, evalEvery: 0 } });
    configs[task] = cfg;
    const tc = performance.now();
    const ds = collect(task, { seed: 0, recipe: cfg.dataRecipe });
    const s = summarizeDataset(ds, taskReference(task).kappa);
    datasets[task] = `${s.transitions} transitions, ${s.trajectories} trajectories, ${(100 * s.fractionSafe).toFixed(0)}% with cost <= kappa (collected in ${((performance.now() - tc) / 1000).toFixed(1)} s)`;
    data.set(task, ds);
  }
  // Seed-major order: a partly finished sweep already covers every task.
  let pair = -1;
  for (let seed = 0; seed < f.seeds; seed++) {
    for (const task of tasks) {
      if (++pair % shards !== shard) continue;
      const cfg = configs[task];
      const outDir = join(f.out, `${task}-s${seed}`);
      const runPath = join(outDir, 'run.json');
      if (!f.fresh && existsSync(runPath)) {
        const saved = readSavedRun(runPath);
        if (JSON.stringify(saved.config) !== JSON.stringify(cfg) || saved.episodes !== f.episodes) {
          throw new Error(`${runPath} was made with another config or episode count; use another --out, or --fresh to retrain`);
        }
        runs.push({ ...saved.run, backend: saved.run.backend ?? checkpointBackend(outDir) });
        process.stdout.write(`${task} seed ${seed}: reused ${runPath}\n`);
        continue;
      }
      if (f['report-only']) {
        process.stdout.write(`${task} seed ${seed}: not run yet (--report-only)\n`);
        continue;
      }
      if (!f.fresh) checkResumeConfig(outDir, task, seed, cfg, 'use another --out, or --fresh to retrain');
      const run = await runOne(task, seed, cfg, f.preset, f.episodes, outDir, data.get(task)!, f.quiet, f.fresh);
      runs.push(run);
      if (run.ok) writeFileAtomic(runPath, JSON.stringify({ config: cfg, episodes: f.episodes, run }, null, 2) + '\n');
      process.stdout.write(run.ok
        ? `${task} seed ${seed}: normalized reward ${f3(run.normalizedReward!)}, normalized cost ${f3(run.normalizedCost!)}${run.fixedStart ? `, fixed start cost ${f3(run.fixedStart.normalizedCost)}, feasible starts without a violation ${violationFreeText(run.feasibleStarts!)}` : ''} (${formatDuration(run.wallSeconds)})\n`
        : `${task} seed ${seed}: FAILED: ${run.error}\n`);
    }
  }
  runs.sort((a, b) => tasks.indexOf(a.task) - tasks.indexOf(b.task) || a.seed - b.seed);
  const totalSeconds = (performance.now() - t0) / 1000;
  mkdirSync(f.out, { recursive: true });
  const saved: SavedResults = { command: command.replace(' --report-only', ''), preset: f.preset, sets, backend: backendsOf(runs), tasks, runs, configs, datasets, totalSeconds, episodes: f.episodes, seeds: f.seeds };
  // Shards share --out (their run.json files are disjoint); each writes its own summary.
  const summary = join(f.out, shards === 1 ? 'results.json' : `results-shard${shard}of${shards}.json`);
  writeFileAtomic(summary, JSON.stringify(saved, null, 2) + '\n');
  if (shards === 1 && runs.length) await writeReport(saved, f.report, f.compare);
  process.stdout.write(`wrote ${summary}${shards === 1 && runs.length ? ` and ${f.report}` : ''} (${formatDuration(totalSeconds)})\n`);
}

/** Mean share of steps of a monitor field, to 0.1 %; '-' when a run's monitor predates the field. */
function shareText(ms: MonitorSummary[], key: 'rewardChoiceFraction' | 'modeFraction'): string {
  const fs = ms.map((m) => m[key]);
  if (fs.some((f) => f === undefined)) return '-';
  return `${(100 * mean(fs as number[])).toFixed(1)}%`;
}

/** What one run of this script saves (results.json); `--merge` joins several (e.g. shards run in parallel). */
interface SavedResults {
  command: string; preset: string; sets?: string[]; backend: string; tasks: string[]; runs: RunResult[]; configs: Record<string, FisorConfig>;
  datasets: Record<string, string>; totalSeconds: number; episodes: number; seeds: number;
}

/** The earlier sweep named by --compare ('' = none), checked to be a results.json. */
function readEarlier(file: string): { file: string; saved: SavedResults } | undefined {
  if (!file) return undefined;
  let x: SavedResults;
  try {
    x = JSON.parse(readFileSync(file, 'utf8')) as SavedResults;
  } catch (e) {
    throw new Error(`--compare: cannot read ${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(x.runs) || typeof x.preset !== 'string') throw new Error(`--compare: ${file} is not a results.json written by this script (no 'runs' or 'preset')`);
  return { file, saved: x };
}

async function writeReport(r: SavedResults, reportPath: string, compareFile = ''): Promise<void> {
  const earlier = readEarlier(compareFile);
  // Table 1: FISOR's runs beside the baselines' trained on the same data recipe (results-baselines[-recipe].json at the
  // repository root, if present).
  const fisorScores = r.runs.filter((x) => x.ok).map((x) => ({ algo: 'fisor', task: x.task, seed: x.seed, normalizedReward: x.normalizedReward!, normalizedCost: x.normalizedCost! }));
  const reportDir = dirname(reportPath);
  const recipeOf = (task: string) => r.configs[task]?.dataRecipe ?? 'fixed';
  const recipes = [...new Set(r.tasks.map(recipeOf))];
  const table1 = await table1Section([...fisorScores, ...baselinesFor(r.tasks, recipeOf)], r.tasks, reportDir, join(reportDir, 'figures'), recipes);
  // The report and the machine-readable entries beside it (one per task x seed) are written as a pair: a failure
  // leaves both old or both new, never a report that its results.json does not hold.
  writeFilesAtomic([
    { path: reportPath, data: report(r, reportPath, table1, earlier) },
    { path: join(dirname(reportPath), 'results.json'), data: JSON.stringify({ ...r, runs: r.runs.map((x) => ({ ...x, feasible: x.feasible && { slices: x.feasible.slices, meanIou: x.feasible.meanIou } })) }, null, 2) + '\n' },
  ]);
}

async function mergeReports(files: string[], reportPath: string, compareFile: string): Promise<void> {
  recoverInterruptedWrites(files); // a results.json whose pair write was killed midway is settled before it is read
  const parts = files.map((file) => {
    let x: SavedResults;
    try {
      x = JSON.parse(readFileSync(file, 'utf8')) as SavedResults;
    } catch (e) {
      throw new Error(`--merge: cannot read ${file}: ${(e as Error).message}`);
    }
    for (const key of ['runs', 'tasks', 'configs', 'datasets'] as const) {
      if (!x[key]) throw new Error(`--merge: ${file} has no '${key}' (written by an older version of this script?)`);
    }
    return x;
  });
  const first = parts[0];
  for (const p of parts) {
    if (p.preset !== first.preset || p.episodes !== first.episodes || p.seeds !== first.seeds || JSON.stringify(p.sets ?? []) !== JSON.stringify(first.sets ?? [])) {
      throw new Error('--merge: the files differ in preset, --set, episodes or seeds; merge only runs made with the same settings');
    }
  }
  // Runs of one task are averaged together, so every file must have run it under the same config (--steps,
  // --task-steps and the preset's code are not in the settings compared above); and one (task, seed) is one entry.
  const owner = new Map<string, string>();
  parts.forEach((p, i) => {
    for (const task of p.tasks) {
      const j = parts.findIndex((q) => q.configs[task]);
      if (j >= 0 && j !== i && p.configs[task]) {
        const diff = configDiff(parts[j].configs[task], p.configs[task]);
        if (diff.length) throw new Error(`--merge: ${files[i]} ran ${task} with another config than ${files[j]} (differs in ${diff.join(', ')}); merge only runs made with the same settings`);
      }
    }
    for (const x of p.runs) {
      const k = `${x.task} seed ${x.seed}`;
      if (owner.has(k)) throw new Error(`--merge: ${k} is in both ${owner.get(k)} and ${files[i]}; each (task, seed) must come from one file (a file listed twice, or overlapping shards?)`);
      owner.set(k, files[i]);
    }
  });
  // Runs made by different code are allowed (an unchanged run is reused across commits), but said.
  const commits = [...new Set(parts.flatMap((p) => p.runs.map((x) => x.commit ?? 'not recorded')))];
  if (commits.length > 1) process.stdout.write(`note: the merged runs come from ${commits.length} code versions: ${commits.join(', ')}\n`);
  const tasks = [...new Set(parts.flatMap((p) => p.tasks))];
  const runs = parts.flatMap((p) => p.runs).sort((a, b) => tasks.indexOf(a.task) - tasks.indexOf(b.task) || a.seed - b.seed);
  // A report remade from its own results.json already ends with this merge: the command is not extended again, so
  // rerunning the recorded command reproduces the report byte for byte.
  const thisMerge = `npx tsx scripts/results.ts --merge ${files.join(',')}${compareFile ? ` --compare ${compareFile}` : ''}`;
  const joined = parts.map((p) => p.command).join('` and `');
  const command = parts.length === 1 && joined.endsWith(`\` then \`${thisMerge}`) ? joined : `${joined}\` then \`${thisMerge}`;
  await writeReport({
    command, preset: first.preset, sets: first.sets, backend: backendsOf(runs, parts.map((p) => p.backend)), tasks, runs,
    configs: Object.assign({}, ...parts.map((p) => p.configs)), datasets: Object.assign({}, ...parts.map((p) => p.datasets)),
    totalSeconds: Math.max(...parts.map((p) => p.totalSeconds)), episodes: first.episodes, seeds: first.seeds,
  }, reportPath, compareFile);
  process.stdout.write(`wrote ${reportPath} from ${files.join(', ')}\n`);
}

/**
 * The mean AUC over seeds, of the seeds that have one: an AUC is NaN (null in JSON) where the held-out data held
 * one class only, and a plain mean would count that null as 0.
 */
function aucText(values: (number | null)[]): string {
  const have = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (!have.length) return '- (one class only)';
  return have.length < values.length ? `${f3(mean(have))} (${have.length} of ${values.length} seeds; the others' held-out data held one class)` : f3(mean(have));
}

function report(r: SavedResults, reportPath: string, table1: string[], earlier?: { file: string; saved: SavedResults }): string {
  const L: string[] = [];
  const rel = (p: string) => relative(join(reportPath, '..'), p);
  const ok = r.runs.filter((x) => x.ok);
  L.push('# FISOR results', '');
  L.push(`Command: \`${r.command}\``, '');
  L.push(`Preset \`${r.preset}\`${r.sets?.length ? ` with ${r.sets.map((s) => `\`--set ${s}\``).join(', ')}` : ''}, backend \`${r.backend}\`, ${r.seeds} seed(s) x ${r.episodes} evaluation episodes per task; wall time of the runs ${formatDuration(r.runs.reduce((a, x) => a + x.wallSeconds, 0))} in all (each run's in the per-seed table; runs saved by an earlier invocation are reused, not retrained). Schedule per run in the tables; reruns of one (task, seed) with the same command on the same backend (\`FISOR_BACKEND=${r.backend.split(', ')[0]}\`) give the same numbers.`, '');
  L.push('**Environments are this project\'s TypeScript re-implementations of the task definitions on light 2-D dynamics, and datasets are our own',
    'behaviour data (docs/DATASETS.md); scores are comparable within this project only, not with the numbers in the FISOR paper.**', '');
  L.push(`What the safety monitor found, the measurements behind the presets, and what is left: [docs/results-diagnosis.md](${rel('docs/results-diagnosis.md')}).`, '');
  L.push('## Normalized reward and cost', '');
  L.push('Mean over seeds of the per-seed mean over episodes, ± the standard deviation across seeds; DSRL normalisation, kappa = 10. BC-Safe: behaviour cloning on the trajectories with cost <= kappa (scripts/bc_safe.ts), same seeds and episodes.', '');
  L.push('| Task | schedule | steps (critic-only) | normalized reward | normalized cost | safe (cost <= 1) | episodes safe | BC-Safe reward / cost | reward / BC-Safe | train time / seed |');
  L.push('|---|---|---|---|---|---|---|---|---|---|');
  const claims: string[] = [];
  for (const task of r.tasks) {
    const runs = r.runs.filter((x) => x.task === task);
    const good = runs.filter((x) => x.ok);
    const c = r.configs[task];
    const sched = `${c.schedule}`;
    const steps = `${c.steps}${c.schedule === 'critics-first' ? ` (${c.criticSteps})` : ''}`;
    if (runs.length === 0) {
      L.push(`| ${task} | ${sched} | ${steps} | not run | not run | - | - | - | - | - |`);
      continue;
    }
    if (good.length === 0) {
      L.push(`| ${task} | ${sched} | ${steps} | FAILED | FAILED | - | - | - | - | - |`);
      claims.push(`${task}: no result (all runs failed)`);
      continue;
    }
    const nr = good.map((x) => x.normalizedReward!), nc = good.map((x) => x.normalizedCost!);
    const bcr = good.map((x) => x.bcSafe!.normalizedReward), bcc = good.map((x) => x.bcSafe!.normalizedCost);
    const safe = mean(nc) <= 1;
    const fail = runs.length - good.length;
    const ratio = mean(bcr) > 0 ? mean(nr) / mean(bcr) : NaN;
    L.push(`| ${task} | ${sched} | ${steps} | ${f3(mean(nr))} ± ${f3(std(nr))} | ${f3(mean(nc))} ± ${f3(std(nc))} | ${safe ? 'yes' : '**no**'}${fail ? ` (${fail} run(s) failed)` : ''} | ${pct(mean(good.map((x) => x.safeFraction!)))} | ${f3(mean(bcr))} / ${f3(mean(bcc))} | ${Number.isFinite(ratio) ? ratio.toFixed(2) : '-'} | ${formatDuration(mean(good.map((x) => x.trainSeconds!)))} |`);
    if (!safe) claims.push(`${task}: mean normalized cost ${f3(mean(nc))} > 1`);
    if (Number.isFinite(ratio) && ratio < 0.8) claims.push(`${task}: normalized reward ${f3(mean(nr))} is ${ratio.toFixed(2)}x BC-Safe's ${f3(mean(bcr))} (< 0.8x)`);
  }
  L.push('');
  L.push('Per seed:', '');
  L.push('| Task | seed | normalized reward | normalized cost | episodes safe | BC-Safe reward | preset | schedule | steps | wall time | note |', '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const x of r.runs) {
    L.push(`| ${x.task} | ${x.seed} | ${x.ok ? f3(x.normalizedReward!) : '-'} | ${x.ok ? f3(x.normalizedCost!) : '-'} | ${x.ok ? pct(x.safeFraction!) : '-'} | ${x.ok ? f3(x.bcSafe!.normalizedReward) : '-'} | ${x.preset} | ${x.schedule} | ${x.steps} | ${formatDuration(x.wallSeconds)} | ${x.ok ? (x.resumedAtStep !== undefined ? `resumed at step ${x.resumedAtStep} (wall time of the resumed part)` : '') : `FAILED: ${x.error}`} |`);
  }
  L.push('');
  const unsafeRuns = ok.filter((x) => x.normalizedCost! > 1);
  L.push('## The promise tested (issue 9)', '');
  const missing: string[] = [];
  for (const t of r.tasks) for (let seed = 0; seed < r.seeds; seed++) if (!r.runs.some((x) => x.task === t && x.seed === seed)) missing.push(`${t} seed ${seed}`);
  if (missing.length) L.push(`- **Not run** (the sweep did not reach them in the time available): ${missing.join(', ')}. Every statement below is about the ${r.runs.length} run(s) that exist.`);
  const taskMeansSafe = !missing.length && r.tasks.every((t) => !claims.some((c) => c.startsWith(`${t}: mean normalized cost`) || c.startsWith(`${t}: no result`)));
  L.push(`- Normalized cost <= 1 on every task's mean: **${taskMeansSafe ? 'yes' : 'no'}**${missing.length ? ' (not every task was run)' : ''}.`);
  L.push(`- (task, seed) runs with normalized cost <= 1: **${ok.length - unsafeRuns.length} of ${r.runs.length}** run (target: >= 17 of 18)${unsafeRuns.length ? ` (over 1: ${unsafeRuns.map((x) => `${x.task} seed ${x.seed} ${f3(x.normalizedCost!)}`).join(', ')})` : ''}.`);
  const prs = ok.filter((x) => x.task === 'PointRobot' && x.fixedStart && x.feasibleStarts && x.feasible);
  if (prs.length) {
    L.push(`- PointRobot fixed start safe (normalized cost <= 1): **${prs.filter((x) => x.fixedStart!.normalizedCost <= 1).length} of ${prs.length}** seed(s) (target: all 3; episodes without a single violation: ${prs.map((x) => violationFreeCount(x.fixedStart!, r.episodes)).join(', ')}).`);
    L.push(`- PointRobot ground-truth-feasible random starts without a violation: ${prs.map((x) => `seed ${x.seed} **${violationFreeText(x.feasibleStarts!)}**`).join(', ')} (target: >= 95 % each; with cost <= kappa instead: ${prs.map((x) => pct(x.feasibleStarts!.safeFraction)).join(', ')}).`);
    const near = prs.filter((x) => x.nearBoundaryStarts);
    if (near.length) L.push(`- Not a check of the issue, the hardest feasible starts: PointRobot starts heading for a hazard that the ground truth calls feasible by at most 0.2 in h (rl/fisor/starts.ts \`nearBoundaryStarts\`, a set apart from the one acting settings were chosen on) without a violation: ${near.map((x) => `seed ${x.seed} **${violationFreeText(x.nearBoundaryStarts!)}**`).join(', ')}.`);
    L.push(`- PointRobot IoU >= 0.90 on all three slices: ${prs.map((x) => `seed ${x.seed} **${x.feasible!.slices.every((sl) => sl.iou >= 0.9) ? 'yes' : 'no'}** (min ${f3(Math.min(...x.feasible!.slices.map((sl) => sl.iou)))})`).join(', ')}.`);
  }
  for (const c of claims) L.push(`- ${c}`);
  L.push('');
  if (earlier) L.push(...comparison(r, { ...earlier, file: rel(earlier.file) }));
  L.push(...table1);
  L.push('## Where the violations come from (safety monitor)', '');
  L.push('Every step with cost > 0 in the evaluation episodes above, attributed by the learned critics at the state where the action was chosen (rl/fisor/monitor.ts): **critic** = V_h(s) <= 0 and Q_h(s, a) <= 0 (judged feasible, violated); **actor** = V_h(s) <= 0 but no candidate had Q_h <= 0; **selection** = V_h(s) <= 0 and some candidate had Q_h <= 0, but another was executed (possible only where the task departs from safest-of-N: `violatingChoice: \'reward\'` or `modeCandidate`); **recovery** = V_h(s) > 0 already. Root cause of the recovery failures = the same classification at the last step judged feasible before them (**start** = judged infeasible from the first state). The last two columns are the shares of steps executed by `violatingChoice: \'reward\'` (the highest-Q_r candidate on a step that follows a violation) and by `modeCandidate` (the actor\'s most likely action, judged feasible by `modeMargin`: its noise-free sample, or with `modeEstimate: \'densest\'` the densest of the N candidates); `-` where the task keeps the paper\'s choice or the run predates that record.', '');
  L.push('| Task | violating steps | episodes with a violation | critic | actor | selection | recovery | root: critic | root: actor | root: selection | root: start | steps judged infeasible | steps with no feasible candidate | steps chosen by Q_r after a violation | steps executing the mode estimate |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const task of r.tasks) {
    const ms = ok.filter((x) => x.task === task && x.monitor).map((x) => x.monitor!);
    if (!ms.length) continue;
    const sum = (g: (m: MonitorSummary) => number) => ms.reduce((a, m) => a + g(m), 0);
    L.push(`| ${task} | ${sum((m) => m.violations)} | ${sum((m) => m.violatingEpisodes)} of ${ms.length * r.episodes} | ${sum((m) => m.byCause.critic)} | ${sum((m) => m.byCause.actor)} | ${sum((m) => m.byCause.selection)} | ${sum((m) => m.byCause.recovery)} | ${sum((m) => m.rootCause.critic)} | ${sum((m) => m.rootCause.actor)} | ${sum((m) => m.rootCause.selection)} | ${sum((m) => m.rootCause.start)} | ${pct(mean(ms.map((m) => m.judgedInfeasibleFraction)))} | ${pct(mean(ms.map((m) => m.noFeasibleCandidateFraction)))} | ${r.configs[task]?.violatingChoice === 'reward' ? shareText(ms, 'rewardChoiceFraction') : '-'} | ${r.configs[task]?.modeCandidate ? shareText(ms, 'modeFraction') : '-'} |`);
  }
  L.push('');
  L.push('## Critic convergence (held-out data)', '');
  L.push('Measured on 4096 transitions of behaviour data collected with another seed (never trained on; rl/fisor/convergence.ts), mean over seeds: RMS feasible Bellman residual of Q_h (h in [-1, 25] for cost tasks, PointRobot h in metres) and reward Bellman residual of Q_r, fraction of held-out states whose sign of V_h did not change since the previous measurement (every convergenceEvery steps), fraction of Q_h inside [min h, max h], and the ROC AUC of V_h(s) as a predictor of a violation later in the same episode (calibration).', '');
  L.push('| Task | when | step | Q_h residual | Q_r residual | V_h sign agreement | Q_h in [min h, max h] | V_h AUC (future violation) | judged feasible |', '|---|---|---|---|---|---|---|---|---|');
  for (const task of r.tasks) {
    const rs = ok.filter((x) => x.task === task && x.convergence);
    // critics-first: the critics are frozen after their phase, so only that row says anything.
    for (const when of r.configs[task].schedule === 'critics-first' ? (['afterCritics'] as const) : (['final'] as const)) {
      const cs = rs.map((x) => x.convergence![when]).filter((c): c is ConvergenceMeasures & { step: number } => !!c);
      if (!cs.length) continue;
      const agree = cs.map((c) => c.vhSignAgreement).filter((a): a is number => a !== null);
      L.push(`| ${task} | ${when === 'final' ? 'end of run' : 'end of critic phase'} | ${cs[0].step} | ${f3(mean(cs.map((c) => c.qhResidual)))} | ${f3(mean(cs.map((c) => c.qrResidual)))} | ${agree.length ? f3(mean(agree)) : '-'} | ${f3(mean(cs.map((c) => c.qhInRange)))} | ${aucText(cs.map((c) => c.vhAuc))} | ${pct(mean(cs.map((c) => c.feasibleFraction)))} |`);
    }
  }
  L.push('');
  const pr = ok.filter((x) => x.task === 'PointRobot' && x.feasible);
  if (pr.length) {
    L.push('## PointRobot', '');
    L.push('Fixed start [-1.8, 0, 2, π/4] (FISOR\'s own rollouts; heading at speed 2 towards a hazard; ' + `${r.episodes} episodes, the policy samples), 60 random starts from the reset distribution that the ground truth calls feasible (fixed list, rl/fisor/starts.ts), 60 near-boundary starts (heading for a hazard, feasible by at most 0.2 in h; another fixed list), and the IoU of the learned infeasible set (V_h > 0) with the ground truth (env \`feasibilityGrid\`, 200 x 200 grid over [-3, 3]^2) per slice:`, '');
    L.push(`| seed | fixed start cost | fixed start episodes safe | fixed start episodes without a violation | feasible starts without a violation | feasible starts with cost <= kappa | near-boundary starts without a violation | ${pr[0].feasible!.slices.map((s) => `IoU ${s.label}`).join(' | ')} |`, `|---|---|---|---|---|---|---|${pr[0].feasible!.slices.map(() => '---|').join('')}`);
    for (const x of pr) L.push(`| ${x.seed} | ${f3(x.fixedStart!.normalizedCost)} | ${pct(x.fixedStart!.safeFraction)} | ${violationFreeCount(x.fixedStart!, r.episodes)} | ${violationFreeText(x.feasibleStarts!)} | ${Math.round(FEASIBLE_STARTS * x.feasibleStarts!.safeFraction)} (${pct(x.feasibleStarts!.safeFraction)}) | ${x.nearBoundaryStarts ? violationFreeText(x.nearBoundaryStarts) : '-'} | ${x.feasible!.slices.map((s) => f3(s.iou)).join(' | ')} |`);
    const figDir = join(reportPath, '..', 'figures');
    mkdirSync(figDir, { recursive: true });
    const src = pr[0].feasible!;
    const png = join(figDir, `pointrobot-feasible-seed${pr[0].seed}.png`);
    const svg = join(figDir, `pointrobot-feasible-seed${pr[0].seed}.svg`);
    // A report remade from results.json alone (--merge results.json, the run directories elsewhere) keeps the figure
    // the first report copied from the run; it is said so, since it cannot be remade here.
    const copied = existsSync(src.png ?? '') && existsSync(src.svg ?? '');
    if (copied) {
      copyFileSync(src.png, png);
      copyFileSync(src.svg, svg);
    }
    if (copied || (existsSync(png) && existsSync(svg))) {
      L.push('', `![feasible region, seed ${pr[0].seed}](${rel(png)})`, '', `(SVG: ${rel(svg)}; black = learned V_h = 0, green dashed = ground truth, the line = one rollout from the fixed start with its violating steps marked${copied ? '' : `; kept from an earlier report: the run directory${src.png ? ` ${dirname(src.png)}` : ''} is not here to remake it`})`);
    }
    L.push('');
  }
  L.push('## Ablations and data quantity (issue 15)', '');
  L.push('Arms that each change one piece of FISOR (reversed expectile, feasibility in the weights, safest-of-N, cost temperature) and FISOR and BC-Safe on 100/50/20/10 % of the trajectories, with their tables, figures and commands (scripts/ablations.ts, scripts/data_quantity.ts): [docs/STUDIES.md](' + rel('docs/STUDIES.md') + ').', '');
  L.push('## Data', '');
  for (const t of r.tasks) L.push(`- ${t} (recipe \`${r.configs[t].dataRecipe}\`): ${r.datasets[t]}`);
  L.push('', '## Config', '');
  const chain = presetChain(r.preset);
  if (!chain.length) L.push('Preset `paper`: the official implementation\'s values.', '');
  for (const { preset, parent, changes, tasks } of chain) {
    L.push(parent === 'paper' ? `Changes of the ${preset} preset from the paper's values:` : `Further changes of the ${preset} preset (on top of ${parent}):`, '');
    for (const [k, { value, why }] of Object.entries(changes)) L.push(`- \`${k}\` = ${JSON.stringify(value)}: ${why}`);
    for (const [task, cs] of Object.entries(tasks)) for (const [k, { value, why }] of Object.entries(cs)) L.push(`- ${task} only: \`${k}\` = ${JSON.stringify(value)}: ${why}`);
    L.push('');
  }
  L.push('Resolved config of the first task:', '', '```json', JSON.stringify(r.configs[r.tasks[0]], null, 2), '```', '');
  return L.join('\n') + '\n';
}

/** This sweep beside an earlier one (--compare): per (task, seed) normalized reward / cost of both, and each one's preset. */
function comparison(r: SavedResults, earlier: { file: string; saved: SavedResults }): string[] {
  const e = earlier.saved;
  const L: string[] = [`## Against the earlier sweep (preset \`${e.preset}\`)`, ''];
  L.push(`The numbers above use preset \`${r.preset}\`; the earlier sweep's (preset \`${e.preset}\`${e.sets?.length ? ` with ${e.sets.map((s) => `\`--set ${s}\``).join(', ')}` : ''}) are in ${earlier.file}, command \`${e.command}\`. Normalized reward / cost, same data recipe unless the config says otherwise, same evaluation seeds and episodes:`, '');
  L.push(`| Task | seed | ${e.preset} | ${r.preset} |`, '|---|---|---|---|');
  const cell = (x?: RunResult) => (x?.ok ? `${f3(x.normalizedReward!)} / ${f3(x.normalizedCost!)}${x.normalizedCost! > 1 ? ' †' : ''}` : 'not run');
  for (const task of r.tasks) {
    const seeds = [...new Set([...r.runs, ...e.runs].filter((x) => x.task === task).map((x) => x.seed))].sort((a, b) => a - b);
    for (const seed of seeds) L.push(`| ${task} | ${seed} | ${cell(e.runs.find((x) => x.task === task && x.seed === seed))} | ${cell(r.runs.find((x) => x.task === task && x.seed === seed))} |`);
    const both = (runs: RunResult[]) => runs.filter((x) => x.task === task && x.ok);
    const er = both(e.runs), nr = both(r.runs);
    const m = (rs: RunResult[]) => (rs.length ? `${f3(mean(rs.map((x) => x.normalizedReward!)))} / ${f3(mean(rs.map((x) => x.normalizedCost!)))} (${rs.length} seed(s))` : '-');
    L.push(`| ${task} | mean | ${m(er)} | ${m(nr)} |`);
  }
  L.push('', '† = normalized cost > 1.', '');
  return L;
}

main().catch((e) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
