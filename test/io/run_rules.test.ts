/**
 * The run-directory rules (rl/io/run_guard.ts), OSRL's best-checkpoint order and the finite-state check
 * (rl/io/best.ts), and metrics.csv's rows (rl/io/metrics_csv.ts), in memory: each boundary and each branch pinned
 * by values written out here. The training tests reach these only through whole runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setBackend, tensor } from '../../core/index.js';
import { badBestRecord, BEST_CHECKPOINT_DIR, checkFiniteState, firstNonFinite, isBetter } from '../../rl/io/best.js';
import { MemoryRunSink } from '../../rl/io/memory_sink.js';
import { csvRow, CsvColumns, CSV_COLUMNS, CSV_HEADER } from '../../rl/io/metrics_csv.js';
import { checkResumeSteps, checkSameDataset, discardFresh, keepMetricsUpTo, loadResumeCheckpoint, startFresh } from '../../rl/io/run_guard.js';

const rec = (normalizedCost: number, normalizedReward: number, step = 1) => ({ step, normalizedCost, normalizedReward });

describe("OSRL's best-checkpoint order (isBetter)", () => {
  it('lower cost wins whatever the reward; on equal cost, strictly higher reward; anything beats no record', () => {
    expect(isBetter(rec(0.5, -9), rec(0.6, 9))).toBe(true);
    expect(isBetter(rec(0.6, 9), rec(0.5, -9))).toBe(false);
    expect(isBetter(rec(0.5, 0.8), rec(0.5, 0.7))).toBe(true);
    expect(isBetter(rec(0.5, 0.7), rec(0.5, 0.8))).toBe(false);
    expect(isBetter(rec(0.5, 0.7), rec(0.5, 0.7))).toBe(false); // a tie keeps the earlier checkpoint
    expect(isBetter(rec(99, -99), null)).toBe(true);
  });

  it('is the strict lexicographic order on (cost, -reward): irreflexive, asymmetric, total on distinct pairs', () => {
    const pair = fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 }));
    fc.assert(fc.property(pair, pair, ([c1, r1], [c2, r2]) => {
      const a = rec(c1 / 2, r1 / 2), b = rec(c2 / 2, r2 / 2);
      const want = c1 < c2 || (c1 === c2 && r1 > r2);
      expect(isBetter(a, b)).toBe(want);
      if (c1 !== c2 || r1 !== r2) expect(isBetter(a, b)).toBe(!isBetter(b, a));
    }), { seed: 7, numRuns: 200 });
  });
});

describe('finite state', () => {
  it('names the first non-finite element of the first tensor holding one, first and last elements included', () => {
    setBackend('js');
    expect(firstNonFinite({ a: tensor([1, 2]), b: tensor([3]) })).toBeNull();
    expect(firstNonFinite({ a: tensor([NaN, 2]) })).toBe("tensor 'a' (element 0 = NaN)");
    expect(firstNonFinite({ a: tensor([1, 2]), b: tensor([0, 1, Infinity]) })).toBe("tensor 'b' (element 2 = Infinity)");
    expect(firstNonFinite({ a: tensor([1, -Infinity, NaN]) })).toBe("tensor 'a' (element 1 = -Infinity)");
    expect(() => checkFiniteState({ a: tensor([1]) }, 'here')).not.toThrow();
    expect(() => checkFiniteState({ a: tensor([NaN]) }, 'at step 3')).toThrow(/training diverged: non-finite value in tensor 'a' \(element 0 = NaN\) at step 3/);
  });

  it('a checkpoint best record: absent or null, or { integer step >= 0, finite reward and cost }', () => {
    for (const ok of [undefined, null, rec(0, 0, 0), rec(1.5, -2, 40)]) expect(badBestRecord(ok), JSON.stringify(ok)).toBeNull();
    for (const bad of [rec(0, 0, -1), rec(0, 0, 1.5), { step: 2, normalizedCost: 0 }, rec(0, NaN, 2), rec(Infinity, 0, 2), 'x', 3]) {
      expect(badBestRecord(bad), JSON.stringify(bad)).toMatch(/field 'best'/);
    }
  });
});

describe('run-directory rules', () => {
  it('startFresh: an empty location goes on; a used one needs --overwrite, which clears only a run', async () => {
    const log: string[] = [];
    const sink = new MemoryRunSink('mem');
    await startFresh(sink, [], false, (l) => log.push(l));
    sink.files.set('notes.txt', 'keep');
    await expect(startFresh(sink, ['notes.txt'], false, (l) => log.push(l))).rejects.toThrow(/already holds a run \(notes\.txt\); pass --resume .* or --overwrite/);
    await expect(startFresh(sink, ['notes.txt'], true, (l) => log.push(l))).rejects.toThrow(/is not one/);
    sink.files.set('config.json', JSON.stringify({ task: 'T', config: null }));
    await expect(startFresh(sink, ['config.json', 'notes.txt'], true, (l) => log.push(l))).rejects.toThrow(/is not one/);
    sink.files.set('config.json', JSON.stringify({ task: 3, config: {} }));
    await expect(startFresh(sink, ['config.json', 'notes.txt'], true, (l) => log.push(l))).rejects.toThrow(/is not one/);
    expect(sink.files.get('notes.txt')).toBe('keep');
    expect(log).toEqual([]);
    sink.files.set('config.json', JSON.stringify({ task: 'T', config: {} }));
    await startFresh(sink, ['config.json', 'notes.txt'], true, (l) => log.push(l));
    expect([...sink.files.keys()]).toEqual([]);
    expect(log).toEqual(['--overwrite: cleared mem']);
  });

  it('--resume --steps N may equal the checkpoint step (finish there) or exceed it, never go below', () => {
    expect(() => checkResumeSteps(undefined, 40, 'r')).not.toThrow();
    expect(() => checkResumeSteps(40, 40, 'r')).not.toThrow();
    expect(() => checkResumeSteps(41, 40, 'r')).not.toThrow();
    expect(() => checkResumeSteps(39, 40, 'r')).toThrow(/--resume --steps 39: the checkpoint in r is already at step 40/);
  });

  it('the same dataset: by hash and size when the checkpoint has a hash, else by source and size; no record, no check', () => {
    const now = { source: 'given', size: 600, hash: 'h1', path: 'a.hdf5' };
    expect(() => checkSameDataset(undefined, now, 'r')).not.toThrow();
    expect(() => checkSameDataset({ source: 'other', size: 600, hash: 'h1' }, now, 'r')).not.toThrow();
    expect(() => checkSameDataset({ source: 'given', size: 600, hash: 'h2' }, now, 'r')).toThrow(/content hash h2, now h1/);
    expect(() => checkSameDataset({ source: 'given', size: 601, hash: 'h1' }, now, 'r')).toThrow(/of 601 transitions/);
    expect(() => checkSameDataset({ source: 'given', size: 600 }, { ...now, hash: 'zz' }, 'r')).not.toThrow();
    expect(() => checkSameDataset({ source: 'given', size: 599 }, now, 'r')).toThrow(/a given dataset of 599 transitions/);
    expect(() => checkSameDataset({ source: 'collected', size: 600 }, now, 'r')).toThrow(/trained on collected of 600/);
  });

  it('keepMetricsUpTo keeps the lines at or before the step, drops later and torn ones, and rewrites the file', async () => {
    const sink = new MemoryRunSink();
    const lines = [{ type: 'train', step: 3 }, { type: 'eval', step: 4 }, { type: 'train', step: 5 }];
    sink.files.set('metrics.jsonl', lines.map((l) => JSON.stringify(l) + '\n').join('') + '{"type":"train","st');
    expect(await keepMetricsUpTo(sink, 4)).toEqual(lines.slice(0, 2));
    expect(sink.files.get('metrics.jsonl')).toBe(lines.slice(0, 2).map((l) => JSON.stringify(l) + '\n').join(''));
    expect(await keepMetricsUpTo(new MemoryRunSink(), 4)).toEqual([]);
  });

  it('loadResumeCheckpoint: the checkpoint if there is one, else an error naming the location', async () => {
    setBackend('js');
    const sink = new MemoryRunSink('mem');
    await expect(loadResumeCheckpoint(sink, 'checkpoint')).rejects.toThrow(/--resume: no checkpoint in mem/);
    await sink.saveCheckpoint('checkpoint', { tensors: { w: tensor([1]) }, step: 6, metadata: {} });
    expect((await loadResumeCheckpoint(sink, 'checkpoint')).step).toBe(6);
    expect(await sink.hasCheckpoint(BEST_CHECKPOINT_DIR)).toBe(false);
  });

  it('discardFresh clears the run and closes it asking to remove the empty location', async () => {
    const closes: unknown[] = [];
    const sink = new (class extends MemoryRunSink {
      override async close(o?: unknown): Promise<void> {
        closes.push(o);
      }
    })();
    sink.files.set('config.json', '{}');
    await discardFresh(sink);
    expect(sink.files.size).toBe(0);
    expect(closes).toEqual([{ removeIfEmpty: true }]);
  });
});

describe('metrics.csv', () => {
  it('one row per line in the header\'s column order: numbers and strings as written, anything else empty', () => {
    expect(CSV_HEADER).toBe(CSV_COLUMNS.join(',') + '\n');
    expect(CSV_COLUMNS.slice(0, 2)).toEqual(['type', 'step']);
    for (const c of ['stepsPerSec', 'normalizedReward', 'costLimit', 'qhResidual', 'vhAuc']) expect(CSV_COLUMNS).toContain(c);
    expect(csvRow({ type: 'eval', step: 0, x: 1, seconds: 1.5, safeFraction: null, meanCost: true }, ['type', 'step', 'meanCost', 'safeFraction', 'seconds', 'missing']))
      .toBe('eval,0,,,1.5,\n');
  });

  it('a name or value holding a comma, a quote or a line break is quoted (RFC 4180), so no later column shifts', () => {
    expect(csvRow({ type: 'a,b', step: 1, note: 'say "hi"', m: 'x\ny' }, ['type', 'step', 'note', 'm'])).toBe('"a,b",1,"say ""hi""","x\ny"\n');
    const c = new CsvColumns();
    c.add({ type: 'train', step: 1, 'q,1': 0.5 });
    expect(c.text([{ type: 'train', step: 1, 'q,1': 0.5 }])).toBe('type,step,"q,1"\ntrain,1,0.5\n');
    // Each line parses back to as many fields as the header has (commas inside quotes do not split).
    const fields = (line: string) => line.match(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)!.filter((f) => f !== '').length;
    expect(c.text([{ type: 'x,y', step: 2, 'q,1': 1 }]).trimEnd().split('\n').map(fields)).toEqual([3, 3]);
  });

  it('CsvColumns: type and step first, then every new key in order of first appearance; add says when a column is new', () => {
    const c = new CsvColumns();
    expect(c.add({ type: 'train', step: 1, loss: 2 })).toBe(true);
    expect(c.add({ step: 2, type: 'train', loss: 3 })).toBe(false);
    expect(c.add({ type: 'eval', step: 2, normalizedCost: 0.5, loss: 1 })).toBe(true);
    expect(c.columns).toEqual(['type', 'step', 'loss', 'normalizedCost']);
    expect(c.text([{ type: 'train', step: 1, loss: 2 }, { type: 'eval', step: 2, normalizedCost: 0.5 }])).toBe('type,step,loss,normalizedCost\ntrain,1,2,\neval,2,,0.5\n');
  });
});
