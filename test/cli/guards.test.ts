/**
 * What a user's files must survive (an audit's findings, each reproduced first): --overwrite only replaces a
 * run and only after the data and config checked out; results are never written inside checkpoint/ (the next
 * save replaces it whole) nor over an existing file; flags that would silently do nothing are refused.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../rl/data/collect.js';
import { readDsrlHdf5, writeDsrlHdf5 } from '../../rl/data/hdf5.js';
import { CSV_COLUMNS } from '../../rl/io/metrics_csv.js';
import { runCli as run, tinyFisorFlags, writeSmallPointRobotData } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-guards-'));
const data = join(dir, 'pr.hdf5');
const tinyData = join(dir, 'pr-tiny.hdf5');
const ballCircle = join(dir, 'bc.hdf5');
const costlyBallCircle = join(dir, 'bc-costly.hdf5');
const TINY = tinyFisorFlags();
const pointRobotRun = join(dir, 'run');
const bcRun = join(dir, 'bc-run');

beforeAll(async () => {
  await writeSmallPointRobotData(data);
  await writeDsrlHdf5(tinyData, collect('PointRobot', { transitions: 10, seed: 3 }), { attrs: { task: 'PointRobot' } });
  await writeDsrlHdf5(ballCircle, collect('BallCircle', { episodes: 3, seed: 1 }), { attrs: { task: 'BallCircle' } });
  const costly = collect('BallCircle', { episodes: 1, seed: 1 });
  expect(costly.costs.some((c) => c > 0)).toBe(true); // no trajectory within cost limit 0: BC-Safe has nothing to imitate
  await writeDsrlHdf5(costlyBallCircle, costly, { attrs: { task: 'BallCircle' } });
  expect((await run('train', '--task', 'PointRobot', '--dataset', data, '--steps', '10', '--out', pointRobotRun, ...TINY)).code).toBe(0);
  expect((await run('train', '--algo', 'bc-all', '--task', 'BallCircle', '--dataset', ballCircle, '--steps', '5', '--set', 'evalEpisodes=1', '--out', bcRun, '--backend', 'js', '--quiet')).code).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const listing = (d: string) => readdirSync(d).sort();

describe('--overwrite', () => {
  it('refuses a directory that is not a run, and deletes nothing', async () => {
    const notes = join(dir, 'notes');
    mkdirSync(join(notes, 'sub'), { recursive: true });
    writeFileSync(join(notes, 'notes.txt'), 'mine');
    writeFileSync(join(notes, 'sub', 'data.csv'), 'x');
    for (const algo of ['fisor', 'bc-all']) {
      const r = await run('train', '--algo', algo, '--task', 'PointRobot', '--dataset', data, '--steps', '5', '--out', notes, '--overwrite', ...(algo === 'fisor' ? TINY : ['--backend', 'js', '--quiet']));
      expect(r.code, algo).not.toBe(0);
      expect(r.err).toMatch(/--overwrite replaces a training run, and .* is not one.*nothing was deleted/);
      expect(listing(notes)).toEqual(['notes.txt', 'sub']);
      expect(readFileSync(join(notes, 'sub', 'data.csv'), 'utf8')).toBe('x');
    }
  });

  it('checks the data and config before it clears a run: a failing --overwrite leaves the run as it was', async () => {
    const before = listing(pointRobotRun);
    const config = readFileSync(join(pointRobotRun, 'config.json'), 'utf8');
    const tooSmall = await run('train', '--task', 'PointRobot', '--dataset', tinyData, '--steps', '5', '--out', pointRobotRun, '--overwrite', ...TINY);
    expect(tooSmall.code).not.toBe(0);
    expect(tooSmall.err).toMatch(/10 transitions, fewer than batchSize 16/);
    const badGrid = await run('train', '--task', 'PointRobot', '--dataset', data, '--steps', '5', '--out', pointRobotRun, '--overwrite', ...TINY, '--set', 'fallbackGrid=100');
    expect(badGrid.code).not.toBe(0);
    expect(badGrid.err).toMatch(/fallbackGrid 100 gives 100\^2 = 10000 actions/);
    expect(listing(pointRobotRun)).toEqual(before);
    expect(readFileSync(join(pointRobotRun, 'config.json'), 'utf8')).toBe(config);
    const algoBad = await run('train', '--algo', 'bc-safe', '--task', 'BallCircle', '--dataset', costlyBallCircle, '--cost-limit', '0', '--steps', '5', '--out', bcRun, '--overwrite', '--backend', 'js', '--quiet');
    expect(algoBad.code).not.toBe(0);
    expect(algoBad.err).toMatch(/no trajectory of the dataset qualifies/);
    expect(existsSync(join(bcRun, 'checkpoint', 'manifest.json'))).toBe(true);
  });
});

describe('fisor eval output', () => {
  it('given the checkpoint/ directory, writes beside it (the next save replaces checkpoint/ whole)', async () => {
    const r = await run('eval', '--checkpoint', join(pointRobotRun, 'checkpoint'), '--episodes', '1', '--seed', '77', '--backend', 'js', '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(pointRobotRun, 'eval-77.json'))).toBe(true);
    expect(listing(join(pointRobotRun, 'checkpoint')).filter((n) => n.startsWith('eval'))).toEqual([]);
  });

  it('never replaces an existing --out file without --force, checked before evaluating (FISOR and baselines)', async () => {
    const metrics = join(pointRobotRun, 'metrics.jsonl');
    const text = readFileSync(metrics, 'utf8');
    for (const checkpoint of [pointRobotRun, bcRun]) {
      const target = checkpoint === bcRun ? join(bcRun, 'metrics.jsonl') : metrics;
      const kept = readFileSync(target, 'utf8');
      const r = await run('eval', '--checkpoint', checkpoint, '--episodes', '1', '--out', target, '--backend', 'js', '--quiet');
      expect(r.code, checkpoint).toBe(2);
      expect(r.err).toMatch(/already exists; pass --force/);
      expect(readFileSync(target, 'utf8')).toBe(kept);
    }
    expect(readFileSync(metrics, 'utf8')).toBe(text);
    const mine = join(dir, 'mine.json');
    writeFileSync(mine, '{}');
    const forced = await run('eval', '--checkpoint', pointRobotRun, '--episodes', '1', '--out', mine, '--force', '--backend', 'js', '--quiet');
    expect(forced.code, forced.err).toBe(0);
    expect(JSON.parse(readFileSync(mine, 'utf8')).episodes).toHaveLength(1);
    const missingDir = await run('eval', '--checkpoint', bcRun, '--episodes', '1', '--out', join(dir, 'nope', 'x.json'), '--quiet');
    expect(missingDir.code).toBe(2);
    expect(missingDir.err).toMatch(/directory .*nope does not exist/);
  });

  it('refuses flags that would do nothing: --fixed-start off PointRobot, --monitor / --samples on a baseline', async () => {
    for (const [flags, why] of [
      [['--fixed-start'], /--fixed-start is PointRobot's start.*BallCircle/],
      [['--monitor'], /--monitor is FISOR's.*bc-all run/],
      [['--samples', '4'], /--samples is FISOR's.*bc-all run/],
      [['--violating-choice', 'reward'], /--violating-choice is FISOR's.*bc-all run/],
    ] as const) {
      const r = await run('eval', '--checkpoint', bcRun, '--episodes', '1', ...flags, '--backend', 'js', '--quiet');
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.err).toMatch(why);
    }
  });
});

describe('eval --violating-choice', () => {
  it("overrides the run's choice after a violating step for this evaluation only, names the result file after it, and refuses other values", async () => {
    const bad = await run('eval', '--checkpoint', pointRobotRun, '--episodes', '1', '--violating-choice', 'fastest', '--backend', 'js', '--quiet');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--violating-choice must be 'safest' or 'reward', got 'fastest'/);
    const before = readFileSync(join(pointRobotRun, 'config.json'), 'utf8');
    const r = await run('eval', '--checkpoint', pointRobotRun, '--episodes', '1', '--seed', '77', '--violating-choice', 'reward', '--backend', 'js', '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/after a violating step: the candidate with the highest Q_r \(violatingChoice reward/);
    const saved = JSON.parse(readFileSync(join(pointRobotRun, 'eval-77-reward.json'), 'utf8'));
    expect(saved.violatingChoice).toBe('reward');
    expect(readFileSync(join(pointRobotRun, 'config.json'), 'utf8')).toBe(before);
    const plain = await run('eval', '--checkpoint', pointRobotRun, '--episodes', '1', '--seed', '77', '--backend', 'js', '--quiet');
    expect(plain.out).not.toMatch(/after a violating step/);
    expect(JSON.parse(readFileSync(join(pointRobotRun, 'eval-77.json'), 'utf8')).violatingChoice).toBe('safest');
  });
});

describe('datasets', () => {
  it('collect never replaces a dataset without --force', async () => {
    const before = readFileSync(data);
    const r = await run('collect', '--task', 'PointRobot', '--transitions', '50', '--seed', '9', '--out', data, '--quiet');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/exists; pass --force/);
    expect(readFileSync(data).equals(before)).toBe(true);
    const other = join(dir, 'other.hdf5');
    writeFileSync(other, 'x');
    expect((await run('collect', '--task', 'PointRobot', '--transitions', '50', '--out', other, '--force', '--quiet')).code).toBe(0);
    expect((await readDsrlHdf5(other)).size).toBe(50);
  });

  it("the task attribute survives filter and is checked by every algorithm's training", async () => {
    const filtered = join(dir, 'bc-filtered.hdf5');
    expect((await run('filter', '--data', ballCircle, '--out', filtered, '--fraction', '0.9')).code).toBe(0);
    expect((await readDsrlHdf5(filtered)).attrs?.task).toBe('BallCircle');
    for (const [algo, file] of [['fisor', filtered], ['bc-all', ballCircle]]) {
      const r = await run('train', '--algo', algo, '--task', 'CarCircle', '--dataset', file, '--steps', '2', '--out', join(dir, `mismatch-${algo}`), '--backend', 'js', '--quiet');
      expect(r.code, algo).not.toBe(0);
      expect(r.err).toMatch(/says task 'BallCircle'.*not CarCircle; pass --allow-task-mismatch/);
    }
  });
});

describe('baseline run names', () => {
  it('differ with the config, the data recipe and the dataset (they collided on --set / --steps), and --resume needs --out', async () => {
    const { defaultRunDir } = await import('../../rl/cli/common.js');
    const a = defaultRunDir('bc-all-CarCircle', 'cpu', 0, { cfg: { steps: 5 }, recipe: null }, undefined);
    expect(a).toMatch(/^runs\/bc-all-CarCircle-cpu-s0-[0-9a-f]{8}$/);
    const others = [
      defaultRunDir('bc-all-CarCircle', 'cpu', 0, { cfg: { steps: 6 }, recipe: null }, undefined),
      defaultRunDir('bc-all-CarCircle', 'cpu', 0, { cfg: { steps: 5 }, recipe: 'recovery' }, undefined),
      defaultRunDir('bc-all-CarCircle', 'cpu', 0, { cfg: { steps: 5 }, recipe: null }, 'cc.hdf5'),
    ];
    expect(new Set([a, ...others]).size).toBe(4);
    const r = await run('train', '--algo', 'bc-all', '--task', 'CarCircle', '--resume');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--resume needs --out DIR/);
  });
});

describe('config files', () => {
  it('a non-finite number in --config is refused by name (JSON 1e999 parses as Infinity, and would be saved as null)', async () => {
    const file = join(dir, 'inf.json');
    writeFileSync(file, '{"weights": {"costUb": 1e999}}');
    const r = await run('train', '--task', 'PointRobot', '--dataset', data, '--steps', '2', '--config', file, '--out', join(dir, 'inf-run'), ...TINY);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/config key 'weights.costUb' must be a finite number, got Infinity/);
    expect(existsSync(join(dir, 'inf-run'))).toBe(false);
  });
});

describe('metrics', () => {
  it('float64 runs measure convergence in float64, and metrics.csv keeps the convergence columns', async () => {
    const out = join(dir, 'f64');
    const r = await run('train', '--task', 'PointRobot', '--dataset', data, '--steps', '10', '--out', out, ...TINY, '--set', 'dtype=float64', '--set', 'convergenceEvery=5');
    expect(r.code, r.err).toBe(0);
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    const header = csv[0].split(',');
    expect(header).toEqual([...CSV_COLUMNS]);
    const conv = csv.slice(1).map((l) => l.split(',')).filter((row) => row[0] === 'convergence');
    expect(conv.length).toBe(2);
    for (const key of ['qhResidual', 'qrResidual', 'qhInRange', 'vhAuc']) {
      expect(Number.isFinite(Number(conv[0][header.indexOf(key)])), key).toBe(true);
    }
    expect(Number.isFinite(Number(conv[1][header.indexOf('vhSignAgreement')]))).toBe(true);
    // Every field of every metrics.jsonl line (train, eval and convergence) has its column, and each row holds the
    // line's values as written: a column missing from the header would drop that metric from the CSV.
    const jsonl = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(new Set(jsonl.map((o) => o.type))).toEqual(new Set(['train', 'eval', 'convergence']));
    expect(csv.length - 1).toBe(jsonl.length);
    jsonl.forEach((o, i) => {
      const row = csv[i + 1].split(',');
      expect(row).toHaveLength(header.length);
      for (const [k, v] of Object.entries(o)) {
        expect(header, `${o.type} ${k}`).toContain(k);
        expect(row[header.indexOf(k)], `${o.type} ${k}`).toBe(typeof v === 'number' || typeof v === 'string' ? String(v) : '');
      }
      header.forEach((k, c) => { if (!(k in o)) expect(row[c], `${o.type} ${k}`).toBe(''); });
    });
  });
});
