/**
 * saveCheckpoint flushes directories, not only files: the temporary directory's entries before it is renamed in,
 * and the parent's (the rename) before the previous checkpoint is deleted; else a power loss could keep the
 * renames and lose the new files, or lose the new checkpoint's rename after the old one was deleted.
 */
import type * as FsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { scratchDirs } from '../helpers/scratch.js';
import { tensor } from '../../core/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../nn/checkpoint.js';

afterEach(() => vi.restoreAllMocks());

const scratch = scratchDirs();

it('syncs the new directory and its parent before the old checkpoint is removed', async () => {
  const dir = join(scratch('fisor-ckpt-sync-'), 'checkpoint');
  const parent = join(dir, '..');
  const content = (step: number) => ({ tensors: { w: tensor([1, 2, 3]) }, step });
  await saveCheckpoint(dir, content(1));
  const calls: string[] = [];
  const real = process.getBuiltinModule.bind(process);
  vi.spyOn(process, 'getBuiltinModule').mockImplementation(((id: string) => {
    const m = real(id);
    if (id !== 'node:fs/promises') return m;
    const fs = m as typeof FsPromises;
    return {
      ...fs,
      open: async (p: string, flags: string) => {
        const fh = await fs.open(p, flags);
        return { writeFile: (d: Uint8Array) => fh.writeFile(d), close: () => fh.close(), sync: async () => (calls.push(`sync ${p}`), fh.sync()) };
      },
      rename: async (a: string, b: string) => (calls.push(`rename ${a} -> ${b}`), fs.rename(a, b)),
      rm: async (p: string, o: object) => (calls.push(`rm ${p}`), fs.rm(p, o)),
    };
  }) as typeof process.getBuiltinModule);
  await saveCheckpoint(dir, content(2));
  expect((await loadCheckpoint(dir)).step).toBe(2);
  const at = (re: RegExp) => calls.findIndex((c) => re.test(c));
  const esc = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const tmpSync = at(new RegExp(`^sync ${esc(dir)}\\.tmp-\\d+-\\d+$`));
  const renameIn = at(new RegExp(`^rename ${esc(dir)}\\.tmp-\\d+-\\d+ -> ${esc(dir)}$`));
  const parentSync = calls.findIndex((c) => c === `sync ${join(parent)}`);
  const rmOld = at(new RegExp(`^rm ${esc(dir)}\\.old-\\d+-\\d+$`));
  expect(calls.filter((c) => c.startsWith('sync ')).length).toBe(4); // tensors.bin, manifest.json, the new directory, the parent
  expect(tmpSync).toBeGreaterThan(-1);
  expect(tmpSync).toBeLessThan(renameIn);
  expect(parentSync).toBeGreaterThan(renameIn);
  expect(parentSync).toBeLessThan(rmOld);
});
