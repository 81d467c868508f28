/**
 * The baselines' shared machinery, for every algorithm at tiny sizes: a run stopped and resumed equals the
 * uninterrupted one (weights, Rng states, metrics, best record) with the Lagrangian / PID / temperature state active;
 * periodic evaluation does not change training; one and two wasm threads train the same bits; a resume keeps the
 * earlier provenance; `fisor eval` of a checkpoint depends on its networks and --seed only (BCQ-Lag's acting noise
 * used to continue the checkpoint's stream), and a FISOR run of the common loop evaluates as FISOR's own.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerBackend, setBackend } from '../../core/index.js';
import { WasmBackend } from '../../core/backends/wasm/index.js';
import { resolveAlgoConfig } from '../../rl/algos/config.js';
import { algorithmDef } from '../../rl/algos/registry.js';
import { trainAlgorithm, type AlgoTrainOptions } from '../../rl/algos/train.js';
import type { LoopConfig } from '../../rl/algos/types.js';
import { collect } from '../../rl/data/collect.js';
import { train } from '../../rl/fisor/train.js';
import { runCli as run } from '../helpers/cli.js';

const ds = collect('BallRun', { transitions: 600, seed: 3 });
const root = mkdtempSync(join(tmpdir(), 'algo-resume-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `run${n++}`);
const read = (p: string) => readFileSync(p, 'utf8');

const tiny: Record<string, string[]> = {
  'bc-all': ['hidden=[8]'], 'bc-safe': ['hidden=[8]'],
  'bcq-lag': ['vaeHidden=[8,8]', 'actorHidden=[8]', 'criticHidden=[8]', 'sampleActionNum=2'],
  'bear-lag': ['vaeHidden=[8,8]', 'actorHidden=[8]', 'criticHidden=[8]', 'sampleActionNum=2', 'numSamplesMmdMatch=2'],
  cpq: ['vaeHidden=[8,8]', 'actorHidden=[8]', 'criticHidden=[8]', 'sampleActionNum=2'],
  coptidice: ['actorHidden=[8]', 'criticHidden=[8]'],
  cdt: ['embedDim=8', 'heads=2', 'blocks=1', 'seqLen=3'],
  fisor: ['actor.hidden=8', 'actor.blocks=1', 'actor.timeFeatures=4', 'actor.timeHidden=8', 'criticHidden=[8]', 'numSamples=2', 'criticUpdates=2'],
};
const cfgOf = (algo: string, o: Record<string, unknown> = {}): LoopConfig =>
  resolveAlgoConfig(algorithmDef(algo), { task: 'BallRun', set: tiny[algo], overrides: { steps: 8, batchSize: 8, evalEpisodes: 1, logEvery: 3, evalEvery: 4, checkpointEvery: 2, ...(algo === 'fisor' ? { criticBatchSize: 8 } : {}), ...o } });
const opts = (algo: string, outDir: string, extra: Partial<AlgoTrainOptions> = {}): AlgoTrainOptions => ({ algo, task: 'BallRun', config: cfgOf(algo), seed: 2, outDir, dataset: ds, ...extra });
const weights = (r: { algorithm: { stateTensors(): Record<string, { toFlatArray(): number[] }> } }) =>
  Object.fromEntries(Object.entries(r.algorithm.stateTensors()).map(([k, t]) => [k, t.toFlatArray()]));
/** metrics.jsonl without the timings. */
const metrics = (dir: string) => read(join(dir, 'metrics.jsonl')).trim().split('\n').map((l) => {
  const o = JSON.parse(l);
  delete o.stepsPerSec;
  delete o.seconds;
  return o as Record<string, unknown>;
});

describe('every algorithm through the common loop', () => {
  for (const algo of Object.keys(tiny)) {
    it(`${algo}: stop at 5 + resume = uninterrupted; periodic evaluation changes no weight`, async () => {
      setBackend('js');
      // Cost limit 0: every cost estimate is over the threshold, so BCQ-Lag's PID, CPQ's alpha and COptiDICE's
      // lambda move and must travel in the checkpoint.
      const config = cfgOf(algo, { costLimit: 0 });
      const a = fresh(), b = fresh(), c = fresh();
      const full = await trainAlgorithm(opts(algo, a, { config }));
      await trainAlgorithm(opts(algo, b, { config, stopAt: 5 }));
      const resumed = await trainAlgorithm(opts(algo, b, { config, resume: true }));
      const noEval = await trainAlgorithm(opts(algo, c, { config: { ...config, evalEvery: 0 } }));
      expect(resumed.step).toBe(8);
      expect(weights(resumed)).toEqual(weights(full));
      expect(resumed.algorithm.rngStates()).toEqual(full.algorithm.rngStates());
      expect(metrics(b)).toEqual(metrics(a));
      expect(resumed.best).toEqual(full.best);
      expect(weights(noEval)).toEqual(weights(full));
      if (algo === 'bcq-lag') expect(metrics(a).some((l) => l.type === 'train' && (l.lambda as number) > 0)).toBe(true);
    });
  }

  it('one and two wasm threads train the same bits', async () => {
    for (const t of [1, 2]) registerBackend(`algos-audit wasm ${t}`, () => new WasmBackend({ threads: t, threadMinElements: 1 }));
    try {
      for (const algo of Object.keys(tiny).filter((x) => x !== 'fisor')) {
        const config = cfgOf(algo, { steps: 4, batchSize: 32, evalEvery: 2, checkpointEvery: 0 });
        const out: Record<string, number[]>[] = [];
        for (const t of [1, 2]) {
          setBackend(`algos-audit wasm ${t}`);
          out.push(weights(await trainAlgorithm(opts(algo, fresh(), { config }))));
        }
        expect(out[1], algo).toEqual(out[0]);
      }
    } finally {
      setBackend('js');
    }
  });
});

describe('a resume by other code', () => {
  it('keeps what trained the steps before it under provenance.earlier (config.json and checkpoint)', async () => {
    setBackend('js');
    const out = fresh();
    const config = cfgOf('bc-safe', { steps: 6, evalEvery: 0, checkpointEvery: 0 });
    await trainAlgorithm(opts('bc-safe', out, { config, stopAt: 3, skipFinalEval: true, provenance: { package: 'fisor-ts@test', gitCommit: 'a'.repeat(40) } }));
    await trainAlgorithm(opts('bc-safe', out, { config, resume: true, skipFinalEval: true, provenance: { package: 'fisor-ts@test', gitCommit: 'b'.repeat(40) } }));
    const p = JSON.parse(read(join(out, 'config.json'))).provenance;
    expect(p.gitCommit).toBe('b'.repeat(40));
    expect(p.earlier).toHaveLength(1);
    expect(p.earlier[0]).toMatchObject({ gitCommit: 'a'.repeat(40), untilStep: 3, backend: 'js' });
    const manifest = JSON.parse(read(join(out, 'checkpoint', 'manifest.json')));
    expect(manifest.metadata.provenance).toEqual(p);
  });
});

describe('fisor eval of a common-loop checkpoint', () => {
  const evalJson = async (dir: string, ...extra: string[]) => {
    const file = join(dir, `e${n++}.json`);
    const r = await run('eval', '--checkpoint', dir, '--episodes', '3', '--seed', '7', '--quiet', '--backend', 'js', '--out', file, ...extra);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(read(file));
    delete j.seconds;
    return j as Record<string, unknown>;
  };

  it('BCQ-Lag: identical networks give identical scores, however many evaluations training ran', async () => {
    setBackend('js');
    const a = fresh(), b = fresh();
    const config = cfgOf('bcq-lag', { steps: 6, evalEvery: 3, checkpointEvery: 0 });
    const withEvals = await trainAlgorithm(opts('bcq-lag', a, { config }));
    const without = await trainAlgorithm(opts('bcq-lag', b, { config: { ...config, evalEvery: 0 } }));
    expect(weights(without)).toEqual(weights(withEvals));
    const ea = await evalJson(a), eb = await evalJson(b);
    expect(eb.normalizedReward).toBe(ea.normalizedReward);
    expect(eb.episodes).toEqual(ea.episodes);
  });

  it('a FISOR run of the common loop scores as the same run of FISOR\'s own loop, and takes FISOR\'s flags', async () => {
    setBackend('js');
    const config = cfgOf('fisor', { steps: 3, evalEvery: 0, checkpointEvery: 0, evalEpisodes: 2 });
    const own = fresh(), common = fresh();
    await train({ task: 'BallRun', config: config as unknown as Parameters<typeof train>[0]['config'], seed: 3, outDir: own, dataset: ds });
    await trainAlgorithm(opts('fisor', common, { config, seed: 3 }));
    const eo = await evalJson(own), ec = await evalJson(common);
    expect(ec.episodes).toEqual(eo.episodes);
    expect(ec.normalizedReward).toBe(eo.normalizedReward);
    const mo = await evalJson(own, '--monitor', '--samples', '3', '--violating-choice', 'reward');
    const mc = await evalJson(common, '--monitor', '--samples', '3', '--violating-choice', 'reward');
    expect(mc.violatingChoice).toBe('reward');
    expect([mc.numSamples, mo.numSamples]).toEqual([3, 3]);
    // FISOR's own loop does not continue it, and says what does (it used to advise --algo fisor, which is that loop).
    await expect(train({ task: 'BallRun', config: config as unknown as Parameters<typeof train>[0]['config'], seed: 3, outDir: common, dataset: ds, resume: true, steps: 4 }))
      .rejects.toThrow(/FISOR run of the baselines' common loop .*scripts\/baselines\.ts --algos fisor/);
    expect(mc.episodes).toEqual(mo.episodes);
    expect(mc.monitor).toEqual(mo.monitor);
  });
});

describe('a resume that asks for no more steps than the checkpoint has', () => {
  it("finishes at that step: one eval line for it (not a second from a moved stream), and the window's train line", async () => {
    setBackend('js');
    const config = cfgOf('bc-safe', { steps: 8, evalEvery: 4, logEvery: 3, checkpointEvery: 0 });
    const dir = fresh();
    await trainAlgorithm(opts('bc-safe', dir, { config, stopAt: 4 }));
    const before = metrics(dir);
    const done = await trainAlgorithm(opts('bc-safe', dir, { config, resume: true, steps: 4 }));
    expect(done.step).toBe(4);
    const lines = metrics(dir);
    const evals = lines.filter((l) => l.type === 'eval' && l.step === 4);
    expect(evals).toHaveLength(1);
    expect(evals[0]).toEqual(before.find((l) => l.type === 'eval' && l.step === 4));
    expect(lines.filter((l) => l.type === 'train').map((l) => l.step)).toEqual([3, 4]);
    expect(done.lastEval?.normalizedReward).toBe(evals[0].normalizedReward);
  });

  it("does not report a later step's eval.json (a process that went on past its checkpoint) as this step's", async () => {
    setBackend('js');
    const config = cfgOf('bc-safe', { steps: 8, evalEvery: 4, logEvery: 3, checkpointEvery: 0 });
    const dir = fresh();
    await trainAlgorithm(opts('bc-safe', dir, { config, stopAt: 4 }));
    const saved = JSON.parse(read(join(dir, 'eval.json')));
    writeFileSync(join(dir, 'eval.json'), JSON.stringify({ ...saved, step: 8, normalizedReward: 123 }));
    const done = await trainAlgorithm(opts('bc-safe', dir, { config, resume: true, steps: 4 }));
    expect(done.step).toBe(4);
    expect(done.lastEval).toBe(null);
  });
});
