/**
 * The commit a run records (rl/io/node_provenance.ts gitCommitAt): '+dirty' only for uncommitted changes to the
 * sources. The reports and results files the scripts rewrite do not count, or a sweep's second command would be
 * labelled as other code than its first.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { gitCommitAt } from '../../rl/io/node_provenance.js';

const root = mkdtempSync(join(tmpdir(), 'fisor-git-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: root, encoding: 'utf8' }).trim();

it("a checkout's commit is '+dirty' for changed sources, not for the reports and results its scripts rewrite", () => {
  expect(gitCommitAt(root)).toBeNull(); // no .git: no commit (an installed package inside another project)
  mkdirSync(join(root, 'rl'));
  mkdirSync(join(root, 'figures'));
  const files = { 'rl/a.ts': 'export {};\n', 'RESULTS.md': '# r\n', 'results.json': '{}\n', 'figures/f.svg': '<svg/>\n' };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(root, f), text);
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'x');
  const head = git('rev-parse', 'HEAD');
  expect(gitCommitAt(root)).toBe(head);
  for (const f of ['RESULTS.md', 'results.json', 'figures/f.svg']) writeFileSync(join(root, f), 'rewritten by a script\n');
  writeFileSync(join(root, 'rl', 'new.ts'), 'untracked\n');
  expect(gitCommitAt(root)).toBe(head);
  writeFileSync(join(root, 'rl', 'a.ts'), 'export const changed = 1;\n');
  expect(gitCommitAt(root)).toBe(`${head}+dirty`);
});
