/**
 * Train one (task, seed 0) run with the cpu preset + --set overrides on the chosen data recipe, then
 * evaluate with the safety monitor (PointRobot: also the fixed start and the 60 feasible starts).
 * npx tsx scripts/diagnose/train_eval.ts TASK OUTDIR [--recipe fixed|recovery] [--set k=v ...] [--episodes N]
 */
import { collect, type CollectRecipe } from '../../rl/data/collect.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { train } from '../../rl/fisor/train.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { feasibleStarts } from '../../rl/fisor/starts.js';

const [task, out] = process.argv.slice(2, 4);
const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const sets: string[] = [];
for (let i = 0; i < process.argv.length; i++) if (process.argv[i] === '--set') sets.push(process.argv[i + 1]);
const recipe = (arg('--recipe') ?? 'fixed') as CollectRecipe;
const E = Number(arg('--episodes') ?? 20);
const cfg = resolveConfig({ preset: arg('--preset') ?? 'cpu', task, set: sets });
const ds = collect(task, { seed: 0, recipe });
cfg.dataRecipe = recipe;
const t0 = performance.now();
const res = await train({ task, config: cfg, seed: 0, outDir: out, dataset: ds, skipFinalEval: true });
console.log(`${task} ${recipe} ${sets.join(' ')}: trained in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const show = (name: string, e: ReturnType<typeof evaluate>) => console.log(`${name}: normR ${e.normalizedReward.toFixed(3)} normC ${e.normalizedCost.toFixed(3)} safe ${e.safeFraction.toFixed(2)} monitor ${JSON.stringify({ ...e.monitor, traces: undefined })}`);
show('random starts', evaluate(res.agent, task, { episodes: E, seed: 2000, monitor: true }));
if (task === 'PointRobot') {
  show('fixed start', evaluate(res.agent, task, { episodes: E, seed: 1001, fixedStart: true, monitor: true }));
  const starts = feasibleStarts(60);
  show('60 feasible starts', evaluate(res.agent, task, { episodes: 60, seed: 1002, starts, monitor: true }));
}
