/** A few training steps of every registered algorithm through the common loop, then evaluation; and the CLI. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAlgoConfig } from '../../rl/algos/config.js';
import { algorithmDef, algorithmNames } from '../../rl/algos/registry.js';
import { loadAlgorithm, trainAlgorithm } from '../../rl/algos/train.js';
import { main } from '../../rl/cli/main.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'algos-'));
  dirs.push(d);
  return d;
};

const tiny: Record<string, string[]> = {
  'bc-all': ['hidden=[16]'], 'bc-safe': ['hidden=[16]'],
  'bcq-lag': ['vaeHidden=[16,16]', 'actorHidden=[16]', 'criticHidden=[16]', 'sampleActionNum=2'],
  'bear-lag': ['vaeHidden=[16,16]', 'actorHidden=[16]', 'criticHidden=[16]', 'sampleActionNum=2', 'numSamplesMmdMatch=3'],
  cpq: ['vaeHidden=[16,16]', 'actorHidden=[16]', 'criticHidden=[16]', 'sampleActionNum=2'],
  coptidice: ['actorHidden=[16]', 'criticHidden=[16]'],
  cdt: ['embedDim=8', 'heads=2', 'blocks=1', 'seqLen=3'],
};

describe('every algorithm trains and evaluates', () => {
  it('the registry has the seven baselines', () => {
    expect(algorithmNames()).toEqual(['fisor', 'bc-all', 'bc-safe', 'bcq-lag', 'bear-lag', 'cpq', 'coptidice', 'cdt']);
  });
  for (const name of Object.keys(tiny)) {
    it(name, async () => {
      const cfg = resolveAlgoConfig(algorithmDef(name), { task: 'BallRun', set: tiny[name], overrides: { steps: 4, batchSize: 8, evalEpisodes: 2, logEvery: 2 } });
      const out = tmp();
      const r = await trainAlgorithm({ algo: name, task: 'BallRun', config: cfg, seed: 1, outDir: out });
      expect(r.step).toBe(4);
      expect(Number.isFinite(r.lastEval!.normalizedReward)).toBe(true);
      const { algorithm, meta } = await loadAlgorithm(out);
      expect(meta.algo).toBe(name);
      const a = algorithm.act(new Float32Array(7 * 3).fill(0.2));
      expect(a.length).toBe(6);
      for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    });
  }
});

describe('CLI', () => {
  const io = () => {
    let out = '', err = '';
    return { io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } } as never, out: () => out, err: () => err };
  };
  it('fisor algos lists every algorithm; train --algo / eval round trip; bad names and keys are usage errors', async () => {
    const a = io();
    expect(await main(['algos'], a.io)).toBe(0);
    for (const n of algorithmNames()) expect(a.out()).toContain(n);
    const out = tmp();
    const t = io();
    expect(await main(['train', '--algo', 'bc-safe', '--task', 'BallRun', '--steps', '3', '--set', 'hidden=[8]', '--set', 'evalEpisodes=2', '--out', out, '--quiet'], t.io)).toBe(0);
    expect(t.out()).toContain('training bc-safe on BallRun');
    const e = io();
    expect(await main(['eval', '--checkpoint', out, '--episodes', '2', '--quiet'], e.io)).toBe(0);
    expect(e.out()).toContain('bc-safe on BallRun');
    const bad = io();
    expect(await main(['train', '--algo', 'nope', '--task', 'BallRun'], bad.io)).toBe(2);
    expect(bad.err()).toContain("unknown algorithm 'nope'");
    const badKey = io();
    expect(await main(['train', '--algo', 'cdt', '--task', 'BallRun', '--set', 'augmentPercent=0.2'], badKey.io)).toBe(2);
    expect(badKey.err()).toContain('augmentPercent');
  });
});
