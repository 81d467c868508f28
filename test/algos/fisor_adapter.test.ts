/** FISOR through the common loop equals FISOR's own loop, bit for bit, with the same seed. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { resolveAlgoConfig } from '../../rl/algos/config.js';
import { FISOR_DEF } from '../../rl/algos/fisor_adapter.js';
import { algoMetadata, CHECKPOINT_DIR, trainAlgorithm } from '../../rl/algos/train.js';
import { loadCheckpoint } from '../../nn/index.js';
import { train } from '../../rl/fisor/train.js';
import { KEYS_ADDED_LATER, presetConfig } from '../../rl/fisor/config.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'fisor-adapter-'));
  dirs.push(d);
  return d;
};

it('the adapter reproduces rl/fisor/train.ts (weights and evaluation)', async () => {
  const cfg = resolveAlgoConfig(FISOR_DEF, {
    task: 'BallRun',
    set: ['actor.hidden=8', 'actor.blocks=1', 'actor.timeFeatures=4', 'actor.timeHidden=8', 'criticHidden=[8]', 'numSamples=2', 'criticUpdates=2'],
    overrides: { steps: 3, batchSize: 8, criticBatchSize: 8, evalEpisodes: 2, logEvery: 1 },
  });
  const a = await train({ task: 'BallRun', config: cfg, seed: 3, outDir: tmp() });
  const b = await trainAlgorithm({ algo: 'fisor', task: 'BallRun', config: cfg, seed: 3, outDir: tmp() });
  const wa = a.agent.stateTensors(), wb = b.algorithm.stateTensors();
  expect(Object.keys(wb)).toEqual(Object.keys(wa));
  for (const k of Object.keys(wa)) expect(wb[k].toFlatArray(), k).toEqual(wa[k].toFlatArray());
  expect(b.lastEval!.normalizedReward).toBe(a.lastEval!.normalizedReward);
});

it("the adapter reproduces train() under the 'critics-first' schedule too (the loop passes the iteration index)", async () => {
  const cfg = resolveAlgoConfig(FISOR_DEF, {
    task: 'BallRun',
    set: ['actor.hidden=8', 'actor.blocks=1', 'actor.timeFeatures=4', 'actor.timeHidden=8', 'criticHidden=[8]', 'numSamples=2', 'schedule=critics-first', 'criticSteps=2'],
    overrides: { steps: 4, batchSize: 8, criticBatchSize: 8, evalEpisodes: 1, logEvery: 1 },
  });
  const a = await train({ task: 'BallRun', config: cfg, seed: 5, outDir: tmp() });
  const b = await trainAlgorithm({ algo: 'fisor', task: 'BallRun', config: cfg, seed: 5, outDir: tmp() });
  const wa = a.agent.stateTensors(), wb = b.algorithm.stateTensors();
  for (const k of Object.keys(wa)) expect(wb[k].toFlatArray(), k).toEqual(wa[k].toFlatArray());
  // The actor phase ran: the actor's weights moved from their initial values.
  const init = await trainAlgorithm({ algo: 'fisor', task: 'BallRun', config: cfg, seed: 5, outDir: tmp(), stopAt: cfg.criticSteps });
  const actorKeys = Object.keys(wb).filter((k) => k.startsWith('actor.'));
  expect(actorKeys.length).toBeGreaterThan(0);
  expect(actorKeys.some((k) => wb[k].toFlatArray().some((x, i) => x !== init.algorithm.stateTensors()[k].toFlatArray()[i]))).toBe(true);
});

it('a FISOR checkpoint of the common loop saved before a config key existed loads with the value that reproduces the old behaviour', async () => {
  const cfg = resolveAlgoConfig(FISOR_DEF, {
    task: 'BallRun',
    set: ['actor.hidden=8', 'actor.blocks=1', 'actor.timeFeatures=4', 'actor.timeHidden=8', 'criticHidden=[8]', 'numSamples=2'],
    overrides: { steps: 1, batchSize: 8, criticBatchSize: 8, evalEpisodes: 1, logEvery: 1 },
  });
  const out = tmp();
  await trainAlgorithm({ algo: 'fisor', task: 'BallRun', config: cfg, seed: 1, outDir: out });
  const loaded = await loadCheckpoint(join(out, CHECKPOINT_DIR));
  const saved = (loaded.metadata as { config: Record<string, unknown> }).config;
  // An older version wrote configs without the keys added later; each loads with the paper's value (the old behaviour).
  for (const k of KEYS_ADDED_LATER) delete saved[k];
  const c = algoMetadata(loaded, out).config as unknown as Record<string, unknown>;
  const paper = presetConfig('paper') as unknown as Record<string, unknown>;
  for (const k of KEYS_ADDED_LATER) expect(c[k], k).toEqual(paper[k]);
  expect([c.fallbackGrid, c.fallbackMargin, c.vhActionGrid, c.violatingChoice, c.modeCandidate, c.modeEstimate]).toEqual([0, 0, 0, 'safest', false, 'noise-free']);
  expect(c.costLimit).toBe(cfg.costLimit);
});
