/**
 * Table 1 never compares FISOR with baselines trained on other data: scripts/table1.ts picks the baselines'
 * results file of each task's data recipe and drops entries of another recipe.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { baselinesFile, baselinesFor, baselinesReport } from '../../scripts/table1.js';
import { PAPER_TABLE1, paperRatioSection } from '../../scripts/paper_table1.js';

const cwd = process.cwd();
let dir = '';
afterEach(() => {
  process.chdir(cwd);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const entry = (algo: string, task: string, seed: number, r: number, dataRecipe?: string) => ({ algo, task, seed, normalizedReward: r, normalizedCost: 0, ...(dataRecipe ? { dataRecipe } : {}) });

describe('Table 1 baselines by data recipe', () => {
  it('names one file and one report per recipe; fixed keeps the original names', () => {
    expect(baselinesFile('fixed')).toBe('results-baselines.json');
    expect(baselinesFile('recovery')).toBe('results-baselines-recovery.json');
    expect(baselinesReport('fixed')).toBe('docs/BASELINES_RESULTS.md');
    expect(baselinesReport('recovery')).toBe('docs/BASELINES_RESULTS-recovery.md');
  });

  it('each task gets the baselines of its own recipe; entries of another recipe are dropped; no file, no baselines', () => {
    dir = mkdtempSync(join(tmpdir(), 'table1-'));
    process.chdir(dir);
    // The fixed file: one old entry without a recipe (= fixed), one that claims recovery (must not be used).
    writeFileSync('results-baselines.json', JSON.stringify({ entries: [entry('bc-safe', 'BallRun', 0, 0.1), entry('bc-safe', 'CarRun', 0, 0.9, 'recovery')] }));
    writeFileSync('results-baselines-recovery.json', JSON.stringify({ entries: [entry('bc-safe', 'CarRun', 0, 0.3, 'recovery'), entry('bc-all', 'BallRun', 0, 0.7, 'recovery')] }));
    const got = baselinesFor(['BallRun', 'CarRun'], (t) => (t === 'BallRun' ? 'fixed' : 'recovery'));
    expect(got.map((e) => [e.algo, e.task, e.normalizedReward])).toEqual([['bc-safe', 'BallRun', 0.1], ['bc-safe', 'CarRun', 0.3]]);
    rmSync('results-baselines-recovery.json');
    expect(baselinesFor(['CarRun'], () => 'recovery')).toEqual([]);
  });

  it('scripts/baselines.ts refuses a results file holding another recipe\'s entries, naming the entry, and writes nothing', () => {
    dir = mkdtempSync(join(tmpdir(), 'table1-'));
    const json = join(dir, 'mixed.json');
    const original = JSON.stringify({ description: 'x', command: [], entries: [entry('bc-safe', 'BallRun', 0, 0.1), entry('bc-safe', 'CarRun', 1, 0.2, 'recovery')] });
    writeFileSync(json, original);
    const script = fileURLToPath(new URL('../../scripts/baselines.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--report-only', '--json', json, '--report', join(dir, 'r.md'), '--figures', join(dir, 'fig')], { encoding: 'utf8', cwd });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/entries\[1\] \(bc-safe CarRun seed 1\) was trained on the 'recovery' data recipe, not 'fixed'/);
    expect(readFileSync(json, 'utf8')).toBe(original);
    expect(existsSync(join(dir, 'r.md'))).toBe(false);
  }, 60_000);
});


describe('FISOR against BC, here and in the paper', () => {
  it('sets FISOR / BC-All and / BC-Safe here beside the paper\'s FISOR / BC on the shared tasks only', () => {
    const here: Record<string, number> = { 'fisor|BallRun': 0.3, 'bc-all|BallRun': 0.6, 'bc-safe|BallRun': 0.5, 'fisor|PointGoal1': 0.1, 'bc-all|PointGoal1': 0.4, 'fisor|CarRun': 0.5 };
    const lines = paperRatioSection(['BallRun', 'CarRun', 'PointGoal1'], (a, t) => here[`${a}|${t}`]);
    const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| Task'));
    // PointGoal1 is not in the paper's table; CarRun has no BC-All run here.
    expect(rows).toEqual(['| BallRun | 0.30 | 0.50x | 0.60x | 0.18 / 0.00 | 0.67 / 11.38 | 0.27x |']);
    expect(PAPER_TABLE1.BallCircle.fisor).toEqual([0.34, 0]);
    expect(paperRatioSection(['PointGoal1'], (a, t) => here[`${a}|${t}`])).toEqual([]);
  });
});
