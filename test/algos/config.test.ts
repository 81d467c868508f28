/** Presets and overrides of rl/algos: cpu = paper + the listed changes; bad keys and values name the key. */
import { describe, expect, it } from 'vitest';
import { presetOf, resolveAlgoConfig } from '../../rl/algos/config.js';
import { ALGORITHMS, algorithmDef } from '../../rl/algos/registry.js';

describe('algorithm configs', () => {
  for (const def of Object.values(ALGORITHMS)) {
    it(`${def.name}: the cpu preset is the paper preset plus exactly its listed changes, each with a reason; both pass the checks`, () => {
      const paper = presetOf(def, 'paper') as unknown as Record<string, unknown>;
      const cpu = presetOf(def, 'cpu') as unknown as Record<string, unknown>;
      const get = (o: Record<string, unknown>, k: string) => k.split('.').reduce<unknown>((n, p) => (n as Record<string, unknown>)[p], o);
      for (const [k, { value, why }] of Object.entries(def.cpuChanges)) {
        expect(get(cpu, k)).toEqual(value);
        expect(why.length).toBeGreaterThan(5);
      }
      const changedTop = new Set(Object.keys(def.cpuChanges).map((k) => k.split('.')[0]));
      for (const k of Object.keys(paper)) if (!changedTop.has(k)) expect(cpu[k], k).toEqual(paper[k]);
      expect(() => resolveAlgoConfig(def, { preset: 'cpu', task: 'BallRun' })).not.toThrow();
      if (def.name !== 'cdt' || (paper.augmentPercent as number) === 0) expect(() => resolveAlgoConfig(def, { preset: 'paper', task: 'BallRun' })).not.toThrow();
    });
  }
  it('errors name the key', () => {
    const bc = algorithmDef('bc-safe');
    expect(() => resolveAlgoConfig(bc, { set: ['nope=1'] })).toThrow(/unknown config key 'nope'/);
    expect(() => resolveAlgoConfig(bc, { set: ['lr=abc'] })).toThrow(/'lr' must be a number/);
    expect(() => resolveAlgoConfig(bc, { set: ['lr=-1'] })).toThrow(/'lr' must be > 0/);
    expect(() => resolveAlgoConfig(bc, { set: ['steps=0'] })).toThrow(/'steps' must be a positive integer/);
    expect(() => resolveAlgoConfig(bc, { set: ['mode=risky'] })).toThrow(/'mode' must be all or safe/);
    // a mode other than the algorithm's own would train one baseline under the other's name
    expect(() => resolveAlgoConfig(bc, { set: ['mode=all'] })).toThrow(/'mode' is 'all', but bc-safe clones with mode 'safe' \(use --algo bc-all\)/);
    expect(() => resolveAlgoConfig(algorithmDef('bc-all'), { set: ['mode=safe'] })).toThrow(/'mode' is 'safe', but bc-all clones with mode 'all'/);
    expect(() => resolveAlgoConfig(algorithmDef('bcq-lag'), { set: ['pid=[1,2]'] })).toThrow(/'pid' must be three gains/);
    expect(() => resolveAlgoConfig(algorithmDef('cdt'), { set: ['heads=3'] })).toThrow(/divisible by heads/);
    expect(() => resolveAlgoConfig(bc, { preset: 'gpu' })).toThrow(/unknown preset 'gpu'/);
    expect(() => algorithmDef('bcq')).toThrow(/unknown algorithm 'bcq'; known algorithms: fisor, bc-all/);
  });
});
