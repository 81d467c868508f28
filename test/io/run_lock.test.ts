/**
 * rl/io/node_sink.ts's run lock when two trainings open one run directory at once: exactly one holds it, the other
 * is told which process does. Two cases where both used to hold it: both find a stale lock (its process gone) and
 * take it over, the second deleting the first one's new lock; and one reads the lock in the instant between its
 * exclusive create and its write (empty: taken for a stale lock); and, with three processes, a third that took the
 * lock while the first had moved a live lock aside to re-check it (the old removal lost that lock: two holders). The
 * interleaving is injected through node:fs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { scratchDirs } from '../helpers/scratch.js';

/** `onRead`/`onWrite` run once, in the middle of the next read / write of a '.lock*' file. */
const hooks = vi.hoisted(() => ({ onRead: null as null | (() => void), onWrite: null as null | (() => void) }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const isLock = (p: unknown) => typeof p === 'string' && basename(p).startsWith('.lock');
  const readFileSync = ((p: string, o?: unknown) => {
    const text = fs.readFileSync(p, o as 'utf8');
    const h = isLock(p) && hooks.onRead;
    if (h) {
      hooks.onRead = null;
      h();
    }
    return text;
  }) as typeof fs.readFileSync;
  // A write as the OS does it: open (creating the file, exclusively with flag 'wx'), then the bytes.
  const writeFileSync = ((p: string | number, data: string, o?: { flag?: string }) => {
    const h = isLock(p) && hooks.onWrite;
    if (!h) return fs.writeFileSync(p, data, o);
    hooks.onWrite = null;
    const fd = fs.openSync(p as string, o?.flag ?? 'w');
    try {
      h();
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
  }) as typeof fs.writeFileSync;
  return { ...fs, default: { ...fs, readFileSync, writeFileSync }, readFileSync, writeFileSync };
});

const { NodeRunSink } = await import('../../rl/io/node_sink.js');

afterEach(() => {
  hooks.onRead = null;
  hooks.onWrite = null;
});

/** Opens `a`; `b` opens at the moment the hook fires. Returns each one's outcome. */
async function race(dir: string, set: (f: () => void) => void): Promise<[string, string]> {
  const a = new NodeRunSink(dir), b = new NodeRunSink(dir);
  let bOpen: Promise<unknown> = Promise.resolve();
  set(() => {
    bOpen = b.open(); // runs synchronously up to the lock (open has no await before it)
  });
  const outcome = (p: Promise<unknown>) => p.then(() => 'held', (e: Error) => e.message);
  const ra = await outcome(a.open());
  return [ra, await outcome(bOpen)];
}

const scratch = scratchDirs();

it('two processes that find one stale lock: one takes it over, the other is refused', async () => {
  const dir = scratch('fisor-lock-');
  const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited and reaped: no such process now
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: dead, host: hostname(), since: '2020-01-01T00:00:00.000Z' }) + '\n');
  const outcomes = await race(dir, (f) => (hooks.onRead = f));
  expect(outcomes.filter((o) => o === 'held')).toHaveLength(1);
  expect(outcomes.find((o) => o !== 'held')).toMatch(new RegExp(`is in use by process ${process.pid} \\(lock file .*\\.lock\\), taken at `));
  expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')).pid).toBe(process.pid);
  expect(readdirSync(dir)).toEqual(['.lock']);
});

it('three processes and one stale lock: never two holders (a third one opening while the first re-checks the lock)', async () => {
  const dir = scratch('fisor-lock-');
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: dead, host: hostname(), since: '2020-01-01T00:00:00.000Z' }) + '\n');
  const a = new NodeRunSink(dir), b = new NodeRunSink(dir), c = new NodeRunSink(dir);
  const outcome = (p: Promise<unknown>) => p.then(() => 'held', (e: Error) => e.message);
  let bOpen: Promise<string> = Promise.resolve(''), cOpen: Promise<string> = Promise.resolve('');
  // a reads the stale lock; b then takes it over; c opens at a's next read of a lock file, while a re-checks it.
  hooks.onRead = () => {
    bOpen = outcome(b.open());
    hooks.onRead = () => {
      cOpen = outcome(c.open());
    };
  };
  const outcomes = [await outcome(a.open()), await bOpen, await cOpen];
  expect(outcomes.filter((o) => o === 'held'), outcomes.join(' | ')).toHaveLength(1);
  for (const o of outcomes.filter((x) => x !== 'held')) expect(o).toMatch(/is in use by process/);
  const holder = [a, b, c][outcomes.indexOf('held')] as unknown as { lockText: string };
  expect(readFileSync(join(dir, '.lock'), 'utf8')).toBe(holder.lockText);
  expect(readdirSync(dir)).toEqual(['.lock']);
});

it('a breaker left by a process that died while removing a stale lock is named, not broken in turn', async () => {
  const dir = scratch('fisor-lock-');
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: dead, host: hostname() }) + '\n');
  writeFileSync(join(dir, '.lock.break'), JSON.stringify({ pid: dead, host: hostname() }) + '\n');
  await expect(new NodeRunSink(dir).open()).rejects.toThrow(new RegExp(`\\.lock\\.break was left by process ${dead}, which stopped while removing a stale lock of this run; delete that file`));
  expect(readdirSync(dir).sort()).toEqual(['.lock', '.lock.break']);
});

it('a lock read while it is being created is not taken for a stale one', async () => {
  const dir = scratch('fisor-lock-');
  const outcomes = await race(dir, (f) => (hooks.onWrite = f));
  expect(outcomes.filter((o) => o === 'held')).toHaveLength(1);
  expect(outcomes.find((o) => o !== 'held')).toMatch(/is in use by process/);
  expect(readdirSync(dir)).toEqual(['.lock']);
});

it('a stale lock alone is taken over, and close removes the lock', async () => {
  const dir = scratch('fisor-lock-');
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: dead, host: hostname() }) + '\n');
  const s = new NodeRunSink(dir);
  expect(await s.open()).toEqual([]);
  expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')).pid).toBe(process.pid);
  await s.close();
  expect(existsSync(join(dir, '.lock'))).toBe(false);
});

it("close removes only this process's lock: one that another process holds now stays", async () => {
  const dir = scratch('fisor-lock-');
  const s = new NodeRunSink(dir);
  await s.open();
  // In a three-way race for a stale lock, another process can hold the lock by the time this one closes.
  const other = JSON.stringify({ pid: process.pid, host: hostname(), since: '2030-01-01T00:00:00.000Z' }) + '\n';
  writeFileSync(join(dir, '.lock'), other);
  await s.close();
  expect(readFileSync(join(dir, '.lock'), 'utf8')).toBe(other);
});
