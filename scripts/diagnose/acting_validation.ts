/**
 * Compares acting-time settings on a run's checkpoint without the results' episodes: every variant is evaluated
 * on the same validation episodes (evaluation seed 7; the results use 2000 + seed), each from the checkpoint's
 * saved random streams, so the variants see the same resets and only their choices differ. A variant is a
 * comma-separated list of acting keys (acting_agent.ts ACTING_KEYS), or 'base' for the run's own config.
 *   npx tsx scripts/diagnose/acting_validation.ts RUNDIR 'base' 'actor.temperature=0.5' 'numSamples=1' [--episodes 60]
 */
import { evaluate } from '../../rl/fisor/evaluate.js';
import { VALIDATION_EVAL_SEED } from '../../rl/fisor/starts.js';
import { evalText, loadActingRun } from './acting_agent.js';

const USAGE = "usage: acting_validation.ts RUNDIR VARIANT [VARIANT ...] [--episodes N]; VARIANT = 'base' or 'key=value,key=value'";
const args = process.argv.slice(2);
const dir = args[0];
if (!dir || dir.startsWith('--')) throw new Error(USAGE);
let episodes = 60;
const variants: string[][] = [];
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--episodes') {
    const v = Number(args[++i]);
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`acting_validation.ts: --episodes must be a positive integer, got '${args[i]}'`);
    episodes = v;
  } else if (args[i].startsWith('--')) throw new Error(`acting_validation.ts: unknown argument '${args[i]}'; ${USAGE}`);
  else variants.push(args[i] === 'base' ? [] : args[i].split(',').map((s) => s.trim()).filter((s) => s !== ''));
}
if (variants.length === 0) throw new Error(`acting_validation.ts: no variant given; ${USAGE}`);
const run = await loadActingRun(dir, 'acting_validation.ts');
const agents = variants.map((v) => run.agentWith(v)); // every variant checked before the first evaluation
for (let k = 0; k < variants.length; k++) {
  const e = evaluate(agents[k], run.meta.task, { episodes, seed: VALIDATION_EVAL_SEED, monitor: true });
  console.log(`${run.meta.task} seed ${run.meta.seed} ${variants[k].length ? variants[k].join(', ') : 'base'}: ${evalText(e)} (${e.seconds.toFixed(0)} s)`);
}
