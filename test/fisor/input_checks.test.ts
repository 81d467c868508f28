/**
 * Bad inputs to FISOR's config, agent and evaluation are refused up front with an error naming what is wrong,
 * instead of running silently wrong or failing late (after training) or deep inside the sampler.
 */
import { describe, expect, it } from 'vitest';
import { Rng, setBackend } from '../../core/index.js';
import { collect } from '../../rl/data/collect.js';
import { FisorAgent } from '../../rl/fisor/agent.js';
import { checkConfig, PRESETS, resolveConfig, type FisorConfig } from '../../rl/fisor/config.js';
import { TASK_NAMES } from '../../rl/envs/reference.js';
import { allocFisorBatch, prepareData, sampleBatch } from '../../rl/fisor/data.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { feasibleStarts } from '../../rl/fisor/starts.js';
import { tinyConfig } from './tiny.js';

/** tinyConfig with `key` (dotted) set to `value` directly, as a checkpoint, the web page or the API can. */
function withValue(key: string, value: unknown, extra: string[] = []): FisorConfig {
  const c = tinyConfig(extra) as unknown as Record<string, Record<string, unknown>>;
  const [a, b] = key.split('.');
  if (b === undefined) (c as Record<string, unknown>)[a] = value;
  else c[a][b] = value;
  return c as unknown as FisorConfig;
}

describe('checkConfig refuses values that --set refuses, whatever the config came from', () => {
  it('whole-number keys', () => {
    for (const [key, v] of [['numSamples', 2.5], ['steps', 3.5], ['evalEpisodes', 1.5], ['logEvery', 0.5], ['criticUpdates', 1.5], ['actor.T', 2.5], ['actor.hidden', 8.5], ['batchSize', 16.5], ['checkpointEvery', NaN]] as const) {
      expect(() => checkConfig(withValue(key, v)), key).toThrow(new RegExp(`config key '${key.replace('.', '\\.')}' must be a whole number, got ${v}`));
    }
  });

  it('enums, switches and layer sizes', () => {
    expect(() => checkConfig(withValue('schedule', 'critics_first'))).toThrow(/config key 'schedule' must be one of 'joint', 'critics-first', got "critics_first"/);
    expect(() => checkConfig(withValue('violatingChoice', 'rewards'))).toThrow(/config key 'violatingChoice' must be one of 'safest', 'reward'/);
    expect(() => checkConfig(withValue('hSource', 'h'))).toThrow(/config key 'hSource' must be one of/);
    expect(() => checkConfig(withValue('dtype', 'float16'))).toThrow(/config key 'dtype' must be one of 'float32', 'float64'/);
    expect(() => checkConfig(withValue('actor.clipSampler', 'false'))).toThrow(/config key 'actor\.clipSampler' must be true or false, got "false"/);
    expect(() => checkConfig(withValue('criticHidden', 128))).toThrow(/config key 'criticHidden' must be a list of positive whole numbers \(layer sizes\), got 128/);
    expect(() => checkConfig(withValue('criticHidden', [8, 0.5]))).toThrow(/config key 'criticHidden' must be a list of positive whole numbers/);
    // the presets themselves pass, on every task (each preset's per-task values included)
    expect(() => checkConfig(tinyConfig())).not.toThrow();
    for (const preset of PRESETS) for (const task of TASK_NAMES) expect(() => checkConfig(resolveConfig({ preset, task })), `${preset} ${task}`).not.toThrow();
  });

  it("criticUpdates > 1 with schedule 'critics-first' (its extra updates would train the critics in the actor phase)", () => {
    expect(() => checkConfig(tinyConfig(['schedule=critics-first', 'steps=8', 'criticSteps=4', 'criticUpdates=2']))).toThrow(/config key 'criticUpdates' \(2\) must be 1 with schedule 'critics-first'.*raise criticSteps instead/);
    expect(() => checkConfig(tinyConfig(['schedule=critics-first', 'steps=8', 'criticSteps=4']))).not.toThrow();
    expect(() => checkConfig(tinyConfig(['criticUpdates=2']))).not.toThrow();
  });
});

describe('the agent and evaluate', () => {
  setBackend('js');
  const obs = new Float32Array(22).fill(0.1); // two PointRobot observations

  it('act and sampleCandidates refuse a candidate count that is not a whole number >= 1', () => {
    const agent = new FisorAgent(tinyConfig(), 11, 2, new Rng(1));
    for (const n of [0, -1, 1.5, NaN]) {
      expect(() => agent.act(obs, n), String(n)).toThrow(new RegExp(`FisorAgent\\.act: n must be a whole number >= 1 \\(candidate actions per observation\\), got ${n}`));
      expect(() => agent.sampleCandidates(obs, n), String(n)).toThrow(/FisorAgent\.sampleCandidates: n must be a whole number >= 1/);
    }
    expect(agent.act(obs, 1)).toHaveLength(4);
  });

  it("update without the iteration index is refused under 'critics-first' (the actor would never train)", () => {
    const cfg = tinyConfig(['schedule=critics-first', 'steps=8', 'criticSteps=4']);
    const agent = new FisorAgent(cfg, 11, 2, new Rng(1));
    const d = prepareData(collect('PointRobot', { transitions: 200, seed: 1 }), 'PointRobot', cfg);
    const b = sampleBatch(d, new Rng(2), allocFisorBatch(d, cfg.batchSize));
    expect(() => agent.update(b)).toThrow(/FisorAgent\.update: schedule 'critics-first' needs the iteration index/);
    expect(() => agent.update(b, 1.5)).toThrow(/FisorAgent\.update: step must be a whole number >= 0, got 1\.5/);
    expect(agent.update(b, 4).actorLoss).toBeGreaterThan(0); // the actor phase
    // the joint schedule needs no index (step only decides the phase of critics-first)
    const joint = new FisorAgent(tinyConfig(), 11, 2, new Rng(1));
    expect(joint.update(b).actorLoss).toBeGreaterThan(0);
  });

  it('evaluate refuses bad numSamples, costLimit and seed before any episode runs', () => {
    const agent = new FisorAgent(tinyConfig(), 11, 2, new Rng(1));
    let acted = 0;
    const policy = { act: (o: Float32Array, n?: number, v?: Uint8Array) => (acted++, agent.act(o, n, v)) };
    expect(() => evaluate(policy, 'PointRobot', { episodes: 1, numSamples: 0 })).toThrow(/evaluate: numSamples must be a whole number >= 1 \(candidate actions per observation\), got 0/);
    expect(() => evaluate(policy, 'PointRobot', { episodes: 1, costLimit: -1 })).toThrow(/evaluate: costLimit must be a number >= 0, got -1/);
    expect(() => evaluate(policy, 'PointRobot', { episodes: 1, seed: -1 })).toThrow(/evaluate: seed must be an integer in \[0, 4294967295\]/);
    expect(() => evaluate(policy, 'PointRobot', { episodes: 1, seed: 1.5 })).toThrow(/evaluate: seed must be an integer/);
    expect(acted).toBe(0);
  });

  it('feasibleStarts refuses a count that is not a whole number', () => {
    expect(() => feasibleStarts(2.5)).toThrow(/feasibleStarts: feasible states: count must be a whole number >= 0, got 2\.5/);
    expect(feasibleStarts(2)).toHaveLength(2);
  });
});
