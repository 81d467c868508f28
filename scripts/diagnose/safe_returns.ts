/**
 * What the behaviour data offers to imitate: per task, its trajectories without a single violation and with cost <=
 * kappa, and their mean normalized reward (the scores' normalization), beside all trajectories'.
 *   npx tsx scripts/diagnose/safe_returns.ts [TASK,...] [--recipe recovery]
 */
import { collect, COLLECT_RECIPES, type CollectRecipe } from '../../rl/data/collect.js';
import { splitTrajectories } from '../../rl/data/dataset.js';
import { normalizeReward } from '../../rl/data/scoring.js';
import { TASK_NAMES, taskReference } from '../../rl/envs/reference.js';

const args = process.argv.slice(2);
const ri = args.indexOf('--recipe');
const recipe = (ri >= 0 ? args[ri + 1] : 'recovery') as CollectRecipe;
if (!COLLECT_RECIPES.includes(recipe)) throw new Error(`safe_returns.ts: --recipe must be one of ${COLLECT_RECIPES.join(', ')}, got '${recipe}'`);
const rest = ri >= 0 ? [...args.slice(0, ri), ...args.slice(ri + 2)] : args;
const tasks = rest[0] ? rest[0].split(',') : [...TASK_NAMES];
const mean = (a: number[]): string => (a.length ? (a.reduce((x, y) => x + y, 0) / a.length).toFixed(3) : '-');
console.log(`| task (recipe ${recipe}) | trajectories | without a violation: count / mean reward | cost <= kappa: count / mean reward | all: mean reward |`);
console.log('|---|---|---|---|---|');
for (const task of tasks) {
  const ref = taskReference(task);
  const trajs = splitTrajectories(collect(task, { seed: 0, recipe }));
  const r = (t: { ret: number }) => normalizeReward(t.ret, ref.rMin, ref.rMax);
  const clean = trajs.filter((t) => t.cost === 0).map(r);
  const safe = trajs.filter((t) => t.cost <= ref.kappa).map(r);
  console.log(`| ${task} | ${trajs.length} | ${clean.length} / ${mean(clean)} | ${safe.length} / ${mean(safe)} | ${mean(trajs.map(r))} |`);
}
