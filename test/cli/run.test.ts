/** `fisor train` / `fisor eval` / `fisor collect` run-directory and flag rules, through the CLI entry point. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeRunDir } from '../../rl/cli/quickstart.js';
import { defaultRunDir } from '../../rl/cli/train.js';
import { collect } from '../../rl/data/collect.js';
import { datasetHash } from '../../rl/data/dataset.js';
import { FEASIBLE_STARTS_EVAL_SEED, FIXED_START_EVAL_SEED, RANDOM_STARTS_EVAL_SEED, feasibleStarts } from '../../rl/fisor/starts.js';
import { writeDsrlHdf5 } from '../../rl/data/hdf5.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { actingRngState } from '../../rl/algos/data.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { loadAgent } from '../../rl/fisor/train.js';
import { runCli as run, tinyFisorFlags, writeSmallPointRobotData } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-clirun-'));
const data = join(dir, 'pr.hdf5');
beforeAll(async () => {
  await writeSmallPointRobotData(data);
  await writeDsrlHdf5(join(dir, 'ballrun-as-carrun.hdf5'), collect('BallRun', { episodes: 3, seed: 1 }), { attrs: { task: 'CarRun' } });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


const TINY = tinyFisorFlags(2);

describe('fisor train: run directories', () => {
  it('seeds outside 32 bits are refused everywhere (they would alias other seeds)', async () => {
    for (const argv of [
      ['train', '--task', 'PointRobot', '--seed', '-1'],
      ['train', '--task', 'PointRobot', '--seed', '4294967296'],
      ['eval', '--checkpoint', dir, '--seed', '-1'],
      ['collect', '--task', 'BallRun', '--out', join(dir, 'x.hdf5'), '--seed', '4294967296'],
      ['quickstart', '--seed', '-5'],
    ]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/--seed must be in \[0, 4294967295\]/);
    }
  });

  it('default run names differ with --set, --steps, --preset and the dataset; --resume needs --out', async () => {
    const cfg = (set: string[] = [], steps?: number, preset = 'cpu') => resolveConfig({ preset, task: 'PointRobot', set, overrides: { steps } });
    const a = defaultRunDir('PointRobot', 'cpu', 0, cfg(), undefined);
    expect(a).toMatch(/^runs\/PointRobot-cpu-s0-[0-9a-f]{8}$/);
    expect(defaultRunDir('PointRobot', 'cpu', 0, cfg(), undefined)).toBe(a);
    const others = [
      defaultRunDir('PointRobot', 'cpu', 0, cfg(['batchSize=512']), undefined),
      defaultRunDir('PointRobot', 'cpu', 0, cfg([], 500), undefined),
      defaultRunDir('PointRobot', 'paper', 0, cfg([], undefined, 'paper'), undefined),
      defaultRunDir('PointRobot', 'cpu', 0, cfg(), 'data.hdf5'),
    ];
    expect(new Set([a, ...others]).size).toBe(5);
    const r = await run('train', '--task', 'PointRobot', '--resume');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--resume needs --out DIR/);
  });

  it('quickstart without --out picks a free directory instead of overwriting the last one', () => {
    const q = join(dir, 'quickstart');
    expect(freeRunDir(q)).toBe(q);
    mkdirSync(q);
    expect(freeRunDir(q)).toBe(q); // empty: free
    writeFileSync(join(q, 'config.json'), '{}');
    expect(freeRunDir(q)).toBe(`${q}-2`);
    mkdirSync(`${q}-2`);
    writeFileSync(join(`${q}-2`, 'x'), '');
    expect(freeRunDir(q)).toBe(`${q}-3`);
  });

  it('quickstart end to end (tiny): fixed, random and ground-truth-feasible starts, the figure; a too-short --steps is a usage error naming the fix', async () => {
    const out = join(dir, 'qs');
    const r = await run('quickstart', '--steps', '20', '--set', 'criticSteps=12', '--episodes', '1', '--feasible-starts', '3', '--seed', '3', '--out', out, '--quiet');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/critics first for 12 of 20 steps/);
    expect(r.out).toMatch(/fixed start +normalized reward/);
    expect(r.out).toMatch(/feasible starts +\d of 3 ground-truth-feasible starts without a violation/);
    const ev = JSON.parse(readFileSync(join(out, 'quickstart-eval.json'), 'utf8'));
    expect(ev.feasibleStarts.episodes).toHaveLength(3);
    expect(ev.feasibleStarts.violationFree).toBe(ev.feasibleStarts.episodes.filter((e: { cost: number }) => e.cost === 0).length);
    expect(existsSync(join(out, 'feasible.png'))).toBe(true);
    // The evaluations are the checkpoint's, in this order, with the fixed seeds of rl/fisor/starts.ts.
    const { agent } = await loadAgent(out);
    const fixed = evaluate(agent, 'PointRobot', { episodes: 1, seed: FIXED_START_EVAL_SEED, fixedStart: true });
    const random = evaluate(agent, 'PointRobot', { episodes: 1, seed: RANDOM_STARTS_EVAL_SEED });
    const starts = feasibleStarts(3);
    const feasible = evaluate(agent, 'PointRobot', { episodes: 3, seed: FEASIBLE_STARTS_EVAL_SEED, starts });
    expect([ev.fixedStart.episodes, ev.randomStarts.episodes, ev.feasibleStarts.episodes]).toEqual([fixed.episodes, random.episodes, feasible.episodes]);
    expect(ev.fixedStart.episodes).not.toEqual(random.episodes);
    expect(r.out).toContain(`feasible starts ${feasible.violationFree} of 3 ground-truth-feasible starts without a violation (${(100 * feasible.violationFree / 3).toFixed(0)}%)`);
    // The printed scores are those evaluations' (the share of safe episodes in percent), and the figure's numbers
    // record the training seed (3 here, not the default 0).
    for (const [name, e] of [['fixed start', fixed], ['random starts', random]] as const) {
      expect(r.out).toContain(`${name.padEnd(15)} normalized reward ${e.normalizedReward.toFixed(3)} +- ${e.normalizedRewardStd.toFixed(3)}   normalized cost ${e.normalizedCost.toFixed(3)} +- ${e.normalizedCostStd.toFixed(3)}   ${e.normalizedCost <= 1 ? 'safe' : 'UNSAFE'} (${e.episodes[0].cost <= 10 ? 100 : 0}% of episodes cost <= 10)`);
    }
    expect(JSON.parse(readFileSync(join(out, 'feasible.json'), 'utf8'))).toMatchObject({ seed: 3, step: 20 });
    // Trained without evaluations, on the preset's recipe collected with seed 0 (its hash in config.json).
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).not.toMatch(/"type":"eval"/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    const ds = collect('PointRobot', { seed: 0, recipe: config.config.dataRecipe });
    expect(config.dataset.hash).toBe(datasetHash(ds));
    const trajectories = Array.from(ds.timeouts).filter((t, i) => t || ds.terminals[i]).length;
    expect(r.out).toContain(`1/4 data: ${ds.size} transitions, ${trajectories} trajectories`);
    const short = await run('quickstart', '--steps', '20', '--out', join(dir, 'qs2'), '--quiet');
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/criticSteps' \(10000\) must be < steps \(20\).*--set criticSteps=12/);
    expect(existsSync(join(dir, 'qs2'))).toBe(false);
  }, 120_000);

  it('--out that is a file: a clear error before any work', async () => {
    const file = join(dir, 'file-out');
    writeFileSync(file, 'x');
    const r = await run('train', '--task', 'PointRobot', '--out', file, '--dataset', data, ...TINY);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/file-out exists and is a file, not a run directory/);
  });

  it('train, refuse a second fresh train, resume a finished run as a no-op; config.json records data and provenance', async () => {
    const out = join(dir, 'r1');
    const a = await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--steps', '6', ...TINY);
    expect(a.code, a.err).toBe(0);
    // The speed line names the backend and thread count it was measured on.
    expect(a.out).toMatch(/done: 6 steps, [\d.]+ updates\/s \(\S+, [12] threads?\)/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.dataset.path).toBe(data);
    expect(config.dataset.hash).toMatch(/^fnv1a64x2:/);
    expect(config.provenance.package).toBe('fisor-ts@0.1.0');
    expect(config.provenance.gitCommit === null || /^[0-9a-f]{40}(\+dirty)?$/.test(config.provenance.gitCommit)).toBe(true);
    expect(config.provenance.node).toBe(process.version);
    expect(existsSync(join(out, 'metrics.csv'))).toBe(true);
    const evalBefore = readFileSync(join(out, 'eval.json'), 'utf8');
    const b = await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--steps', '6', ...TINY);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/already holds a run .*pass --resume to continue it or --overwrite to replace it/);
    const c = await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--resume', '--backend', 'js', '--quiet');
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/already finished at step 6: nothing to do/);
    expect(readFileSync(join(out, 'eval.json'), 'utf8')).toBe(evalBefore);
    const d = await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--resume', '--steps', '3', '--backend', 'js', '--quiet');
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/already at step 6; give --steps >= 6/);
  });

  it("a dataset whose 'task' attribute names another task needs --allow-task-mismatch", async () => {
    const file = join(dir, 'ballrun-as-carrun.hdf5');
    const a = await run('train', '--task', 'BallRun', '--out', join(dir, 'mm'), '--dataset', file, '--steps', '2', ...TINY);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/says task 'CarRun' \(its 'task' attribute\), not BallRun; pass --allow-task-mismatch/);
    expect(existsSync(join(dir, 'mm'))).toBe(false);
    const b = await run('train', '--task', 'BallRun', '--out', join(dir, 'mm'), '--dataset', file, '--steps', '2', '--allow-task-mismatch', ...TINY);
    expect(b.code, b.err).toBe(0);
  });

  it('Ctrl-C saves a checkpoint, exits 130 and says how to continue', async () => {
    const out = join(dir, 'sigint');
    const before = new Set(process.listeners('SIGINT'));
    const pending = run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--allow-task-mismatch', '--cost-limit', '5', '--steps', '100000', ...TINY);
    // deliver the signal to the handler train installed, once training is under way (a metrics line exists)
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        const handler = process.listeners('SIGINT').find((l) => !before.has(l));
        if (handler && existsSync(join(out, 'metrics.jsonl')) && readFileSync(join(out, 'metrics.jsonl'), 'utf8').includes('"train"')) {
          clearInterval(t);
          (handler as () => void)();
          resolve();
        }
      }, 20);
    });
    const r = await pending;
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/interrupted: saving a checkpoint/);
    expect(r.out).toMatch(/stopped at step \d+; checkpoint .*saved\. Continue with: fisor train --task PointRobot --out \S*sigint --dataset \S*pr\.hdf5 --allow-task-mismatch --cost-limit 5 --backend js --resume/);
    const step = JSON.parse(readFileSync(join(out, 'checkpoint', 'manifest.json'), 'utf8')).step;
    expect(step).toBeGreaterThanOrEqual(5);
    expect(step).toBeLessThan(100000);
    expect(process.listeners('SIGINT').filter((l) => !before.has(l))).toEqual([]); // handler removed
    expect(existsSync(join(out, '.lock'))).toBe(false);
    // The printed line, run as printed (plus a longer run), continues the run on its backend.
    const printed = /Continue with: fisor (.*)\n/.exec(r.out)![1].split(' ');
    const resumed = await run(...printed, '--steps', String(step + 2), '--quiet');
    expect(resumed.code, resumed.err).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'manifest.json'), 'utf8')).step).toBe(step + 2);
  });
});

describe('fisor train: a real SIGINT through bin/fisor.mjs', () => {
  it('SIGINT to the launcher reaches the training child: checkpoint saved, exit 130, no orphan, lock released', async () => {
    const out = join(dir, 'sigint-bin');
    const bin = fileURLToPath(new URL('../../bin/fisor.mjs', import.meta.url));
    const child = spawn(process.execPath, [bin, 'train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--steps', '1000000', ...TINY], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (existsSync(join(out, 'metrics.jsonl')) && readFileSync(join(out, 'metrics.jsonl'), 'utf8').includes('"train"')) {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/stopped at step (\d+); checkpoint .* saved/);
    const saved = JSON.parse(readFileSync(join(out, 'checkpoint', 'manifest.json'), 'utf8')).step;
    expect(saved).toBe(Number(/stopped at step (\d+)/.exec(stdout)![1]));
    expect(existsSync(join(out, '.lock'))).toBe(false); // the child finished (an orphan would still hold it)
  }, 180_000);
});

describe('fisor train --resume after an interrupted save', () => {
  it('restores the checkpoint the save set aside (checkpoint.old-*) and continues from it, saying so', async () => {
    const out = join(dir, 'r-old');
    expect((await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--steps', '2', ...TINY)).code).toBe(0);
    renameSync(join(out, 'checkpoint'), join(out, 'checkpoint.old-4242-0')); // as a kill between the save's renames leaves it
    const r = await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--resume', '--steps', '4', '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/interrupted save had left the previous checkpoint at .*checkpoint\.old-4242-0; restored it/);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'manifest.json'), 'utf8')).step).toBe(4);
    expect(existsSync(join(out, 'checkpoint.old-4242-0'))).toBe(false);
  });
});

describe('fisor train --algo --resume after an interrupted save', () => {
  it("restores a baseline run's checkpoint the save set aside and continues from it, saying so", async () => {
    const out = join(dir, 'r-old-algo');
    const algo = ['--algo', 'bc-all', '--task', 'PointRobot', '--out', out, '--dataset', data, '--backend', 'js', '--quiet'];
    expect((await run('train', ...algo, '--steps', '2', '--set', 'batchSize=16', '--set', 'hidden=8', '--set', 'evalEpisodes=1')).code).toBe(0);
    renameSync(join(out, 'checkpoint'), join(out, 'checkpoint.old-4242-0'));
    const r = await run('train', ...algo, '--resume', '--steps', '4');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/interrupted save had left the previous checkpoint at .*checkpoint\.old-4242-0; restored it/);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'manifest.json'), 'utf8')).step).toBe(4);
    expect(existsSync(join(out, 'checkpoint.old-4242-0'))).toBe(false);
  });
});

describe('fisor eval: output checks and cost limit', () => {
  it('a missing --out directory or a directory as --out is refused before evaluating; --cost-limit scores', async () => {
    const out = join(dir, 'r2');
    expect((await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--steps', '2', ...TINY)).code).toBe(0);
    const missing = await run('eval', '--checkpoint', out, '--episodes', '1', '--out', join(dir, 'nope', 'e.json'), '--quiet');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--out .*nope\/e\.json: directory .*nope does not exist/);
    expect(missing.out).toBe(''); // nothing evaluated
    const isDir = await run('eval', '--checkpoint', out, '--episodes', '1', '--out', dir, '--quiet');
    expect(isDir.code).toBe(2);
    expect(isDir.err).toMatch(/is a directory; give a file name/);
    const k0 = await run('eval', '--checkpoint', out, '--episodes', '2', '--cost-limit', '0', '--backend', 'js', '--quiet');
    expect(k0.code, k0.err).toBe(0);
    expect(k0.out).toMatch(/cost limit 0\)/);
    const res = JSON.parse(readFileSync(join(out, 'eval-12345-k0.json'), 'utf8'));
    expect(res.costLimit).toBe(0);
    for (const e of res.episodes) expect(e.normalizedCost).toBeCloseTo(e.cost + 1, 10);
    expect((await run('eval', '--checkpoint', out, '--cost-limit', '-2')).code).toBe(2);
    // --samples changes the result: it is in the default file name, the JSON and the header line.
    const n3 = await run('eval', '--checkpoint', out, '--episodes', '1', '--samples', '3', '--backend', 'js', '--quiet');
    expect(n3.code, n3.err).toBe(0);
    expect(n3.out).toMatch(/, 3 candidates per state\)/);
    expect(JSON.parse(readFileSync(join(out, 'eval-12345-n3.json'), 'utf8')).numSamples).toBe(3);
    expect(JSON.parse(readFileSync(join(out, 'eval-12345-k0.json'), 'utf8')).numSamples).toBeGreaterThan(0);
  });

  it('a second evaluation with the same seed writes eval-<seed>-2.json instead of replacing the first', async () => {
    const out = join(dir, 'r3');
    expect((await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--steps', '2', ...TINY)).code).toBe(0);
    const first = await run('eval', '--checkpoint', out, '--episodes', '1', '--backend', 'js', '--quiet');
    expect(first.code, first.err).toBe(0);
    const before = readFileSync(join(out, 'eval-12345.json'), 'utf8');
    const second = await run('eval', '--checkpoint', out, '--episodes', '2', '--backend', 'js', '--quiet');
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/eval-12345-2\.json/);
    expect(readFileSync(join(out, 'eval-12345.json'), 'utf8')).toBe(before);
    expect(JSON.parse(readFileSync(join(out, 'eval-12345-2.json'), 'utf8')).episodes).toHaveLength(2);
  });
});

describe('fisor eval: what its flags reach', () => {
  it("the result is the evaluation of the checkpoint with the flags' seed, start, candidates, monitor and cost limit (the run's by default), and the printed scores are its", async () => {
    const out = join(dir, 'r-wire');
    expect((await run('train', '--task', 'PointRobot', '--out', out, '--dataset', data, '--steps', '2', '--cost-limit', '5', ...TINY)).code).toBe(0);
    /** The same evaluation in process: the checkpoint, its acting noise seeded from the eval seed (as the CLI does). */
    const replay = async (o: { seed: number; fixedStart?: boolean; numSamples?: number; monitor?: boolean }) => {
      const { agent } = await loadAgent(out);
      agent.rngs.act.setState(actingRngState(o.seed));
      return evaluate(agent, 'PointRobot', { episodes: 2, costLimit: 5, ...o });
    };
    const r = await run('eval', '--checkpoint', out, '--episodes', '2', '--seed', '7', '--samples', '2', '--monitor', '--backend', 'js', '--quiet');
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(readFileSync(join(out, 'eval-7-n2.json'), 'utf8'));
    const want = await replay({ seed: 7, numSamples: 2, monitor: true });
    expect(got.episodes).toEqual(want.episodes);
    expect(got.monitor).toEqual(want.monitor);
    expect(got).toMatchObject({ costLimit: 5, checkpointStep: 2, numSamples: 2 });
    // Each of those flags changes the result here, so the comparison above sees each one arrive.
    expect((await replay({ seed: 7, numSamples: 3, monitor: true })).episodes).not.toEqual(want.episodes);
    expect((await replay({ seed: 0, numSamples: 2, monitor: true })).episodes).not.toEqual(want.episodes);
    expect(r.out).toMatch(/PointRobot \(checkpoint step 2, 2 episodes, cost limit 5, 2 candidates per state\):/);
    expect(r.out).toContain(`normalized reward ${got.normalizedReward.toFixed(3)} +- ${got.normalizedRewardStd.toFixed(3)}\n`);
    expect(r.out).toContain(`normalized cost   ${got.normalizedCost.toFixed(3)} +- ${got.normalizedCostStd.toFixed(3)}  (${got.normalizedCost <= 1 ? 'safe: <= 1' : 'UNSAFE: > 1'}; ${(100 * got.safeFraction).toFixed(0)}% of episodes safe)`);

    const fixed = await run('eval', '--checkpoint', out, '--episodes', '2', '--seed', '7', '--fixed-start', '--backend', 'js', '--quiet');
    expect(fixed.code, fixed.err).toBe(0);
    const gotFixed = JSON.parse(readFileSync(join(out, 'eval-7-fixed.json'), 'utf8'));
    expect(gotFixed.episodes).toEqual((await replay({ seed: 7, fixedStart: true })).episodes);
    expect(gotFixed.episodes).not.toEqual((await replay({ seed: 7 })).episodes);

    const k3 = await run('eval', '--checkpoint', out, '--episodes', '2', '--seed', '7', '--cost-limit', '3', '--backend', 'js', '--quiet');
    expect(k3.code, k3.err).toBe(0);
    const e3 = JSON.parse(readFileSync(join(out, 'eval-7-k3.json'), 'utf8'));
    expect(e3.costLimit).toBe(3);
    for (const e of e3.episodes) expect(e.normalizedCost).toBeCloseTo(e.cost / 3, 12);
  });
});

describe('fisor collect: cost limit', () => {
  it('--cost-limit sets the summary threshold and the scatter line', async () => {
    const out = join(dir, 'c.hdf5');
    const r = await run('collect', '--task', 'BallRun', '--episodes', '3', '--out', out, '--cost-limit', '0', '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/cost <= 0 +\d/);
    expect(readFileSync(join(dir, 'c.scatter.svg'), 'utf8')).toContain('kappa = 0');
  });
});
