/**
 * Is imitation from the observation safe when the imitated behaviour is? Collects EPISODES episodes of ONE scripted
 * PointGoal1 behaviour (a fixed risk and action noise; fed by the lidar, as the 'observed' recipe's, or by the env's
 * state), clones it with BC-Safe's network (every trajectory kept), and evaluates the clone on validation episodes
 * (evaluation seed VALIDATION_EVAL_SEED, never the results'). Prints the behaviour's own mean episode cost beside the
 * clone's normalized reward / cost. Round 15 of docs/results-diagnosis.md.
 *   npx tsx scripts/diagnose/bc_single_behaviour.ts [--risk 0] [--noise 0.1] [--fed lidar|state] [--episodes 100]
 *     [--steps 3000] [--hidden 128,128] [--seeds 0,1] [--eval-episodes 40]
 */
import { Rng } from '../../core/rng.js';
import { emptyDataset } from '../../rl/data/dataset.js';
import { makeBehaviourPolicy } from '../../rl/data/policies.js';
import { makeEnv } from '../../rl/envs/registry.js';
import { taskReference } from '../../rl/envs/reference.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { VALIDATION_EVAL_SEED } from '../../rl/fisor/starts.js';
import { BC_SAFE_DEFAULTS, trainBcSafe } from '../bc_safe.js';

const USAGE = 'usage: bc_single_behaviour.ts [--risk R] [--noise N] [--fed lidar|state] [--episodes E] [--steps S] [--hidden 128,128] [--seeds 0,1] [--eval-episodes 40]';
const opts: Record<string, string> = { risk: '0', noise: '0.1', fed: 'lidar', episodes: '100', steps: String(BC_SAFE_DEFAULTS.steps), hidden: BC_SAFE_DEFAULTS.hidden.join(','), seeds: '0,1', 'eval-episodes': '40' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const key = args[i].replace(/^--/, '');
  if (!args[i].startsWith('--') || !(key in opts)) throw new Error(`bc_single_behaviour.ts: unknown argument '${args[i]}'; ${USAGE}`);
  if (args[i + 1] === undefined) throw new Error(`bc_single_behaviour.ts: ${args[i]} needs a value; ${USAGE}`);
  opts[key] = args[i + 1];
}
const wholeList = (name: string, min: number): number[] => {
  const v = opts[name].split(',').map(Number);
  if (v.some((x) => !(Number.isInteger(x) && x >= min))) throw new Error(`bc_single_behaviour.ts: --${name} must be whole numbers >= ${min}, got '${opts[name]}'`);
  return v;
};
const risk = Number(opts.risk), noise = Number(opts.noise);
if (!(risk >= 0 && risk <= 1)) throw new Error(`bc_single_behaviour.ts: --risk must be in [0, 1], got '${opts.risk}'`);
if (!(noise >= 0)) throw new Error(`bc_single_behaviour.ts: --noise must be >= 0, got '${opts.noise}'`);
if (opts.fed !== 'lidar' && opts.fed !== 'state') throw new Error(`bc_single_behaviour.ts: --fed must be 'lidar' or 'state', got '${opts.fed}'`);
const [episodes] = wholeList('episodes', 1), [steps] = wholeList('steps', 1), [evalEpisodes] = wholeList('eval-episodes', 1);
const hidden = wholeList('hidden', 1), seeds = wholeList('seeds', 0);

const task = 'PointGoal1';
const T = taskReference(task).maxEpisodeSteps;
const env = makeEnv(task, { seed: 0 });
const S = env.observationSize, A = env.actionSize;
const ds = emptyDataset(episodes * T, S, A, true);
const rng = new Rng(0);
const act = new Float64Array(A);
let n = 0, cost = 0;
for (let e = 0; e < episodes; e++) {
  const policy = makeBehaviourPolicy(task, { kind: 'scripted', risk, noise }, new Rng(rng.nextU32()), opts.fed === 'lidar');
  let obs = env.reset({ seed: rng.nextU32() });
  for (let t = 0; t < T; t++) {
    policy.act(env, act);
    const r = env.step(act);
    ds.observations.set(obs, n * S);
    ds.nextObservations.set(r.observation, n * S);
    for (let k = 0; k < A; k++) ds.actions[n * A + k] = Math.max(-1, Math.min(1, act[k]));
    ds.rewards[n] = r.reward;
    ds.costs[n] = r.cost;
    ds.timeouts[n] = t === T - 1 ? 1 : 0;
    ds.h![n] = r.info.h ?? 0;
    cost += r.cost;
    obs = r.observation;
    n++;
  }
}
console.log(`${episodes} episodes of the ${opts.fed}-fed behaviour, risk ${risk}, noise ${noise}: mean episode cost ${(cost / episodes).toFixed(2)} (normalized ${(cost / episodes / taskReference(task).kappa).toFixed(3)})`);
for (const seed of seeds) {
  const clone = trainBcSafe(task, ds, seed, { ...BC_SAFE_DEFAULTS, steps, hidden, maxCost: Infinity });
  const r = evaluate(clone, task, { episodes: evalEpisodes, seed: VALIDATION_EVAL_SEED });
  console.log(`  clone (${steps} steps, hidden ${hidden.join('x')}) seed ${seed}: reward ${r.normalizedReward.toFixed(3)} cost ${r.normalizedCost.toFixed(3)}, ${r.violationFree} of ${evalEpisodes} without a violation`);
}
