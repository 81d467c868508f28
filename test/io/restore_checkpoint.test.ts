/**
 * A save interrupted between its two renames leaves the previous checkpoint at checkpoint.old-<pid>-<n> and none at
 * checkpoint/. The experiment scripts resumed a run only when checkpoint/manifest.json existed, so they retrained it
 * from step 0 with --overwrite, deleting that copy. hasCheckpoint (scripts/run_checks.ts) restores it first, unless a
 * live process holds the run's lock (its save may be between the renames).
 */
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tensor } from '../../core/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../nn/index.js';
import { hasCheckpoint } from '../../scripts/run_checks.js';

const root = mkdtempSync(join(tmpdir(), 'fisor-restore-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A run directory whose save died between the renames: the step-7 checkpoint set aside, nothing in its place. */
async function interrupted(): Promise<string> {
  const dir = join(root, `run${n++}`);
  await saveCheckpoint(join(dir, 'checkpoint'), { tensors: { w: tensor([1, 2, 3]) }, step: 7 });
  renameSync(join(dir, 'checkpoint'), join(dir, 'checkpoint.old-4242-0'));
  writeFileSync(join(dir, 'metrics.jsonl'), '{"type":"train","step":7}\n');
  return dir;
}

it('restores the set-aside checkpoint, says so, and the run continues from it', async () => {
  const dir = await interrupted();
  const said: string[] = [];
  expect(hasCheckpoint(dir, (l) => said.push(l))).toBe(true);
  expect(said.join('\n')).toMatch(/interrupted save had left the previous checkpoint at .*checkpoint\.old-4242-0; restored it to checkpoint\//);
  expect(existsSync(join(dir, 'checkpoint.old-4242-0'))).toBe(false);
  expect((await loadCheckpoint(join(dir, 'checkpoint'))).step).toBe(7);
  expect(hasCheckpoint(dir, (l) => said.push(l))).toBe(true); // nothing more to do
  expect(said).toHaveLength(1);
});

it('leaves it alone while a live process holds the lock, and reports no checkpoint when there is none', async () => {
  const dir = await interrupted();
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: process.pid, host: hostname() }) + '\n');
  expect(hasCheckpoint(dir, () => {})).toBe(false);
  expect(existsSync(join(dir, 'checkpoint.old-4242-0'))).toBe(true);
  expect(hasCheckpoint(join(root, 'none'), () => {})).toBe(false);
});
