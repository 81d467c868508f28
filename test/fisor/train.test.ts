/**
 * The training loop's reliability promises (issue 12): run directories, locks, resume rules, checkpoint
 * metadata checks, divergence reports, metrics, provenance, best checkpoint, cost limit, output sink.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setBackend } from '../../core/index.js';
import { metadataChecksum } from '../../nn/checkpoint.js';
import { collect } from '../../rl/data/collect.js';
import type { Dataset } from '../../rl/data/dataset.js';
import type { FisorConfig } from '../../rl/fisor/config.js';
import { isBetter, loadAgent, train, type TrainOptions } from '../../rl/fisor/train.js';
import { CSV_COLUMNS } from '../../rl/io/metrics_csv.js';
import { MemoryRunSink } from '../../rl/io/memory_sink.js';
import { tinyConfig } from './tiny.js';

function tiny(extra: string[] = []): FisorConfig {
  return tinyConfig(extra);
}

const ds = collect('PointRobot', { transitions: 600, seed: 3 });
const root = mkdtempSync(join(tmpdir(), 'fisor-train-'));
let n = 0;
const fresh = () => join(root, `run${n++}`);
const base = (outDir: string, extra: Partial<TrainOptions> = {}): TrainOptions => ({ task: 'PointRobot', config: tiny(['steps=8']), seed: 7, outDir, dataset: ds, skipFinalEval: true, ...extra });

/** A pid that existed and has exited (for stale locks and temp names). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function editManifest(dir: string, edit: (m: { step: number; metadata: Record<string, any> }) => void, reseal = true): void {
  const p = join(dir, 'checkpoint', 'manifest.json');
  const m = JSON.parse(readFileSync(p, 'utf8'));
  edit(m);
  if (reseal) m.metadataChecksum = metadataChecksum(m.step, m.metadata);
  writeFileSync(p, JSON.stringify(m));
}

describe('run directories', () => {
  it('a fresh run refuses a run directory that holds files; overwrite replaces it', async () => {
    setBackend('js');
    const out = fresh();
    await train(base(out));
    const before = readFileSync(join(out, 'checkpoint', 'manifest.json'), 'utf8');
    await expect(train(base(out, { seed: 8 }))).rejects.toThrow(/already holds a run \(.*checkpoint.*\); pass --resume to continue it or --overwrite to replace it/);
    expect(readFileSync(join(out, 'checkpoint', 'manifest.json'), 'utf8')).toBe(before); // untouched
    writeFileSync(join(out, 'stray.txt'), 'x');
    const r = await train(base(out, { seed: 8, overwrite: true }));
    expect(r.step).toBe(8);
    expect(existsSync(join(out, 'stray.txt'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).seed).toBe(8);
  });

  it('an output path that is a file gets a clear error, not EEXIST', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(train(base(file))).rejects.toThrow(/a-file exists and is a file, not a run directory/);
  });

  it('a fresh run that fails before its first checkpoint leaves no directory behind', async () => {
    setBackend('js');
    const out = fresh();
    await expect(train(base(out, { config: tiny(['steps=8', 'evalEvery=2']), onStep: (s, _t, agent) => {
      if (s === 1) agent.stateTensors()['actorEma.' + Object.keys(agent.actorEma.stateDict())[0]].buffer.view()[0] = NaN;
    } }))).rejects.toThrow(/non-finite/);
    expect(existsSync(out)).toBe(false);
    // nor does a resume of a run that does not exist
    await expect(train(base(out, { resume: true }))).rejects.toThrow(/--resume: no checkpoint in .*cannot read \(ENOENT\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('two trainings on one run: the second is refused with the holder pid; a stale lock is taken over', async () => {
    setBackend('js');
    const out = fresh();
    const first = train(base(out, { config: tiny(['steps=30']) }));
    await new Promise((r) => setTimeout(r, 0));
    await expect(train(base(out, { resume: true }))).rejects.toThrow(new RegExp(`in use by process ${process.pid} \\(lock file .*\\.lock\\)`));
    await first;
    expect(existsSync(join(out, '.lock'))).toBe(false); // released
    // a lock left by a process that no longer exists
    writeFileSync(join(out, '.lock'), JSON.stringify({ pid: deadPid() }));
    const r = await train(base(out, { resume: true, steps: 35 }));
    expect(r.step).toBe(35);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });

  it('resume cleans checkpoint.tmp-* left by a dead writer and names an interrupted save in its error', async () => {
    setBackend('js');
    const out = fresh();
    await train(base(out, { stopAt: 4 }));
    const pid = deadPid();
    mkdirSync(join(out, `checkpoint.tmp-${pid}-0`));
    writeFileSync(join(out, `.eval.json.tmp-${pid}`), '{');
    await train(base(out, { resume: true, stopAt: 6 }));
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // a crash between the two renames: only checkpoint.old-* is left
    renameSync(join(out, 'checkpoint'), join(out, `checkpoint.old-${pid}-3`));
    await expect(train(base(out, { resume: true }))).rejects.toThrow(new RegExp(`--resume: no checkpoint .*left the previous checkpoint at .*checkpoint\\.old-${pid}-3 \\(rename it to checkpoint\\)`));
    expect(existsSync(join(out, `checkpoint.old-${pid}-3`))).toBe(true); // the only copy is kept
  });
});

describe('resume rules', () => {
  it('resuming a finished run does nothing and says so; --steps below the checkpoint is refused', async () => {
    setBackend('js');
    const out = fresh();
    const cfg = tiny(['steps=6', 'evalEvery=3']);
    await train(base(out, { config: cfg, skipFinalEval: false }));
    const files = ['metrics.jsonl', 'eval.json', 'metrics.csv'].map((f) => readFileSync(join(out, f), 'utf8'));
    const lines: string[] = [];
    const r = await train(base(out, { config: cfg, resume: true, skipFinalEval: false, log: (l) => lines.push(l) }));
    expect(r.alreadyFinished).toBe(true);
    expect(lines.join('\n')).toMatch(/already finished at step 6: nothing to do/);
    expect(['metrics.jsonl', 'eval.json', 'metrics.csv'].map((f) => readFileSync(join(out, f), 'utf8'))).toEqual(files);
    await expect(train(base(out, { resume: true, steps: 4 }))).rejects.toThrow(/--steps 4: .* already at step 6; give --steps >= 6/);
  });

  it('resume compares the dataset content, not only its size', async () => {
    setBackend('js');
    const out = fresh();
    await train(base(out, { stopAt: 3 }));
    const other: Dataset = { ...ds, rewards: ds.rewards.map((v) => v + 0.5) }; // same size, other content
    await expect(train(base(out, { dataset: other, resume: true }))).rejects.toThrow(/trained on a given dataset of 600 transitions; this call gives a given dataset of 600 transitions \(content hash fnv1a64x2:[0-9a-f]{16}, now fnv1a64x2:[0-9a-f]{16}\)/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.dataset.hash).toMatch(/^fnv1a64x2:[0-9a-f]{16}$/);
    expect(config.dataset.size).toBe(600);
  });

  it("a dataset whose 'task' attribute names another task is refused unless allowed", async () => {
    setBackend('js');
    const tagged: Dataset = { ...ds, attrs: { task: 'CarCircle' } };
    const out = fresh();
    await expect(train(base(out, { dataset: tagged, datasetPath: 'x.hdf5' }))).rejects.toThrow(/dataset x\.hdf5 says task 'CarCircle' \(its 'task' attribute\), not PointRobot; pass --allow-task-mismatch/);
    expect(existsSync(out)).toBe(false);
    expect((await train(base(out, { dataset: tagged, allowTaskMismatch: true }))).step).toBe(8);
  });

  it('metrics lines of a run stopped mid-window and resumed equal the uninterrupted run (timings aside)', async () => {
    setBackend('js');
    const cfg = tiny(['steps=12', 'checkpointEvery=4', 'evalEvery=6']);
    const a = fresh(), b = fresh();
    await train(base(a, { config: cfg, skipFinalEval: false }));
    await train(base(b, { config: cfg, stopAt: 7 }));
    await train(base(b, { config: cfg, resume: true, skipFinalEval: false }));
    const strip = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => {
      const o = JSON.parse(l);
      delete o.stepsPerSec;
      delete o.seconds;
      return o;
    });
    expect(strip(join(b, 'metrics.jsonl'))).toEqual(strip(join(a, 'metrics.jsonl')));
    const csv = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => l.split(',').filter((_, i) => !['stepsPerSec', 'seconds'].includes(CSV_COLUMNS[i])).join(','));
    expect(csv(join(b, 'metrics.csv'))).toEqual(csv(join(a, 'metrics.csv')));
  });

  it('a checkpoint written on wasm and resumed on js says so', async () => {
    setBackend('wasm');
    const out = fresh();
    await train(base(out, { stopAt: 3 }));
    setBackend('js');
    const lines: string[] = [];
    await train(base(out, { resume: true, log: (l) => lines.push(l) }));
    expect(lines.join('\n')).toMatch(/written on backend wasm and resumes on js: the continuation will not be bit-identical/);
  });
});

describe('checkpoint metadata', () => {
  it('an edited field without a matching checksum is refused', async () => {
    setBackend('js');
    const out = fresh();
    await train(base(out, { stopAt: 4 }));
    editManifest(out, (m) => (m.metadata.config.discount = 0.5), false);
    await expect(train(base(out, { resume: true }))).rejects.toThrow(/manifest\.json: metadata checksum mismatch: .*\(edited or corrupted manifest\?\)/);
  });

  it('every field is range-checked even when the checksum matches', async () => {
    setBackend('js');
    const out = fresh();
    await train(base(out, { stopAt: 4 }));
    const p = join(out, 'checkpoint', 'manifest.json');
    const original = readFileSync(p, 'utf8');
    const cases: [(m: { step: number; metadata: Record<string, any> }) => void, RegExp][] = [
      [(m) => (m.step = -5), /step must be an integer >= 0, got -5/],
      [(m) => (m.step = 150.5), /step must be an integer >= 0, got 150.5/],
      [(m) => (m.step = 1e9), /step 1000000000 is beyond the run's config.steps 8/],
      [(m) => (m.metadata.seed = -1), /field 'seed' must be an integer in \[0, 4294967295\]/],
      [(m) => (m.metadata.config.discount = 1.5), /field 'config': .*discount/],
      [(m) => (m.metadata.rngs.data = [0, 0, 0, 0, null]), /field 'rngs.data' is not an Rng state/],
      [(m) => (m.metadata.rngs.eval = [1, 2, 3, 2 ** 32, null]), /field 'rngs.eval' is not an Rng state/],
      [(m) => (m.metadata.costLimit = -1), /field 'costLimit' must be a number >= 0/],
      [(m) => (m.metadata.logWindow = { count: 99, sums: {} }), /field 'logWindow'/],
      [(m) => (m.metadata.task = 'BallCircle'), /says task BallCircle \(observations 8, actions 2\) but its networks take observations 11, actions 2: a checkpoint of another task\?/],
      [(m) => (m.metadata.task = 'Nope'), /field 'task': unknown task 'Nope'/],
    ];
    for (const [edit, re] of cases) {
      writeFileSync(p, original);
      editManifest(out, edit);
      await expect(loadAgent(out), String(re)).rejects.toThrow(re);
    }
  });
});

describe('divergence', () => {
  it('a non-finite parameter that no loss reads is found at the next log line, named with the step', async () => {
    setBackend('js');
    const out = fresh();
    await expect(train(base(out, { config: tiny(['steps=20', 'checkpointEvery=4']), onStep: (s, _t, agent) => {
      if (s === 6) agent.stateTensors()['actorEma.' + Object.keys(agent.actorEma.stateDict())[0]].buffer.view()[0] = NaN;
    } }))).rejects.toThrow(/non-finite value in tensor 'actorEma\.[^']+' \(element 0 = NaN\) at step 8 \(checked before saving\)/);
    // the last good checkpoint is intact and the run is still there to inspect
    expect((await loadAgent(out)).step).toBe(4);
  });

  it('a loss that turns non-finite names the step, the first bad tensor and the batch rows', async () => {
    setBackend('js');
    const out = fresh();
    await expect(train(base(out, { onStep: (s, _t, agent) => {
      if (s === 3) agent.stateTensors()['qr.' + Object.keys(agent.qr.stateDict()).at(-1)].buffer.view()[0] = NaN; // the output bias: no relu after it
    } }))).rejects.toThrow(/training diverged at step 4: non-finite .*qrLoss.*; first non-finite state: tensor 'qr\.[^']+' \(element \d+ = NaN\); the batch's data rows with the largest inputs: row \d+ \(\|/);
  });
});

describe('metrics, provenance, best checkpoint, cost limit', () => {
  it('config.json and checkpoint metadata carry provenance; metrics.csv mirrors the JSONL; best follows OSRL', async () => {
    setBackend('js');
    const out = fresh();
    const r = await train(base(out, { config: tiny(['steps=9', 'evalEvery=3']), skipFinalEval: false, provenance: { package: 'fisor-ts@test', gitCommit: null } }));
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    for (const k of ['package', 'node', 'backend', 'threads', 'configHash']) expect(config.provenance[k], k).toBeDefined();
    expect(config.provenance.backend).toBe('js');
    expect(config.provenance.configHash).toMatch(/^fnv1a32:[0-9a-f]{8}$/);
    const { loaded } = await loadAgent(out);
    expect((loaded.metadata as any).provenance).toEqual(config.provenance);
    const jsonl = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv.length - 1).toBe(jsonl.length);
    csv.slice(1).forEach((row, i) => {
      const cells = row.split(',');
      expect(cells[0]).toBe(jsonl[i].type);
      expect(Number(cells[1])).toBe(jsonl[i].step);
    });
    // best: the eval with the lowest normalized cost, ties broken by the higher reward
    const evals = jsonl.filter((o) => o.type === 'eval');
    let want: any = null;
    for (const e of evals) if (isBetter(e, want)) want = e;
    const best = JSON.parse(readFileSync(join(out, 'best.json'), 'utf8'));
    expect(best.step).toBe(want.step);
    expect(r.best?.step).toBe(want.step);
    expect((await loadAgent(join(out, 'checkpoint-best'))).step).toBe(want.step);
  });

  it('isBetter: lower cost wins, then higher reward', () => {
    expect(isBetter({ normalizedCost: 0.5, normalizedReward: 0 }, { step: 1, normalizedCost: 0.6, normalizedReward: 9 })).toBe(true);
    expect(isBetter({ normalizedCost: 0.5, normalizedReward: 1 }, { step: 1, normalizedCost: 0.5, normalizedReward: 0.9 })).toBe(true);
    expect(isBetter({ normalizedCost: 0.5, normalizedReward: 0.9 }, { step: 1, normalizedCost: 0.5, normalizedReward: 0.9 })).toBe(false);
  });

  it('the cost limit scores every evaluation (kappa 0 uses eps = 1)', async () => {
    setBackend('js');
    const out = fresh();
    const r = await train(base(out, { config: tiny(['steps=4']), costLimit: 0, skipFinalEval: false }));
    for (const e of r.lastEval!.episodes) expect(e.normalizedCost).toBeCloseTo(e.cost + 1, 10);
    expect(r.lastEval!.safeFraction).toBe(r.lastEval!.episodes.filter((e) => e.cost === 0).length / r.lastEval!.episodes.length);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).costLimit).toBe(0);
    await expect(train(base(fresh(), { costLimit: -1 }))).rejects.toThrow(/cost limit must be a number >= 0/);
    // a resume keeps the run's cost limit and refuses another one, or another task
    const half = fresh();
    await train(base(half, { costLimit: 0, stopAt: 2 }));
    await expect(train(base(half, { costLimit: 5, resume: true }))).rejects.toThrow(/scores with cost limit 0; a resume cannot change it to 5/);
    await expect(train(base(half, { task: 'BallRun', dataset: collect('BallRun', { episodes: 1, seed: 0 }), resume: true }))).rejects.toThrow(/is for task PointRobot, not BallRun/);
    expect((await train(base(half, { resume: true, skipFinalEval: false }))).costLimit).toBe(0);
  });

  it('trains into a memory sink: the loop writes only through the sink', async () => {
    setBackend('js');
    const sink = new MemoryRunSink('mem');
    const r = await train({ task: 'PointRobot', config: tiny(['steps=6', 'evalEvery=3']), seed: 1, sink, dataset: ds });
    expect(r.step).toBe(6);
    expect([...sink.files.keys()].sort()).toEqual(['best.json', 'config.json', 'eval.json', 'metrics.csv', 'metrics.jsonl']);
    expect([...sink.checkpoints.keys()].sort()).toEqual(['checkpoint', 'checkpoint-best']);
    const again = await train({ task: 'PointRobot', config: tiny(['steps=6']), seed: 1, sink, dataset: ds, resume: true });
    expect(again.alreadyFinished).toBe(true);
  });

  it('a resume deletes a best checkpoint from after its step (saved by a process that stopped before its next checkpoint)', async () => {
    setBackend('js');
    const cfg = tiny(['steps=8', 'evalEvery=2', 'checkpointEvery=2']);
    const sink = new MemoryRunSink('mem');
    await train({ task: 'PointRobot', config: cfg, seed: 1, sink, dataset: ds, stopAt: 4 });
    const later = new MemoryRunSink('later');
    await train({ task: 'PointRobot', config: cfg, seed: 1, sink: later, dataset: ds, stopAt: 6 });
    sink.checkpoints.set('checkpoint-best', later.checkpoints.get('checkpoint')!); // a best at step 6, as a stopped process leaves it
    const lines: string[] = [];
    const r = await train({ task: 'PointRobot', config: cfg, seed: 1, sink, dataset: ds, resume: true, steps: 4, log: (l) => lines.push(l) });
    expect(r.best).toBeNull();
    expect(sink.checkpoints.has('checkpoint-best')).toBe(false);
    expect(sink.files.has('best.json')).toBe(false);
    expect(lines.join('\n')).toMatch(/mem\/checkpoint-best holds step 6, after the resumed step 4 .*deleted it and best\.json/);
  });

  it('seeds outside [0, 2^32 - 1] are refused', async () => {
    await expect(train(base(fresh(), { seed: -1 }))).rejects.toThrow(/seed must be an integer in \[0, 4294967295\]/);
    await expect(train(base(fresh(), { seed: 2 ** 32 }))).rejects.toThrow(/seed must be an integer/);
  });
});

describe('platform seam', () => {
  it("nothing train.ts, the FISOR index or the memory sink import statically needs a Node built-in (a browser supplies its own sink)", () => {
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
        if (/^\s*(?:import|export)\s+type\s/.test(m[0])) continue;
        const spec = m[1];
        if (spec.startsWith('node:')) nodeImports.push(`${file.replace(/.*\/(rl|nn|core|diffusion)\//, '$1/')} imports ${spec}`);
        else if (spec.startsWith('.')) visit(join(file, '..', spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(__dirname, '../../rl/fisor/train.ts'));
    visit(join(__dirname, '../../rl/fisor/index.ts'));
    visit(join(__dirname, '../../rl/io/memory_sink.ts'));
    expect(seen.size).toBeGreaterThan(10);
    expect(nodeImports).toEqual([]);
  });
});

