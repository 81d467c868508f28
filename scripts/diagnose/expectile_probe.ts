/**
 * How pessimistic V_h is at one feasibility expectile, measured on held-out behaviour data against what the
 * behaviour then did (no evaluation rollouts): trains the critic phase only (the preset's criticSteps, seed
 * SEED, training data seed 0) and prints one JSON line:
 *   - judgedInfeasible: share of held-out states with V_h > 0;
 *   - witnessedSafeJudgedInfeasible: of the states whose episode then ends without a violation (the behaviour
 *     itself witnesses that the state is feasible), the share V_h calls infeasible: a pessimism error;
 *   - violatingNowJudgedFeasible / violatingWithin10JudgedFeasible: of the states whose transition violates
 *     (or one of the next 9 does: within 10 steps), the share V_h calls feasible (not all are errors: a reckless behaviour
 *     violates from feasible states too);
 *   - aucFuture / aucWithin10: ROC AUC of V_h for "a violation later in the episode" / "within 10 steps".
 *   npx tsx scripts/diagnose/expectile_probe.ts TASK SEED TAU OUTDIR [--preset safe4]
 */
import { collect } from '../../rl/data/collect.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { train } from '../../rl/fisor/train.js';
import { prepareData } from '../../rl/fisor/data.js';
import { rocAuc, stepsToViolation, HELD_OUT_SEED_OFFSET } from '../../rl/fisor/convergence.js';

const [task, seedArg, tau, out] = process.argv.slice(2, 6);
if (!task || !seedArg || !tau || !out) throw new Error('usage: expectile_probe.ts TASK SEED TAU OUTDIR [--preset safe4]');
const pi = process.argv.indexOf('--preset');
const preset = pi > 0 ? process.argv[pi + 1] : 'safe4';
const cfg = resolveConfig({ preset, task, set: [`feasibilityExpectile=${tau}`], overrides: { evalEvery: 0 } });
const T = cfg.criticSteps;
if (cfg.schedule !== 'critics-first' || T <= 0) throw new Error(`expectile_probe.ts: preset ${preset} has no critic phase (schedule ${cfg.schedule}, criticSteps ${T})`);
const ds = collect(task, { seed: 0, recipe: cfg.dataRecipe });
const held = collect(task, { seed: HELD_OUT_SEED_OFFSET, recipe: cfg.dataRecipe });
const hd = prepareData(held, task, cfg);
const res = await train({
  task, config: { ...cfg, steps: T + 1, checkpointEvery: 0, convergenceEvery: 0 }, seed: Number(seedArg), outDir: out,
  dataset: ds, overwrite: true, skipFinalEval: true, stopAt: T,
});
const vh = res.agent.feasibilityValue(hd.observations);
const until = stepsToViolation(held.costs, hd.masks);
/** 1 where a violation happens at this transition or one of the next K - 1 of the same episode. */
const violationWithin = (K: number) => Uint8Array.from(until, (k) => (k < K ? 1 : 0));
const future = violationWithin(Infinity), now = violationWithin(1), within10 = violationWithin(10);
const share = (label: Uint8Array, want: 0 | 1, infeasible: boolean) => {
  let n = 0, hit = 0;
  for (let i = 0; i < vh.length; i++) if (label[i] === want) { n++; if ((vh[i] > 0) === infeasible) hit++; }
  return +(hit / n).toFixed(3);
};
let inf = 0;
for (const v of vh) if (v > 0) inf++;
console.log(JSON.stringify({
  task, seed: Number(seedArg), preset, tau: Number(tau), criticSteps: T, heldOutStates: vh.length,
  judgedInfeasible: +(inf / vh.length).toFixed(3),
  witnessedSafeJudgedInfeasible: share(future, 0, true),
  violatingNowJudgedFeasible: share(now, 1, false),
  violatingWithin10JudgedFeasible: share(within10, 1, false),
  aucFuture: +rocAuc(vh, future).toFixed(3), aucWithin10: +rocAuc(vh, within10).toFixed(3),
}));
process.exit(0);
