import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CPU_CHANGES, KEYS_ADDED_LATER, PAPER, presetConfig, resolveConfig, withDefaults, type FisorConfig } from '../../rl/fisor/config.js';
import { main } from '../../rl/cli/main.js';

describe('FISOR config', () => {
  it('paper preset holds the official values, PointRobot overrides apply', () => {
    const p = resolveConfig({ preset: 'paper', task: 'PointRobot' });
    expect(p.steps).toBe(100_000);
    expect(p.batchSize).toBe(1024);
    expect(p.weights).toMatchObject({ costTemperature: 2, rewardTemperature: 5, costUb: 150 });
    expect(p.numSamples).toBe(8);
    const q = resolveConfig({ preset: 'paper', task: 'BallRun' });
    expect(q).toMatchObject({ steps: 1_000_000, batchSize: 2048, criticBatchSize: 256, discount: 0.99, tau: 0.005, numSamples: 16 });
    expect(q.actor).toMatchObject({ T: 5, hidden: 256, blocks: 3, dropout: 0.1, lr: 3e-4, decaySteps: 3_000_000, emaTau: 0.001 });
    expect(q.weights).toMatchObject({ costTemperature: 5, rewardTemperature: 3, costUb: 150, rewardUb: 100 });
  });

  it('cpu preset = paper + the documented changes, keeps the task schedule out', () => {
    const c = presetConfig('cpu');
    for (const [k, { value }] of Object.entries(CPU_CHANGES)) {
      const v = k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], c);
      expect(v).toEqual(value);
    }
    const pr = resolveConfig({ preset: 'cpu', task: 'PointRobot' });
    expect(pr.batchSize).toBe(c.batchSize);
    expect(pr.weights.costTemperature).toBe(2);
    expect(PAPER.steps).toBe(1_000_000); // presets are not mutated
  });

  it('--set parses by the field type, dotted keys, arrays', () => {
    const c = resolveConfig({ set: ['actor.hidden=32', 'criticHidden=16,16', 'actor.clipSampler=false', 'hSource=cost', 'weights.costUb=10'] });
    expect(c.actor.hidden).toBe(32);
    expect(c.criticHidden).toEqual([16, 16]);
    expect(c.actor.clipSampler).toBe(false);
    expect(c.hSource).toBe('cost');
    expect(c.weights.costUb).toBe(10);
  });

  it('rejects unknown and ill-typed fields, naming them', () => {
    expect(() => resolveConfig({ set: ['actor.hiden=3'] })).toThrow(/unknown config key 'actor.hiden'/);
    expect(() => resolveConfig({ set: ['nope=3'] })).toThrow(/unknown config key 'nope'/);
    expect(() => resolveConfig({ set: ['steps=abc'] })).toThrow(/'steps' must be a number/);
    expect(() => resolveConfig({ set: ['steps=1.5'] })).toThrow(/'steps' must be an integer/);
    expect(() => resolveConfig({ set: ['actor.clipSampler=yes'] })).toThrow(/'actor.clipSampler' must be true or false/);
    expect(() => resolveConfig({ set: ['hSource=maybe'] })).toThrow(/'hSource' must be one of auto, cost, continuous/);
    expect(() => resolveConfig({ set: ['criticHidden=a,b'] })).toThrow(/'criticHidden' takes comma-separated numbers; 'a' is not a number/);
    expect(() => resolveConfig({ set: ['criticHidden=16,0'] })).toThrow(/'criticHidden' must be an array of positive integers/);
    expect(() => resolveConfig({ set: ['criticHidden=0x10'] })).toThrow(/'0x10' is not a number/);
    expect(() => resolveConfig({ set: ['steps=0x10'] })).toThrow(/'steps' must be a number, got '0x10'/);
    expect(resolveConfig({ set: ['steps=1e3'] }).steps).toBe(1000);
    expect(() => resolveConfig({ set: ['steps'] })).toThrow(/expected key=value/);
    expect(() => resolveConfig({ set: ['discount=1.5'] })).toThrow(/'discount' must be in \(0, 1\)/);
    expect(() => resolveConfig({ set: ['batchSize=100', 'criticBatchSize=50', 'actorSplits=3'] })).toThrow(/'batchSize' \(100\) must be divisible by actorSplits/);
    expect(() => resolveConfig({ preset: 'gpu' })).toThrow(/unknown preset 'gpu'/);
  });

  it('JSON config files: nested or dotted keys, rejected with the file and key named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fisor-cfg-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ actor: { hidden: 48 }, 'weights.rewardUb': 50, criticHidden: [32] }));
    const c = resolveConfig({ configFile: good });
    expect(c.actor.hidden).toBe(48);
    expect(c.weights.rewardUb).toBe(50);
    expect(c.criticHidden).toEqual([32]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ actor: { hidden: '48' } }));
    expect(() => resolveConfig({ configFile: bad })).toThrow(new RegExp(`bad.json: config key 'actor.hidden' must be a number, got string`));
    writeFileSync(bad, JSON.stringify({ actor: { depth: 3 } }));
    expect(() => resolveConfig({ configFile: bad })).toThrow(/unknown config key 'actor.depth'/);
  });

  it('the CLI reports config errors as usage errors (exit 2, error: ... on stderr)', async () => {
    let err = '';
    const io = { stdout: { write: () => true } as never, stderr: { write: (s: string) => ((err += s), true) } as never };
    const code = await main(['train', '--task', 'PointRobot', '--set', 'actor.widthh=3'], io);
    expect(code).toBe(2);
    expect(err).toMatch(/^error: --set: unknown config key 'actor.widthh'/);
  });
});

describe('configs saved by older versions', () => {
  /** The top-level keys not in KEYS_ADDED_LATER when its last entry (modeEstimate) was added. */
  const BASE_KEYS = ['steps', 'batchSize', 'actorSplits', 'criticBatchSize', 'discount', 'tau', 'rewardExpectile', 'feasibilityExpectile', 'criticHidden', 'criticLr', 'actor', 'weights', 'numSamples', 'costScale', 'hSource', 'rewardScale', 'actionClip', 'evalEvery', 'evalEpisodes', 'logEvery', 'checkpointEvery', 'dtype'];

  it('every config key is a base key or listed in KEYS_ADDED_LATER (a new key must be, so that old checkpoints still load)', () => {
    const known = new Set([...BASE_KEYS, ...KEYS_ADDED_LATER]);
    expect(Object.keys(PAPER).filter((k) => !known.has(k))).toEqual([]);
    expect(BASE_KEYS.filter((k) => !(k in PAPER))).toEqual([]);
  });

  it('a config with only the base keys loads with the paper\'s behaviour for every later key', () => {
    const old = Object.fromEntries(BASE_KEYS.map((k) => [k, structuredClone((presetConfig('cpu') as unknown as Record<string, unknown>)[k])]));
    const c = withDefaults(old as unknown as FisorConfig) as unknown as Record<string, unknown>;
    expect(Object.keys(c).sort()).toEqual(Object.keys(PAPER).sort());
    const paper = PAPER as unknown as Record<string, unknown>;
    for (const k of KEYS_ADDED_LATER) expect(c[k], k).toEqual(paper[k]);
  });
});
