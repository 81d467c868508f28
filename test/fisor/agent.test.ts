import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng, audit, formatAudit, setBackend, tidy } from '../../core/index.js';
import { collect } from '../../rl/data/collect.js';
import { FisorAgent } from '../../rl/fisor/agent.js';
import type { FisorConfig } from '../../rl/fisor/config.js';
import { allocFisorBatch, prepareData, sampleBatch } from '../../rl/fisor/data.js';
import { loadAgent, train } from '../../rl/fisor/train.js';
import { metadataChecksum } from '../../nn/checkpoint.js';
import { tinyConfig } from './tiny.js';

/** A tiny FISOR (all processes, all formulas; small networks and batches). */
function tiny(extra: string[] = []): FisorConfig {
  return tinyConfig(extra);
}

describe('FISOR agent', () => {
  it('audit: every op of one full FISOR update (actor x2, V_r, Q_r, V_h, Q_h) has a correct gradient', () => {
    setBackend('js');
    const cfg = tiny(['dtype=float64', 'batchSize=6', 'criticBatchSize=4', 'criticHidden=5', 'actor.hidden=4', 'actor.timeFeatures=2', 'actor.timeHidden=4']);
    const agent = new FisorAgent(cfg, 3, 2, new Rng(0));
    const r = new Rng(1);
    const f = (n: number, s = 0.7) => Float32Array.from({ length: n }, () => s * r.normal());
    const batch = { size: 6, observations: f(18), nextObservations: f(18), actions: f(12, 0.4), rewards: f(6), h: f(6), masks: Float32Array.from([1, 1, 0, 1, 1, 0]) };
    const rep = audit(() => agent.update(batch), { maxPoints: 6 });
    const bad = rep.rows.filter((row) => !row.ok);
    if (bad.length) console.log(formatAudit(rep.rows));
    expect(rep.rows.length).toBeGreaterThan(50);
    for (const row of rep.rows) expect(row.ok, `${row.index} ${row.op}`).toBe(true);
    const ops = new Set(rep.rows.map((row) => row.op));
    // the diffusion actor's time features and the denoiser's concat are on the tape (layer ops may be fused by nn)
    for (const op of ['mish', 'cos', 'sin', 'concat']) expect(ops.has(op), `${op} in ${[...ops].join(', ')}`).toBe(true);
    expect(Number.isFinite(rep.result.actorLoss)).toBe(true);
  });

  it('act returns one action per observation, in [-1, 1], the lowest-Q_h candidate', () => {
    setBackend('js');
    const cfg = tiny();
    const agent = new FisorAgent(cfg, 11, 2, new Rng(0));
    const obs = Float32Array.from({ length: 4 * 11 }, (_, i) => Math.sin(i));
    const a = agent.act(obs, 5);
    expect(a).toHaveLength(8);
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    // same stream state -> same choice; the choice is the argmin of target Q_h over the candidates
    const state = agent.rngs.act.getState();
    const again = agent.act(obs.subarray(0, 11), 5);
    agent.rngs.act.setState(state);
    expect(Array.from(agent.act(obs.subarray(0, 11), 5))).toEqual(Array.from(again));
  });

  it('a resumed run equals an uninterrupted one bit for bit (js backend)', async () => {
    setBackend('js');
    const ds = collect('PointRobot', { transitions: 600, seed: 3 });
    const cfg = tiny(['steps=12', 'checkpointEvery=4', 'evalEvery=6']);
    const root = mkdtempSync(join(tmpdir(), 'fisor-resume-'));
    const a = await train({ task: 'PointRobot', config: cfg, seed: 7, outDir: join(root, 'a'), dataset: ds });
    await train({ task: 'PointRobot', config: cfg, seed: 7, outDir: join(root, 'b'), dataset: ds, stopAt: 5 });
    const b = await train({ task: 'PointRobot', config: cfg, seed: 999 /* ignored on resume */, outDir: join(root, 'b'), dataset: ds, resume: true });
    expect(a.step).toBe(12);
    expect(b.step).toBe(12);
    const ta = a.agent.stateTensors(), tb = b.agent.stateTensors();
    expect(Object.keys(tb)).toEqual(Object.keys(ta));
    for (const k of Object.keys(ta)) expect(Array.from(tb[k].dataSync()), k).toEqual(Array.from(ta[k].dataSync()));
    expect(b.agent.rngStates()).toEqual(a.agent.rngStates());
    // the logs agree too (apart from timings)
    const strip = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => {
      const o = JSON.parse(l);
      delete o.stepsPerSec;
      delete o.seconds;
      return o;
    });
    const la = strip(join(root, 'a', 'metrics.jsonl')), lb = strip(join(root, 'b', 'metrics.jsonl'));
    expect(lb.filter((o) => o.type === 'eval')).toEqual(la.filter((o) => o.type === 'eval'));
    expect(lb.filter((o) => o.type === 'train')).toEqual(la.filter((o) => o.type === 'train')); // every line, the window across the stop included
    // a loaded checkpoint acts like the trained agent
    const loaded = await loadAgent(join(root, 'a'));
    const obs = new Float32Array(22).fill(0.5);
    expect(Array.from(loaded.agent.act(obs))).toEqual(Array.from(a.agent.act(obs)));
  });

  it('smoke: a few hundred steps on PointRobot reduce the critic losses and keep everything finite', async () => {
    setBackend('js');
    const ds = collect('PointRobot', { transitions: 3000, seed: 1 });
    const cfg = tiny(['steps=300', 'batchSize=32', 'criticBatchSize=32', 'logEvery=50', 'evalEpisodes=3', 'criticHidden=16,16']);
    const root = mkdtempSync(join(tmpdir(), 'fisor-smoke-'));
    const res = await train({ task: 'PointRobot', config: cfg, seed: 0, outDir: root, dataset: ds });
    const lines = readFileSync(join(root, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const tr = lines.filter((l) => l.type === 'train');
    expect(tr).toHaveLength(6);
    for (const l of tr) for (const [k, v] of Object.entries(l)) if (typeof v === 'number') expect(Number.isFinite(v), k).toBe(true);
    expect(tr[tr.length - 1].qhLoss).toBeLessThan(tr[0].qhLoss);
    expect(tr[tr.length - 1].qrLoss).toBeLessThan(tr[0].qrLoss);
    expect(res.lastEval).not.toBeNull();
    expect(res.lastEval!.episodes).toHaveLength(3);
    for (const e of res.lastEval!.episodes) expect(Number.isFinite(e.normalizedReward) && Number.isFinite(e.normalizedCost)).toBe(true);
  });

  it('criticUpdates > 1: updateCritics moves only the critics; training with it stays finite and resumable', async () => {
    setBackend('js');
    const cfg = tiny();
    const agent = new FisorAgent(cfg, 11, 2, new Rng(0));
    const ds = collect('PointRobot', { transitions: 400, seed: 4 });
    const d = prepareData(ds, 'PointRobot', cfg);
    const before = agent.stateTensors();
    const snap = Object.fromEntries(Object.entries(before).map(([k, t]) => [k, Array.from(t.dataSync())]));
    agent.updateCritics(sampleBatch(d, new Rng(1), allocFisorBatch(d, cfg.criticBatchSize)));
    const after = agent.stateTensors();
    const changed = (k: string) => Array.from(after[k].dataSync()).some((v, i) => v !== snap[k][i]);
    const keys = Object.keys(after).filter((k) => !k.startsWith('opt.'));
    expect(keys.filter((k) => /^(actor|actorEma)\./.test(k) && changed(k))).toEqual([]);
    for (const net of ['qh', 'vh', 'qr', 'vr']) expect(keys.some((k) => k.startsWith(net + '.') && changed(k)), net).toBe(true);
    const cfg2 = tiny(['steps=8', 'checkpointEvery=4', 'criticUpdates=3']);
    const root = mkdtempSync(join(tmpdir(), 'fisor-cu-'));
    const a = await train({ task: 'PointRobot', config: cfg2, seed: 7, outDir: join(root, 'a'), dataset: ds, skipFinalEval: true });
    await train({ task: 'PointRobot', config: cfg2, seed: 7, outDir: join(root, 'b'), dataset: ds, stopAt: 4 });
    const b = await train({ task: 'PointRobot', config: cfg2, seed: 7, outDir: join(root, 'b'), dataset: ds, resume: true, skipFinalEval: true });
    const ta = a.agent.stateTensors(), tb = b.agent.stateTensors();
    for (const k of Object.keys(ta)) expect(Array.from(tb[k].dataSync()), k).toEqual(Array.from(ta[k].dataSync()));
  });

  it('prepares data as the reference: clipped actions, masks from terminals OR timeouts, h from costs or key h', () => {
    const ds = collect('PointRobot', { transitions: 400, seed: 2 });
    ds.actions[0] = 1;
    const cfg = tiny();
    const d = prepareData(ds, 'PointRobot', cfg);
    expect(d.actions[0]).toBeCloseTo(1 - 1e-5, 7);
    expect(d.hSource).toBe('continuous');
    expect(d.rewardScale).toBe(1);
    for (let i = 0; i < ds.size; i++) expect(d.masks[i]).toBe(ds.terminals[i] || ds.timeouts[i] ? 0 : 1);
    expect(Array.from(d.h)).toEqual(Array.from(ds.h!));
    const c = prepareData(ds, 'PointRobot', tiny(['hSource=cost', 'rewardScale=dsrl']));
    for (let i = 0; i < ds.size; i++) expect(c.h[i]).toBe(ds.costs[i] > 0 ? 25 : -1);
    expect(c.rewardScale).not.toBe(1);
    const b = sampleBatch(d, new Rng(0), allocFisorBatch(d, 16));
    expect(b.observations).toHaveLength(16 * 11);
    tidy(() => undefined);
  });
});

describe('FISOR checkpoint checks', () => {
  it('resume refuses another dataset and names a missing metadata field', async () => {
    setBackend('js');
    const ds = collect('PointRobot', { transitions: 600, seed: 3 });
    const cfg = tiny(['steps=4']);
    const root = mkdtempSync(join(tmpdir(), 'fisor-ckcheck-'));
    await train({ task: 'PointRobot', config: cfg, seed: 7, outDir: root, dataset: ds, stopAt: 2 });
    const other = collect('PointRobot', { transitions: 500, seed: 3 });
    await expect(train({ task: 'PointRobot', config: cfg, seed: 7, outDir: root, dataset: other, resume: true })).rejects.toThrow(/trained on a given dataset of 600 transitions; this call gives a given dataset of 500/);
    const manifest = join(root, 'checkpoint', 'manifest.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    delete m.metadata.rngs.data;
    m.metadataChecksum = metadataChecksum(m.step, m.metadata); // a consistent edit: only the field check can catch it
    writeFileSync(manifest, JSON.stringify(m));
    await expect(loadAgent(root)).rejects.toThrow(/metadata has no Rng state 'rngs.data'/);
    await expect(train({ task: 'PointRobot', config: cfg, seed: 7, outDir: root, dataset: ds, resume: true })).rejects.toThrow(/rngs.data/);
  });
});
