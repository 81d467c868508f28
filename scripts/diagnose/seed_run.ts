/**
 * One (task, seed) run with the results script's protocol (data seed 0 with the config's recipe, evaluation
 * seed 2000 + seed with the safety monitor, PointRobot also the fixed start and the 60 feasible starts),
 * for single-seed experiments before a sweep. Prints one line per evaluation and writes OUTDIR/summary.json.
 * Resumes an interrupted training from its checkpoint; reuses a finished summary.json.
 *   npx tsx scripts/diagnose/seed_run.ts TASK SEED OUTDIR [--preset safe] [--set k=v ...] [--episodes 20]
 *     [--data-episodes N] (behaviour episodes to collect instead of the task's default: a data-size experiment)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect } from '../../rl/data/collect.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { CHECKPOINT_DIR, train } from '../../rl/fisor/train.js';
import type { EvalResult } from '../../rl/fisor/evaluate.js';
import { evaluateRun } from '../start_results.js';

const [task, seedArg, out] = process.argv.slice(2, 5);
if (!task || !seedArg || !out) throw new Error('usage: seed_run.ts TASK SEED OUTDIR [--preset P] [--set k=v ...] [--episodes N]');
const seed = Number(seedArg);
const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const sets: string[] = [];
for (let i = 0; i < process.argv.length; i++) if (process.argv[i] === '--set') sets.push(process.argv[i + 1]);
const preset = arg('--preset') ?? 'safe';
const E = Number(arg('--episodes') ?? 20);
const summaryPath = join(out, 'summary.json');
if (existsSync(summaryPath)) {
  process.stdout.write(readFileSync(summaryPath, 'utf8'));
  process.exit(0);
}
const cfg = resolveConfig({ preset, task, set: sets, overrides: { evalEpisodes: E, evalEvery: 0 } });
const dataEpisodes = arg('--data-episodes');
const ds = collect(task, { seed: 0, recipe: cfg.dataRecipe, ...(dataEpisodes ? { episodes: Number(dataEpisodes) } : {}) });
const t0 = performance.now();
const resume = existsSync(join(out, CHECKPOINT_DIR, 'manifest.json'));
const res = await train({ task, config: cfg, seed, outDir: out, dataset: ds, resume, overwrite: !resume, skipFinalEval: true });
const trainSeconds = (performance.now() - t0) / 1000;
const line = (e: EvalResult) => ({ normalizedReward: e.normalizedReward, normalizedCost: e.normalizedCost, safeFraction: e.safeFraction, monitor: { ...e.monitor, traces: undefined } });
const summary: Record<string, unknown> = { task, seed, preset, sets, dataEpisodes: dataEpisodes ? Number(dataEpisodes) : 'default', trainSeconds };
const ev = evaluateRun(res.agent, task, seed, E);
summary.random = line(ev.random);
if (ev.fixedStart) summary.fixedStart = line(ev.fixedStart);
if (ev.feasibleStarts) summary.feasibleStarts = line(ev.feasibleStarts);
if (ev.nearBoundaryStarts) summary.nearBoundaryStarts = line(ev.nearBoundaryStarts);
const conv = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"convergence"')).map((l) => JSON.parse(l));
summary.convergence = conv;
writeFileSync(summaryPath, JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify(summary));
