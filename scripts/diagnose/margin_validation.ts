/**
 * Chooses PointRobot's fallbackMargin without the evaluation's starts: re-evaluates a run's checkpoint, acting only,
 * with each margin on validation starts (`nearBoundaryStarts`: heading for a hazard, feasible by at most 0.2 in h,
 * generator seed NEAR_BOUNDARY_VALIDATION_SEED) and on random starts of validation seed 7 (the results use
 * 2000 + seed), printing violation-free episodes, reward and how often the grid acted.
 *   npx tsx scripts/diagnose/margin_validation.ts RUNDIR 0,0.02,0.05 [--starts 60] [--episodes 20]
 */
import { join } from 'node:path';
import { loadCheckpoint } from '../../nn/checkpoint.js';
import { applySet } from '../../rl/fisor/config.js';
import { evaluate, type EvalResult } from '../../rl/fisor/evaluate.js';
import { NEAR_BOUNDARY_VALIDATION_SEED, nearBoundaryStarts } from '../../rl/fisor/starts.js';
import { buildAgent, CHECKPOINT_DIR } from '../../rl/fisor/train.js';
import { checkpointMetadata } from '../../rl/fisor/train_meta.js';

const VALIDATION_EVAL_SEED = 7;
const args = process.argv.slice(2);
const [dir, list] = args;
if (!dir || !list) throw new Error('usage: margin_validation.ts RUNDIR m1,m2,... [--starts N] [--episodes N]');
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  const v = i > 0 ? Number(args[i + 1]) : dflt;
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`margin_validation.ts: ${name} must be a positive integer, got ${args[i + 1]}`);
  return v;
};
const nStarts = flag('--starts', 60);
const episodes = flag('--episodes', 20);
const margins = list.split(',').map(Number);
if (margins.some((m) => !(m >= 0))) throw new Error(`margin_validation.ts: margins must be numbers >= 0, got '${list}'`);

const ckpt = join(dir, CHECKPOINT_DIR);
const loaded = await loadCheckpoint(ckpt);
const meta = checkpointMetadata(loaded, ckpt);
if (meta.task !== 'PointRobot') throw new Error(`margin_validation.ts: a PointRobot run is needed, ${dir} is ${meta.task}`);
if (!(meta.config.fallbackGrid > 0)) throw new Error(`margin_validation.ts: ${dir} acts without the fallback grid (fallbackGrid 0); the margin needs it`);
const starts = nearBoundaryStarts(nStarts);
const text = (e: EvalResult) =>
  `${e.violationFree} of ${e.episodes.length} without a violation, reward ${e.normalizedReward.toFixed(3)}, cost ${e.normalizedCost.toFixed(3)}, grid on ${(100 * (e.monitor?.fallbackFraction ?? 0)).toFixed(1)} %`;
for (const m of margins) {
  const cfg = structuredClone(meta.config);
  applySet(cfg, `fallbackMargin=${m}`);
  const { agent } = buildAgent(cfg, meta.obsDim, meta.actDim, meta.seed);
  agent.loadState(loaded);
  agent.setRngStates(meta.rngs);
  const near = evaluate(agent, 'PointRobot', { episodes: starts.length, seed: NEAR_BOUNDARY_VALIDATION_SEED, starts, monitor: true });
  const random = evaluate(agent, 'PointRobot', { episodes, seed: VALIDATION_EVAL_SEED, monitor: true });
  console.log(`seed ${meta.seed} margin ${m}: near-boundary starts ${text(near)}; random starts ${text(random)}`);
}
