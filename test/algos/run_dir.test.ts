/**
 * rl/algos/train.ts keeps FISOR's run-directory promises (README "Reliability: what is promised") for every
 * --algo: lock, refusal of a non-empty run, overwrite, finished-run no-op, --steps rule, dataset content hash,
 * metrics.csv, provenance, nothing left behind by a fresh run that fails early. Modelled on test/fisor/train.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../core/index.js';
import { resolveAlgoConfig } from '../../rl/algos/config.js';
import { algorithmDef } from '../../rl/algos/registry.js';
import { loadAlgorithm, trainAlgorithm, type AlgoTrainOptions } from '../../rl/algos/train.js';
import { isBetter } from '../../rl/io/best.js';
import { collect } from '../../rl/data/collect.js';
import type { Dataset } from '../../rl/data/dataset.js';
import { loadCheckpoint } from '../../nn/index.js';
import { MemoryRunSink } from '../../rl/io/memory_sink.js';
import { BEST_CHECKPOINT_DIR } from '../../rl/io/best.js';
import type { CheckpointContent } from '../../nn/checkpoint.js';
import { runCli as run } from '../helpers/cli.js';

const ds = collect('BallRun', { transitions: 600, seed: 3 });
const root = mkdtempSync(join(tmpdir(), 'algo-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `run${n++}`);
const cfgOf = (o: Record<string, unknown> = {}) =>
  resolveAlgoConfig(algorithmDef('bc-safe'), { task: 'BallRun', overrides: { steps: 6, batchSize: 16, hidden: [16], evalEpisodes: 2, checkpointEvery: 0, evalEvery: 0, logEvery: 2, ...o } });
const base = (outDir: string, extra: Partial<AlgoTrainOptions> = {}): AlgoTrainOptions => ({ algo: 'bc-safe', task: 'BallRun', config: cfgOf(), seed: 4, outDir, dataset: ds, skipFinalEval: true, ...extra });
const read = (p: string) => readFileSync(p, 'utf8');

/** A pid that existed and has exited (for stale locks). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('rl/algos run directories', () => {
  it('a fresh run refuses a run directory that holds files; overwrite replaces it', async () => {
    setBackend('js');
    const out = fresh();
    await trainAlgorithm(base(out));
    const before = read(join(out, 'checkpoint', 'manifest.json'));
    await expect(trainAlgorithm(base(out, { seed: 5 }))).rejects.toThrow(/already holds a run \(.*checkpoint.*\); pass --resume to continue it or --overwrite to replace it/);
    expect(read(join(out, 'checkpoint', 'manifest.json'))).toBe(before); // untouched
    writeFileSync(join(out, 'stray.txt'), 'x');
    const r = await trainAlgorithm(base(out, { seed: 5, overwrite: true }));
    expect(r.step).toBe(6);
    expect(existsSync(join(out, 'stray.txt'))).toBe(false);
    expect(JSON.parse(read(join(out, 'config.json'))).seed).toBe(5);
  });

  it('a fresh run that fails before its first checkpoint leaves no directory behind', async () => {
    setBackend('js');
    const out = fresh();
    await expect(trainAlgorithm(base(out, { config: cfgOf({ evalEvery: 1 }), onStep: (s) => {
      if (s === 2) throw new Error('injected fault');
    } }))).rejects.toThrow(/injected fault/);
    expect(existsSync(out)).toBe(false);
    // nor does a resume of a run that does not exist
    await expect(trainAlgorithm(base(out, { resume: true }))).rejects.toThrow(/--resume: no checkpoint in /);
    expect(existsSync(out)).toBe(false);
  });

  it('the run is locked: a second training is refused naming the holder pid; a stale lock is taken over', async () => {
    setBackend('js');
    const out = fresh();
    let second: Promise<unknown> | null = null;
    await trainAlgorithm(base(out, { onStep: (s) => {
      // started while the first holds the run; its error is captured at once (no unhandled rejection)
      if (s === 1) second = trainAlgorithm(base(out, { resume: true })).then(() => 'no error', (e: Error) => e.message);
    } }));
    expect(await second).toMatch(new RegExp(`in use by process ${process.pid} \\(lock file .*\\.lock\\)`));
    expect(existsSync(join(out, '.lock'))).toBe(false); // released
    // a lock left by a process that no longer exists
    writeFileSync(join(out, '.lock'), JSON.stringify({ pid: deadPid() }));
    const r = await trainAlgorithm(base(out, { resume: true, steps: 8 }));
    expect(r.step).toBe(8);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });
});

describe('rl/algos resume rules', () => {
  it('resuming a finished run does nothing and says so; --steps below the checkpoint is refused', async () => {
    setBackend('js');
    const out = fresh();
    const cfg = cfgOf({ evalEvery: 3 });
    await trainAlgorithm(base(out, { config: cfg, skipFinalEval: false }));
    const names = ['metrics.jsonl', 'metrics.csv', 'eval.json', 'config.json'];
    const files = names.map((f) => read(join(out, f)));
    const ckpt = read(join(out, 'checkpoint', 'manifest.json'));
    const lines: string[] = [];
    const r = await trainAlgorithm(base(out, { config: cfg, resume: true, skipFinalEval: false, log: (l) => lines.push(l) }));
    expect(r.alreadyFinished).toBe(true);
    expect(r.step).toBe(6);
    expect(r.lastEval?.normalizedReward).toBe(JSON.parse(files[2]).normalizedReward);
    expect(lines.join('\n')).toMatch(/already finished at step 6: nothing to do/);
    expect(names.map((f) => read(join(out, f)))).toEqual(files);
    expect(read(join(out, 'checkpoint', 'manifest.json'))).toBe(ckpt);
    await expect(trainAlgorithm(base(out, { resume: true, steps: 4 }))).rejects.toThrow(/--steps 4: .* already at step 6; give --steps >= 6/);
  });

  it('resume compares the dataset content, not only its size; config.json records the hash', async () => {
    setBackend('js');
    const out = fresh();
    await trainAlgorithm(base(out, { stopAt: 3 }));
    const other: Dataset = { ...ds, rewards: ds.rewards.map((v) => v + 0.5) }; // same size, other content
    await expect(trainAlgorithm(base(out, { dataset: other, resume: true }))).rejects.toThrow(/trained on a given dataset of 600 transitions; this call gives a given dataset of 600 transitions \(content hash fnv1a64x2:[0-9a-f]{16}, now fnv1a64x2:[0-9a-f]{16}\)/);
    const config = JSON.parse(read(join(out, 'config.json')));
    expect(config.dataset.hash).toMatch(/^fnv1a64x2:[0-9a-f]{16}$/);
    expect(config.dataset.size).toBe(600);
    expect((await trainAlgorithm(base(out, { resume: true }))).step).toBe(6); // the same data resumes
  });

  it('a run stopped and resumed equals the uninterrupted one: weights, metrics.jsonl and metrics.csv (timings aside)', async () => {
    setBackend('js');
    const cfg = cfgOf({ checkpointEvery: 2, evalEvery: 3 });
    const a = fresh(), b = fresh();
    const full = await trainAlgorithm(base(a, { config: cfg, skipFinalEval: false }));
    await trainAlgorithm(base(b, { config: cfg, stopAt: 4 }));
    const resumed = await trainAlgorithm(base(b, { config: cfg, resume: true, skipFinalEval: false }));
    const wa = full.algorithm.stateTensors(), wb = resumed.algorithm.stateTensors();
    for (const k of Object.keys(wa)) expect(wb[k].toFlatArray(), k).toEqual(wa[k].toFlatArray());
    const strip = (p: string) => read(p).trim().split('\n').map((l) => {
      const o = JSON.parse(l);
      delete o.stepsPerSec;
      delete o.seconds;
      return o;
    });
    expect(strip(join(b, 'metrics.jsonl'))).toEqual(strip(join(a, 'metrics.jsonl')));
    const csv = (p: string) => {
      const rows = read(p).trim().split('\n').map((l) => l.split(','));
      const drop = new Set(['stepsPerSec', 'seconds'].map((c) => rows[0].indexOf(c)));
      return rows.map((r) => r.filter((_, i) => !drop.has(i)).join(','));
    };
    expect(csv(join(b, 'metrics.csv'))).toEqual(csv(join(a, 'metrics.csv')));
  });
});

describe('rl/algos run contents', () => {
  it('config.json and checkpoint metadata carry provenance; metrics.csv mirrors metrics.jsonl', async () => {
    setBackend('js');
    const out = fresh();
    await trainAlgorithm(base(out, { config: cfgOf({ evalEvery: 3 }), skipFinalEval: false, provenance: { package: 'fisor-ts@test', gitCommit: null } }));
    const config = JSON.parse(read(join(out, 'config.json')));
    for (const k of ['package', 'node', 'backend', 'threads', 'configHash']) expect(config.provenance[k], k).toBeDefined();
    expect(config.provenance.package).toBe('fisor-ts@test');
    expect(config.provenance.configHash).toMatch(/^fnv1a32:[0-9a-f]{8}$/);
    expect(config.algo).toBe('bc-safe');
    const loaded = await loadCheckpoint(join(out, 'checkpoint'));
    expect((loaded.metadata as Record<string, unknown>).provenance).toEqual(config.provenance);
    expect((await loadAlgorithm(out)).meta.finished).toBe(true);
    const jsonl = read(join(out, 'metrics.jsonl')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const csv = read(join(out, 'metrics.csv')).trim().split('\n').map((l) => l.split(','));
    const header = csv[0];
    expect(header.slice(0, 2)).toEqual(['type', 'step']);
    for (const k of ['actorLoss', 'stepsPerSec', 'normalizedReward', 'normalizedCost']) expect(header).toContain(k);
    expect(csv.length - 1).toBe(jsonl.length);
    expect(jsonl.map((o) => o.type)).toContain('eval');
    csv.slice(1).forEach((row, i) => {
      header.forEach((c, j) => {
        const v = jsonl[i][c];
        expect(row[j], `row ${i} column ${c}`).toBe(v === undefined ? '' : String(v));
      });
    });
    expect(readdirSync(out).filter((f) => f.includes('.tmp-') || f === '.lock')).toEqual([]);
  });
});

describe('rl/algos best checkpoint and state checks', () => {
  it('keeps the best evaluation by OSRL\'s rule in checkpoint-best/ and best.json; a resume carries it on', async () => {
    setBackend('js');
    const cfg = cfgOf({ steps: 9, evalEvery: 3, checkpointEvery: 3 });
    const a = fresh();
    const r = await trainAlgorithm(base(a, { config: cfg, skipFinalEval: false }));
    const evals = read(join(a, 'metrics.jsonl')).trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.type === 'eval');
    expect(evals.map((e) => e.step)).toEqual([3, 6, 9]);
    let want: { step: number; normalizedReward: number; normalizedCost: number } | null = null;
    for (const e of evals) if (isBetter(e, want)) want = { step: e.step, normalizedReward: e.normalizedReward, normalizedCost: e.normalizedCost };
    expect(r.best).toEqual(want);
    const best = JSON.parse(read(join(a, 'best.json')));
    expect(best).toMatchObject({ ...want, algo: 'bc-safe', costLimit: cfg.costLimit });
    expect((await loadAlgorithm(join(a, 'checkpoint-best'))).step).toBe(want!.step);
    // Stopped at 4 and resumed: the same best as the uninterrupted run (it travels in the checkpoint).
    const b = fresh();
    await trainAlgorithm(base(b, { config: cfg, stopAt: 4 }));
    const resumed = await trainAlgorithm(base(b, { config: cfg, resume: true, skipFinalEval: false }));
    expect(resumed.best).toEqual(want);
  });

  it('a non-finite optimizer value is caught at the next log line, named; the last checkpoint stays intact', async () => {
    setBackend('js');
    const out = fresh();
    const cfg = cfgOf({ steps: 8, checkpointEvery: 2, logEvery: 4 });
    await expect(trainAlgorithm(base(out, { config: cfg, onStep: (s, _total, algorithm) => {
      if (s !== 3) return;
      // An Adam moment (not the step counter, which each step rewrites).
      const [name, t] = Object.entries(algorithm.stateTensors()).find(([k]) => k.startsWith('opt.') && !k.endsWith('.step'))!;
      expect(name).toMatch(/^opt\./);
      t.buffer.view()[0] = NaN; // an Adam moment: no loss reads it, the next update spreads it into a weight
    } }))).rejects.toThrow(/training diverged: non-finite value in tensor '[^']+' \(element \d+ = NaN\) at step 4 \(parameters and optimizer state are checked at every log line\)/);
    const saved = await loadAlgorithm(out);
    expect(saved.step).toBe(2);
    for (const [k, t] of Object.entries(saved.algorithm.stateTensors())) expect(t.toFlatArray().every(Number.isFinite), k).toBe(true);
  });
});

describe('rl/algos platform seam', () => {
  it('trains into a memory sink: the loop writes only through the sink', async () => {
    setBackend('js');
    const sink = new MemoryRunSink('mem');
    const r = await trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfgOf({ evalEvery: 3 }), seed: 1, sink, dataset: ds });
    expect(r.step).toBe(6);
    expect([...sink.files.keys()].sort()).toEqual(['best.json', 'config.json', 'eval.json', 'metrics.csv', 'metrics.jsonl']);
    expect([...sink.checkpoints.keys()].sort()).toEqual(['checkpoint', 'checkpoint-best']);
    const again = await trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfgOf(), seed: 1, sink, dataset: ds, resume: true });
    expect(again.alreadyFinished).toBe(true);
  });

  it('a process stopped between a new best and its next checkpoint: the resume drops that best instead of keeping one it never reached', async () => {
    setBackend('js');
    const cfg = cfgOf({ steps: 9, evalEvery: 1, checkpointEvery: 3 });
    const full = new MemoryRunSink('full');
    const want = await trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfg, seed: 2, sink: full, dataset: ds, skipFinalEval: false });
    const bests = full.files.get('metrics.jsonl')!.trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.type === 'eval')
      .reduce<{ step: number; normalizedReward: number; normalizedCost: number }[]>((acc, e) => (isBetter(e, acc.at(-1) ?? null) ? [...acc, e] : acc), []);
    // The last new best that is not at a checkpoint step (3, 6, 9); the process dies saving the checkpoint after it.
    const s = bests.map((b) => b.step).filter((t) => t > 3 && t % 3 !== 0).at(-1);
    expect(s, `bests at ${bests.map((b) => b.step)}`).toBeDefined();
    const killAt = Math.ceil(s! / 3) * 3;
    class DyingSink extends MemoryRunSink {
      dying = true;
      override async saveCheckpoint(name: string, content: CheckpointContent): Promise<void> {
        if (this.dying && name === 'checkpoint' && content.step === killAt) throw new Error('killed');
        await super.saveCheckpoint(name, content);
      }
    }
    const consistent = async (sink: MemoryRunSink, best: { step: number } | null) => {
      if (best === null) return expect(await sink.hasCheckpoint(BEST_CHECKPOINT_DIR)).toBe(false);
      expect((await sink.loadCheckpoint(BEST_CHECKPOINT_DIR)).step).toBe(best.step);
      expect(JSON.parse(sink.files.get('best.json')!)).toMatchObject(best);
    };
    // Resumed with --steps at the checkpoint's step: the stopped process's best (step s) is not this run's.
    const a = new DyingSink('a');
    await expect(trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfg, seed: 2, sink: a, dataset: ds })).rejects.toThrow(/killed/);
    expect((await a.loadCheckpoint(BEST_CHECKPOINT_DIR)).step).toBeGreaterThan(killAt - 3);
    a.dying = false;
    const lines: string[] = [];
    const short = await trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfg, seed: 2, sink: a, dataset: ds, resume: true, steps: killAt - 3, log: (l) => lines.push(l) });
    expect(short.step).toBe(killAt - 3);
    await consistent(a, short.best);
    expect(lines.join('\n')).toMatch(/checkpoint-best holds step \d+, after the resumed step \d+/);
    // Resumed to the end: the same best state as the uninterrupted run, bit for bit.
    const b = new DyingSink('b');
    await expect(trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfg, seed: 2, sink: b, dataset: ds })).rejects.toThrow(/killed/);
    b.dying = false;
    const resumed = await trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfg, seed: 2, sink: b, dataset: ds, resume: true, skipFinalEval: false });
    expect(resumed.best).toEqual(want.best);
    await consistent(b, resumed.best);
    expect(new Uint8Array(b.checkpoints.get(BEST_CHECKPOINT_DIR)!)).toEqual(new Uint8Array(full.checkpoints.get(BEST_CHECKPOINT_DIR)!));
  });
});


describe('fisor train --algo: run directory flags', () => {
  it('refuses a non-empty --out, replaces it with --overwrite, says a finished run needs nothing; --resume --overwrite is a usage error', async () => {
    const out = fresh();
    const argv = ['train', '--algo', 'bc-safe', '--task', 'BallRun', '--steps', '4', '--set', 'batchSize=16', '--set', 'hidden=16', '--set', 'evalEpisodes=1', '--set', 'logEvery=2', '--backend', 'js', '--quiet', '--out', out];
    const a = await run(...argv);
    expect(a.code, a.err).toBe(0);
    const b = await run(...argv);
    expect(b.code).not.toBe(0);
    expect(b.err).toMatch(/already holds a run .*pass --resume to continue it or --overwrite to replace it/);
    const c = await run(...argv, '--overwrite');
    expect(c.code, c.err).toBe(0);
    const d = await run('train', '--algo', 'bc-safe', '--task', 'BallRun', '--backend', 'js', '--quiet', '--out', out, '--resume');
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/already finished at step 4: nothing to do/);
    const e = await run('train', '--algo', 'bc-safe', '--task', 'BallRun', '--out', out, '--resume', '--overwrite');
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/--resume and --overwrite exclude each other/);
  });

  it('--data-recipe trains on that recipe\'s collected data and records it; it is refused with --dataset or an unknown name', async () => {
    const out = fresh();
    const argv = ['train', '--algo', 'bc-safe', '--task', 'BallRun', '--steps', '2', '--set', 'batchSize=16', '--set', 'hidden=16', '--set', 'evalEpisodes=1', '--set', 'logEvery=2', '--backend', 'js', '--quiet'];
    const a = await run(...argv, '--out', out, '--data-recipe', 'recovery');
    expect(a.code, a.err).toBe(0);
    const rec = JSON.parse(read(join(out, 'config.json'))).dataset;
    expect(rec.source).toBe('collect(BallRun, seed 0, recipe recovery)');
    const out2 = fresh();
    expect((await run(...argv, '--out', out2)).code).toBe(0);
    const fixed = JSON.parse(read(join(out2, 'config.json'))).dataset;
    expect(fixed.source).toBe('collect(BallRun, seed 0)'); // the label runs made before recipes existed resume with
    expect(fixed.hash).not.toBe(rec.hash);
    const b = await run(...argv, '--out', fresh(), '--data-recipe', 'careful');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--data-recipe must be one of fixed, recovery, evasive, observed, got 'careful'/);
    const c = await run(...argv, '--out', fresh(), '--data-recipe', 'recovery', '--dataset', 'x.hdf5');
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--data-recipe .* does not apply to --dataset/);
  });
});
