/**
 * Collect the default dataset of every task (seed 0) and print a markdown summary table.
 * Usage: npx tsx rl/data/summarize.ts [--seed S]
 * The R_min / R_max columns are what rl/envs/reference.ts records (rounded outward to 2 decimals).
 */
import { pathToFileURL } from 'node:url';
import { TASK_NAMES, taskReference } from '../envs/reference.js';
import { collect } from './collect.js';
import { summarizeDataset } from './dataset.js';

const f2 = (v: number): string => v.toFixed(2);

export function summarizeAll(seed = 0): string {
  const lines = [
    '| task | transitions | trajectories | return min | return median | return max | cost min | cost median | cost max | cost <= 10 | collection time |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const task of TASK_NAMES) {
    const t0 = performance.now();
    const ds = collect(task, { seed });
    const sec = (performance.now() - t0) / 1000;
    const s = summarizeDataset(ds, taskReference(task).kappa);
    lines.push(
      `| ${task} | ${s.transitions} | ${s.trajectories} | ${f2(s.returns.min)} | ${f2(s.returns.median)} | ${f2(s.returns.max)} | ${s.costs.min} | ${s.costs.median} | ${s.costs.max} | ${(100 * s.fractionSafe).toFixed(1)}% | ${sec.toFixed(2)} s |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--seed');
  const raw = i >= 0 ? process.argv[i + 1] : '0';
  // Number('') is 0 and Number(undefined) NaN: a missing or empty value would have summarised seed 0 or failed in Rng.
  if (raw === undefined || !/^\d+$/.test(raw)) {
    console.error(`summarize.ts: --seed must be a whole number >= 0, got ${raw === undefined ? 'nothing' : `'${raw}'`}`);
    process.exit(2);
  }
  console.log(summarizeAll(Number(raw)));
}
