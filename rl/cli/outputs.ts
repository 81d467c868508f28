/**
 * The checks every CLI command runs on the files it is about to write, before any work is spent: a user's
 * results are never replaced without --force, a path that cannot be written is refused up front, and nothing
 * goes inside a checkpoint directory, at any depth (the next save replaces that directory whole, and the file
 * with it).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './args.js';

export interface OutputCheck {
  /** Replace existing files (the command's --force). */
  force: boolean;
  /** The directory must exist already (commands that do not create it). */
  dirMustExist?: boolean;
  /** How to ask for a replacement, in the message (default 'pass --force to replace it'). */
  forceHint?: string;
}

/** Refuses each of `paths` (the files one `flag` makes) that could not or should not be written; see the module comment. */
export function checkOutputFiles(flag: string, paths: readonly string[], o: OutputCheck): void {
  const hint = o.forceHint ?? 'pass --force to replace it';
  for (const path of paths) {
    const name = path === paths[0] ? `${flag} ${path}` : `${path} (written with ${flag} ${paths[0]})`;
    if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${name} is a directory; give a file name`);
    if (existsSync(path) && !o.force) throw new UsageError(`${name} already exists; ${hint}, or give another file name`);
    const dir = dirname(path) || '.';
    const ancestor = firstExistingAncestor(dir);
    const checkpoint = checkpointAncestor(ancestor);
    if (checkpoint !== null) {
      throw new UsageError(`${name} is inside the checkpoint directory ${checkpoint}, which the next checkpoint save replaces whole; write it beside the checkpoint`);
    }
    if (!statSync(ancestor).isDirectory()) throw new UsageError(`${name}: ${ancestor} is a file, not a directory`);
    if (o.dirMustExist && resolve(ancestor) !== resolve(dir)) throw new UsageError(`${name}: directory ${dir} does not exist`);
  }
}

/**
 * `base`, or `base-2`, `base-3`, ... : the first whose files (base + each extension) all do not exist. A default
 * output never replaces an earlier one (as eval's default result file); an explicit --out is refused instead.
 */
export function freeOutputBase(base: string, extensions: readonly string[]): string {
  const taken = (b: string): boolean => extensions.some((e) => existsSync(b + e));
  if (!taken(base)) return base;
  let k = 2;
  while (taken(`${base}-${k}`)) k++;
  return `${base}-${k}`;
}

/** The nearest directory at or above `dir` that is a checkpoint (a manifest.json beside a tensors.bin), or null. */
function checkpointAncestor(dir: string): string | null {
  let d = resolve(dir);
  for (;;) {
    if (existsSync(join(d, 'manifest.json')) && existsSync(join(d, 'tensors.bin'))) return d;
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

function firstExistingAncestor(dir: string): string {
  let d = resolve(dir);
  while (!existsSync(d)) {
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  return d;
}
