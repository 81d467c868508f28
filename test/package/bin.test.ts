/**
 * bin/fisor.mjs in a source checkout: it runs the CLI in a child node (tsx) and must report the child's end as
 * its own, a signal included, so that `fisor ... && next` and a shell's `$?` see a killed command as killed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyFisorFlags, writeSmallPointRobotData } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-bin-'));
const data = join(dir, 'pr.hdf5');
beforeAll(() => writeSmallPointRobotData(data));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bin/fisor.mjs (source checkout)', () => {
  it("a Node older than package.json's engines is refused up front, with the version it needs", () => {
    const engines = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).engines.node as string;
    const [, major, minor] = /^>=(\d+)\.(\d+)$/.exec(engines)!.map(Number);
    const older = `${major}.${minor - 1}.0`;
    const bin = fileURLToPath(new URL('../../bin/fisor.mjs', import.meta.url));
    // The launcher sees an older version; without the check it would run the command (here: list the tasks).
    const fake = `data:text/javascript,Object.defineProperty(process.versions, 'node', { value: '${older}' })`;
    const r = spawnSync(process.execPath, ['--import', fake, bin, 'tasks'], { encoding: 'utf8' });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: fisor needs Node >= ${major}.${minor} (this is Node ${older})\n`);
    expect(r.status).toBe(1);
  });

  it('a child killed by SIGTERM (train has no SIGTERM handler) ends the launcher by SIGTERM, not with exit 0', async () => {
    const bin = fileURLToPath(new URL('../../bin/fisor.mjs', import.meta.url));
    const child = spawn(process.execPath, [bin, 'train', '--task', 'PointRobot', '--out', join(dir, 'run'), '--dataset', data, '--steps', '1000000', ...tinyFisorFlags(1)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    // The launcher forwards SIGTERM once the child runs: wait for its first line.
    await new Promise<void>((resolve) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('training FISOR')) resolve();
      });
    });
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
  }, 120_000);
});
