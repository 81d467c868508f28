/**
 * Results: `npx tsx scripts/results.ts [--tasks a,b] [--seeds 3] [--steps N] [--preset cpu] [--episodes 20] [--out runs/results]`
 *
 * For every task: collect the default dataset (seed 0), train FISOR for each seed, evaluate `episodes`
 * episodes (DSRL normalisation), and write RESULTS.md (and results.json) with normalized reward and cost
 * (mean and spread over seeds), preset, steps, wall time, PointRobot feasible-region IoU per slice and
 * figure, the command, the config, and the paper's claim tested (normalized cost <= 1 on every task).
 * Failures (exceptions, unsafe results) are reported, not hidden.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getBackend } from '../core/index.js';
import { collect } from '../rl/data/collect.js';
import { summarizeDataset } from '../rl/data/dataset.js';
import { TASK_NAMES, taskReference } from '../rl/envs/reference.js';
import { CPU_CHANGES, resolveConfig, type FisorConfig } from '../rl/fisor/config.js';
import { train } from '../rl/fisor/train.js';
import { evaluate } from '../rl/fisor/evaluate.js';
import { writeFeasibleFigure, type FeasibleFigureSummary } from '../rl/plot/feasible.js';
import { parseFlags, type FlagSpecs } from '../rl/cli/args.js';
import { formatDuration, Progress } from '../rl/cli/progress.js';
import { writeFileAtomic } from '../rl/io/atomic.js';

const flags = {
  tasks: { type: 'string', help: 'comma-separated tasks', default: TASK_NAMES.join(','), meta: 'A,B' },
  seeds: { type: 'int', help: 'seeds per task (0..n-1)', default: 3, meta: 'N' },
  steps: { type: 'int', help: 'training steps per run (default: the preset\'s)', meta: 'N' },
  'task-steps': { type: 'string', help: 'per-task steps overriding --steps, e.g. PointRobot=12000,BallRun=4000', default: '', meta: 'T=N,...' },
  preset: { type: 'string', help: 'config preset', default: 'cpu', meta: 'NAME' },
  episodes: { type: 'int', help: 'evaluation episodes per run', default: 20, meta: 'N' },
  out: { type: 'string', help: 'output directory for runs', default: 'runs/results', meta: 'DIR' },
  report: { type: 'string', help: 'markdown report path', default: 'RESULTS.md', meta: 'FILE' },
  quiet: { type: 'bool', help: 'no progress bars', default: false },
  merge: { type: 'string', help: 'write the report from these results.json files (comma-separated) instead of running', default: '', meta: 'A,B' },
} satisfies FlagSpecs;

interface RunResult {
  task: string;
  seed: number;
  ok: boolean;
  error?: string;
  normalizedReward?: number;
  normalizedCost?: number;
  safeFraction?: number;
  trainSeconds?: number;
  wallSeconds: number;
  stepsPerSecond?: number;
  feasible?: FeasibleFigureSummary;
  /** PointRobot only: the same policy evaluated from the fixed start. */
  fixedStart?: { normalizedReward: number; normalizedCost: number; safeFraction: number };
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

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));
const f3 = (x: number) => x.toFixed(3);

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), flags);
  if (f.merge) return mergeReports(f.merge.split(',').map((x) => x.trim()).filter(Boolean), f.report);
  const tasks = f.tasks.split(',').map((s) => s.trim()).filter(Boolean);
  for (const t of tasks) taskReference(t);
  const taskSteps = parseTaskSteps(f['task-steps'], tasks);
  if (f.seeds < 1) throw new Error(`--seeds must be >= 1, got ${f.seeds}`);
  const command = `npx tsx scripts/results.ts ${process.argv.slice(2).join(' ')}`.trim();
  const t0 = performance.now();
  const runs: RunResult[] = [];
  const configs: Record<string, FisorConfig> = {};
  const datasets: Record<string, string> = {};
  for (const task of tasks) {
    const cfg = resolveConfig({ preset: f.preset, task, overrides: { steps: taskSteps[task] ?? f.steps, evalEpisodes: f.episodes, evalEvery: 0 } });
    configs[task] = cfg;
    const tc = performance.now();
    const ds = collect(task, { seed: 0 });
    const s = summarizeDataset(ds, taskReference(task).kappa);
    datasets[task] = `${s.transitions} transitions, ${s.trajectories} trajectories, ${(100 * s.fractionSafe).toFixed(0)}% with cost <= kappa (collected in ${((performance.now() - tc) / 1000).toFixed(1)} s)`;
    process.stdout.write(`${task}: ${datasets[task]}\n`);
    for (let seed = 0; seed < f.seeds; seed++) {
      const tr = performance.now();
      const outDir = join(f.out, `${task}-s${seed}`);
      const bar = new Progress(cfg.steps, { label: `${task} seed ${seed}`, quiet: f.quiet });
      try {
        const res = await train({ task, config: cfg, seed, outDir, overwrite: true, dataset: ds, onStep: (k) => bar.update(k) });
        bar.done();
        const ev = res.lastEval!;
        const run: RunResult = {
          task, seed, ok: true, normalizedReward: ev.normalizedReward, normalizedCost: ev.normalizedCost, safeFraction: ev.safeFraction,
          trainSeconds: res.trainSeconds, stepsPerSecond: res.stepsPerSecond, wallSeconds: 0,
        };
        if (task === 'PointRobot') {
          run.feasible = await writeFeasibleFigure((o) => res.agent.feasibilityValue(o), join(outDir, 'feasible'), { meta: { seed } });
          // FISOR's own PointRobot evaluation starts from the fixed state [-1.8, 0, 2, pi/4]; report it too.
          const fx = evaluate(res.agent, task, { episodes: f.episodes, seed: 1001, fixedStart: true });
          run.fixedStart = { normalizedReward: fx.normalizedReward, normalizedCost: fx.normalizedCost, safeFraction: fx.safeFraction };
        }
        run.wallSeconds = (performance.now() - tr) / 1000;
        runs.push(run);
        process.stdout.write(`  seed ${seed}: normalized reward ${f3(ev.normalizedReward)}, normalized cost ${f3(ev.normalizedCost)} (${formatDuration(run.wallSeconds)})\n`);
      } catch (e) {
        bar.done();
        runs.push({ task, seed, ok: false, error: (e as Error).message, wallSeconds: (performance.now() - tr) / 1000 });
        process.stdout.write(`  seed ${seed}: FAILED: ${(e as Error).message}\n`);
      }
    }
  }
  const totalSeconds = (performance.now() - t0) / 1000;
  mkdirSync(f.out, { recursive: true });
  const saved: SavedResults = { command, preset: f.preset, backend: getBackend().name, tasks, runs, configs, datasets, totalSeconds, episodes: f.episodes, seeds: f.seeds };
  writeFileAtomic(join(f.out, 'results.json'), JSON.stringify(saved, null, 2) + '\n');
  writeFileAtomic(f.report, report({ command, preset: f.preset, tasks, runs, configs, datasets, totalSeconds, episodes: f.episodes, seeds: f.seeds, reportPath: f.report }));
  process.stdout.write(`wrote ${f.report} and ${join(f.out, 'results.json')} (${formatDuration(totalSeconds)})\n`);
}

/** What one run of this script saves (results.json); `--merge` joins several (e.g. run in parallel). */
interface SavedResults {
  command: string; preset: string; backend: string; tasks: string[]; runs: RunResult[]; configs: Record<string, FisorConfig>;
  datasets: Record<string, string>; totalSeconds: number; episodes: number; seeds: number;
}

function mergeReports(files: string[], reportPath: string): void {
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
    if (p.preset !== first.preset || p.episodes !== first.episodes || p.seeds !== first.seeds) {
      throw new Error('--merge: the files differ in preset, episodes or seeds; merge only runs made with the same settings');
    }
  }
  const command = parts.map((p) => p.command).join('` and `') + `\` then \`npx tsx scripts/results.ts --merge ${files.join(',')}`;
  writeFileAtomic(reportPath, report({
    command, preset: first.preset, tasks: parts.flatMap((p) => p.tasks), runs: parts.flatMap((p) => p.runs),
    configs: Object.assign({}, ...parts.map((p) => p.configs)), datasets: Object.assign({}, ...parts.map((p) => p.datasets)),
    totalSeconds: Math.max(...parts.map((p) => p.totalSeconds)), episodes: first.episodes, seeds: first.seeds, reportPath,
  }));
  process.stdout.write(`wrote ${reportPath} from ${files.join(', ')}\n`);
}

function report(r: {
  command: string; preset: string; tasks: string[]; runs: RunResult[]; configs: Record<string, FisorConfig>; datasets: Record<string, string>;
  totalSeconds: number; episodes: number; seeds: number; reportPath: string;
}): string {
  const L: string[] = [];
  const rel = (p: string) => relative(join(r.reportPath, '..'), p);
  L.push('# FISOR results', '');
  L.push(`Command: \`${r.command}\``, '');
  L.push(`Preset \`${r.preset}\`, backend \`${getBackend().name}\`, ${r.seeds} seed(s) x ${r.episodes} evaluation episodes per task; total wall time ${formatDuration(r.totalSeconds)}.`, '');
  L.push('**Environments are this project\'s TypeScript re-implementations of the task definitions on light 2-D dynamics, and datasets are our own',
    'behaviour data; scores are comparable within this project only, not with the numbers in the FISOR paper.**', '');
  L.push('## Normalized reward and cost', '');
  L.push('Mean over seeds of the per-seed mean over episodes (= the mean over all episodes), ± the standard deviation across seeds; DSRL normalisation, kappa = 10.', '');
  L.push('| Task | steps | normalized reward | normalized cost | safe (cost <= 1) | episodes safe | train time / seed | steps/s |');
  L.push('|---|---|---|---|---|---|---|---|');
  const claims: string[] = [];
  for (const task of r.tasks) {
    const runs = r.runs.filter((x) => x.task === task);
    const ok = runs.filter((x) => x.ok);
    const steps = r.configs[task].steps;
    if (ok.length === 0) {
      L.push(`| ${task} | ${steps} | FAILED | FAILED | - | - | - | - |`);
      claims.push(`${task}: no result (all runs failed)`);
      continue;
    }
    const nr = ok.map((x) => x.normalizedReward!), nc = ok.map((x) => x.normalizedCost!);
    const safe = mean(nc) <= 1;
    const fail = runs.length - ok.length;
    L.push(`| ${task} | ${steps} | ${f3(mean(nr))} ± ${f3(std(nr))} | ${f3(mean(nc))} ± ${f3(std(nc))} | ${safe ? 'yes' : '**no**'}${fail ? ` (${fail} run(s) failed)` : ''} | ${(100 * mean(ok.map((x) => x.safeFraction!))).toFixed(0)}% | ${formatDuration(mean(ok.map((x) => x.trainSeconds!)))} | ${mean(ok.map((x) => x.stepsPerSecond!)).toFixed(1)} |`);
    if (!safe) claims.push(`${task}: mean normalized cost ${f3(mean(nc))} > 1`);
    const unsafeSeeds = ok.filter((x) => x.normalizedCost! > 1).map((x) => x.seed);
    if (safe && unsafeSeeds.length) claims.push(`${task}: safe on average, but seed(s) ${unsafeSeeds.join(', ')} individually exceed 1`);
  }
  L.push('');
  L.push('Per seed:', '');
  L.push('| Task | seed | normalized reward | normalized cost | wall time | note |', '|---|---|---|---|---|---|');
  for (const x of r.runs) L.push(`| ${x.task} | ${x.seed} | ${x.ok ? f3(x.normalizedReward!) : '-'} | ${x.ok ? f3(x.normalizedCost!) : '-'} | ${formatDuration(x.wallSeconds)} | ${x.ok ? '' : `FAILED: ${x.error}`} |`);
  L.push('');
  L.push('## The paper\'s claim tested', '');
  L.push('FISOR (Table 1) claims safety on every task: normalized cost <= 1. Here:', '');
  const failed = r.tasks.filter((t) => claims.some((c) => c.startsWith(`${t}:`) && !c.includes('safe on average')));
  L.push(failed.length === 0 ? `- **Holds** on all ${r.tasks.length} task(s) tested (mean over seeds).` : `- **Does not hold** on ${failed.length} of ${r.tasks.length} task(s).`);
  for (const c of claims) L.push(`- ${c}`);
  L.push('- Caveats: the cpu preset trains ~100x fewer steps with smaller networks than the paper (see the config below); the paper reports 3 seeds x 20 episodes.', '');
  const pr = r.runs.filter((x) => x.task === 'PointRobot' && x.ok && x.feasible);
  if (pr.length) {
    L.push('## PointRobot feasible region', '');
    L.push('IoU of the learned infeasible set (V_h > 0) with the ground truth (env `feasibilityGrid`, 200 x 200 grid over [-3, 3]^2):', '');
    L.push(`| seed | ${pr[0].feasible!.slices.map((s) => s.label).join(' | ')} | mean |`, `|---|${pr[0].feasible!.slices.map(() => '---|').join('')}---|`);
    for (const x of pr) L.push(`| ${x.seed} | ${x.feasible!.slices.map((s) => f3(s.iou)).join(' | ')} | ${f3(x.feasible!.meanIou)} |`);
    // Figures are copied beside the report so that they are committed with it (runs/ is not).
    const figDir = join(r.reportPath, '..', 'figures');
    mkdirSync(figDir, { recursive: true });
    const png = join(figDir, `pointrobot-feasible-seed${pr[0].seed}.png`);
    const svg = join(figDir, `pointrobot-feasible-seed${pr[0].seed}.svg`);
    copyFileSync(pr[0].feasible!.png, png);
    copyFileSync(pr[0].feasible!.svg, svg);
    L.push('', `![feasible region, seed ${pr[0].seed}](${rel(png)})`, '', `(SVG with contours: ${rel(svg)}; black = learned V_h = 0, green = ground truth)`, '');
    const fx = pr.filter((x) => x.fixedStart);
    if (fx.length) {
      L.push('### PointRobot from the fixed start [-1.8, 0, 2, π/4]', '');
      L.push('The table above evaluates PointRobot from random starts; FISOR\'s own PointRobot rollouts start here, heading at speed 2 towards a hazard.', '');
      L.push('| seed | normalized reward | normalized cost | episodes safe |', '|---|---|---|---|');
      for (const x of fx) L.push(`| ${x.seed} | ${f3(x.fixedStart!.normalizedReward)} | ${f3(x.fixedStart!.normalizedCost)} | ${(100 * x.fixedStart!.safeFraction).toFixed(0)}% |`);
      L.push('');
    }
  }
  L.push('## Data', '');
  for (const t of r.tasks) L.push(`- ${t}: ${r.datasets[t]}`);
  L.push('', '## Config', '');
  L.push(`Preset \`${r.preset}\`; changes from the paper's values in the cpu preset:`, '');
  for (const [k, { value, why }] of Object.entries(CPU_CHANGES)) L.push(`- \`${k}\` = ${JSON.stringify(value)}: ${why}`);
  L.push('', 'Resolved config of the first task:', '', '```json', JSON.stringify(r.configs[r.tasks[0]], null, 2), '```', '');
  return L.join('\n') + '\n';
}

main().catch((e) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
