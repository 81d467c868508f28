/**
 * Evaluates a checkpoint with several candidate counts N on validation episodes (evaluation seed
 * VALIDATION_EVAL_SEED). Each N starts from the checkpoint's saved random streams (a fresh agent per N, as
 * acting_validation.ts does), so the values see the same resets and only the choice differs.
 *   npx tsx scripts/diagnose/eval_n.ts RUNDIR N1,N2 [episodes] [--fixed]
 */
import { evaluate } from '../../rl/fisor/evaluate.js';
import { VALIDATION_EVAL_SEED } from '../../rl/fisor/starts.js';
import { loadActingRun } from './acting_agent.js';

const USAGE = 'usage: eval_n.ts RUNDIR N1,N2 [episodes] [--fixed]';
const fixed = process.argv.includes('--fixed');
const args = process.argv.slice(2).filter((a) => a !== '--fixed');
const unknown = args.find((a) => a.startsWith('--'));
if (unknown) throw new Error(`eval_n.ts: unknown option '${unknown}'; ${USAGE}`);
if (args.length > 3) throw new Error(`eval_n.ts: too many arguments (${args.slice(3).join(' ')}); ${USAGE}`);
const [dir, list, episodesArg] = args;
if (!dir || !list) throw new Error(USAGE);
const ns = list.split(',').map(Number);
if (ns.some((n) => !(Number.isInteger(n) && n > 0))) throw new Error(`eval_n.ts: N values must be whole numbers > 0, got '${list}'; ${USAGE}`);
const episodes = Number(episodesArg ?? 20);
if (!(Number.isInteger(episodes) && episodes > 0)) throw new Error(`eval_n.ts: episodes must be a whole number > 0, got '${episodesArg}'; ${USAGE}`);
const run = await loadActingRun(dir, 'eval_n.ts');
for (const n of ns) {
  const e = evaluate(run.agentWith([]), run.meta.task, { episodes, seed: VALIDATION_EVAL_SEED, numSamples: n, fixedStart: fixed });
  console.log(`${run.meta.task} N=${n}: normR ${e.normalizedReward.toFixed(3)} normC ${e.normalizedCost.toFixed(3)} safeFrac ${e.safeFraction.toFixed(2)} (${e.seconds.toFixed(0)} s)`);
}
