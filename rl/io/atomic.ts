/**
 * Atomic file output: write to a temporary file in the same directory, flush it to disk, then rename over the
 * target, and flush the directory. A crash or error midway leaves the previous file (or none), never a
 * half-written one; after a power loss too (the rename without the flush could reach the disk before the data,
 * leaving an empty or truncated file under the final name).
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pidAlive } from './pid.js';

/** Writes `data` to `path` and flushes it to disk before returning. */
function writeDurable(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a directory's entries (a rename in it) to disk. Best effort: Windows cannot open a directory. */
export function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a directory; the rename itself is still atomic
  } finally {
    closeSync(fd);
  }
}

/** Flushes the directories holding `paths`, each once. */
function syncDirsOf(paths: readonly string[]): void {
  for (const d of new Set(paths.map((p) => dirname(p)))) syncDir(d);
}

const aside = (path: string, kind: 'tmp' | 'old' | 'journal') => join(dirname(path), `.${basename(path)}.${kind}-${process.pid}`);

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = aside(path, 'tmp');
  try {
    writeDurable(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dirname(path));
}

/** A set write's journal entry: the target, its temporary file, and the hard link (or copy) of its old content. */
interface JournalEntry {
  path: string;
  tmp: string;
  backup: string | null;
}

const JOURNAL = /^\..+\.journal-(\d+)$/;

/**
 * Undoes or completes a set write from its journal. While some temporary file is still there, not every target was
 * renamed in: the renamed ones get their old content back (from the backup; removed if there was none), so the set is
 * the old one. When every temporary file is gone, every target holds its new content: the set is the new one, and only
 * the backups go. The journal goes last, so a second interruption leaves it to be read again.
 */
function settle(entries: readonly JournalEntry[], journal: string): void {
  const complete = entries.every((e) => !existsSync(e.tmp));
  for (const e of [...entries].reverse()) {
    if (!complete && !existsSync(e.tmp)) {
      if (e.backup && existsSync(e.backup)) renameSync(e.backup, e.path);
      else if (!e.backup) rmSync(e.path, { force: true });
    }
    rmSync(e.tmp, { force: true });
    if (e.backup) rmSync(e.backup, { force: true });
  }
  syncDirsOf([journal, ...entries.map((e) => e.path)]);
  rmSync(journal, { force: true });
  syncDir(dirname(journal));
}

/**
 * Settles the set writes that a process killed between their renames left in the directories of `paths` (a journal
 * whose process no longer exists): each set becomes all old or all new (see `settle`). Returns the journals it
 * settled, after removing the temporary files and backups of those paths that dead writers left outside a journal.
 * `writeFilesAtomic` calls it first; a reader of such a set (the results script) calls it before reading.
 */
export function recoverInterruptedWrites(paths: readonly string[]): string[] {
  const settled: string[] = [];
  for (const dir of new Set(paths.map((p) => dirname(p)))) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const m = JOURNAL.exec(name);
      if (!m || pidAlive(Number(m[1]))) continue;
      const journal = join(dir, name);
      let entries: JournalEntry[];
      try {
        entries = (JSON.parse(readFileSync(journal, 'utf8')) as { files: JournalEntry[] }).files;
        if (!Array.isArray(entries)) throw new Error('no files');
      } catch (e) {
        throw new Error(`${journal}: an interrupted set write left this journal, and it cannot be read (${(e as Error).message}); check the files it names by hand, then delete it`);
      }
      settle(entries, journal);
      settled.push(journal);
    }
  }
  // What a dead writer left outside any journal: temporary files it never renamed in, and backups of a set it had
  // completed (killed after removing its journal) or not yet begun to rename (killed before writing it).
  for (const p of paths) {
    const dir = dirname(p);
    if (!existsSync(dir)) continue;
    const prefix = `.${basename(p)}.`;
    for (const name of readdirSync(dir)) {
      const m = /\.(?:tmp|old)-(\d+)$/.exec(name);
      if (m && name === prefix + m[0].slice(1) && !pidAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
    }
  }
  return settled;
}

/**
 * Files that belong together (a report and its results.json): all are written to temporary files and flushed first,
 * the old ones are hard-linked (or copied) aside, a journal naming all of them is flushed, then the files are renamed
 * in one after another, and the journal is removed. A failure during the renames puts back the ones already renamed;
 * a process killed between two renames leaves the journal, and the next `writeFilesAtomic` or
 * `recoverInterruptedWrites` on those paths settles the set as all old (or, once every file was renamed in, all new).
 * So the set on disk is never a mix once it is settled. (A reader that does not settle first can still see a mix in
 * the microseconds between two renames, or after such a kill.)
 */
export function writeFilesAtomic(files: readonly { path: string; data: string | Uint8Array }[]): void {
  const paths = files.map((f) => f.path);
  const twice = paths.find((p, i) => paths.indexOf(p) !== i);
  if (twice !== undefined) throw new Error(`writeFilesAtomic: ${twice} is given twice`);
  if (paths.length === 0) return;
  recoverInterruptedWrites(paths);
  const entries: JournalEntry[] = paths.map((p) => ({ path: p, tmp: aside(p, 'tmp'), backup: null }));
  const journal = aside(paths[0], 'journal');
  const removeAll = () => {
    for (const e of entries) {
      rmSync(e.tmp, { force: true });
      if (e.backup) rmSync(e.backup, { force: true });
    }
    rmSync(journal, { force: true });
  };
  try {
    files.forEach((f, i) => writeDurable(entries[i].tmp, f.data));
    for (const e of entries) {
      if (!existsSync(e.path)) continue;
      // Recorded before it is made: a copy that fails partway (a full disk) is removed with the rest.
      e.backup = aside(e.path, 'old');
      rmSync(e.backup, { force: true });
      try {
        linkSync(e.path, e.backup);
      } catch {
        copyFileSync(e.path, e.backup); // a file system without hard links (a directory at the path fails here too)
      }
    }
    writeDurable(journal, JSON.stringify({ files: entries }) + '\n');
    syncDirsOf([journal, ...paths]);
  } catch (e) {
    removeAll();
    throw e;
  }
  try {
    for (const e of entries) renameSync(e.tmp, e.path);
  } catch (e) {
    try {
      settle(entries, journal);
    } catch {
      // best effort; the original error matters (the journal, if still there, is settled on the next write)
    }
    throw e;
  }
  rmSync(journal, { force: true }); // the new set is complete: from here a kill leaves only backups to remove
  for (const e of entries) if (e.backup) rmSync(e.backup, { force: true });
  syncDirsOf(paths);
}
