/**
 * A second audit of the CLI (each finding reproduced first): every file a command writes is checked before the
 * work (figures and scatters beside --out included, never inside a checkpoint directory, never replaced without
 * --force); empty, repeated or malformed flag values are refused by name; sizes that cannot fit in memory are
 * refused by flag; the printed resume command works when pasted.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { continueCommand, shellWord } from '../../rl/cli/common.js';
import { checkOutputFiles, freeOutputBase } from '../../rl/cli/outputs.js';
import { runCli as run, tinyFisorFlags, writeSmallPointRobotData } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-outputs-'));
const data = join(dir, 'pr.hdf5');
const TINY = tinyFisorFlags();
const runDir = join(dir, 'run');
const bcRun = join(dir, 'bc-run');

beforeAll(async () => {
  await writeSmallPointRobotData(data);
  expect((await run('train', '--task', 'PointRobot', '--dataset', data, '--steps', '10', '--out', runDir, ...TINY)).code).toBe(0);
  expect((await run('train', '--algo', 'bc-all', '--task', 'PointRobot', '--dataset', data, '--steps', '5', '--set', 'evalEpisodes=1', '--out', bcRun, '--backend', 'js', '--quiet')).code).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files a command writes', () => {
  it('eval refuses an --out inside a checkpoint directory (the next save would delete it)', async () => {
    const target = join(runDir, 'checkpoint', 'ev.json');
    const r = await run('eval', '--checkpoint', runDir, '--episodes', '1', '--out', target, '--backend', 'js', '--quiet');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/inside the checkpoint directory/);
    expect(existsSync(target)).toBe(false);
    // At any depth: collect would create sub/ itself.
    const deep = await run('collect', '--task', 'PointRobot', '--transitions', '50', '--out', join(runDir, 'checkpoint', 'sub', 'd.hdf5'), '--quiet');
    expect(deep.code).toBe(2);
    expect(deep.err).toMatch(/inside the checkpoint directory .*checkpoint,/);
    expect(existsSync(join(runDir, 'checkpoint', 'sub'))).toBe(false);
  });

  it('plot never replaces a file without --force: not the run config, not the scatter collect wrote', async () => {
    const config = join(runDir, 'config.json');
    const kept = readFileSync(config, 'utf8');
    const r = await run('plot', 'feasible', '--checkpoint', runDir, '--grid', '10', '--no-rollout', '--out', join(runDir, 'config'), '--backend', 'js');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/config\.json \(written with --out .*\) already exists; pass --force/);
    expect(readFileSync(config, 'utf8')).toBe(kept);

    const ds = join(dir, 'sc.hdf5');
    expect((await run('collect', '--task', 'PointRobot', '--transitions', '300', '--out', ds, '--quiet')).code).toBe(0);
    const svg = readFileSync(join(dir, 'sc.scatter.svg'), 'utf8');
    // Without --out the default name steps aside (as eval's result file); an explicit --out is refused.
    const again = await run('plot', 'scatter', '--data', ds, '--cost-limit', '3');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/sc\.scatter-2\.svg/);
    expect(readFileSync(join(dir, 'sc.scatter.svg'), 'utf8')).toBe(svg);
    const explicit = await run('plot', 'scatter', '--data', ds, '--cost-limit', '3', '--out', join(dir, 'sc.scatter'));
    expect(explicit.code).toBe(2);
    expect(explicit.err).toMatch(/sc\.scatter\.svg already exists; pass --force/);
    expect(readFileSync(join(dir, 'sc.scatter.svg'), 'utf8')).toBe(svg);
    const forced = await run('plot', 'scatter', '--data', ds, '--cost-limit', '3', '--out', join(dir, 'sc.scatter'), '--force');
    expect(forced.code, forced.err).toBe(0);
    expect(readFileSync(join(dir, 'sc.scatter.svg'), 'utf8')).not.toBe(svg);
  });

  it('collect and filter check the figure beside --out before any work, so nothing is half-written', async () => {
    writeFileSync(join(dir, 'x.scatter.svg'), 'mine');
    const c = await run('collect', '--task', 'PointRobot', '--transitions', '50', '--out', join(dir, 'x.h5'), '--quiet');
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/x\.scatter\.svg \(written with --out .*x\.h5\) already exists/);
    expect(existsSync(join(dir, 'x.h5'))).toBe(false);
    expect(readFileSync(join(dir, 'x.scatter.svg'), 'utf8')).toBe('mine');

    writeFileSync(join(dir, 'f.filter.png'), 'mine');
    const f = await run('filter', '--data', data, '--out', join(dir, 'f.hdf5'), '--fraction', '0.5');
    expect(f.code).toBe(2);
    expect(f.err).toMatch(/f\.filter\.png .*already exists/);
    expect(existsSync(join(dir, 'f.hdf5'))).toBe(false);

    const underFile = await run('collect', '--task', 'PointRobot', '--transitions', '50', '--out', join(data, 'x.hdf5'), '--quiet');
    expect(underFile.code).toBe(2);
    expect(underFile.err).toMatch(/pr\.hdf5 is a file, not a directory/);
    const intoDir = await run('filter', '--data', data, '--out', runDir, '--fraction', '0.5', '--force');
    expect(intoDir.code).toBe(2);
    expect(intoDir.err).toMatch(/is a directory; give a file name/);
  });

  it('quickstart refuses a used --out before collecting, pointing at --overwrite (it has no --resume)', async () => {
    const r = await run('quickstart', '--out', runDir, '--quiet');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/already holds files; pass --overwrite/);
    expect(r.err).not.toMatch(/--resume/);
  });
});

describe('checkOutputFiles and freeOutputBase, in process', () => {
  it('a checkpoint directory is a manifest.json beside a tensors.bin: a directory with only one of them takes files', () => {
    const only = (names: string[]) => {
      const d = join(dir, `ck-${names.join('-')}`);
      mkdirSync(join(d, 'sub'), { recursive: true });
      for (const n of names) writeFileSync(join(d, n), '{}');
      return d;
    };
    for (const names of [['manifest.json'], ['tensors.bin']]) {
      const d = only(names);
      expect(() => checkOutputFiles('--out', [join(d, 'x.json'), join(d, 'sub', 'deeper', 'y.svg')], { force: false }), names.join()).not.toThrow();
    }
    const ck = only(['manifest.json', 'tensors.bin']);
    expect(() => checkOutputFiles('--out', [join(ck, 'x.json')], { force: false })).toThrow(/inside the checkpoint directory/);
    expect(() => checkOutputFiles('--out', [join(ck, 'sub', 'deeper', 'y.svg')], { force: false })).toThrow(/inside the checkpoint directory/);
  });

  it('freeOutputBase: the base while none of its files exists, else the first free -2, -3, ...', () => {
    const base = join(dir, 'fig');
    expect(freeOutputBase(base, ['.svg', '.png'])).toBe(base);
    writeFileSync(`${base}.png`, '');
    expect(freeOutputBase(base, ['.svg', '.png'])).toBe(`${base}-2`);
    writeFileSync(`${base}-2.svg`, '');
    expect(freeOutputBase(base, ['.svg', '.png'])).toBe(`${base}-3`);
    expect(freeOutputBase(base, ['.json'])).toBe(base);
  });
});

describe('flag values', () => {
  it("an empty value is refused by name, never read as 'not given'", async () => {
    for (const argv of [
      ['train', '--task', 'PointRobot', '--dataset', '', '--out', join(dir, 'e1')],
      ['train', '--task', 'PointRobot', '--config', '', '--out', join(dir, 'e2')],
      ['train', '--task', 'PointRobot', '--backend', '', '--out', join(dir, 'e3')],
      ['eval', '--checkpoint', runDir, '--out', ''],
      ['plot', 'scatter', '--data', data, '--out', ''],
    ]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/flag --\w+ needs a non-empty value/);
    }
    expect(existsSync(join(dir, 'e1'))).toBe(false);
    expect(existsSync('.svg')).toBe(false);
  });

  it('a flag given twice, a hexadecimal number and a --set without key=value are refused', async () => {
    const twice = await run('collect', '--task', 'PointRobot', '--task', 'BallRun', '--out', join(dir, 't.hdf5'));
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/--task is given twice/);
    const hex = await run('plot', 'scatter', '--data', data, '--cost-limit', '0x10');
    expect(hex.code).toBe(2);
    expect(hex.err).toMatch(/--cost-limit expects a number, got '0x10'/);
    const set = await run('train', '--task', 'PointRobot', '--set', '--steps', '5');
    expect(set.code).toBe(2);
    expect(set.err).toMatch(/flag --set needs a value/);
  });

  it('sizes that cannot fit in memory are refused by flag before any work', async () => {
    const big = await run('collect', '--task', 'PointRobot', '--transitions', '100000000000', '--out', join(dir, 'big.hdf5'));
    expect(big.code).toBe(2);
    expect(big.err).toMatch(/--transitions 100000000000 would need more than 8 GiB/);
    const eps = await run('eval', '--checkpoint', runDir, '--episodes', '100000000000');
    expect(eps.code).toBe(2);
    expect(eps.err).toMatch(/--episodes must be in \[1, 100000\]/);
    const samples = await run('eval', '--checkpoint', runDir, '--samples', '1000000000');
    expect(samples.err).toMatch(/--samples must be in \[1, 4096\]/);
    const grid = await run('plot', 'feasible', '--checkpoint', runDir, '--grid', '100000000');
    expect(grid.err).toMatch(/--grid must be in \[2, 4000\]/);
  });
});

describe('continuing a run', () => {
  it('the printed resume command repeats the data, recipe, cost limit and extended steps, quoted for the shell', () => {
    expect(continueCommand('fisor train', [['task', 'PointRobot'], ['out', 'runs/a b'], ['dataset', "it's.hdf5"], ['data-recipe', undefined], ['allow-task-mismatch', false], ['cost-limit', 5]]))
      .toBe("fisor train --task PointRobot --out 'runs/a b' --dataset 'it'\\''s.hdf5' --cost-limit 5 --resume");
    expect(continueCommand('fisor train', [['algo', 'bc-all'], ['data-recipe', 'recovery'], ['allow-task-mismatch', true], ['steps', 40]]))
      .toBe('fisor train --algo bc-all --data-recipe recovery --allow-task-mismatch --steps 40 --resume');
    expect(shellWord('runs/x-1.h5')).toBe('runs/x-1.h5');
  });

  it("resuming a baseline's run without --algo names the algorithm to pass", async () => {
    const r = await run('train', '--task', 'PointRobot', '--dataset', data, '--out', bcRun, '--resume', '--steps', '8', '--backend', 'js', '--quiet');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/holds a bc-all run, not FISOR's: continue or evaluate it with --algo bc-all/);
  });
});
