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

export function nodeProvenance(): { package: string; gitCommit: string | null } {
  const found = findPackage();
  const pkg = found ? `${PACKAGE_NAME}@${found.version}` : 'unknown';
  const root = found?.root;
  let gitCommit: string | null = null;
  // Only the package's own checkout (its root holds .git): git would otherwise report the enclosing project's commit.
  if (root && existsSync(join(root, '.git'))) {
    try {
      const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
      gitCommit = /^[0-9a-f]{40}$/.test(head) ? head + (dirty ? '+dirty' : '') : null;
    } catch {
      // no git binary
    }
  }
  return { package: pkg, gitCommit };
}
