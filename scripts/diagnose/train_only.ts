/**
 * Trains one (task, seed) run with a preset and --set overrides on the results' data (seed 0, the config's recipe)
 * and evaluates nothing, so that a training change can be judged on validation episodes afterwards
 * (acting_validation.ts), never on the results'. OUTDIR must be new or empty (nothing is resumed or overwritten:
 * `fisor train --resume` continues a run).
 *   npx tsx scripts/diagnose/train_only.ts TASK SEED OUTDIR [--preset safe10] [--set k=v ...] [--episodes N]
 * --episodes collects N behaviour episodes instead of the task's default (DEFAULT_EPISODES), same seed and recipe.
 */
import { existsSync, readdirSync } from 'node:fs';
import { collect } from '../../rl/data/collect.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { train } from '../../rl/fisor/train.js';

const USAGE = 'usage: train_only.ts TASK SEED OUTDIR [--preset P] [--set k=v ...] [--episodes N]';
const [task, seedArg, out, ...rest] = process.argv.slice(2);
if (!task || !seedArg || !out) throw new Error(USAGE);
const seed = Number(seedArg);
if (!(Number.isInteger(seed) && seed >= 0)) throw new Error(`train_only.ts: SEED must be a whole number >= 0, got '${seedArg}'`);
let preset = 'safe10';
const sets: string[] = [];
let episodes: number | undefined;
for (let i = 0; i < rest.length; i += 2) {
  if (rest[i + 1] === undefined) throw new Error(`train_only.ts: ${rest[i]} needs a value; ${USAGE}`);
  if (rest[i] === '--preset') preset = rest[i + 1];
  else if (rest[i] === '--set') sets.push(rest[i + 1]);
  else if (rest[i] === '--episodes') {
    episodes = Number(rest[i + 1]);
    if (!(Number.isInteger(episodes) && episodes > 0)) throw new Error(`train_only.ts: --episodes must be a whole number > 0, got '${rest[i + 1]}'`);
  } else throw new Error(`train_only.ts: unknown argument '${rest[i]}'; ${USAGE}`);
}
if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`train_only.ts: ${out} is not empty; give a new OUTDIR (an earlier run there is neither resumed nor overwritten)`);
const cfg = resolveConfig({ preset, task, set: sets, overrides: { evalEvery: 0 } });
const ds = collect(task, { seed: 0, recipe: cfg.dataRecipe, ...(episodes !== undefined ? { episodes } : {}) });
const t0 = performance.now();
await train({ task, config: cfg, seed, outDir: out, dataset: ds, resume: false, overwrite: false, skipFinalEval: true });
console.log(`${task} seed ${seed} (${preset}${sets.length ? `, ${sets.join(', ')}` : ''}${episodes !== undefined ? `, ${episodes} episodes` : ''}) trained in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${out}`);
