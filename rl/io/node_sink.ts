/**
 * A run directory on a Node file system, used by `train` when it is given `outDir`.
 *
 * Lock: `open()` creates `<dir>/.lock` exclusively (O_EXCL) holding this process's pid and host. A second
 * writer gets an error naming the holder's pid; a lock whose process no longer exists (same host) is stale
 * and is taken over. `close()` removes it. While the lock is held, temporary files that a dead writer left
 * (`checkpoint.tmp-<pid>-<n>`, `.<file>.tmp-<pid>`, and `checkpoint.old-*` beside a complete checkpoint)
 * are removed; a `checkpoint.old-*` with no `checkpoint` beside it is the only copy and is kept (loading
 * names it).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint, type CheckpointContent, type LoadedCheckpoint } from '../../nn/checkpoint.js';
import { writeFileAtomic } from './atomic.js';
import type { RunSink } from './sink.js';

export const LOCK_FILE = '.lock';

/** True if a process with this pid exists (on this host). EPERM means it exists but is not ours. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in a temporary name written by nn/checkpoint.ts or io/atomic.ts, or null for other names. */
function tempOwner(name: string): number | null {
  const m = /\.(?:tmp|old)-(\d+)(?:-\d+)?$/.exec(name);
  return m ? Number(m[1]) : null;
}

export class NodeRunSink implements RunSink {
  readonly location: string;
  private locked = false;
  private created = false;

  constructor(dir: string) {
    this.location = dir;
  }

  private path(name: string): string {
    return join(this.location, name);
  }

  /** Checks the directory can hold a run, without creating anything. */
  static check(dir: string): void {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir} exists and is a file, not a run directory`);
  }

  async open(): Promise<string[]> {
    NodeRunSink.check(this.location);
    this.created = !existsSync(this.location);
    mkdirSync(this.location, { recursive: true });
    this.takeLock();
    this.removeLeftovers();
    return readdirSync(this.location).filter((n) => n !== LOCK_FILE);
  }

  private takeLock(): void {
    const lock = this.path(LOCK_FILE);
    const me = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + '\n';
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(lock, me, { flag: 'wx' });
        this.locked = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let holder: { pid?: unknown; host?: unknown } = {};
      try {
        holder = JSON.parse(readFileSync(lock, 'utf8'));
      } catch {
        // torn or foreign lock file: treated as stale below
      }
      const pid = Number(holder.pid);
      const sameHost = holder.host === undefined || holder.host === hostname();
      if (sameHost && !pidAlive(pid)) {
        rmSync(lock, { force: true }); // stale: its process is gone
        continue;
      }
      throw new Error(`run directory ${this.location} is in use by process ${pid}${sameHost ? '' : ` on ${String(holder.host)}`} (lock file ${lock}); wait for it to finish, or delete the lock file if that process is gone`);
    }
    throw new Error(`cannot take the lock ${lock}`);
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
    if (this.locked) rmSync(this.path(LOCK_FILE), { force: true });
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
}
