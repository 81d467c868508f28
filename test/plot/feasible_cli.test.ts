import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
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
    // The grid reaches the map, and the printed numbers are the map's (the mean over its three slices).
    expect(json.grid).toBe(24);
    expect(json.checkpointStep).toBe(2);
    for (const s of json.slices) {
      expect(r.out).toContain(`${s.label.padEnd(22)} IoU(infeasible) ${s.iou.toFixed(3)}  (learned ${(100 * s.learnedInfeasible).toFixed(1)}%, true ${(100 * s.trueInfeasible).toFixed(1)}% of cells)`);
    }
    expect(json.slices.some((s: { learnedInfeasible: number; trueInfeasible: number }) => (100 * s.learnedInfeasible).toFixed(1) !== (100 * s.trueInfeasible).toFixed(1))).toBe(true);
    expect(r.out).toContain(`mean IoU ${((json.slices[0].iou + json.slices[1].iou + json.slices[2].iou) / 3).toFixed(3)}\n`);
    // The default name steps aside for any of the three files, the numbers (.json) included.
    const kept = readFileSync(join(ck, 'feasible.json'), 'utf8');
    unlinkSync(join(ck, 'feasible.svg'));
    unlinkSync(join(ck, 'feasible.png'));
    const aside = await run('plot', 'feasible', '--checkpoint', ck, '--grid', '4', '--no-rollout');
    expect(aside.code, aside.err).toBe(0);
    expect(aside.out).toContain('feasible-2.json');
    expect(readFileSync(join(ck, 'feasible.json'), 'utf8')).toBe(kept);

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
