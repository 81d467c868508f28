/**
 * Re-evaluate a run's checkpoint with acting-time config changes, on the episodes the results script used
 * (scripts/start_results.ts's evaluateRun: random starts, PointRobot also its fixed start and the 60
 * ground-truth-feasible starts), with the safety monitor. Training is not repeated: only keys that
 * act at evaluation (numSamples, fallbackGrid, fallbackMargin, violatingChoice) may be changed.
 *   npx tsx scripts/diagnose/reeval.ts RUNDIR [--set fallbackGrid=3] [--set numSamples=16] [--episodes 20]
 */
import { join } from 'node:path';
import { loadCheckpoint } from '../../nn/checkpoint.js';
import { applySet } from '../../rl/fisor/config.js';
import type { EvalResult } from '../../rl/fisor/evaluate.js';
import { buildAgent, CHECKPOINT_DIR } from '../../rl/fisor/train.js';
import { checkpointMetadata } from '../../rl/fisor/train_meta.js';
import { evaluateRun } from '../start_results.js';

const ACTING_KEYS = new Set(['numSamples', 'fallbackGrid', 'fallbackMargin', 'violatingChoice']);
const args = process.argv.slice(2);
const dir = args[0];
if (!dir || dir.startsWith('--')) throw new Error('usage: reeval.ts RUNDIR [--set key=value ...] [--episodes N]');
const sets: string[] = [];
let episodes = 20;
for (let i = 1; i < args.length; i += 2) {
  if (args[i] === '--set') sets.push(args[i + 1]);
  else if (args[i] === '--episodes') episodes = Number(args[i + 1]);
  else throw new Error(`reeval.ts: unknown argument '${args[i]}'`);
}
const ckpt = join(dir, CHECKPOINT_DIR);
const loaded = await loadCheckpoint(ckpt);
const meta = checkpointMetadata(loaded, ckpt);
const cfg = structuredClone(meta.config);
for (const s of sets) {
  const key = s.split('=')[0];
  if (!ACTING_KEYS.has(key)) throw new Error(`reeval.ts: '${key}' changes training, not acting; only ${[...ACTING_KEYS].join(', ')} can be re-evaluated`);
  applySet(cfg, s);
}
const { agent } = buildAgent(cfg, meta.obsDim, meta.actDim, meta.seed);
agent.loadState(loaded);
agent.setRngStates(meta.rngs);
const text = (e: EvalResult) =>
  `reward ${e.normalizedReward.toFixed(3)} cost ${e.normalizedCost.toFixed(3)}, ${e.violationFree} of ${e.episodes.length} without a violation, fallback on ${(100 * (e.monitor?.fallbackFraction ?? 0)).toFixed(1)} % of steps, Q_r choice while violating on ${(100 * (e.monitor?.rewardChoiceFraction ?? 0)).toFixed(2)} %`;
const label = `${meta.task} seed ${meta.seed}${sets.length ? ` (${sets.join(', ')})` : ''}`;
const ev = evaluateRun(agent, meta.task, meta.seed, episodes);
console.log(`${label} random starts: ${text(ev.random)}`);
if (ev.fixedStart) console.log(`${label} fixed start: ${text(ev.fixedStart)}`);
if (ev.feasibleStarts) console.log(`${label} feasible starts: ${text(ev.feasibleStarts)}`);
