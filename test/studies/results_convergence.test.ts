/**
 * scripts/results.ts's convergence columns come from readConvergence: the measurement at the end of the critic phase
 * (the probe runs at exactly criticSteps, so that step counts) and the run's last; a joint run has no critic phase.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConvergence } from '../../scripts/results_convergence.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-results-conv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run directory whose metrics.jsonl holds train lines and convergence lines at these steps (qhResidual = step / 1000). */
function runWith(name: string, convergenceSteps: number[]): string {
  const d = join(dir, name);
  mkdirSync(d);
  const lines: string[] = [];
  for (const step of [100, 200, 300, 400]) {
    lines.push(JSON.stringify({ type: 'train', step, actorLoss: 1 }));
    if (convergenceSteps.includes(step)) lines.push(JSON.stringify({ type: 'convergence', step, qhResidual: step / 1000, qrResidual: 0, vhSignAgreement: null, qhInRange: 1, vhAuc: null, feasibleFraction: 0.5 }));
  }
  writeFileSync(join(d, 'metrics.jsonl'), lines.join('\n') + '\n');
  return d;
}

describe('readConvergence', () => {
  it('critics-first: the measurement at exactly criticSteps is the end of the critic phase; the last line is final', () => {
    const d = runWith('cf', [100, 200, 300, 400]);
    const r = readConvergence(d, { schedule: 'critics-first', criticSteps: 200 })!;
    expect(r.afterCritics?.step).toBe(200);
    expect(r.afterCritics?.qhResidual).toBe(0.2);
    expect(r.final?.step).toBe(400);
    // Without a line at criticSteps, the last one before it.
    expect(readConvergence(runWith('cf2', [100, 300, 400]), { schedule: 'critics-first', criticSteps: 200 })!.afterCritics?.step).toBe(100);
    // None before it: no critic-phase row.
    expect(readConvergence(runWith('cf3', [300, 400]), { schedule: 'critics-first', criticSteps: 200 })!.afterCritics).toBeUndefined();
  });

  it('joint: no critic-phase row; a run without metrics or without convergence lines has none', () => {
    expect(readConvergence(runWith('joint', [100, 400]), { schedule: 'joint', criticSteps: 200 })).toEqual({ afterCritics: undefined, final: expect.objectContaining({ step: 400 }) });
    expect(readConvergence(runWith('none', []), { schedule: 'critics-first', criticSteps: 200 })).toBeUndefined();
    expect(readConvergence(join(dir, 'missing'), { schedule: 'critics-first', criticSteps: 200 })).toBeUndefined();
  });
});
