/**
 * A run directory on a Node file system, used by `train` when it is given `outDir`.
 *
 * Lock: `open()` creates `<dir>/.lock` exclusively, complete with this process's pid and host (written aside,
 * then hard-linked in). A second writer gets an error naming the holder's pid; a lock whose process no longer
 * exists (same host) is stale and is taken over, by one process only when several find it at once (it is removed
 * only under a breaker file, see removeIfUnchanged). `close()`
 * removes it. While the lock is held, temporary files that a dead writer left
 * (`checkpoint.tmp-<pid>-<n>`, `.<file>.tmp-<pid>`, and `checkpoint.old-*` beside a complete checkpoint)
 * are removed; a `checkpoint.old-*` with no `checkpoint` beside it is the only copy and is kept (loading
 * names it; `restoreInterruptedSave` puts it back, which the experiment scripts do before deciding to resume).
 */
import { appendFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint, type CheckpointContent, type LoadedCheckpoint } from '../../nn/checkpoint.js';
import { writeFileAtomic } from './atomic.js';
import { pidAlive } from './pid.js';
import type { RunSink } from './sink.js';

export const LOCK_FILE = '.lock';

/** The pid in a temporary name written by nn/checkpoint.ts or io/atomic.ts, or null for other names. */
function tempOwner(name: string): number | null {
  const m = /\.(?:tmp|old)-(\d+)(?:-\d+)?$/.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * Who holds a lock, from its text, and whether the lock is stale: its process is gone (on this host; another host's
 * cannot be checked). A torn or foreign lock counts as stale (a lock is never seen half-written: createLock).
 */
function lockHolder(text: string): { pid: number; host: unknown; since: unknown; sameHost: boolean; stale: boolean } {
  let h: { pid?: unknown; host?: unknown; since?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) h = parsed;
  } catch {
    // torn or foreign: stale below
  }
  const pid = Number(h.pid);
  const sameHost = h.host === undefined || h.host === hostname();
  return { pid, host: h.host, since: h.since, sameHost, stale: sameHost && !pidAlive(pid) };
}

/**
 * Creates the lock file with its content in one step (written aside, then hard-linked in: link fails if the lock
 * exists), so another process never reads an empty lock and takes it for a stale one. Returns false when a lock
 * exists. File systems without hard links fall back to an exclusive create.
 */
function createLock(lock: string, content: string): boolean {
  const tmp = `${lock}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, lock);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
  } finally {
    rmSync(tmp, { force: true });
  }
  try {
    writeFileSync(lock, content, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** The file a process holds while it removes a stale lock (`<lock>.break`). */
const breakerOf = (lock: string) => `${lock}.break`;

/** Sleeps the thread for `ms` (synchronous, as takeLock is: open() has no await before the lock). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes a stale lock only while holding the breaker `<lock>.break` (created exclusively, as the lock is), and only
 * if the lock still holds `text`. Of several processes that found the same stale lock, the first to hold the breaker
 * removes it; the others, re-reading it under the breaker, find the lock a live process took meanwhile and leave it.
 * No lock can change while the breaker is held (a create fails while the stale one exists), so no live lock is ever
 * removed, and never two processes hold the run. (The old way, renaming the lock aside and linking back a live one
 * moved by mistake, lost that lock when a third process took the lock in between.) Returns false when another process
 * holds the breaker (the caller retries); a breaker whose process died, in the microseconds it is held, is an error
 * naming it, not broken in turn.
 */
function removeIfUnchanged(lock: string, text: string): boolean {
  const breaker = breakerOf(lock);
  if (!createLock(breaker, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + '\n')) {
    let held: string;
    try {
      held = readFileSync(breaker, 'utf8');
    } catch {
      return false; // released meanwhile
    }
    const holder = lockHolder(held);
    if (holder.stale) throw new Error(`${breaker} was left by process ${holder.pid}, which stopped while removing a stale lock of this run; delete that file if no other process is opening the run, then try again`);
    return false;
  }
  try {
    let now: string;
    try {
      now = readFileSync(lock, 'utf8');
    } catch {
      return true; // gone already
    }
    if (now === text) rmSync(lock, { force: true });
    return true;
  } finally {
    rmSync(breaker, { force: true });
  }
}

export class NodeRunSink implements RunSink {
  readonly location: string;
  private locked = false;
  /** What this process wrote into the lock (close() removes the lock only while it still holds this). */
  private lockText = '';
  private created = false;

  constructor(dir: string) {
    this.location = dir;
  }

  private path(name: string): string {
    return join(this.location, name);
  }

  /** Checks the directory can hold a run, without creating anything. */
  /**
   * A save interrupted between its two renames (nn/checkpoint.ts) leaves the previous checkpoint at
   * `<name>.old-<pid>-<n>` and nothing at `<name>`. Code that resumes a run only when `<name>/manifest.json` exists (the
   * experiment scripts) would start it over, deleting that copy with the run. This renames the newest complete such
   * copy back to `<name>` and returns where it was (null when there is nothing to restore). It does nothing while a
   * live process holds the run's lock, since its save may be between those renames.
   */
  static restoreInterruptedSave(dir: string, name = 'checkpoint'): string | null {
    if (!existsSync(dir) || !statSync(dir).isDirectory() || existsSync(join(dir, name))) return null;
    let lockText: string | null = null;
    try {
      lockText = readFileSync(join(dir, LOCK_FILE), 'utf8');
    } catch {
      // no lock: no process is saving here
    }
    if (lockText !== null && !lockHolder(lockText).stale) return null;
    const copies = readdirSync(dir)
      .filter((n) => /^.+\.old-\d+-\d+$/.test(n) && n.startsWith(`${name}.old-`) && existsSync(join(dir, n, 'manifest.json')))
      .sort((a, b) => statSync(join(dir, a)).mtimeMs - statSync(join(dir, b)).mtimeMs);
    const newest = copies.at(-1);
    if (newest === undefined) return null;
    renameSync(join(dir, newest), join(dir, name));
    return join(dir, newest);
  }

  /** `restoreInterruptedSave`, telling `log` when it restored something. */
  static restoreInterruptedSaveNoted(dir: string, log: (line: string) => void, name = 'checkpoint'): void {
    const from = NodeRunSink.restoreInterruptedSave(dir, name);
    if (from) log(`note: an interrupted save had left the previous checkpoint at ${from}; restored it to ${name}/ in ${dir} to continue from there`);
  }

  static check(dir: string): void {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir} exists and is a file, not a run directory`);
  }

  async open(): Promise<string[]> {
    NodeRunSink.check(this.location);
    this.created = !existsSync(this.location);
    mkdirSync(this.location, { recursive: true });
    this.takeLock();
    this.removeLeftovers();
    return readdirSync(this.location).filter((n) => n !== LOCK_FILE && n !== breakerOf(LOCK_FILE));
  }

  private takeLock(): void {
    const lock = this.path(LOCK_FILE);
    const me = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + '\n';
    for (let attempt = 0; attempt < 50; attempt++) {
      if (createLock(lock, me)) {
        this.locked = true;
        this.lockText = me;
        return;
      }
      let text: string;
      try {
        text = readFileSync(lock, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        throw e;
      }
      const holder = lockHolder(text);
      if (holder.stale) {
        if (!removeIfUnchanged(lock, text)) pause(2); // its process is gone; another process is removing it now
        continue;
      }
      const { pid, sameHost } = holder;
      const since = typeof holder.since === 'string' ? `, taken at ${holder.since}` : '';
      throw new Error(`run directory ${this.location} is in use by process ${pid}${sameHost ? '' : ` on ${String(holder.host)}`} (lock file ${lock})${since}; wait for it to finish, or delete the lock file if that process is gone`);
    }
    throw new Error(`cannot take the lock ${lock}: other processes keep taking it; try again`);
  }

  private removeLeftovers(): void {
    const names = readdirSync(this.location);
    for (const n of names) {
      const pid = tempOwner(n);
      if (pid === null || (pid !== process.pid && pidAlive(pid))) continue;
      const isOld = /\.old-\d+-\d+$/.test(n);
      if (isOld && !existsSync(join(this.path(n.replace(/\.old-\d+-\d+$/, '')), 'manifest.json'))) continue; // the only copy
      rmSync(this.path(n), { recursive: true, force: true });
    }
  }

  async close(opts: { removeIfEmpty?: boolean } = {}): Promise<void> {
    // Only our own lock (a lock is never removed while its process lives, but a hand edit or a reused pid could differ).
    if (this.locked) {
      const lock = this.path(LOCK_FILE);
      let text: string | null = null;
      try {
        text = readFileSync(lock, 'utf8');
      } catch {
        // already gone
      }
      if (text === this.lockText) rmSync(lock, { force: true });
    }
    this.locked = false;
    if (opts.removeIfEmpty && this.created && existsSync(this.location) && readdirSync(this.location).length === 0) rmSync(this.location, { recursive: true });
  }

  async clear(): Promise<void> {
    for (const n of readdirSync(this.location)) if (n !== LOCK_FILE) rmSync(this.path(n), { recursive: true, force: true });
  }

  async append(name: string, text: string): Promise<void> {
    appendFileSync(this.path(name), text);
  }

  async writeAtomic(name: string, text: string): Promise<void> {
    writeFileAtomic(this.path(name), text);
  }

  async read(name: string): Promise<string | null> {
    const p = this.path(name);
    return existsSync(p) ? readFileSync(p, 'utf8') : null;
  }

  async saveCheckpoint(name: string, content: CheckpointContent): Promise<void> {
    await saveCheckpoint(this.path(name), content);
  }

  async loadCheckpoint(name: string): Promise<LoadedCheckpoint> {
    return loadCheckpoint(this.path(name));
  }

  async hasCheckpoint(name: string): Promise<boolean> {
    return existsSync(join(this.path(name), 'manifest.json'));
  }

  async remove(name: string): Promise<void> {
    if (name === LOCK_FILE || name.includes('/') || name.includes('\\') || name === '' || name === '.' || name === '..') throw new Error(`remove: '${name}' is not an entry of run ${this.location}`);
    rmSync(this.path(name), { recursive: true, force: true });
  }
}
