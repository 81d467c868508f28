/**
 * `fisor eval`: two paths the other eval tests do not take. A baseline's checkpoint (rl/cli/eval_algo.ts) gets
 * --fixed-start; a FISOR checkpoint whose metadata records no cost limit (written before runs recorded one) is
 * scored with the task's kappa, and its result file says so.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../core/index.js';
import { metadataChecksum } from '../../nn/checkpoint.js';
import { resolveAlgoConfig } from '../../rl/algos/config.js';
import { algorithmDef } from '../../rl/algos/registry.js';
import { loadAlgorithm, trainAlgorithm } from '../../rl/algos/train.js';
import { collect } from '../../rl/data/collect.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { runCli as run, tinyFisorFlags, writeSmallPointRobotData } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-evalflags-'));
const data = join(dir, 'pr.hdf5');
beforeAll(async () => {
  await writeSmallPointRobotData(data);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fisor eval of a baseline's checkpoint", () => {
  it('--fixed-start reaches the evaluation: the episodes are those from the fixed start, not from random resets', async () => {
    setBackend('js');
    const out = join(dir, 'bc');
    const config = resolveAlgoConfig(algorithmDef('bc-all'), { task: 'PointRobot', set: ['hidden=[8]'], overrides: { steps: 3, batchSize: 8, evalEpisodes: 1, logEvery: 3, evalEvery: 0, checkpointEvery: 3 } });
    await trainAlgorithm({ algo: 'bc-all', task: 'PointRobot', config, seed: 2, outDir: out, dataset: collect('PointRobot', { transitions: 300, seed: 3 }) });
    const r = await run('eval', '--checkpoint', out, '--episodes', '2', '--seed', '7', '--fixed-start', '--backend', 'js', '--quiet');
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(readFileSync(join(out, 'eval-7-fixed.json'), 'utf8'));
    const replay = async (fixedStart: boolean) => {
      const { algorithm, meta } = await loadAlgorithm(out);
      algorithm.seedActing?.(7);
      return evaluate(algorithm, 'PointRobot', { episodes: 2, seed: 7, fixedStart, costLimit: meta.config.costLimit }).episodes;
    };
    const fixed = await replay(true);
    expect(got.episodes).toEqual(fixed);
    // The fixed start changes these episodes, so the comparison above sees the flag arrive.
    expect(fixed).not.toEqual(await replay(false));
    expect(r.out).toMatch(/bc-all on PointRobot \(checkpoint step 3, 2 episodes, fixed start\):/);
  });
});

describe('fisor eval of a FISOR checkpoint that records no cost limit', () => {
  it("scores with the task's kappa (PointRobot: 10) and writes that kappa into the result file", async () => {
    const out = join(dir, 'legacy');
    expect((await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--steps', '2', '--cost-limit', '5', ...tinyFisorFlags(1))).code).toBe(0);
    // As a run from before the cost limit was recorded: the field removed, the metadata checksum redone.
    const manifestPath = join(out, 'checkpoint', 'manifest.json');
    const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(m.metadata.costLimit).toBe(5);
    delete m.metadata.costLimit;
    m.metadataChecksum = metadataChecksum(m.step, m.metadata);
    writeFileSync(manifestPath, JSON.stringify(m));
    const r = await run('eval', '--checkpoint', out, '--episodes', '2', '--seed', '7', '--backend', 'js', '--quiet');
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(readFileSync(join(out, 'eval-7.json'), 'utf8'));
    expect(got.costLimit).toBe(10);
    for (const e of got.episodes) expect(e.normalizedCost).toBeCloseTo(e.cost / 10, 12);
    expect(r.out).toMatch(/PointRobot \(checkpoint step 2, 2 episodes, cost limit 10\):/);
  });
});
