import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setBackend } from '../../core/index.js';
import { metadataChecksum } from '../../nn/checkpoint.js';
import { collect } from '../../rl/data/collect.js';
import { train } from '../../rl/fisor/train.js';
import { tinyConfig } from './tiny.js';

const ds = collect('PointRobot', { transitions: 600, seed: 3 });
const root = mkdtempSync(join(tmpdir(), 'fisor-conv-'));

describe('resume with the convergence probe', () => {
  it('metrics lines (convergence lines included) of a stopped and resumed run equal the uninterrupted run', async () => {
    setBackend('js');
    const cfg = tinyConfig(['steps=12', 'checkpointEvery=4', 'convergenceEvery=3']);
    const a = join(root, 'a'), b = join(root, 'b');
    const base = { task: 'PointRobot', config: cfg, seed: 7, dataset: ds, skipFinalEval: true };
    await train({ ...base, outDir: a });
    await train({ ...base, outDir: b, stopAt: 7 });
    await train({ ...base, outDir: b, resume: true });
    const strip = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => {
      const o = JSON.parse(l);
      delete o.stepsPerSec;
      return o;
    });
    const conv = strip(join(a, 'metrics.jsonl')).filter((o) => o.type === 'convergence');
    expect(conv.map((o) => o.step)).toEqual([3, 6, 9, 12]);
    expect(strip(join(b, 'metrics.jsonl'))).toEqual(strip(join(a, 'metrics.jsonl')));
  }, 60_000);

  it('a checkpoint whose saved probe signs are not 0 / 1 is refused by field', async () => {
    setBackend('js');
    const cfg = tinyConfig(['steps=8', 'convergenceEvery=2']);
    const c = join(root, 'c');
    const base = { task: 'PointRobot', config: cfg, seed: 7, dataset: ds, skipFinalEval: true };
    await train({ ...base, outDir: c, stopAt: 3 });
    const p = join(c, 'checkpoint', 'manifest.json');
    const m = JSON.parse(readFileSync(p, 'utf8'));
    expect(m.metadata.convergenceSign).toMatch(/^[01]+$/);
    m.metadata.convergenceSign = '01x';
    m.metadataChecksum = metadataChecksum(m.step, m.metadata);
    writeFileSync(p, JSON.stringify(m));
    await expect(train({ ...base, outDir: c, resume: true })).rejects.toThrow(/metadata field 'convergenceSign' must be null or a string of '0' \/ '1', got "01x"/);
    m.metadata.convergenceSign = '0101';
    m.metadataChecksum = metadataChecksum(m.step, m.metadata);
    writeFileSync(p, JSON.stringify(m));
    await expect(train({ ...base, outDir: c, resume: true })).rejects.toThrow(/field 'convergenceSign' must be \d+ characters '0' \/ '1' \(one per held-out row of this run's convergence probe\), got 4 characters/);
  }, 60_000);
});
