/** Node-only provenance: package name@version from package.json and the git commit (null outside a checkout). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function nodeProvenance(): { package: string; gitCommit: string | null } {
  let pkg = 'unknown';
  try {
    const p = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { name: string; version: string };
    pkg = `${p.name}@${p.version}`;
  } catch {
    // installed without package.json next to it: leave 'unknown'
  }
  let gitCommit: string | null = null;
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    gitCommit = /^[0-9a-f]{40}$/.test(head) ? head + (dirty ? '+dirty' : '') : null;
  } catch {
    // no git or not a checkout
  }
  return { package: pkg, gitCommit };
}
