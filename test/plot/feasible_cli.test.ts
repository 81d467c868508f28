import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect } from '../../rl/data/collect.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { train } from '../../rl/fisor/train.js';
import { runCli as run } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-feas-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


const tinyRun = async (task: string, out: string) => {
  const config = resolveConfig({ preset: 'cpu', task, overrides: { steps: 2, batchSize: 16, criticBatchSize: 16, numSamples: 2 } });
  await train({ task, config, seed: 0, outDir: out, dataset: collect(task, { seed: 0, episodes: 3 }), skipFinalEval: true });
};

describe('fisor plot feasible', () => {
  it('keeps its flags, draws the fixed-start rollout by default, and --no-rollout leaves it out', async () => {
    const ck = join(dir, 'pr');
    await tinyRun('PointRobot', ck);
    const r = await run('plot', 'feasible', '--checkpoint', ck, '--grid', '24');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/v = 0\.5 m\/s, θ = π\/4\s+IoU\(infeasible\) \d\.\d{3}/);
    expect(r.out).toMatch(/rollout from the fixed start: \d+ steps, return -?\d+\.\d\d, cost \d+, goal (not )?reached/);
    for (const ext of ['svg', 'png', 'json']) expect(existsSync(join(ck, `feasible.${ext}`))).toBe(true);
    const json = JSON.parse(readFileSync(join(ck, 'feasible.json'), 'utf8'));
    expect(json.slices).toHaveLength(3);
    expect(json.rollout.steps).toBeGreaterThan(0);
    expect(readFileSync(join(ck, 'feasible.svg'), 'utf8')).toContain('rollout from fixed start');

    const base = join(dir, 'norollout');
    const n = await run('plot', 'feasible', '--checkpoint', ck, '--grid', '24', '--out', base, '--no-rollout');
    expect(n.code, n.err).toBe(0);
    expect(readFileSync(`${base}.svg`, 'utf8')).not.toContain('rollout');
    expect(JSON.parse(readFileSync(`${base}.json`, 'utf8')).rollout).toBeUndefined();
    expect((await run('plot', 'feasible', '--checkpoint', ck, '--grid', '1')).err).toMatch(/--grid must be in \[2, 4000\], got 1/);
  }, 180_000);

  it('refuses a checkpoint of another task', async () => {
    const ck = join(dir, 'bc');
    await tinyRun('BallCircle', ck);
    const r = await run('plot', 'feasible', '--checkpoint', ck);
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/needs a PointRobot checkpoint.*this one is BallCircle/)]);
  }, 120_000);
});
