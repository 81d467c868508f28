/**
 * The convergence measures RESULTS.md reports for a run, read back from its metrics.jsonl: the last measurement at or
 * before the end of the critic phase (critics-first only; the probe measures at exactly `criticSteps`) and the last
 * one of the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FisorConfig } from '../rl/fisor/config.js';
import type { ConvergenceMeasures } from '../rl/fisor/convergence.js';

export type ConvergenceAt = ConvergenceMeasures & { step: number };

export function readConvergence(outDir: string, cfg: Pick<FisorConfig, 'schedule' | 'criticSteps'>): { afterCritics?: ConvergenceAt; final?: ConvergenceAt } | undefined {
  const path = join(outDir, 'metrics.jsonl');
  if (!existsSync(path)) return undefined;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('"convergence"')).map((l) => JSON.parse(l) as ConvergenceAt);
  if (lines.length === 0) return undefined;
  const afterCritics = cfg.schedule === 'critics-first' ? lines.filter((l) => l.step <= cfg.criticSteps).pop() : undefined;
  return { afterCritics, final: lines[lines.length - 1] };
}
