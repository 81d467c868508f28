/**
 * What plain imitation of the data's safest trajectories earns: behaviour cloning (scripts/bc_safe.ts) on the
 * trajectories whose episode cost is <= each threshold (0 = violation-free only; the task's kappa = BC-Safe), trained
 * per seed on the results' data (seed 0, the preset's recipe) and evaluated on validation episodes (evaluation seed
 * VALIDATION_EVAL_SEED, never the results'). Prints normalized reward / cost and violation-free episodes.
 *   npx tsx scripts/diagnose/bc_threshold.ts TASK 0,10 [--seeds 0,1,2] [--episodes 40] [--preset safe10] [--recipe NAME]
 * --recipe collects with that data recipe instead of the preset's (docs/DATASETS.md).
 */
import { collect, COLLECT_RECIPES, type CollectRecipe } from '../../rl/data/collect.js';
import { splitTrajectories } from '../../rl/data/dataset.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { VALIDATION_EVAL_SEED } from '../../rl/fisor/starts.js';
import { BC_SAFE_DEFAULTS, trainBcSafe } from '../bc_safe.js';

const USAGE = 'usage: bc_threshold.ts TASK t1,t2,... [--seeds 0,1,2] [--episodes 40] [--preset safe10] [--recipe NAME]';
const [task, list, ...rest] = process.argv.slice(2);
if (!task || !list || list.startsWith('--')) throw new Error(USAGE);
const thresholds = list.split(',').map(Number);
if (thresholds.some((t) => !(t >= 0))) throw new Error(`bc_threshold.ts: thresholds must be numbers >= 0, got '${list}'`);
let seeds = [0, 1, 2], episodes = 40, preset = 'safe10';
let recipe: CollectRecipe | undefined;
for (let i = 0; i < rest.length; i += 2) {
  const v = rest[i + 1];
  if (v === undefined) throw new Error(`bc_threshold.ts: ${rest[i]} needs a value; ${USAGE}`);
  if (rest[i] === '--seeds') seeds = v.split(',').map(Number);
  else if (rest[i] === '--episodes') episodes = Number(v);
  else if (rest[i] === '--preset') preset = v;
  else if (rest[i] === '--recipe') {
    if (!(COLLECT_RECIPES as string[]).includes(v)) throw new Error(`bc_threshold.ts: --recipe must be one of ${COLLECT_RECIPES.join(', ')}, got '${v}'`);
    recipe = v as CollectRecipe;
  }
  else throw new Error(`bc_threshold.ts: unknown argument '${rest[i]}'; ${USAGE}`);
}
if (seeds.some((s) => !(Number.isInteger(s) && s >= 0))) throw new Error('bc_threshold.ts: --seeds must be whole numbers >= 0');
if (!(Number.isInteger(episodes) && episodes > 0)) throw new Error('bc_threshold.ts: --episodes must be a whole number > 0');
const ds = collect(task, { seed: 0, recipe: recipe ?? resolveConfig({ preset, task }).dataRecipe });
const trajs = splitTrajectories(ds);
for (const t of thresholds) {
  const kept = trajs.filter((x) => x.cost <= t).length;
  for (const seed of seeds) {
    const policy = trainBcSafe(task, ds, seed, { ...BC_SAFE_DEFAULTS, maxCost: t });
    const e = evaluate(policy, task, { episodes, seed: VALIDATION_EVAL_SEED });
    console.log(`${task} BC on episode cost <= ${t} (${kept} of ${trajs.length} trajectories) seed ${seed}: reward ${e.normalizedReward.toFixed(3)} cost ${e.normalizedCost.toFixed(3)}, ${e.violationFree} of ${episodes} without a violation`);
  }
}
