/**
 * scripts/baselines.ts bookkeeping: an entry already in the results file is kept, not rerun, so one evaluated on
 * another --episodes is refused rather than reported as made with it; --merge refuses two different entries of one
 * (algo, task, seed) instead of silently keeping the first; a run resumed from an interrupted checkpoint records the
 * whole run's training time (the only test here that trains: CDT's cpu preset, 400 steps, on BallRun).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from '../helpers/run_script.js';
import { setBackend } from '../../core/index.js';
import { resolveAlgoConfig } from '../../rl/algos/config.js';
import { algorithmDef } from '../../rl/algos/registry.js';
import { trainAlgorithm } from '../../rl/algos/train.js';
import { trainingSecondsFromMetrics } from '../../scripts/run_checks.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-baselines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = fileURLToPath(new URL('../../scripts/baselines.ts', import.meta.url));
const entry = (normalizedReward: number, episodes = 20) => ({
  algo: 'bc-safe', task: 'BallRun', seed: 0, steps: 100, episodes, normalizedReward, normalizedCost: 0.2, safeFraction: 1, trainSeconds: 1, wallSeconds: 2, backend: 'wasm', dataRecipe: 'fixed',
});
const file = (name: string, entries: object[]) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ description: 'x', command: [], entries }));
  return path;
};
const baselines = (...args: string[]) => runScript(script, [...args, '--report', join(dir, 'r.md'), '--figures', join(dir, 'fig')]);

describe('scripts/baselines.ts keeps one entry per (algo, task, seed)', () => {
  it('refuses to extend a file whose entry was evaluated on another number of episodes, before training anything', async () => {
    const json = file('twenty.json', [entry(0.1)]);
    const before = readFileSync(json, 'utf8');
    const r = await baselines('--algos', 'bc-safe', '--tasks', 'BallRun', '--seeds', '1', '--episodes', '5', '--json', json, '--runs', join(dir, 'runs'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/bc-safe BallRun seed 0 was evaluated on 20 episodes, not --episodes 5; pass --episodes 20, or another --json/);
    expect(readFileSync(json, 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'r.md'))).toBe(false);
  }, 60_000);

  it('--merge refuses the same (algo, task, seed) with other values, and accepts an identical copy', async () => {
    const mine = file('mine.json', [entry(0.1)]);
    const before = readFileSync(mine, 'utf8');
    let r = await baselines('--report-only', '--json', mine, '--merge', file('other.json', [entry(0.3, 5)]));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--merge: .*other\.json holds bc-safe BallRun seed 0 with another result than .*mine\.json \(episodes 20 vs 5, normalizedReward 0\.1 vs 0\.3\)/);
    expect(readFileSync(mine, 'utf8')).toBe(before);
    // A rerun with the same result (other timings and commit, fields in another order) is the same run: kept once.
    const { wallSeconds: _w, ...rest } = { ...entry(0.1), trainSeconds: 9, commit: 'f'.repeat(40) };
    r = await baselines('--report-only', '--json', mine, '--merge', file('rerun.json', [{ wallSeconds: 7, ...rest }]));
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(readFileSync(mine, 'utf8')) as { entries: unknown[] }).entries).toEqual([entry(0.1)]);
  }, 60_000);

  it("a run resumed from an interrupted checkpoint records the whole run's training time, not only the resumed part's", async () => {
    setBackend('wasm');
    const runs = join(dir, 'runs-resume');
    const outDir = join(runs, 'cdt-BallRun-s0');
    // The config baselines.ts resolves for --episodes 1, interrupted half-way as a Ctrl-C would leave it.
    const config = resolveAlgoConfig(algorithmDef('cdt'), { preset: 'cpu', task: 'BallRun', overrides: { evalEpisodes: 1, evalEvery: 0 } });
    const half = config.steps / 2;
    const first = await trainAlgorithm({ algo: 'cdt', task: 'BallRun', config, seed: 0, outDir, stopAt: half, dataRecipe: 'fixed' });
    expect(first.interrupted).toBe(true);
    const json = join(dir, 'resumed.json');
    const r = await runScript(script, ['--algos', 'cdt', '--tasks', 'BallRun', '--seeds', '1', '--episodes', '1', '--json', json, '--runs', runs,
      '--report', join(dir, 'resumed.md'), '--figures', join(dir, 'fig-resumed')], { ...process.env, FISOR_BACKEND: 'wasm' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cdt BallRun seed 0: 400 steps \(resuming\)/);
    const [e] = (JSON.parse(readFileSync(json, 'utf8')) as { entries: { steps: number; trainSeconds: number; commit?: string }[] }).entries;
    expect(e.steps).toBe(config.steps);
    // The code that made the entry (none in a source tree without .git, e.g. a git archive).
    if (existsSync(fileURLToPath(new URL('../../.git', import.meta.url)))) expect(e.commit).toMatch(/^[0-9a-f]{40}(\+dirty)?$/);
    else expect(e.commit).toBeUndefined();
    const metrics = join(outDir, 'metrics.jsonl');
    const beforeResume = trainingSecondsFromMetrics(metrics, half);
    expect(beforeResume).toBeGreaterThan(0);
    expect(e.trainSeconds).toBeCloseTo(trainingSecondsFromMetrics(metrics), 9);
    expect(e.trainSeconds).toBeGreaterThan(beforeResume);
  }, 120_000);
});
