/**
 * The numbers docs/BASELINES_RESULTS.md publishes, from a results file with hand-chosen values
 * (scripts/baselines.ts --report-only): cells are mean ± sample std over seeds, safe iff mean cost <= 1, bold = best
 * safe reward, one seed printed without a spread, the seed counts, the safe-task counts and the per-seed table.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from '../helpers/run_script.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-baselines-numbers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const script = fileURLToPath(new URL('../../scripts/baselines.ts', import.meta.url));

describe('BASELINES_RESULTS.md numbers (scripts/baselines.ts --report-only)', () => {
  it('cells are mean ± sample std over seeds, bold = best safe reward (an unsafe cell with the same reward is not), one seed without spread, per-seed rows', async () => {
    const e = (algo: string, seed: number, normalizedReward: number, normalizedCost: number, safeFraction = 1) => ({
      algo, task: 'BallRun', seed, steps: 100, episodes: 20, normalizedReward, normalizedCost, safeFraction, trainSeconds: 1, wallSeconds: 1, backend: 'wasm', dataRecipe: 'fixed',
    });
    const json = join(dir, 'baselines.json');
    writeFileSync(json, JSON.stringify({ description: 'x', command: [], entries: [
      // bc-all: safe (cost exactly 1 on average), reward 0.5 ± 0.25, bold.
      e('bc-all', 0, 0.25, 0.5, 0.75), e('bc-all', 1, 0.5, 1.5), e('bc-all', 2, 0.75, 1.0),
      // bc-safe: higher reward but unsafe; two seeds.
      e('bc-safe', 0, 0.9, 1.0), e('bc-safe', 1, 0.8, 1.5),
      // cpq: the best safe reward exactly, but unsafe: not bold.
      e('cpq', 0, 0.5, 3),
      // cdt: one seed, safe, lower reward.
      e('cdt', 0, 0.1, 0.25),
    ] }));
    const report = join(dir, 'BASELINES.md');
    const r = await runScript(script, ['--report-only', '--json', json, '--report', report, '--figures', join(dir, 'bfig')]);
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(report, 'utf8').split('\n');
    expect(lines).toContain('| BallRun | **0.50 ± 0.25** / 1.00 ± 0.50 | 0.85 ± 0.07 / 1.25 ± 0.35 † (2 seeds) | 0.50 / 3.00 † (1 seed) | 0.10 / 0.25 (1 seed) |');
    expect(lines).toContain('- bc-all: safe on 1 of 1 task(s) run.');
    expect(lines).toContain('- bc-safe: safe on 0 of 1 task(s) run (unsafe: BallRun).');
    expect(lines).toContain('- cpq: safe on 0 of 1 task(s) run (unsafe: BallRun).');
    expect(lines).toContain('| bc-all | BallRun | 0 | 100 | 0.250 | 0.500 | 75% | 1.0s | wasm |');
  }, 60_000);
});
