/** The platform seam (core/platform.ts): Node reads env and files; the browser side names what needs Node. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { platform, setPlatform, tensor } from '../../core/index.js';
import { browserPlatform } from '../../core/platform_browser.js';
import { checkpointFromArrayBuffer, checkpointToArrayBuffer, loadCheckpoint, saveCheckpoint } from '../../nn/index.js';
import { resolveConfig } from '../../rl/fisor/config.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-platform-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setPlatform(null));

describe('platform seam', () => {
  it('detects Node and reads environment variables and files through it', () => {
    expect(platform().name).toBe('node');
    process.env.FISOR_PLATFORM_TEST = 'yes';
    expect(platform().env('FISOR_PLATFORM_TEST')).toBe('yes');
    delete process.env.FISOR_PLATFORM_TEST;
    const f = join(dir, 'cfg.json');
    writeFileSync(f, JSON.stringify({ batchSize: 128, criticBatchSize: 128 }));
    expect(platform().readTextFile(f)).toContain('128');
    expect(resolveConfig({ preset: 'cpu', configFile: f }).batchSize).toBe(128);
  });

  it('on the browser platform, file calls fail naming what needs Node; ArrayBuffer checkpoints work', async () => {
    setPlatform(browserPlatform);
    expect(platform().env('PATH')).toBeUndefined();
    expect(() => resolveConfig({ configFile: 'x.json' })).toThrow(/--config x\.json: cannot read x\.json: there is no file system/);
    const content = { tensors: { w: tensor([1, 2, 3]) }, step: 4 };
    await expect(saveCheckpoint(join(dir, 'c'), content)).rejects.toThrow(/saveCheckpoint needs Node \(node:fs\/promises\)/);
    await expect(loadCheckpoint(join(dir, 'c'))).rejects.toThrow(/loadCheckpoint needs Node/);
    const back = checkpointFromArrayBuffer(checkpointToArrayBuffer(content));
    expect(Array.from(back.tensors.w)).toEqual([1, 2, 3]);
    expect(back.step).toBe(4);
  });

  it('a Node without process.getBuiltinModule (before 20.16 / 22.3) is not taken for a browser: the errors name the Node version', async () => {
    const proc = process as unknown as { getBuiltinModule?: unknown };
    const saved = proc.getBuiltinModule;
    let p;
    try {
      delete proc.getBuiltinModule;
      setPlatform(null);
      p = platform();
    } finally {
      proc.getBuiltinModule = saved;
    }
    process.env.FISOR_PLATFORM_TEST = 'old';
    expect(p.env('FISOR_PLATFORM_TEST')).toBe('old'); // environment variables still work
    delete process.env.FISOR_PLATFORM_TEST;
    setPlatform(p);
    await expect(saveCheckpoint(join(dir, 'old'), { tensors: { w: tensor([1]) }, step: 1 })).rejects.toThrow(/saveCheckpoint needs node:fs\/promises: fisor-ts needs process\.getBuiltinModule \(Node 20\.16\+ on 20\.x, 22\.3\+\).*this is Node \d+/);
    expect(() => p.readTextFile('x.json')).toThrow(/cannot read x\.json: fisor-ts needs process\.getBuiltinModule/);
  });
});
