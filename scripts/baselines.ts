/**
 * Baselines results: `npx tsx scripts/baselines.ts [--algos bc-safe,bc-all] [--tasks A,B] [--seeds 3] [--episodes 20]
 *   [--data-recipe fixed|recovery|evasive] [--json results-baselines.json] [--runs runs/baselines] [--report-only] [--merge a.json,b.json]`
 *
 * --data-recipe picks the behaviour data (docs/DATASETS.md) and, unless given, the files: 'fixed' writes
 * results-baselines.json, docs/BASELINES_RESULTS.md and figures/baselines-<task>; 'recovery' writes
 * results-baselines-recovery.json, docs/BASELINES_RESULTS-recovery.md and figures/baselines-recovery-<task>
 * (another recipe R likewise with -R).
 * Every entry records its recipe, and a results file never mixes two.
 *
 * Trains (cpu preset) and evaluates every algo x task x seed, appending one entry per run to the JSON file
 * (atomic write after every run) and skipping entries already there, so it can be stopped and restarted, and
 * run in several pieces whose JSON files `--merge` combines. Then writes docs/BASELINES_RESULTS.md (Table 1
 * style: normalized reward and cost, mean ± standard deviation over seeds, safe ones marked, best safe reward
 * per task bold) and one reward-cost scatter per task, figures/baselines-<task>.svg and .png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend } from '../core/index.js';
import { presetOf, resolveAlgoConfig } from '../rl/algos/config.js';
import { algorithmDef, algorithmNames, baselineNames } from '../rl/algos/registry.js';
import { trainAlgorithm } from '../rl/algos/train.js';
import { parseFlags, type FlagSpecs } from '../rl/cli/args.js';
import { recipeFlag } from '../rl/cli/common.js';
import { formatDuration } from '../rl/cli/progress.js';
import { COLLECT_RECIPES, DEFAULT_RECIPE, type CollectRecipe } from '../rl/data/collect.js';
import { TASK_NAMES } from '../rl/envs/reference.js';
import { writeFileAtomic } from '../rl/io/atomic.js';
import { nodeProvenance } from '../rl/io/node_provenance.js';
import { scatterSeriesOf, writeScatter, type ScatterSeries } from './baselines_plot.js';
import { hasCheckpoint, readJsonFile, runTrainSeconds } from './run_checks.js';
import { baselinesFile, baselinesReport, recipeSuffix } from './table1.js';

const flags = {
  algos: { type: 'string', help: 'comma-separated algorithms', default: baselineNames().join(','), meta: 'A,B' },
  tasks: { type: 'string', help: 'comma-separated tasks', default: TASK_NAMES.join(','), meta: 'A,B' },
  seeds: { type: 'int', help: 'seeds per entry (0..n-1)', default: 3, meta: 'N' },
  episodes: { type: 'int', help: 'evaluation episodes per run', default: 20, meta: 'N' },
  'data-recipe': { type: 'string', help: `behaviour data recipe: ${COLLECT_RECIPES.join(' or ')} (docs/DATASETS.md)`, default: DEFAULT_RECIPE, meta: 'NAME' },
  json: { type: 'string', help: 'results file (read, extended, rewritten after every run; default by recipe, see above)', default: '', meta: 'FILE' },
  runs: { type: 'string', help: 'run directories (default runs/baselines[-RECIPE])', default: '', meta: 'DIR' },
  report: { type: 'string', help: 'markdown report (default docs/BASELINES_RESULTS[-RECIPE].md)', default: '', meta: 'FILE' },
  figures: { type: 'string', help: 'figure directory', default: 'figures', meta: 'DIR' },
  'report-only': { type: 'bool', help: 'only rewrite the report and figures from the JSON file', default: false },
  merge: { type: 'string', help: 'merge these JSON files into --json first (comma-separated)', default: '', meta: 'A,B' },
} satisfies FlagSpecs;

export interface Entry {
  algo: string;
  task: string;
  seed: number;
  steps: number;
  episodes: number;
  normalizedReward: number;
  normalizedCost: number;
  safeFraction: number;
  trainSeconds: number;
  wallSeconds: number;
  backend: string;
  /** This checkout's git commit when the entry was made ('+dirty' with uncommitted changes; absent in older entries). */
  commit?: string;
  /** Behaviour data recipe (entries written before recipes existed lack it: 'fixed'). */
  dataRecipe?: CollectRecipe;
}

interface ResultsFile {
  description: string;
  command: string[];
  /** What a reader of the commands needs to know (e.g. which entries were retrained, at which commit, and why). */
  notes?: string[];
  entries: Entry[];
}

const key = (e: Pick<Entry, 'algo' | 'task' | 'seed'>) => `${e.algo}|${e.task}|${e.seed}`;

function readResults(path: string, recipe: string): ResultsFile {
  if (!existsSync(path)) return { description: 'OSRL baselines on this project\'s tasks (scripts/baselines.ts)', command: [], entries: [] };
  const r = readJsonFile(path, 'nothing was written') as ResultsFile;
  if (!Array.isArray(r?.entries)) throw new Error(`${path}: no 'entries' array`);
  r.entries.forEach((e, i) => {
    for (const k of ['algo', 'task'] as const) if (typeof e[k] !== 'string') throw new Error(`${path}: entries[${i}].${k} is not a string`);
    for (const k of ['seed', 'normalizedReward', 'normalizedCost'] as const) if (typeof e[k] !== 'number') throw new Error(`${path}: entries[${i}].${k} is not a number`);
    const own = e.dataRecipe ?? DEFAULT_RECIPE;
    if (own !== recipe) throw new Error(`${path}: entries[${i}] (${e.algo} ${e.task} seed ${e.seed}) was trained on the '${own}' data recipe, not '${recipe}'; one results file holds one recipe (pass --data-recipe ${own} or another --json)`);
  });
  r.command ??= [];
  return r;
}

/**
 * The fields that make an entry's result: two entries of one (algo, task, seed) that agree on these are the same run
 * (a bit-identical rerun, on another machine say); its timings and commit may differ.
 */
const RESULT_FIELDS = ['steps', 'episodes', 'normalizedReward', 'normalizedCost', 'safeFraction', 'backend', 'dataRecipe'] as const;

/** 'episodes 20 vs 5, normalizedCost 0.1 vs 0.3': the result fields in which two entries differ ('' = none). */
function entryDiff(a: Entry, b: Entry): string {
  return RESULT_FIELDS.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k} ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`).join(', ');
}

function meanStd(v: number[]): [number, number] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1))];
}

interface Cell { algo: string; task: string; n: number; r: [number, number]; c: [number, number]; safe: boolean; seeds: Entry[] }

function cells(entries: Entry[]): Map<string, Cell> {
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    const k = `${e.algo}|${e.task}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(e);
  }
  const out = new Map<string, Cell>();
  for (const [k, es] of groups) {
    const r = meanStd(es.map((e) => e.normalizedReward));
    const c = meanStd(es.map((e) => e.normalizedCost));
    out.set(k, { algo: es[0].algo, task: es[0].task, n: es.length, r, c, safe: c[0] <= 1, seeds: es });
  }
  return out;
}

async function report(res: ResultsFile, path: string, figDir: string, recipe: string): Promise<void> {
  const cs = cells(res.entries);
  const algos = algorithmNames().filter((a) => res.entries.some((e) => e.algo === a));
  const tasks = TASK_NAMES.filter((t) => res.entries.some((e) => e.task === t));
  const f = (x: [number, number]) => `${x[0].toFixed(2)} ± ${x[1].toFixed(2)}`;
  const lines: string[] = [
    '# Baselines (OSRL algorithms) on this project\'s tasks',
    '',
    `Produced by \`scripts/baselines.ts\` (command(s) below) from \`${baselinesFile(recipe)}\`. Every algorithm uses its \`cpu\` preset`,
    '(rl/algos/<name>.ts: OSRL\'s defaults as `paper`, each cpu change listed with its reason), trained on the task\'s default',
    `dataset (collect, seed 0, data recipe \`${recipe}\`, docs/DATASETS.md) and evaluated on its last checkpoint. Cells: normalized reward / normalized cost, mean ± sample standard`,
    'deviation over seeds of the per-seed mean over episodes (DSRL normalisation, κ = 10). **Bold** = best reward among the safe',
    'algorithms of the task; † = unsafe (mean normalized cost > 1). The number of seeds is given in parentheses where fewer than 3 (no spread for one seed).',
    '',
    '**Environments are this project\'s re-implementations of the task definitions on light 2-D dynamics and the datasets are our own;',
    'scores compare within this project only, not with the numbers in the FISOR or OSRL papers. The cpu presets train 50-250x',
    'fewer steps than OSRL.**',
    '',
    'Any single run: `fisor train --algo <name> --task <task> [--preset cpu|paper] [--seed S]`, then `fisor eval --checkpoint <dir>`',
    '(the algorithm is read from the checkpoint); `fisor algos` lists the algorithms.',
    '',
    `| Task | ${algos.join(' | ')} |`,
    `|---|${algos.map(() => '---').join('|')}|`,
  ];
  for (const t of tasks) {
    const safe = algos.map((a) => cs.get(`${a}|${t}`)).filter((c): c is Cell => !!c && c.safe);
    const best = safe.length ? Math.max(...safe.map((c) => c.r[0])) : NaN;
    const row = algos.map((a) => {
      const c = cs.get(`${a}|${t}`);
      if (!c) return '-';
      // One seed has no spread: print the value alone.
      const g = (x: [number, number]) => (c.n > 1 ? f(x) : x[0].toFixed(2));
      const r = c.safe && c.r[0] === best ? `**${g(c.r)}**` : g(c.r);
      return `${r} / ${g(c.c)}${c.safe ? '' : ' †'}${c.n < 3 ? ` (${c.n} seed${c.n > 1 ? 's' : ''})` : ''}`;
    });
    lines.push(`| ${t} | ${row.join(' | ')} |`);
  }
  lines.push('', '## Safe on every task?', '');
  for (const a of algos) {
    const own = tasks.map((t) => cs.get(`${a}|${t}`)).filter((c): c is Cell => !!c);
    const unsafe = own.filter((c) => !c.safe).map((c) => c.task);
    lines.push(`- ${a}: safe on ${own.length - unsafe.length} of ${own.length} task(s) run${unsafe.length ? ` (unsafe: ${unsafe.join(', ')})` : ''}.`);
  }
  lines.push('', '## Reward-cost scatter per task', '', 'Each algorithm\'s mean over seeds (large hollow marker, one shape per algorithm, bars = ± one standard deviation) and its seeds (small markers); the dashed line is the cost limit (normalized cost 1). Where safe means overlap beside a far unsafe one, a second panel zooms on normalized cost <= 1.25.', '');
  for (const t of tasks) {
    const series: ScatterSeries[] = algos.flatMap((a) => {
      const c = cs.get(`${a}|${t}`);
      return c ? [scatterSeriesOf(a, algorithmNames().indexOf(a), c)] : [];
    });
    const base = join(figDir, `baselines${recipeSuffix(recipe)}-${t}`);
    await writeScatter(base, `${t}: normalized reward vs cost`, series);
    lines.push(`![${t}](../${base}.png)`, '');
  }
  lines.push('## Per seed', '', '| algo | task | seed | steps | normalized reward | normalized cost | episodes safe | train time | backend |', '|---|---|---|---|---|---|---|---|---|');
  for (const e of [...res.entries].sort((x, y) => key(x).localeCompare(key(y)))) {
    lines.push(`| ${e.algo} | ${e.task} | ${e.seed} | ${e.steps} | ${e.normalizedReward.toFixed(3)} | ${e.normalizedCost.toFixed(3)} | ${(100 * e.safeFraction).toFixed(0)}% | ${formatDuration(e.trainSeconds)} | ${e.backend} |`);
  }
  lines.push(
    '', '## Known differences from OSRL', '',
    '- CDT: OSRL\'s Pareto-frontier data augmentation (augment_percent 0.2) is not implemented; CDT trains on the original episodes.',
    '  Its evaluation target is one pair (R̂ = best return among dataset episodes with cost <= κ, Ĉ = κ), not OSRL\'s three per-task pairs.',
    '- CPQ: the OOD penalty is a constant in the cost-critic loss, as in OSRL\'s code (computed under no_grad); reproduced on purpose.',
    '- All: evaluated on the last checkpoint (OSRL also keeps a lowest-cost "best" checkpoint); episode length T of qc_thres = the env\'s time limit.',
    '- Equal on this project\'s data, different on other data: `numQ` (and COptiDICE\'s `numNu`) sizes both critic ensembles (OSRL has separate',
    '  num_qc / num_chi, equal by default); CDT labels a step\'s cost 1 when c > 0 (OSRL truncates c to an integer; costs here are 0 or 1);',
    '  evaluation runs to the env\'s time limit, not a config `episodeLen` (equal unless it is set); rows after a dataset\'s last episode end',
    '  count as one more episode (DSRL\'s pre_process_data drops them; collected data always ends with a done flag).',
    '- CDT: OSRL\'s next-state prediction head is omitted (its loss weight is 0 in OSRL\'s configs).',
  );
  lines.push('', '## Commands', '', ...res.command.map((c) => `- \`${c}\``), ...(res.notes?.length ? ['', ...res.notes.map((n) => `- ${n}`)] : []), '', '## cpu presets', '');
  for (const a of algos) {
    const d = algorithmDef(a);
    lines.push(`- **${a}** (${presetOf(d, 'cpu').steps} steps, paper ${presetOf(d, 'paper').steps}): ${Object.entries(d.cpuChanges).map(([k, v]) => `${k} = ${JSON.stringify(v.value)} (${v.why})`).join('; ')}`);
  }
  writeFileAtomic(path, lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), flags);
  const recipe = recipeFlag('--data-recipe', f['data-recipe']);
  f.json ||= baselinesFile(recipe);
  f.runs ||= `runs/baselines${recipeSuffix(recipe)}`;
  f.report ||= baselinesReport(recipe);
  const res = readResults(f.json, recipe);
  const have = new Set(res.entries.map(key));
  for (const m of f.merge.split(',').filter(Boolean)) {
    for (const e of readResults(m, recipe).entries) {
      // The same (algo, task, seed) with another result is another run (other episodes, backend or code): keeping
      // either silently would hide it. One with the same result is a rerun: the entry already here is kept.
      const had = res.entries.find((x) => key(x) === key(e));
      const diff = had ? entryDiff(had, e) : '';
      if (diff) throw new Error(`--merge: ${m} holds ${e.algo} ${e.task} seed ${e.seed} with another result than ${f.json} (${diff}); remove one of the two entries first`);
      if (had) continue;
      res.entries.push(e);
      have.add(key(e));
    }
    for (const c of readResults(m, recipe).command) if (!res.command.includes(c)) res.command.push(c);
  }
  const cmd = `npx tsx scripts/baselines.ts ${process.argv.slice(2).join(' ')}`.trim();
  if (!f['report-only'] && !res.command.includes(cmd)) res.command.push(cmd);
  const save = () => writeFileAtomic(f.json, JSON.stringify(res, null, 1) + '\n');
  if (!f['report-only']) {
    const algos = f.algos.split(',').filter(Boolean);
    const tasks = f.tasks.split(',').filter(Boolean);
    for (const a of algos) algorithmDef(a);
    for (const t of tasks) if (!(TASK_NAMES as readonly string[]).includes(t)) throw new Error(`--tasks: unknown task '${t}' (${TASK_NAMES.join(', ')})`);
    // An entry already there is kept, not rerun: one evaluated on another number of episodes would stand in the
    // report as if made with this --episodes (checked before anything trains).
    for (const e of res.entries) {
      if (algos.includes(e.algo) && tasks.includes(e.task) && e.seed < f.seeds && e.episodes !== undefined && e.episodes !== f.episodes) {
        throw new Error(`${f.json}: ${e.algo} ${e.task} seed ${e.seed} was evaluated on ${e.episodes} episodes, not --episodes ${f.episodes}; pass --episodes ${e.episodes}, or another --json`);
      }
    }
    const commit = nodeProvenance().gitCommit;
    // Seed-major within each algorithm x task, algorithm-major overall: the first algorithms finish first.
    for (const algo of algos) for (const task of tasks) for (let seed = 0; seed < f.seeds; seed++) {
      if (have.has(key({ algo, task, seed }))) continue;
      const outDir = join(f.runs, `${algo}-${task}-s${seed}`);
      const resume = hasCheckpoint(outDir);
      const cfg = resolveAlgoConfig(algorithmDef(algo), { preset: 'cpu', task, overrides: { evalEpisodes: f.episodes, evalEvery: 0 } });
      const t0 = performance.now();
      process.stdout.write(`${algo} ${task} seed ${seed}: ${cfg.steps} steps${resume ? ' (resuming)' : ''} ... `);
      const r = await trainAlgorithm({ algo, task, config: cfg, seed, outDir, resume, overwrite: !resume, dataRecipe: recipe });
      const ev = r.lastEval;
      if (!ev) throw new Error(`${algo} ${task} seed ${seed}: no final evaluation`);
      const e: Entry = {
        algo, task, seed, steps: r.step, episodes: ev.episodes.length, normalizedReward: ev.normalizedReward, normalizedCost: ev.normalizedCost,
        // wallSeconds stays this process's.
        safeFraction: ev.safeFraction, trainSeconds: runTrainSeconds(outDir, resume, r.trainSeconds),
        wallSeconds: (performance.now() - t0) / 1000, backend: getBackend().name, ...(commit ? { commit } : {}),
        dataRecipe: recipe,
      };
      res.entries.push(e);
      have.add(key(e));
      save();
      process.stdout.write(`reward ${e.normalizedReward.toFixed(3)}, cost ${e.normalizedCost.toFixed(3)}, ${formatDuration(e.wallSeconds)}\n`);
    }
  }
  save();
  mkdirSync(f.figures, { recursive: true });
  await report(res, f.report, f.figures, recipe);
  process.stdout.write(`wrote ${f.json}, ${f.report}, ${f.figures}/baselines${recipeSuffix(recipe)}-*.svg|png\n`);
}

await main();
