/**
 * Chooses PointRobot's fallbackMargin without the evaluation's starts: re-evaluates a run's checkpoint, acting only,
 * with each margin on validation starts (`nearBoundaryStarts`: heading for a hazard, feasible by at most 0.2 in h,
 * generator seed NEAR_BOUNDARY_VALIDATION_SEED), on ground-truth-feasible starts of another generator
 * (FEASIBLE_VALIDATION_SEED; the results' use FEASIBLE_STARTS_SEED) and on random starts of validation seed 7 (the
 * results use 2000 + seed). Each evaluation starts from the checkpoint's saved random streams, so every margin sees the same
 * draws. Prints violation-free episodes, reward, and how often the grid acted.
 *   npx tsx scripts/diagnose/margin_validation.ts RUNDIR 0,0.02,0.05 [--starts 60] [--feasible 60] [--episodes 20] [--set k=v ...]
 * (--set: other acting keys, e.g. fallbackGrid=5, applied with every margin).
 */
import { evaluate } from '../../rl/fisor/evaluate.js';
import { FEASIBLE_VALIDATION_SEED, NEAR_BOUNDARY_VALIDATION_SEED, VALIDATION_EVAL_SEED, feasibleStarts, nearBoundaryStarts } from '../../rl/fisor/starts.js';
import { evalText, loadActingRun } from './acting_agent.js';

const USAGE = 'usage: margin_validation.ts RUNDIR m1,m2,... [--starts N] [--feasible N] [--episodes N] [--set k=v ...]';
const args = process.argv.slice(2);
const [dir, list] = args;
if (!dir || !list || dir.startsWith('--') || list.startsWith('--')) throw new Error(USAGE);
const counts: Record<string, number> = { '--starts': 60, '--feasible': 60, '--episodes': 20 };
const extra: string[] = [];
for (let i = 2; i < args.length; i += 2) {
  if (args[i] === '--set' && args[i + 1] !== undefined) {
    extra.push(args[i + 1]);
    continue;
  }
  if (!(args[i] in counts)) throw new Error(`margin_validation.ts: unknown argument '${args[i]}'; ${USAGE}`);
  const v = Number(args[i + 1]);
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`margin_validation.ts: ${args[i]} must be a positive integer, got '${args[i + 1]}'`);
  counts[args[i]] = v;
}
const margins = list.split(',').map((m) => (m.trim() === '' ? NaN : Number(m)));
if (margins.some((m) => !(m >= 0))) throw new Error(`margin_validation.ts: margins must be numbers >= 0, comma-separated, got '${list}'`);

const run = await loadActingRun(dir, 'margin_validation.ts');
const { meta } = run;
if (meta.task !== 'PointRobot') throw new Error(`margin_validation.ts: a PointRobot run is needed, ${dir} is ${meta.task}`);
if (!(meta.config.fallbackGrid > 0) && !extra.some((e) => e.startsWith('fallbackGrid='))) throw new Error(`margin_validation.ts: ${dir} acts without the fallback grid (fallbackGrid 0); the margin needs it`);
const starts = nearBoundaryStarts(counts['--starts']);
const feasible = feasibleStarts(counts['--feasible'], FEASIBLE_VALIDATION_SEED);
for (const m of margins) {
  const sets = [...extra, `fallbackMargin=${m}`];
  const near = evaluate(run.agentWith(sets), 'PointRobot', { episodes: starts.length, seed: NEAR_BOUNDARY_VALIDATION_SEED, starts, monitor: true });
  const feas = evaluate(run.agentWith(sets), 'PointRobot', { episodes: feasible.length, seed: FEASIBLE_VALIDATION_SEED, starts: feasible, monitor: true });
  const random = evaluate(run.agentWith(sets), 'PointRobot', { episodes: counts['--episodes'], seed: VALIDATION_EVAL_SEED, monitor: true });
  console.log(`seed ${meta.seed}${extra.length ? ` (${extra.join(', ')})` : ''} margin ${m}: near-boundary starts ${evalText(near)}; feasible starts ${evalText(feas)}; random starts ${evalText(random)}`);
}
