/**
 * The paper's Table 1 on our tasks: FISOR's runs (scripts/results.ts) beside the OSRL baselines'
 * (results-baselines.json, scripts/baselines.ts), normalized reward and cost as mean ± std over seeds,
 * unsafe cells marked, the best safe reward per task in bold, the claim tested in words, and one
 * reward-cost scatter per task with every algorithm. Pure reporting: nothing here trains.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { algorithmNames } from '../rl/algos/registry.js';
import { scatterSeriesOf, writeScatter, type ScatterSeries } from './baselines_plot.js';
import { paperRatioSection } from './paper_table1.js';

/** One (algorithm, task, seed) result: what both result files hold. */
export interface SeedScore {
  algo: string;
  task: string;
  seed: number;
  normalizedReward: number;
  normalizedCost: number;
  /** Behaviour data recipe (baseline entries written before recipes existed lack it: 'fixed'). */
  dataRecipe?: string;
}

/** What the baselines' file names of a data recipe carry: nothing for 'fixed' (the original names), else '-RECIPE'. */
export const recipeSuffix = (recipe: string): string => (recipe === 'fixed' ? '' : `-${recipe}`);

/** The baselines' results file for a data recipe (scripts/baselines.ts --data-recipe writes it). */
export const baselinesFile = (recipe: string): string => `results-baselines${recipeSuffix(recipe)}.json`;

/** The baselines' report for a data recipe. */
export const baselinesReport = (recipe: string): string => `docs/BASELINES_RESULTS${recipeSuffix(recipe)}.md`;

/**
 * The baselines' per-seed scores for each task on the data its FISOR runs used (`recipeOf(task)`): entries of
 * another recipe are never mixed in, so a FISOR run on one dataset is never compared with baselines on another.
 */
export function baselinesFor(tasks: string[], recipeOf: (task: string) => string): SeedScore[] {
  const byRecipe = new Map<string, SeedScore[]>();
  for (const t of tasks) {
    const rec = recipeOf(t);
    if (!byRecipe.has(rec)) byRecipe.set(rec, readBaselines(baselinesFile(rec)));
  }
  return tasks.flatMap((t) => byRecipe.get(recipeOf(t))!.filter((e) => e.task === t && (e.dataRecipe ?? 'fixed') === recipeOf(t)));
}

interface Cell {
  r: [number, number];
  c: [number, number];
  safe: boolean;
  seeds: SeedScore[];
}

/** Mean and sample standard deviation (n - 1), as scripts/results.ts reports FISOR's. */
function meanStd(v: number[]): [number, number] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1))];
}

/** The baselines' per-seed scores, or [] when the file is missing. */
export function readBaselines(path: string): SeedScore[] {
  if (!existsSync(path)) return [];
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { entries?: SeedScore[] };
  if (!Array.isArray(raw.entries)) throw new Error(`${path}: no 'entries' array (not a scripts/baselines.ts results file)`);
  return raw.entries;
}

/**
 * Markdown lines of the Table 1 section (and its figures written under figDir). A cell is safe when its
 * mean normalized cost over seeds is <= 1 (DSRL's criterion, as the paper's table uses).
 */
export async function table1Section(scores: SeedScore[], tasks: string[], reportDir: string, figDir: string, recipes: string[] = ['fixed']): Promise<string[]> {
  // Registry order (FISOR first), so columns and colours agree with docs/BASELINES_RESULTS.md's figures.
  const algos = algorithmNames().filter((a) => scores.some((s) => s.algo === a));
  const cells = new Map<string, Cell>();
  for (const a of algos) {
    for (const t of tasks) {
      const seeds = scores.filter((s) => s.algo === a && s.task === t);
      if (seeds.length === 0) continue;
      const r = meanStd(seeds.map((s) => s.normalizedReward));
      const c = meanStd(seeds.map((s) => s.normalizedCost));
      cells.set(`${a}|${t}`, { r, c, safe: c[0] <= 1, seeds });
    }
  }
  const f2 = (x: number) => x.toFixed(2);
  const L: string[] = [];
  L.push('## Table 1: FISOR and the baselines', '');
  L.push('Normalized reward / normalized cost, mean ± sample std over seeds (per-seed mean over 20 episodes). **Bold** = the best reward among the safe algorithms of the task; † = unsafe (mean normalized cost > 1); (n) = seeds where fewer than 3. FISOR: this report\'s runs (preset above); baselines: their `cpu` presets (' + recipes.map((r) => `${baselinesReport(r)}, \`npx tsx scripts/baselines.ts${r === 'fixed' ? '' : ` --data-recipe ${r}`}\``).join('; ') + `), trained on the same data as FISOR's runs (recipe ${recipes.map((r) => `\`${r}\``).join(', ')}), the same scoring and evaluation episodes count; where a baseline has no run on that data its cell is empty.`, '');
  L.push(`| Task | ${algos.join(' | ')} |`, `|---|${algos.map(() => '---|').join('')}`);
  const bestSafe = new Map<string, string>();
  for (const t of tasks) {
    let best: string | null = null;
    for (const a of algos) {
      const c = cells.get(`${a}|${t}`);
      if (c?.safe && (best === null || c.r[0] > cells.get(`${best}|${t}`)!.r[0])) best = a;
    }
    if (best) bestSafe.set(t, best);
    const row = algos.map((a) => {
      const c = cells.get(`${a}|${t}`);
      if (!c) return 'not run';
      const rew = `${f2(c.r[0])} ± ${f2(c.r[1])}`;
      return `${best === a ? `**${rew}**` : rew} / ${f2(c.c[0])} ± ${f2(c.c[1])}${c.safe ? '' : ' †'}${c.seeds.length < 3 ? ` (${c.seeds.length})` : ''}`;
    });
    L.push(`| ${t} | ${row.join(' | ')} |`);
  }
  L.push('', '**The claim tested** (FISOR, Table 1: the only algorithm safe on every task, with the best safe reward on most):', '');
  for (const a of algos) {
    const own = tasks.filter((t) => cells.has(`${a}|${t}`));
    const unsafe = own.filter((t) => !cells.get(`${a}|${t}`)!.safe);
    L.push(`- ${a}: safe on ${own.length - unsafe.length} of ${own.length} task(s)${unsafe.length ? ` (unsafe: ${unsafe.join(', ')})` : ''}.`);
  }
  const safeEverywhere = algos.filter((a) => tasks.every((t) => cells.get(`${a}|${t}`)?.safe));
  const fisorBest = tasks.filter((t) => bestSafe.get(t) === 'fisor');
  L.push(
    `- Safe on every task: ${safeEverywhere.length ? safeEverywhere.join(', ') : 'no algorithm'}. ` +
    `FISOR ${safeEverywhere.includes('fisor') ? 'is' : 'is **not**'} safe everywhere here; it has the best safe reward on ${fisorBest.length} of ${tasks.length} task(s)${fisorBest.length ? ` (${fisorBest.join(', ')})` : ''}. ` +
    `So the paper's claim ${safeEverywhere.length === 1 && safeEverywhere[0] === 'fisor' && fisorBest.length > tasks.length / 2 ? 'holds' : '**does not hold**'} on our tasks at these budgets.`,
    '',
  );
  L.push(...paperRatioSection(tasks, (a, t) => cells.get(`${a}|${t}`)?.r[0]));
  L.push('Reward-cost scatter per task (every algorithm; large hollow marker, one shape per algorithm = mean over seeds with ±1 std bars, small markers = seeds; dashed line = the cost limit; where safe means overlap beside a far unsafe one, a second panel zooms on normalized cost <= 1.25):', '');
  for (const t of tasks) {
    const series: ScatterSeries[] = algos.flatMap((a) => {
      const c = cells.get(`${a}|${t}`);
      return c ? [scatterSeriesOf(a, algorithmNames().indexOf(a), c)] : [];
    });
    if (series.length === 0) continue;
    const base = join(figDir, `table1-${t}`);
    await writeScatter(base, `${t}: normalized reward vs cost`, series);
    L.push(`![${t}: every algorithm](${relative(reportDir, base)}.png)`, '');
  }
  return L;
}
