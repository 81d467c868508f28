import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../core/index.js';
import { collect } from '../../rl/data/collect.js';
import type { Dataset } from '../../rl/data/dataset.js';
import { registerAlgorithm, runStudy, type AlgoRunInput, type StudyOptions } from '../../scripts/data_quantity.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-dq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cache: Record<string, Dataset> = {};
const tiny = (task: string) => (cache[task] ??= collect(task, { seed: 0, episodes: 10 }));

/** A stand-in algorithm whose score is a known function of the data it got (tests the study's bookkeeping). */
const calls: AlgoRunInput[] = [];
registerAlgorithm('fake', async (input) => {
  calls.push(input);
  const frac = input.dataset.size / tiny(input.task).size;
  return { normalizedReward: frac + 0.01 * input.seed, normalizedCost: 2 * (1 - frac), safeFraction: 1, steps: input.steps ?? 0, trainSeconds: 0 };
});

const base = (work: string): StudyOptions => ({
  tasks: ['BallCircle', 'CarRun'], fractions: [1, 0.5], seeds: [0, 1], algos: ['fake'], steps: 5, preset: 'cpu', episodes: 1, evalSeedBase: 2000,
  subsetSeed: 0, work: join(dir, work), report: join(dir, work, 'docs', 'STUDIES.md'), json: join(dir, work, 'studies.json'), figures: join(dir, work, 'figures'),
  command: 'test', datasetFor: tiny, log: () => {},
});

describe('data-quantity study', () => {
  it('runs every (task, fraction, seed) cell on the right subset and writes table, JSON and figure', async () => {
    calls.length = 0;
    const o = base('a');
    const r = await runStudy(o);
    expect(calls).toHaveLength(8);
    expect(r.cells).toHaveLength(8);
    const half = calls.filter((c) => c.task === 'BallCircle' && c.dataset.size < tiny('BallCircle').size);
    expect(half).toHaveLength(2);
    expect(half[0].dataset.size).toBe(half[1].dataset.size); // one subset per fraction, shared by the seeds
    expect(r.cells.find((c) => c.task === 'BallCircle' && c.fraction === 0.5)!.trajectories).toBe(5);
    const md = readFileSync(o.report, 'utf8');
    expect(md).toMatch(/\| fake \| BallCircle \| 100% \| 10 \| \d+ \| 2\/2 \| 1\.005 ± 0\.007 \| 0\.000 ± 0\.000 \| 100% \| 2\/2 \| s0: 1\.000 \/ 0\.000; s1: 1\.010 \/ 0\.000 \|/);
    expect(md).toMatch(/\| fake \| CarRun \| 50% \| 5 \|/);
    expect(md).toMatch(/<!-- begin generated: data-quantity[^]*<!-- end generated: data-quantity -->/);
    expect(md).toContain('![data quantity](../figures/data-quantity.png)');
    expect(existsSync(join(dir, 'a', 'figures', 'data-quantity.svg'))).toBe(true);
    const json = JSON.parse(readFileSync(join(dir, 'a', 'studies.json'), 'utf8')).dataQuantity;
    expect(json.cells).toHaveLength(8);
    expect(json.pending).toBe(0);
  });

  it('resumes: finished cells are reused, a missing one is rerun, other settings are refused', async () => {
    calls.length = 0;
    const o = base('a');
    await runStudy(o);
    expect(calls).toHaveLength(0);
    rmSync(join(dir, 'a', 'fake', 'CarRun', 'frac50', 'seed1', 'result.json'));
    await runStudy(o);
    expect(calls.map((c) => [c.task, c.seed])).toEqual([['CarRun', 1]]);
    await expect(runStudy({ ...o, episodes: 3 })).rejects.toThrow(/was made with other settings.*use another --work directory/);
    // Another backend's process does not mix its cells into this table.
    const was = getBackend().name, other = was === 'js' ? 'wasm' : 'js';
    setBackend(other);
    try {
      await expect(runStudy(o)).rejects.toThrow(new RegExp(`was made on backend ${was}, this process runs ${other}: set FISOR_BACKEND=${was}`));
    } finally {
      setBackend(was);
    }
  });

  it('bad options get clear errors', async () => {
    await expect(runStudy({ ...base('b'), fractions: [1.5] })).rejects.toThrow(/--fractions: each fraction must be in \(0, 1\], got 1.5/);
    await expect(runStudy({ ...base('b'), algos: ['bc-all'] })).rejects.toThrow(/unknown algorithm 'bc-all'; known: fisor, bc-safe, fake/);
    await expect(runStudy({ ...base('b'), reuse: dir })).rejects.toThrow(/--reuse and --reuse-critics go together/);
    await expect(runStudy({ ...base('b'), tasks: ['Nope'] })).rejects.toThrow(/Nope/);
  });

  it('the FISOR hook trains and evaluates a (tiny) run', async () => {
    const o: StudyOptions = { ...base('c'), tasks: ['BallCircle'], fractions: [0.5], seeds: [0], algos: ['fisor'], steps: 2 };
    const r = await runStudy(o);
    expect(r.failures).toEqual([]);
    expect(r.cells).toHaveLength(1);
    expect(r.cells[0].steps).toBe(2);
    expect(Number.isFinite(r.cells[0].normalizedReward) && Number.isFinite(r.cells[0].normalizedCost)).toBe(true);
    expect(existsSync(join(dir, 'c', 'fisor', 'BallCircle', 'frac50', 'seed0', 'run', 'metrics.jsonl'))).toBe(true);
  }, 120_000);

  it('the BC-Safe hook clones the safe trajectories of the subset and evaluates with the study\'s reset seeds', async () => {
    const o: StudyOptions = { ...base('d'), tasks: ['BallCircle'], fractions: [1], seeds: [0], algos: ['bc-safe'] };
    const r = await runStudy(o);
    expect(r.failures).toEqual([]);
    expect(r.cells[0].steps).toBe(3000);
    // The same cell through the functions RESULTS.md's BC-Safe column uses gives the same numbers.
    const { trainBcSafe } = await import('../../scripts/bc_safe.js');
    const { evaluate } = await import('../../rl/fisor/evaluate.js');
    const ev = evaluate(trainBcSafe('BallCircle', tiny('BallCircle'), 0), 'BallCircle', { episodes: 1, seed: 2000 });
    expect(r.cells[0].normalizedReward).toBe(ev.normalizedReward);
    expect(r.cells[0].normalizedCost).toBe(ev.normalizedCost);
  }, 120_000);
});
