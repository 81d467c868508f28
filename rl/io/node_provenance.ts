/**
 * Node-only provenance: package name@version from the package's own package.json and, in a source checkout of
 * it, the git commit (null when installed: a consumer's repository around node_modules is not this package's).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'fisor-ts';

/**
 * The package root and its package.json: the nearest directory above this file whose package.json is this
 * package's (the repository root when run from sources, `node_modules/fisor-ts` when installed, where this file
 * lies under dist/).
 */
function findPackage(): { root: string; version: string } | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const p = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (p.name === PACKAGE_NAME) return { root: dir, version: String(p.version) };
      } catch {
        // unreadable package.json: keep looking upwards
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * What decides a run's numbers: a tracked change here makes a commit '+dirty'. The reports, results files and
 * figures the scripts themselves rewrite (RESULTS.md, results*.json, docs/, figures/) do not: a sweep's second
 * command would otherwise be labelled as other code than its first.
 */
export const SOURCE_PATHS = ['core', 'nn', 'diffusion', 'rl', 'scripts', 'web', 'bin', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/**
 * The git commit of the checkout at `root` (null when `root` holds no .git: git would otherwise report an enclosing
 * project's commit, or without a git binary), with '+dirty' when a tracked file under SOURCE_PATHS has uncommitted
 * changes.
 */
export function gitCommitAt(root: string): string | null {
  if (!existsSync(join(root, '.git'))) return null;
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const head = git(['rev-parse', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', ...SOURCE_PATHS]);
    return /^[0-9a-f]{40}$/.test(head) ? head + (dirty ? '+dirty' : '') : null;
  } catch {
    return null; // no git binary
  }
}

export function nodeProvenance(): { package: string; gitCommit: string | null } {
  const found = findPackage();
  const pkg = found ? `${PACKAGE_NAME}@${found.version}` : 'unknown';
  return { package: pkg, gitCommit: found ? gitCommitAt(found.root) : null };
}
