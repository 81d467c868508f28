/**
 * Atomic file output: write to a temporary file in the same directory, flush it to disk, then rename over the
 * target, and flush the directory. A crash or error midway leaves the previous file (or none), never a
 * half-written one; after a power loss too (the rename without the flush could reach the disk before the data,
 * leaving an empty or truncated file under the final name).
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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

const aside = (path: string, kind: 'tmp' | 'old') => join(dirname(path), `.${basename(path)}.${kind}-${process.pid}`);

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

/**
 * Files that belong together (a report and its results.json): all are written to temporary files and flushed
 * first, then renamed in one after another. A failure while writing changes none of them; a failure during the
 * renames puts back the ones already renamed (from a hard link, or copy, made just before), so the set on disk is
 * the old one or the new one, never a mix. (Only a kill between two renames, microseconds apart, can mix them.)
 */
export function writeFilesAtomic(files: readonly { path: string; data: string | Uint8Array }[]): void {
  const paths = files.map((f) => f.path);
  const twice = paths.find((p, i) => paths.indexOf(p) !== i);
  if (twice !== undefined) throw new Error(`writeFilesAtomic: ${twice} is given twice`);
  const tmps = paths.map((p) => aside(p, 'tmp'));
  const removeTemps = () => tmps.forEach((t) => rmSync(t, { force: true }));
  try {
    files.forEach((f, i) => writeDurable(tmps[i], f.data));
  } catch (e) {
    removeTemps();
    throw e;
  }
  const backups: (string | null)[] = [];
  let renamed = 0;
  try {
    for (const [i, p] of paths.entries()) {
      let backup: string | null = null;
      if (existsSync(p)) {
        backup = aside(p, 'old');
        rmSync(backup, { force: true });
      }
      // Recorded before it is made: a copy that fails partway (a full disk) is removed by the rollback too.
      backups.push(backup);
      if (backup) {
        try {
          linkSync(p, backup);
        } catch {
          copyFileSync(p, backup); // a file system without hard links (a directory at p fails here too)
        }
      }
      renameSync(tmps[i], p);
      renamed++;
    }
  } catch (e) {
    for (let j = backups.length - 1; j >= 0; j--) {
      const b = backups[j];
      try {
        if (j < renamed) {
          if (b) renameSync(b, paths[j]);
          else rmSync(paths[j], { force: true });
        } else if (b) rmSync(b, { force: true });
      } catch {
        // best effort; the original error matters
      }
    }
    removeTemps();
    throw e;
  }
  for (const b of backups) if (b) rmSync(b, { force: true });
  for (const d of new Set(paths.map((p) => dirname(p)))) syncDir(d);
}
