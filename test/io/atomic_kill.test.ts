/**
 * writeFilesAtomic when its process is killed between two renames (SIGKILL in a child process, right after its
 * k-th rename): the journal it leaves lets recoverInterruptedWrites, or the next writeFilesAtomic, settle the set as
 * all old (a rename was still to come) or all new (every file was renamed in), never a mix.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { recoverInterruptedWrites, writeFilesAtomic } from '../../rl/io/atomic.js';
import { runScript } from '../helpers/run_script.js';
import { scratchDirs } from '../helpers/scratch.js';

const scratch = scratchDirs();
const atomicUrl = pathToFileURL(fileURLToPath(new URL('../../rl/io/atomic.ts', import.meta.url))).href;

/** Writes the pair (RESULTS.md, results.json) = ('new report', '{"new":1}') in a child killed after its k-th rename. */
async function killedWrite(dir: string, k: number): Promise<void> {
  const script = join(dir, '..', `${dir.split('/').at(-1)}-child.mjs`);
  writeFileSync(script, `
import { createRequire, syncBuiltinESMExports } from 'node:module';
const fs = createRequire(import.meta.url)('node:fs');
const real = fs.renameSync;
let n = 0;
fs.renameSync = (a, b) => { real(a, b); if (++n === ${k}) process.kill(process.pid, 'SIGKILL'); };
syncBuiltinESMExports();
const { writeFilesAtomic } = await import(${JSON.stringify(atomicUrl)});
writeFilesAtomic([{ path: ${JSON.stringify(join(dir, 'RESULTS.md'))}, data: 'new report' }, { path: ${JSON.stringify(join(dir, 'results.json'))}, data: '{"new":1}' }]);
console.log('not killed');
`);
  const r = await runScript(script, []);
  expect(r.stdout, r.stderr).not.toContain('not killed');
  expect(r.status).toBeNull(); // ended by the signal
}

const read = (dir: string) => [readFileSync(join(dir, 'RESULTS.md'), 'utf8'), readFileSync(join(dir, 'results.json'), 'utf8')];
const old = (dir: string) => {
  writeFileSync(join(dir, 'RESULTS.md'), 'old report');
  writeFileSync(join(dir, 'results.json'), '{"old":1}');
};

describe('writeFilesAtomic killed between its renames', () => {
  it('after the first rename: the pair on disk is a mix, and settling restores the old pair', async () => {
    const dir = scratch('fisor-kill-');
    old(dir);
    await killedWrite(dir, 1);
    expect(read(dir)).toEqual(['new report', '{"old":1}']); // what a kill used to leave for good
    expect(readdirSync(dir).filter((n) => /\.journal-\d+$/.test(n))).toHaveLength(1);
    const settled = recoverInterruptedWrites([join(dir, 'results.json')]);
    expect(settled).toHaveLength(1);
    expect(read(dir)).toEqual(['old report', '{"old":1}']);
    expect(readdirSync(dir).sort()).toEqual(['RESULTS.md', 'results.json']);
    expect(recoverInterruptedWrites([join(dir, 'results.json')])).toEqual([]);
  });

  it('after the last rename (the journal not yet removed): settling keeps the new pair and removes the backups', async () => {
    const dir = scratch('fisor-kill-');
    old(dir);
    await killedWrite(dir, 2);
    expect(readdirSync(dir).length).toBeGreaterThan(2);
    recoverInterruptedWrites([join(dir, 'RESULTS.md')]);
    expect(read(dir)).toEqual(['new report', '{"new":1}']);
    expect(readdirSync(dir).sort()).toEqual(['RESULTS.md', 'results.json']);
  });

  it('files that did not exist before are removed again; the next write settles first and then writes', async () => {
    const dir = scratch('fisor-kill-');
    await killedWrite(dir, 1);
    expect(existsSync(join(dir, 'RESULTS.md'))).toBe(true);
    writeFilesAtomic([{ path: join(dir, 'results.json'), data: '{"third":1}' }]);
    expect(readdirSync(dir).sort()).toEqual(['results.json']);
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe('{"third":1}');
  });

  it("leaves a live process's journal alone, and names an unreadable one of a dead process", async () => {
    const dir = scratch('fisor-kill-');
    old(dir);
    const live = join(dir, `.RESULTS.md.journal-${process.pid}`);
    writeFileSync(live, JSON.stringify({ files: [{ path: join(dir, 'RESULTS.md'), tmp: join(dir, 'x'), backup: null }] }));
    expect(recoverInterruptedWrites([join(dir, 'RESULTS.md')])).toEqual([]);
    expect(existsSync(live)).toBe(true);
    expect(read(dir)).toEqual(['old report', '{"old":1}']);
    const dead = 2 ** 22 + 12345; // above Linux's largest pid_max: no such process
    writeFileSync(join(dir, `.results.json.journal-${dead}`), '{"files": [tor');
    expect(() => recoverInterruptedWrites([join(dir, 'RESULTS.md')])).toThrow(/\.results\.json\.journal-\d+: an interrupted set write left this journal, and it cannot be read/);
  });

  it("removes a dead writer's temporary files and backups of those paths outside any journal, and nothing else", () => {
    const dir = scratch('fisor-kill-');
    old(dir);
    const dead = 2 ** 22 + 12345;
    const left = [`.RESULTS.md.tmp-${dead}`, `.results.json.old-${dead}`];
    const kept = [`.RESULTS.md.tmp-${process.pid}`, `.other.json.old-${dead}`, `.RESULTS.md.x.tmp-${dead}`];
    for (const n of [...left, ...kept]) writeFileSync(join(dir, n), 'x');
    expect(recoverInterruptedWrites([join(dir, 'RESULTS.md'), join(dir, 'results.json')])).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['RESULTS.md', 'results.json', ...kept].sort());
    expect(read(dir)).toEqual(['old report', '{"old":1}']);
  });
});
