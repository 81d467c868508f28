/**
 * The formulas behind the published numbers, pinned against hand-derived values: the mean and the sample standard
 * deviation over seeds (studies_io.ts), Table 1's cells, bold and claims (table1.ts), FISOR / BC beside the paper's
 * Table 1 (paper_table1.ts, whose rows are checked against ../shared/reference/FISOR.md), the PointRobot start
 * counts of issue 9 (start_results.ts) and the training time read from metrics.jsonl (run_checks.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mean, meanStd, std } from '../../scripts/studies_io.js';
import { baselinesFile, recipeSuffix, table1Section, type SeedScore } from '../../scripts/table1.js';
import { PAPER_TABLE1, paperRatioSection } from '../../scripts/paper_table1.js';
import { FEASIBLE_STARTS, randomStartsSeed, startResult, violationFree, violationFreeCount, violationFreeText } from '../../scripts/start_results.js';
import { configDiff, runTrainSeconds, trainingSecondsFromMetrics } from '../../scripts/run_checks.js';
import type { EvalResult } from '../../rl/fisor/evaluate.js';

// Table 1's scatter is drawn by baselines_plot.ts (pinned by the plot tests); here only what table1.ts hands it.
const scatters: { base: string; series: { name: string; mean: [number, number]; std: [number, number]; points: [number, number][] }[] }[] = [];
// Only the writer is replaced (it records what it is given); the series builder stays the real one.
vi.mock('../../scripts/baselines_plot.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../scripts/baselines_plot.js')>()),
  writeScatter: async (base: string, _title: string, series: never[]) => void scatters.push({ base, series }),
}));

const dir = mkdtempSync(join(tmpdir(), 'fisor-report-formulas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sample std written another way: sqrt((sum x^2 - n mean^2) / (n - 1)). */
const refStd = (v: number[]) => {
  const n = v.length, m = v.reduce((a, b) => a + b, 0) / n;
  return Math.sqrt(Math.max(0, v.reduce((a, b) => a + b * b, 0) - n * m * m) / (n - 1));
};

describe('mean and sample standard deviation over seeds (studies_io.ts)', () => {
  it('hand-derived values', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([-1, -3])).toBe(-2);
    // (4 + 1 + 9) / (3 - 1) = 7, not the population's 14 / 3.
    expect(std([1, 2, 6])).toBeCloseTo(Math.sqrt(7), 12);
    expect(std([2, 4])).toBeCloseTo(Math.SQRT2, 12);
    expect(std([5])).toBe(0);
    expect(std([])).toBe(0);
    expect(meanStd([1, 2, 6])).toBe('3.000 ± 2.646');
    expect(meanStd([1, 2, 6], 1)).toBe('3.0 ± 2.6');
    expect(meanStd([0.5])).toBe('0.500 ± 0.000');
    expect(meanStd([])).toBe('not run');
  });

  it('laws: std is shift-invariant, scales with |c|, matches sqrt((sum x^2 - n mean^2)/(n-1))', () => {
    const vals = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 2, maxLength: 8 });
    fc.assert(fc.property(vals, fc.double({ min: -5, max: 5, noNaN: true }), (v, c) => {
      expect(std(v)).toBeCloseTo(refStd(v), 6);
      expect(std(v.map((x) => x + c))).toBeCloseTo(std(v), 6);
      expect(std(v.map((x) => c * x))).toBeCloseTo(Math.abs(c) * std(v), 6);
      expect(mean(v.map((x) => x + c))).toBeCloseTo(mean(v) + c, 9);
    }), { seed: 9, numRuns: 100 });
  });
});

const s = (algo: string, task: string, seed: number, normalizedReward: number, normalizedCost: number): SeedScore => ({ algo, task, seed, normalizedReward, normalizedCost });

describe('Table 1 (table1.ts)', () => {
  it('cells are mean ± sample std of reward and of cost, safe iff mean cost <= 1, bold = best safe reward, claims counted', async () => {
    const scores: SeedScore[] = [
      // BallRun: FISOR reward 0.25/0.5/0.75 (0.50 ± 0.25), cost 0.5/1.5/1.0 (mean exactly 1: safe; std 0.50).
      s('fisor', 'BallRun', 0, 0.25, 0.5), s('fisor', 'BallRun', 1, 0.5, 1.5), s('fisor', 'BallRun', 2, 0.75, 1.0),
      // bc-all: higher reward but unsafe (cost 1.25 ± 0.25 over 2 seeds); not bold.
      s('bc-all', 'BallRun', 0, 0.9, 1.0), s('bc-all', 'BallRun', 1, 0.8, 1.5),
      // bc-safe: safe, reward 0.4 < FISOR's 0.5; one seed.
      s('bc-safe', 'BallRun', 0, 0.4, 0.2),
      // CarRun: FISOR unsafe (mean cost 2 with a small spread), bc-safe safe with a cost spread > 1 (std 1.41, mean 1).
      s('fisor', 'CarRun', 0, 0.75, 2), s('fisor', 'CarRun', 1, 0.75, 2), s('fisor', 'CarRun', 2, 0.75, 2),
      s('bc-safe', 'CarRun', 0, 0.125, 0), s('bc-safe', 'CarRun', 1, 0.375, 2),
      s('bc-all', 'CarRun', 0, 0.5, 0.25),
    ];
    const L = await table1Section(scores, ['BallRun', 'CarRun'], dir, join(dir, 'fig'));
    expect(L).toContain('| Task | fisor | bc-all | bc-safe |');
    expect(L).toContain('| BallRun | **0.50 ± 0.25** / 1.00 ± 0.50 | 0.85 ± 0.07 / 1.25 ± 0.35 † (2) | 0.40 ± 0.00 / 0.20 ± 0.00 (1) |');
    expect(L).toContain('| CarRun | 0.75 ± 0.00 / 2.00 ± 0.00 † | **0.50 ± 0.00** / 0.25 ± 0.00 (1) | 0.25 ± 0.18 / 1.00 ± 1.41 (2) |');
    expect(L).toContain('- fisor: safe on 1 of 2 task(s) (unsafe: CarRun).');
    expect(L).toContain('- bc-all: safe on 1 of 2 task(s) (unsafe: BallRun).');
    expect(L).toContain('- bc-safe: safe on 2 of 2 task(s).');
    // The scatter: x = cost, y = reward, means with their std, one point per seed.
    const ballRun = scatters.find((x) => x.base.endsWith('table1-BallRun'))!.series;
    expect(ballRun.map((x) => x.name)).toEqual(['fisor', 'bc-all', 'bc-safe']);
    expect(ballRun[0].mean).toEqual([1, 0.5]);
    expect(ballRun[0].std[0]).toBeCloseTo(0.5, 12);
    expect(ballRun[0].std[1]).toBeCloseTo(0.25, 12);
    expect(ballRun[0].points).toEqual([[0.5, 0.25], [1.5, 0.5], [1.0, 0.75]]);
    const claim = L.find((l) => l.startsWith('- Safe on every task:'))!;
    expect(claim).toBe('- Safe on every task: bc-safe. FISOR is **not** safe everywhere here; it has the best safe reward on 1 of 2 task(s) (BallRun). So the paper\'s claim **does not hold** on our tasks at these budgets.');
  });

  it('the claim holds only when FISOR alone is safe everywhere and best on more than half the tasks', async () => {
    const claim = async (scores: SeedScore[], tasks: string[]) => (await table1Section(scores, tasks, dir, join(dir, 'fig'))).find((l) => l.startsWith('- Safe on every task:'))!;
    // FISOR safe on both, best on 1 of 2 (not more than half): does not hold.
    let c = await claim([s('fisor', 'BallRun', 0, 0.5, 0), s('fisor', 'CarRun', 0, 0.1, 0), s('bc-all', 'CarRun', 0, 0.2, 0), s('bc-all', 'BallRun', 0, 0.2, 3)], ['BallRun', 'CarRun']);
    expect(c).toMatch(/^- Safe on every task: fisor\. FISOR is safe everywhere here; it has the best safe reward on 1 of 2 task\(s\) \(BallRun\)\. So the paper's claim \*\*does not hold\*\*/);
    // Best on 2 of 3, alone safe everywhere: holds.
    c = await claim([s('fisor', 'BallRun', 0, 0.5, 0), s('fisor', 'CarRun', 0, 0.5, 0), s('fisor', 'BallCircle', 0, 0.1, 1), s('bc-all', 'BallCircle', 0, 0.2, 0.5), s('bc-all', 'BallRun', 0, 0.9, 2)], ['BallRun', 'CarRun', 'BallCircle']);
    expect(c).toMatch(/^- Safe on every task: fisor\. FISOR is safe everywhere here; it has the best safe reward on 2 of 3 task\(s\) \(BallRun, CarRun\)\. So the paper's claim holds/);
    // Another algorithm safe everywhere too: does not hold.
    c = await claim([s('fisor', 'BallRun', 0, 0.5, 0), s('bc-safe', 'BallRun', 0, 0.1, 0)], ['BallRun']);
    expect(c).toMatch(/^- Safe on every task: fisor, bc-safe\. .*\*\*does not hold\*\*/);
  });

  it('the ratio section reads the mean reward of each cell', async () => {
    const L = await table1Section([s('fisor', 'BallRun', 0, 0.2, 0), s('fisor', 'BallRun', 1, 0.4, 0), s('bc-all', 'BallRun', 0, 0.6, 5), s('bc-safe', 'BallRun', 0, 0.5, 0.5)], ['BallRun'], dir, join(dir, 'fig'));
    expect(L).toContain('| BallRun | 0.30 | 0.50x | 0.60x | 0.18 / 0.00 | 0.67 / 11.38 | 0.27x |');
  });

  it('file names by recipe', () => {
    expect(recipeSuffix('fixed')).toBe('');
    expect(recipeSuffix('evasive')).toBe('-evasive');
    expect(baselinesFile('evasive')).toBe('results-baselines-evasive.json');
  });
});

describe('FISOR / BC beside the paper (paper_table1.ts)', () => {
  it('the paper\'s rows are those of ../shared/reference/FISOR.md (BC and FISOR columns)', () => {
    expect(PAPER_TABLE1).toEqual({
      BallRun: { bc: [0.67, 11.38], fisor: [0.18, 0.0] },
      CarRun: { bc: [0.96, 1.88], fisor: [0.73, 0.14] },
      BallCircle: { bc: [0.72, 10.02], fisor: [0.34, 0.0] },
      CarCircle: { bc: [0.65, 11.16], fisor: [0.4, 0.11] },
    });
  });

  it('ratios are FISOR / BC-All and FISOR / BC-Safe, "-" where BC-Safe has no run or no positive reward', () => {
    const here: Record<string, number> = { 'fisor|CarCircle': 0.2, 'bc-all|CarCircle': 0.8, 'fisor|CarRun': 0.3, 'bc-all|CarRun': 0.6, 'bc-safe|CarRun': 0 };
    const rows = paperRatioSection(['CarCircle', 'CarRun'], (a, t) => here[`${a}|${t}`]).filter((l) => l.startsWith('| Car'));
    expect(rows).toEqual([
      '| CarCircle | 0.20 | 0.25x | - | 0.40 / 0.11 | 0.65 / 11.16 | 0.62x |',
      '| CarRun | 0.30 | 0.50x | - | 0.73 / 0.14 | 0.96 / 1.88 | 0.76x |',
    ]);
  });
});

describe('PointRobot start counts (start_results.ts)', () => {
  it('evaluation seed of the random starts, number of feasible starts', () => {
    expect(randomStartsSeed(0)).toBe(2000);
    expect(randomStartsSeed(2)).toBe(2002);
    expect(FEASIBLE_STARTS).toBe(60);
  });

  it('startResult keeps reward, cost, safe fraction and counts each in its own field', () => {
    const ev = { normalizedReward: 0.25, normalizedCost: 0.75, safeFraction: 0.5, violationFree: 3, episodes: [{}, {}, {}, {}] } as unknown as EvalResult;
    expect(startResult(ev)).toEqual({ normalizedReward: 0.25, normalizedCost: 0.75, safeFraction: 0.5, episodes: 4, violationFree: 3, monitor: undefined });
  });

  it('counts violation-free episodes, from the saved count or from an old monitor (violating episodes, not violations)', () => {
    const base = { normalizedReward: 0, normalizedCost: 0, safeFraction: 1 };
    expect(violationFree({ ...base, episodes: 20, violationFree: 15 }, 60)).toEqual([15, 20]);
    expect(violationFreeCount({ ...base, episodes: 20, violationFree: 15 }, 60)).toBe('15 of 20');
    expect(violationFreeText({ ...base, episodes: 40, violationFree: 30 })).toBe('30 of 40 (75%)');
    const monitor = { steps: 100, violations: 9, violatingEpisodes: 2, byCause: { critic: 0, actor: 0, selection: 0, recovery: 9 }, rootCause: { critic: 0, actor: 0, selection: 0, start: 9 }, judgedInfeasibleFraction: 0, noFeasibleCandidateFraction: 0 };
    // Only one of the two counts saved: the monitor decides.
    expect(violationFree({ ...base, violationFree: 7, monitor }, 20)).toEqual([18, 20]);
    expect(violationFreeCount({ ...base, monitor }, 20)).toBe('18 of 20');
  });
});

describe('training time from metrics.jsonl (run_checks.ts)', () => {
  const f = join(dir, 'metrics.jsonl');
  writeFileSync(f, [
    { type: 'train', step: 100, stepsPerSec: 50 }, // 2 s
    { type: 'eval', step: 100 },
    { type: 'train', step: 300, stepsPerSec: 100 }, // 2 s
    { type: 'train', step: 400, stepsPerSec: 0 }, // no rate: skipped, but the window still moves on
    { type: 'train', step: 600, stepsPerSec: 25 }, // 8 s
  ].map((x) => JSON.stringify(x)).join('\n') + '\n');

  it('each window of steps over its rate, up to and including step upTo', () => {
    expect(trainingSecondsFromMetrics(f)).toBe(12);
    expect(trainingSecondsFromMetrics(f, 300)).toBe(4);
    expect(trainingSecondsFromMetrics(f, 299)).toBe(2);
  });

  it('a resumed run counts its metrics after afterStep; a run trained here keeps this process\'s time', () => {
    expect(runTrainSeconds(dir, true, 99)).toBe(12);
    expect(runTrainSeconds(dir, true, 99, 300)).toBe(8);
    expect(runTrainSeconds(dir, false, 99, 300)).toBe(99);
  });

  it('configDiff names exactly the differing keys', () => {
    expect(configDiff({ a: 1, b: { c: 2, d: [1] } }, { a: 1, b: { c: 3, d: [1] }, e: 0 })).toEqual(['b.c', 'e']);
    expect(configDiff({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
