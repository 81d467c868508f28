/**
 * A resume by other code keeps what trained the steps before it: config.json and the checkpoint's provenance used to
 * be overwritten with the resuming process's, labelling a run trained by two commits as the last one's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { scratchDirs } from '../helpers/scratch.js';
import { setBackend } from '../../core/index.js';
import { loadCheckpoint } from '../../nn/checkpoint.js';
import { train } from '../../rl/fisor/train.js';
import { tinyConfig } from './tiny.js';

const A = 'a'.repeat(40), B = 'b'.repeat(40) + '+dirty';

const scratch = scratchDirs();

it('a resume by another commit records the earlier one with the step it trained to', async () => {
  setBackend('js');
  const out = join(scratch('fisor-provenance-'), 'run');
  const cfg = tinyConfig(['steps=6', 'convergenceEvery=0'], { task: 'BallRun' });
  const run = (gitCommit: string, extra: object) => train({ task: 'BallRun', config: cfg, seed: 1, outDir: out, skipFinalEval: true, provenance: { package: 'fisor-ts@test', gitCommit }, ...extra });
  await run(A, { stopAt: 2 });
  await run(A, { resume: true, stopAt: 4 }); // the same code: nothing to record
  let config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  expect(config.provenance.gitCommit).toBe(A);
  expect(config.provenance.earlier).toBeUndefined();
  await run(B, { resume: true });
  config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  expect(config.provenance.gitCommit).toBe(B);
  expect(config.provenance.earlier).toHaveLength(1);
  expect(config.provenance.earlier[0]).toMatchObject({ gitCommit: A, package: 'fisor-ts@test', untilStep: 4, backend: 'js' });
  const loaded = await loadCheckpoint(join(out, 'checkpoint'));
  expect(loaded.step).toBe(6);
  expect((loaded.metadata as { provenance: unknown }).provenance).toEqual(config.provenance);
}, 60_000);
