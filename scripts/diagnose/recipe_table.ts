/** The 'recovery' recipe's datasets as a markdown table (docs/DATASETS.md). npx tsx scripts/diagnose/recipe_table.ts */
import { TASK_NAMES, taskReference } from '../../rl/envs/reference.js';
import { collect } from '../../rl/data/collect.js';
import { summarizeDataset } from '../../rl/data/dataset.js';

const f2 = (v: number): string => v.toFixed(2);
console.log('| task | transitions | trajectories | return min | return median | return max | cost median | cost max | cost <= 10 |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const task of TASK_NAMES) {
  const s = summarizeDataset(collect(task, { seed: 0, recipe: 'recovery' }), taskReference(task).kappa);
  console.log(`| ${task} | ${s.transitions} | ${s.trajectories} | ${f2(s.returns.min)} | ${f2(s.returns.median)} | ${f2(s.returns.max)} | ${s.costs.median} | ${s.costs.max} | ${(100 * s.fractionSafe).toFixed(1)}% |`);
}
