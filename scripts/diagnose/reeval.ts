/**
 * Re-evaluate a run's checkpoint with acting-time config changes, on the episodes the results script used
 * (scripts/start_results.ts's evaluateRun: random starts, PointRobot also its fixed start, the 60
 * ground-truth-feasible starts and the 60 near-boundary starts), with the safety monitor. Training is not repeated: only keys that
 * act at evaluation (acting_agent.ts ACTING_KEYS: numSamples, fallbackGrid, fallbackMargin, violatingChoice,
 * modeCandidate, modeMargin, modeEstimate, actor.temperature) may be changed.
 *   npx tsx scripts/diagnose/reeval.ts RUNDIR [--set fallbackGrid=3] [--set numSamples=16] [--episodes 20]
 */
import { evaluateRun } from '../start_results.js';
import { evalText, loadActingRun } from './acting_agent.js';

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
const run = await loadActingRun(dir, 'reeval.ts');
const { meta } = run;
const agent = run.agentWith(sets);
const label = `${meta.task} seed ${meta.seed}${sets.length ? ` (${sets.join(', ')})` : ''}`;
const ev = evaluateRun(agent, meta.task, meta.seed, episodes);
console.log(`${label} random starts: ${evalText(ev.random)}`);
if (ev.fixedStart) console.log(`${label} fixed start: ${evalText(ev.fixedStart)}`);
if (ev.feasibleStarts) console.log(`${label} feasible starts: ${evalText(ev.feasibleStarts)}`);
if (ev.nearBoundaryStarts) console.log(`${label} near-boundary starts: ${evalText(ev.nearBoundaryStarts)}`);
