/**
 * rl/io/atomic.ts: a file is flushed to disk before it is renamed over the target (else a power loss can leave an
 * empty or truncated file under the final name) and the directory after; files written as a set
 * (writeFilesAtomic: a report and its results.json) are all old or all new when a write or a rename fails.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as realFs from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { scratchDirs } from '../helpers/scratch.js';

/** The fs calls atomic.ts makes, in order; `failRename` makes renameSync throw for a target ending so. */
const trace = vi.hoisted(() => ({ calls: [] as string[], fdPath: new Map<number, string>(), failRename: '', failBackup: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const openSync = (p: string, flags: string) => {
    const fd = fs.openSync(p, flags);
    trace.fdPath.set(fd, p);
    return fd;
  };
  const fsyncSync = (fd: number) => {
    trace.calls.push(`fsync ${trace.fdPath.get(fd)}`);
    fs.fsyncSync(fd);
  };
  const renameSync = (a: string, b: string) => {
    if (trace.failRename && b.endsWith(trace.failRename)) throw Object.assign(new Error(`EIO: injected failure, rename '${b}'`), { code: 'EIO' });
    trace.calls.push(`rename ${a} -> ${b}`);
    fs.renameSync(a, b);
  };
  // failBackup: no hard links here, and the copy fails partway (a full disk), leaving part of the backup behind.
  const linkSync = (a: string, b: string) => {
    if (trace.failBackup) throw Object.assign(new Error('EPERM: injected, no hard links'), { code: 'EPERM' });
    fs.linkSync(a, b);
  };
  const copyFileSync = (a: string, b: string) => {
    if (!trace.failBackup) return fs.copyFileSync(a, b);
    fs.writeFileSync(b, 'par');
    throw Object.assign(new Error('ENOSPC: injected, no space left'), { code: 'ENOSPC' });
  };
  const own = { openSync, fsyncSync, renameSync, linkSync, copyFileSync };
  return { ...fs, default: { ...fs, ...own }, ...own };
});

const { writeFileAtomic, writeFilesAtomic } = await import('../../rl/io/atomic.js');

beforeEach(() => {
  trace.calls.length = 0;
  trace.failRename = '';
  trace.failBackup = false;
});

const scratch = scratchDirs();

describe('writeFileAtomic', () => {
  it('flushes the temporary file before the rename, and the directory after it', () => {
    const dir = scratch('fisor-atomic-');
    const target = join(dir, 'eval.json');
    writeFileAtomic(target, '{"a":1}\n');
    expect(readFileSync(target, 'utf8')).toBe('{"a":1}\n');
    const tmp = join(dir, `.eval.json.tmp-${process.pid}`);
    expect(trace.calls).toEqual([`fsync ${tmp}`, `rename ${tmp} -> ${target}`, `fsync ${dir}`]);
    expect(readdirSync(dir)).toEqual(['eval.json']);
  });
});

describe('writeFilesAtomic', () => {
  const pair = (dir: string) => [join(dir, 'RESULTS.md'), join(dir, 'results.json')] as const;

  it('writes every file, each flushed before any rename, and the journal (flushed, with its directory) before the renames', () => {
    const dir = scratch('fisor-atomic-');
    const [md, json] = pair(dir);
    writeFilesAtomic([{ path: md, data: 'new report' }, { path: json, data: '{"new":1}' }]);
    expect(readFileSync(md, 'utf8')).toBe('new report');
    expect(readFileSync(json, 'utf8')).toBe('{"new":1}');
    const firstRename = trace.calls.findIndex((c) => c.startsWith('rename'));
    const at = (name: string) => join(dir, `.${name}-${process.pid}`);
    expect(trace.calls.slice(0, firstRename)).toEqual([`fsync ${at('RESULTS.md.tmp')}`, `fsync ${at('results.json.tmp')}`, `fsync ${at('RESULTS.md.journal')}`, `fsync ${dir}`]);
    expect(readdirSync(dir).sort()).toEqual(['RESULTS.md', 'results.json']);
  });

  it('a failed second rename puts the first file back: the pair stays the old one', () => {
    const dir = scratch('fisor-atomic-');
    const [md, json] = pair(dir);
    writeFileSync(md, 'old report');
    writeFileSync(json, '{"old":1}');
    trace.failRename = 'results.json';
    expect(() => writeFilesAtomic([{ path: md, data: 'new report' }, { path: json, data: '{"new":1}' }])).toThrow(/injected failure/);
    expect(readFileSync(md, 'utf8')).toBe('old report');
    expect(readFileSync(json, 'utf8')).toBe('{"old":1}');
    expect(readdirSync(dir).sort()).toEqual(['RESULTS.md', 'results.json']);
  });

  it('a failed rename of a file that did not exist removes the files it had renamed in', () => {
    const dir = scratch('fisor-atomic-');
    const [md, json] = pair(dir);
    trace.failRename = 'results.json';
    expect(() => writeFilesAtomic([{ path: md, data: 'new report' }, { path: json, data: '{"new":1}' }])).toThrow(/injected failure/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a backup copy that fails partway is removed with the rest: nothing but the old pair is left', () => {
    const dir = scratch('fisor-atomic-');
    const [md, json] = pair(dir);
    writeFileSync(md, 'old report');
    writeFileSync(json, '{"old":1}');
    trace.failBackup = true;
    expect(() => writeFilesAtomic([{ path: md, data: 'new report' }, { path: json, data: '{"new":1}' }])).toThrow(/no space left/);
    expect(readFileSync(md, 'utf8')).toBe('old report');
    expect(readdirSync(dir).sort()).toEqual(['RESULTS.md', 'results.json']);
  });

  it('refuses one path given twice', () => {
    const dir = scratch('fisor-atomic-');
    const target = join(dir, 'results.json');
    expect(() => writeFilesAtomic([{ path: target, data: 'a' }, { path: target, data: 'b' }])).toThrow(/results\.json is given twice/);
    expect(realFs.existsSync(target)).toBe(false);
  });
});
