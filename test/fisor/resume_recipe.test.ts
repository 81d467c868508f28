/**
 * A resume takes its config from the checkpoint, the behaviour data recipe included: a run trained on collected
 * 'recovery' data resumes with the same data whatever config the resuming call passes (the CLI's continue command
 * names no preset).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { setBackend } from '../../core/index.js';
import { train } from '../../rl/fisor/train.js';
import { tinyConfig } from './tiny.js';

it("resume collects the checkpoint's dataRecipe, not the resuming call's", async () => {
  setBackend('js');
  const out = join(mkdtempSync(join(tmpdir(), 'fisor-recipe-')), 'run');
  const cfg = tinyConfig(['steps=6', 'dataRecipe=recovery', 'convergenceEvery=0']);
  await train({ task: 'BallRun', config: cfg, seed: 2, outDir: out, skipFinalEval: true, stopAt: 3 });
  // the CLI passes the config of its flags (preset cpu: dataRecipe 'fixed') on resume
  const r = await train({ task: 'BallRun', config: tinyConfig(['convergenceEvery=0']), seed: 0, outDir: out, resume: true, skipFinalEval: true });
  expect(r.step).toBe(6);
  expect(r.agent.cfg.dataRecipe).toBe('recovery');
  const whole = await train({ task: 'BallRun', config: cfg, seed: 2, outDir: join(out, '..', 'whole'), skipFinalEval: true });
  const a = whole.agent.stateTensors(), b = r.agent.stateTensors();
  for (const k of Object.keys(a)) expect(Array.from(b[k].dataSync()), k).toEqual(Array.from(a[k].dataSync()));
  // The dataset's label names the recipe (it said only the seed), before and after the resume.
  expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).dataset.source).toBe('collect(BallRun, seed 0, recipe recovery)');
  expect(JSON.parse(readFileSync(join(out, '..', 'whole', 'config.json'), 'utf8')).dataset.source).toBe('collect(BallRun, seed 0, recipe recovery)');
}, 60_000);
