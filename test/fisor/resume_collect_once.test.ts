/**
 * A resume without a given dataset collects the behaviour data once, with the checkpoint's recipe: it used to
 * collect first with the resuming call's config (the CLI's preset, 'fixed') and then again with the checkpoint's.
 */
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { scratchDirs } from '../helpers/scratch.js';
import { setBackend } from '../../core/index.js';
import { train } from '../../rl/fisor/train.js';
import { tinyConfig } from './tiny.js';

const calls = vi.hoisted(() => [] as (string | undefined)[]);
vi.mock('../../rl/data/collect.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../rl/data/collect.js')>();
  return { ...orig, collect: (task: string, opts: Parameters<typeof orig.collect>[1]) => (calls.push(opts?.recipe), orig.collect(task, opts)) };
});

const scratch = scratchDirs();

it('resume with another recipe in the call collects once, the checkpoint\'s recipe', async () => {
  setBackend('js');
  const out = join(scratch('fisor-collect-once-'), 'run');
  const cfg = tinyConfig(['steps=4', 'dataRecipe=recovery', 'convergenceEvery=0']);
  await train({ task: 'BallRun', config: cfg, seed: 2, outDir: out, skipFinalEval: true, stopAt: 2 });
  expect(calls).toEqual(['recovery']);
  calls.length = 0;
  const r = await train({ task: 'BallRun', config: tinyConfig(['convergenceEvery=0']), seed: 0, outDir: out, resume: true, skipFinalEval: true });
  expect(r.step).toBe(4);
  expect(calls).toEqual(['recovery']);
}, 60_000);
