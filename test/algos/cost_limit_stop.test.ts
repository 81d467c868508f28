/**
 * `train --algo` and the eval of a baseline checkpoint follow the run's cost limit kappa (scores, BC-Safe's
 * trajectory split, the thresholds derived from kappa, CDT's target cost-to-go), record it in the checkpoint, refuse a resume that changes
 * it; a shouldStop (Ctrl-C) leaves a checkpoint at that step which resumes bit-identically.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../core/index.js';
import { loadCheckpoint } from '../../nn/index.js';
import type { BC } from '../../rl/algos/bc.js';
import type { BCQLag } from '../../rl/algos/bcq_lag.js';
import type { CDT } from '../../rl/algos/cdt.js';
import { resolveAlgoConfig } from '../../rl/algos/config.js';
import { qcThreshold } from '../../rl/algos/data.js';
import { algorithmDef } from '../../rl/algos/registry.js';
import { trainAlgorithm, type AlgoTrainOptions } from '../../rl/algos/train.js';
import { collect } from '../../rl/data/collect.js';
import { splitTrajectories } from '../../rl/data/dataset.js';
import { normalizeCost } from '../../rl/data/scoring.js';
import { runCli as run } from '../helpers/cli.js';

const ds = collect('BallRun', { transitions: 600, seed: 3 });
const root = mkdtempSync(join(tmpdir(), 'algo-kappa-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `run${n++}`);
const cfgOf = (o: Record<string, unknown> = {}, algo = 'bc-safe') =>
  resolveAlgoConfig(algorithmDef(algo), { task: 'BallRun', overrides: { steps: 6, batchSize: 16, evalEpisodes: 2, checkpointEvery: 0, evalEvery: 0, logEvery: 2, ...(algo === 'bc-safe' ? { hidden: [16] } : {}), ...o } });
const base = (outDir: string, extra: Partial<AlgoTrainOptions> = {}): AlgoTrainOptions => ({ algo: 'bc-safe', task: 'BallRun', config: cfgOf(), seed: 4, outDir, dataset: ds, skipFinalEval: true, ...extra });
const read = (p: string) => readFileSync(p, 'utf8');

describe('train --algo: the cost limit', () => {
  it("changes BC-Safe's trajectory split and the evaluation scores, and is recorded in the checkpoint", async () => {
    setBackend('js');
    const kappa = 30; // this dataset's episode costs are 0, 1, 22, 43, 92, 92: 30 keeps one more episode than 10
    const rowsAt = (k: number) => splitTrajectories(ds).filter((t) => t.cost <= k).reduce((s, t) => s + t.end - t.start, 0);
    expect(rowsAt(kappa)).not.toBe(rowsAt(10));
    const out = fresh();
    const r = await trainAlgorithm(base(out, { costLimit: kappa, skipFinalEval: false }));
    expect(r.costLimit).toBe(kappa);
    expect((r.algorithm as BC).sampler!.dataset.size).toBe(rowsAt(kappa));
    const ev = r.lastEval!;
    ev.episodes.forEach((e) => expect(e.normalizedCost).toBeCloseTo(normalizeCost(e.cost, kappa), 12));
    expect(JSON.parse(read(join(out, 'eval.json'))).costLimit).toBe(kappa);
    const ckpt = await loadCheckpoint(join(out, 'checkpoint'));
    expect((ckpt.metadata as { config: { costLimit: number } }).config.costLimit).toBe(kappa);
    // the default run keeps the config's 10
    const d = await trainAlgorithm(base(fresh(), { skipFinalEval: false }));
    expect((d.algorithm as BC).sampler!.dataset.size).toBe(rowsAt(10));
    d.lastEval!.episodes.forEach((e) => expect(e.normalizedCost).toBeCloseTo(normalizeCost(e.cost, 10), 12));
  });

  it("BCQ-Lag's per-step cost threshold follows the run's cost limit", async () => {
    setBackend('js');
    const cfg = cfgOf({ steps: 1, logEvery: 1, batchSize: 8, vaeHidden: [8], actorHidden: [8], criticHidden: [8], sampleActionNum: 2 }, 'bcq-lag');
    const c = cfg as unknown as { gamma: number; episodeLen: number };
    const r = await trainAlgorithm(base(fresh(), { algo: 'bcq-lag', config: cfg, costLimit: 25 }));
    expect((r.algorithm as BCQLag).qcThres).toBeCloseTo(qcThreshold(25, c.gamma, c.episodeLen > 0 ? c.episodeLen : 100), 12);
  });

  it("CDT's evaluation cost-to-go Ĉ follows the run's cost limit (an explicit targetCost still wins)", async () => {
    setBackend('js');
    const tiny = { steps: 1, logEvery: 1, batchSize: 4, embedDim: 8, heads: 2, blocks: 1, seqLen: 2 };
    const startCost = (a: CDT) => {
      a.beginEpisodes(1);
      return (a as unknown as { hist: { c: number[] }[] }).hist[0].c[0];
    };
    const r = await trainAlgorithm(base(fresh(), { algo: 'cdt', config: cfgOf(tiny, 'cdt'), costLimit: 25 }));
    expect(startCost(r.algorithm as CDT)).toBe(25);
    const d = await trainAlgorithm(base(fresh(), { algo: 'cdt', config: cfgOf(tiny, 'cdt') }));
    expect(startCost(d.algorithm as CDT)).toBe(10);
    const e = await trainAlgorithm(base(fresh(), { algo: 'cdt', config: cfgOf({ ...tiny, targetCost: 3 }, 'cdt'), costLimit: 25 }));
    expect(startCost(e.algorithm as CDT)).toBe(3);
    expect(() => cfgOf({ ...tiny, targetCost: -2 }, 'cdt')).toThrow(/'targetCost' must be >= 0, or -1 for the cost limit, got -2/);
  });

  it('a resume refuses a different cost limit and keeps the recorded one', async () => {
    setBackend('js');
    const out = fresh();
    await trainAlgorithm(base(out, { costLimit: 7, stopAt: 3 }));
    await expect(trainAlgorithm(base(out, { resume: true, costLimit: 8 }))).rejects.toThrow(/uses cost limit 7; a resume cannot change it to 8/);
    const r = await trainAlgorithm(base(out, { resume: true }));
    expect(r.step).toBe(6);
    expect(r.costLimit).toBe(7);
  });
});

describe('train --algo: shouldStop (Ctrl-C)', () => {
  it('a shouldStop after N steps leaves a checkpoint at step N that resumes bit-identically', async () => {
    setBackend('js');
    const cfg = cfgOf({ evalEvery: 3 });
    const a = fresh(), b = fresh();
    const full = await trainAlgorithm(base(a, { config: cfg, skipFinalEval: false }));
    let seen = 0;
    const stopped = await trainAlgorithm(base(b, { config: cfg, onStep: (s) => (seen = s), shouldStop: () => seen >= 4 }));
    expect(stopped.interrupted).toBe(true);
    expect(stopped.step).toBe(4);
    expect((await loadCheckpoint(join(b, 'checkpoint'))).step).toBe(4);
    const resumed = await trainAlgorithm(base(b, { config: cfg, resume: true, skipFinalEval: false }));
    expect(resumed.step).toBe(6);
    const wa = full.algorithm.stateTensors(), wb = resumed.algorithm.stateTensors();
    for (const k of Object.keys(wa)) expect(wb[k].toFlatArray(), k).toEqual(wa[k].toFlatArray());
    const strip = (p: string) => read(p).trim().split('\n').map((l) => {
      const o = JSON.parse(l);
      delete o.stepsPerSec;
      delete o.seconds;
      return o;
    });
    expect(strip(join(b, 'metrics.jsonl'))).toEqual(strip(join(a, 'metrics.jsonl')));
  });
});


describe('fisor train --algo / eval: --cost-limit', () => {
  it('trains with --cost-limit, refuses another on --resume, and eval scores with the run\'s or the given one', async () => {
    const out = fresh();
    const argv = ['train', '--algo', 'bc-safe', '--task', 'BallRun', '--steps', '4', '--set', 'batchSize=16', '--set', 'hidden=16', '--set', 'evalEpisodes=1', '--set', 'logEvery=2', '--backend', 'js', '--quiet', '--out', out];
    const a = await run(...argv, '--cost-limit', '30');
    expect(a.code, a.err).toBe(0);
    expect(a.out).toMatch(/at cost limit 30\)/);
    expect(JSON.parse(read(join(out, 'config.json'))).config.costLimit).toBe(30);
    const b = await run('train', '--algo', 'bc-safe', '--task', 'BallRun', '--steps', '6', '--backend', 'js', '--quiet', '--out', out, '--resume', '--cost-limit', '20');
    expect(b.code).not.toBe(0);
    expect(b.err).toMatch(/uses cost limit 30; a resume cannot change it to 20/);
    const bad = await run(...argv, '--overwrite', '--cost-limit', '-1');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--cost-limit must be >= 0, got -1/);
    const e = await run('eval', '--checkpoint', out, '--episodes', '1', '--backend', 'js', '--quiet');
    expect(e.code, e.err).toBe(0);
    const ev = JSON.parse(read(join(out, 'eval-12345.json')));
    expect(ev.costLimit).toBe(30);
    expect(ev).toMatchObject({ algo: 'bc-safe', checkpointStep: 4 }); // the step of the checkpoint evaluated
    expect(e.out).toContain(`(cost limit 30; ${ev.normalizedCost <= 1 ? 'safe: <= 1' : 'UNSAFE: > 1'}; ${(100 * ev.safeFraction).toFixed(0)}% of episodes safe)`);
    expect(ev.episodes[0].normalizedCost).toBeCloseTo(normalizeCost(ev.episodes[0].cost, 30), 12);
    const k = await run('eval', '--checkpoint', out, '--episodes', '1', '--backend', 'js', '--quiet', '--cost-limit', '5');
    expect(k.code, k.err).toBe(0);
    expect(existsSync(join(out, 'eval-12345-k5.json'))).toBe(true);
    const ek = JSON.parse(read(join(out, 'eval-12345-k5.json')));
    expect(ek.costLimit).toBe(5);
    expect(ek.episodes[0].normalizedCost).toBeCloseTo(normalizeCost(ek.episodes[0].cost, 5), 12);
  });
});

describe('fisor train --algo: Ctrl-C', () => {
  it('Ctrl-C saves a checkpoint, exits 130, says how to continue and removes its handler', async () => {
    const out = fresh();
    const before = new Set(process.listeners('SIGINT'));
    const pending = run('train', '--algo', 'bc-safe', '--task', 'BallRun', '--data-recipe', 'recovery', '--cost-limit', '5', '--steps', '100000', '--set', 'batchSize=16', '--set', 'hidden=16', '--set', 'logEvery=2', '--set', 'evalEvery=0', '--backend', 'js', '--quiet', '--out', out);
    // deliver the signal to the handler train installed, once training is under way (a metrics line exists)
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        const handler = process.listeners('SIGINT').find((l) => !before.has(l));
        if (handler && existsSync(join(out, 'metrics.jsonl')) && read(join(out, 'metrics.jsonl')).includes('"train"')) {
          clearInterval(t);
          (handler as () => void)();
          resolve();
        }
      }, 20);
    });
    const r = await pending;
    expect(r.code, r.err).toBe(130);
    expect(r.err).toMatch(/interrupted: saving a checkpoint/);
    expect(r.out).toMatch(/stopped at step \d+; checkpoint .*saved\. Continue with: fisor train --algo bc-safe --task BallRun --out \S+ --data-recipe recovery --cost-limit 5 --backend js --resume/);
    const step = JSON.parse(read(join(out, 'checkpoint', 'manifest.json'))).step;
    expect(step).toBeGreaterThanOrEqual(2);
    expect(step).toBeLessThan(100000);
    expect(process.listeners('SIGINT').filter((l) => !before.has(l))).toEqual([]);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });
});
