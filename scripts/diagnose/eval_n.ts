/** Evaluate a checkpoint with several N. npx tsx scripts/diagnose/eval_n.ts OUTDIR N1,N2 [episodes] [--fixed] */
import { loadAgent } from '../../rl/fisor/train.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { VALIDATION_EVAL_SEED } from '../../rl/fisor/starts.js';
const { agent, meta } = await loadAgent(process.argv[2]);
for (const n of process.argv[3].split(',').map(Number)) {
  const e = evaluate(agent, meta.task, { episodes: Number(process.argv[4] ?? 20), seed: VALIDATION_EVAL_SEED, numSamples: n, fixedStart: process.argv.includes('--fixed') });
  console.log(`${meta.task} N=${n}: normR ${e.normalizedReward.toFixed(3)} normC ${e.normalizedCost.toFixed(3)} safeFrac ${e.safeFraction.toFixed(2)} (${e.seconds.toFixed(0)} s)`);
}
