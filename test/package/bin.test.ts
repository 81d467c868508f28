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
  it("a Node outside package.json's engines is refused up front, with the versions it needs", () => {
    const engines = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).engines.node as string;
    expect(engines).toBe('^20.19.0 || >=22.12.0'); // what the launcher's check and message below encode
    const bin = fileURLToPath(new URL('../../bin/fisor.mjs', import.meta.url));
    // The launcher sees another version; without the check it would run the command (here: list the tasks). 21.x and
    // 22.0-22.11 pass a ">= 20.19" test but lack what 20.19 / 22.12 bring (22.0-22.2 even process.getBuiltinModule).
    for (const older of ['20.18.0', '21.7.0', '22.2.0', '22.11.0']) {
      const fake = `data:text/javascript,Object.defineProperty(process.versions, 'node', { value: '${older}' })`;
      const r = spawnSync(process.execPath, ['--import', fake, bin, 'tasks'], { encoding: 'utf8' });
      expect(r.stdout, older).toBe('');
      expect(r.stderr).toBe(`error: fisor needs Node ^20.19 or >= 22.12 (this is Node ${older})\n`);
      expect(r.status).toBe(1);
    }
  });

  it('a child killed by SIGTERM (train has no SIGTERM handler) ends the launcher by SIGTERM, not with exit 0', async () => {
    const bin = fileURLToPath(new URL('../../bin/fisor.mjs', import.meta.url));
    // Its own process group (detached), so that a failing test can end the launcher and its training child together.
    const child = spawn(process.execPath, [bin, 'train', '--task', 'PointRobot', '--out', join(dir, 'run'), '--dataset', data, '--steps', '1000000', ...tinyFisorFlags(1)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
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
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // whatever is left of the group (nothing when the test passed)
      } catch {
        // the group is gone
      }
    }
  }, 120_000);
});
