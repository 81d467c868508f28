/** A recipe's datasets as a markdown table (docs/DATASETS.md). npx tsx scripts/diagnose/recipe_table.ts [recovery|evasive|fixed] [TASK,...] */
import { TASK_NAMES, taskReference } from '../../rl/envs/reference.js';
import { collect, COLLECT_RECIPES, type CollectRecipe } from '../../rl/data/collect.js';
import { summarizeDataset } from '../../rl/data/dataset.js';

const recipe = (process.argv[2] ?? 'recovery') as CollectRecipe;
if (!COLLECT_RECIPES.includes(recipe)) throw new Error(`recipe must be one of ${COLLECT_RECIPES.join(', ')}, got '${recipe}'`);
const tasks = process.argv[3] ? process.argv[3].split(',') : [...TASK_NAMES];
const f2 = (v: number): string => v.toFixed(2);
console.log('| task | transitions | trajectories | return min | return median | return max | cost median | cost max | cost <= 10 |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const task of tasks) {
  const s = summarizeDataset(collect(task, { seed: 0, recipe }), taskReference(task).kappa);
  console.log(`| ${task} | ${s.transitions} | ${s.trajectories} | ${f2(s.returns.min)} | ${f2(s.returns.median)} | ${f2(s.returns.max)} | ${s.costs.median} | ${s.costs.max} | ${(100 * s.fractionSafe).toFixed(1)}% |`);
}
