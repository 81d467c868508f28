/**
 * The baselines from the library's Node entry (fisor-ts/rl/node), as a researcher comparing FISOR with them from
 * code would use them: train one, load it back, evaluate it; the run records the package as `train` does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { setBackend } from '../../core/index.js';
import { collect, evaluate } from '../../rl/index.js';
import { algorithmDef, baselineNames, loadAlgorithm, resolveAlgoConfig, trainAlgorithm } from '../../rl/node.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-algo-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('trainAlgorithm / loadAlgorithm from rl/node: a bc-safe run trains, records the package, loads and evaluates the same', async () => {
  setBackend('js');
  expect(baselineNames()).toEqual(expect.arrayContaining(['bc-all', 'bc-safe', 'bcq-lag', 'bear-lag', 'cpq', 'coptidice', 'cdt']));
  const config = resolveAlgoConfig(algorithmDef('bc-safe'), { task: 'BallRun', set: ['hidden=[8]'], overrides: { steps: 4, batchSize: 8, evalEpisodes: 1, evalEvery: 0 } });
  const out = join(dir, 'bc');
  const res = await trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config, seed: 1, outDir: out, dataset: collect('BallRun', { transitions: 400, seed: 0 }) });
  expect(res.step).toBe(4);
  const written = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  expect(written.provenance.package).toMatch(/^fisor-ts@/);
  const { algorithm, meta, step } = await loadAlgorithm(out);
  expect([meta.algo, meta.task, step]).toEqual(['bc-safe', 'BallRun', 4]);
  const again = evaluate(algorithm, 'BallRun', { episodes: 1, seed: 5 });
  const first = evaluate(res.algorithm, 'BallRun', { episodes: 1, seed: 5 });
  expect(again.normalizedReward).toBe(first.normalizedReward);
});
