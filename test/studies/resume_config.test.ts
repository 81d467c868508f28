/**
 * The study scripts resume a cell's leftover checkpoint (an interrupted run), and train() resumes under the
 * checkpoint's own config: one made with other settings must be refused by name, not trained on and then saved
 * and reported under this invocation's config. One of this config is resumed, and reported with the whole run's
 * training time (train() times only the steps its own process ran).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect } from '../../rl/data/collect.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { train } from '../../rl/fisor/train.js';
import { parseArms, runAblations } from '../../scripts/ablations.js';
import { fisorHook } from '../../scripts/data_quantity.js';
import { checkResumeConfig, trainingSecondsFromMetrics } from '../../scripts/run_checks.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-resume-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = {
  steps: 4, criticSteps: 2, batchSize: 16, criticBatchSize: 16, criticHidden: [8], 'actor.hidden': 8, 'actor.blocks': 1,
  'actor.timeFeatures': 4, 'actor.timeHidden': 8, logEvery: 2, convergenceEvery: 0, checkpointEvery: 0, evalEvery: 0,
};
const task = 'BallCircle';
const ds = collect(task, { seed: 0, episodes: 6 });

describe('a leftover checkpoint of another config is not resumed', () => {
  it('checkResumeConfig names the differing key, another seed, and passes an equal config or no checkpoint', async () => {
    const cfg = resolveConfig({ preset: 'safe', task, overrides: tiny });
    const run = join(dir, 'plain');
    checkResumeConfig(run, task, 0, cfg, 'fix it');
    await train({ task, config: cfg, seed: 0, outDir: run, dataset: ds, skipFinalEval: true });
    checkResumeConfig(run, task, 0, cfg, 'fix it');
    expect(() => checkResumeConfig(run, task, 0, { ...cfg, steps: 6 }, 'fix it')).toThrow(/manifest\.json was trained with another config \(differs in steps\); fix it/);
    expect(() => checkResumeConfig(run, task, 1, cfg, 'fix it')).toThrow(/manifest\.json is BallCircle seed 0, not BallCircle seed 1; fix it/);
  }, 60_000);

  it('scripts/ablations.ts refuses a cell checkpoint trained with other --steps', async () => {
    const work = join(dir, 'abl');
    const old = resolveConfig({ preset: 'safe', task, overrides: { ...tiny, vhExpectile: 'plain' } });
    await train({ task, config: old, seed: 0, outDir: join(work, 'vh-plain', task, 'seed0', 'run'), dataset: ds, skipFinalEval: true });
    const r = await runAblations({
      tasks: [task], seeds: [0], arms: parseArms('vh-plain'), preset: 'safe', baseOverrides: { ...tiny, steps: 6 }, episodes: 1, evalSeedBase: 2000,
      work, report: join(dir, 'S.md'), json: join(dir, 's.json'), figures: join(dir, 'fig'), command: 'test', datasetFor: () => ds, log: () => {},
    });
    expect(r.cells).toEqual([]);
    expect(r.failures.map((f) => f.error)).toEqual([expect.stringMatching(/was trained with another config \(differs in steps\); use another --work directory/)]);
  }, 60_000);

  it('scripts/data_quantity.ts refuses a cell checkpoint trained with other --steps', async () => {
    const outDir = join(dir, 'dq', 'run');
    // The hook resolves the preset with --steps only: the cpu preset (joint schedule) takes any step count.
    await train({ task, config: resolveConfig({ preset: 'cpu', task, overrides: { steps: 4 } }), seed: 0, outDir, dataset: ds, skipFinalEval: true });
    await expect(fisorHook({ task, dataset: ds, seed: 0, outDir, steps: 6, preset: 'cpu', episodes: 1, evalSeed: 2000 })).rejects.toThrow(/was trained with another config \(differs in steps\); use another --work directory/);
    expect(existsSync(join(outDir, 'checkpoint', 'manifest.json'))).toBe(true);
  }, 60_000);
});

describe("a resumed cell reports the whole run's training time", () => {
  it('scripts/data_quantity.ts (FISOR hook)', async () => {
    const outDir = join(dir, 'dq-resume', 'run');
    const config = resolveConfig({ preset: 'cpu', task, overrides: { steps: 4 } });
    const first = await train({ task, config, seed: 0, outDir, dataset: ds, stopAt: 2, skipFinalEval: true });
    expect(first.interrupted).toBe(true);
    const r = await fisorHook({ task, dataset: ds, seed: 0, outDir, steps: 4, preset: 'cpu', episodes: 1, evalSeed: 2000 });
    expect(r.steps).toBe(4);
    expect(r.trainSeconds).toBeGreaterThan(0);
    expect(r.trainSeconds).toBeCloseTo(trainingSecondsFromMetrics(join(outDir, 'metrics.jsonl')), 9);
  }, 60_000);

  it('scripts/ablations.ts (a full arm)', async () => {
    const work = join(dir, 'abl-resume');
    const cfg = resolveConfig({ preset: 'safe', task, overrides: { ...tiny, vhExpectile: 'plain' } });
    const run = join(work, 'vh-plain', task, 'seed0', 'run');
    const first = await train({ task, config: cfg, seed: 0, outDir: run, dataset: ds, stopAt: 3, skipFinalEval: true });
    expect(first.interrupted).toBe(true);
    const r = await runAblations({
      tasks: [task], seeds: [0], arms: parseArms('vh-plain'), preset: 'safe', baseOverrides: tiny, episodes: 1, evalSeedBase: 2000,
      work, report: join(dir, 'S2.md'), json: join(dir, 's2.json'), figures: join(dir, 'fig2'), command: 'test', datasetFor: () => ds, log: () => {},
    });
    expect(r.failures).toEqual([]);
    expect(r.cells).toHaveLength(1);
    expect(r.cells[0].trainSeconds).toBeGreaterThan(0);
    expect(r.cells[0].trainSeconds).toBeCloseTo(trainingSecondsFromMetrics(join(run, 'metrics.jsonl')), 9);
  }, 60_000);
});
