/** The progress bar's total on `fisor train --resume`: the run's own length, not the preset's. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { resumeTotal } from '../../rl/cli/train_run.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-train-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("--resume without --steps counts to the checkpoint's config.steps; --steps wins; an unreadable checkpoint falls back", () => {
  mkdirSync(join(dir, 'checkpoint'));
  writeFileSync(join(dir, 'checkpoint', 'manifest.json'), JSON.stringify({ step: 40, metadata: { config: { steps: 120 } } }));
  expect(resumeTotal(dir, undefined, 10000)).toBe(120);
  expect(resumeTotal(dir, 300, 10000)).toBe(300);
  expect(resumeTotal(join(dir, 'none'), undefined, 10000)).toBe(10000);
  writeFileSync(join(dir, 'checkpoint', 'manifest.json'), '{"metadata": {"config": {"steps": "x"}}}');
  expect(resumeTotal(dir, undefined, 10000)).toBe(10000);
});

it('a checkpoint step count that is not a positive integer falls back; --steps is taken as given even with a checkpoint', () => {
  mkdirSync(join(dir, 'checkpoint'), { recursive: true });
  for (const bad of [0, -5, 2.5]) {
    writeFileSync(join(dir, 'checkpoint', 'manifest.json'), JSON.stringify({ metadata: { config: { steps: bad } } }));
    expect(resumeTotal(dir, undefined, 77), String(bad)).toBe(77);
  }
  writeFileSync(join(dir, 'checkpoint', 'manifest.json'), JSON.stringify({ metadata: { config: { steps: 1 } } }));
  expect(resumeTotal(dir, undefined, 77)).toBe(1);
  expect(resumeTotal(dir, 5, 77)).toBe(5);
});
