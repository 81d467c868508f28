/**
 * The report that scripts/results.ts makes from a results.json: the safety monitor's 'selection' cause (a feasible
 * candidate was offered but another executed) has its own columns (it used to be added into 'actor', which the
 * text defines as "no candidate had Q_h <= 0"), and a seed whose V_h AUC is undefined (null in JSON: one class in
 * the held-out data) is left out of the mean instead of counting as 0.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { runScript } from '../helpers/run_script.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-results-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = new URL('../../', import.meta.url);

type Run = { task: string; seed: number; monitor?: { byCause: Record<string, number>; rootCause: Record<string, number> }; convergence?: Record<'final' | 'afterCritics', { vhAuc: number | null } | undefined> };

it('the monitor table shows selection apart from actor, and the AUC mean skips seeds without one', async () => {
  const saved = JSON.parse(readFileSync(new URL('results.json', root), 'utf8')) as { runs: Run[] };
  const pg = saved.runs.filter((x) => x.task === 'PointGoal1' && x.monitor && x.convergence);
  expect(pg.length).toBeGreaterThanOrEqual(2);
  for (const x of pg) {
    x.monitor!.byCause = { critic: 1, actor: 2, selection: 3, recovery: 4 };
    x.monitor!.rootCause = { critic: 5, actor: 6, selection: 7, start: 8 };
    for (const c of Object.values(x.convergence!)) if (c) c.vhAuc = 0.5;
  }
  for (const c of Object.values(pg[0].convergence!)) if (c) c.vhAuc = null;
  const file = join(dir, 'results.json');
  writeFileSync(file, JSON.stringify(saved));
  const report = join(dir, 'RESULTS.md');
  const r = await runScript(fileURLToPath(new URL('scripts/results.ts', root)), ['--merge', file, '--report', report]);
  expect(r.status, r.stderr).toBe(0);
  const text = readFileSync(report, 'utf8');
  expect(text).toContain('| critic | actor | selection | recovery | root: critic | root: actor | root: selection | root: start |');
  const n = pg.length;
  expect(text).toMatch(new RegExp(`\\| PointGoal1 \\| \\d+ \\| \\d+ of \\d+ \\| ${n} \\| ${2 * n} \\| ${3 * n} \\| ${4 * n} \\| ${5 * n} \\| ${6 * n} \\| ${7 * n} \\| ${8 * n} \\|`));
  expect(text).toContain(`0.500 (${n - 1} of ${n} seeds; the others' held-out data held one class)`);
}, 60_000);
