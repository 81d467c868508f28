import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlags, UsageError, usageText } from '../../rl/cli/args.js';
import { Progress } from '../../rl/cli/progress.js';
import { collect } from '../../rl/data/collect.js';
import { readDsrlHdf5 } from '../../rl/data/hdf5.js';
import { runCli as run, textSink } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('flag parser', () => {
  const specs = {
    name: { type: 'string', help: 'n', required: true },
    count: { type: 'int', help: 'c', default: 3 },
    lr: { type: 'float', help: 'l' },
    fast: { type: 'bool', help: 'f', default: false },
  } as const;
  it('parses typed flags in both forms', () => {
    const f = parseFlags(['--name', 'x', '--count=7', '--lr', '1e-3', '--fast'], specs);
    expect(f).toEqual({ name: 'x', count: 7, lr: 0.001, fast: true });
    expect(parseFlags(['--name=y', '--no-fast'], specs)).toEqual({ name: 'y', count: 3, lr: undefined, fast: false });
  });
  it('errors: unknown flag, missing value, bad number, missing required, positional', () => {
    expect(() => parseFlags(['--name', 'x', '--bogus', '1'], specs)).toThrow(/unknown flag --bogus/);
    expect(() => parseFlags(['--name'], specs)).toThrow(/--name needs a value/);
    expect(() => parseFlags(['--name', 'x', '--count', '1.5'], specs)).toThrow(/--count expects an integer/);
    expect(() => parseFlags(['--name', 'x', '--lr', 'abc'], specs)).toThrow(/--lr expects a number/);
    expect(() => parseFlags([], specs)).toThrow(/missing required flag --name/);
    expect(() => parseFlags(['x'], specs)).toThrow(UsageError);
    expect(usageText('demo', 'Demo.', specs)).toMatch(/--count INT .*default 3/);
  });
});

describe('progress', () => {
  it('is quiet when not a TTY except for a final line', () => {
    const s = textSink();
    const p = new Progress(100, { label: 'x', stream: s, tty: false });
    for (let i = 0; i < 100; i++) p.tick();
    expect(s.text).toBe('');
    p.done();
    expect(s.text).toMatch(/^x \[#+\] 100\/100 100% \d+ steps\/s in .*\n$/);
  });
});

describe('fisor CLI', () => {
  it('tasks lists every task', async () => {
    const r = await run('tasks');
    expect(r.code).toBe(0);
    for (const t of ['PointRobot', 'BallCircle', 'CarCircle', 'BallRun', 'CarRun', 'PointGoal1']) expect(r.out).toContain(t);
  });
  it('--version prints the package (and, in this checkout, the commit)', async () => {
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
    const r = await run('--version');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`^fisor-ts@${version.replace(/\./g, '\\.')}( \\(git [0-9a-f]{40}(\\+dirty)?\\))?\\n$`));
  });
  it('collect --episodes counts its progress in episodes and ends at 100 % (PointRobot episodes end early)', async () => {
    const r = await run('collect', '--task', 'PointRobot', '--episodes', '3', '--seed', '1', '--out', join(dir, 'eps.hdf5'));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/collect PointRobot \[#+\] 3\/3 100% \d+ episodes\/s in /);
  });
  it('collect writes a readable DSRL file and a scatter SVG, with a summary', async () => {
    const out = join(dir, 'sub', 'carrun.hdf5');
    const r = await run('collect', '--task', 'CarRun', '--episodes', '5', '--seed', '2', '--out', out, '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/transitions\s+1000/);
    expect(r.out).toMatch(/trajectories\s+5/);
    expect(r.out).toContain(join(dir, 'sub', 'carrun.scatter.svg'));
    const ds = await readDsrlHdf5(out);
    expect(ds.size).toBe(1000);
    expect(readFileSync(join(dir, 'sub', 'carrun.scatter.svg'), 'utf8')).toContain('<svg');
  });
  it('collect --recipe writes that recipe\'s data (the same as collect() in process) and records it', async () => {
    const out = join(dir, 'rec.hdf5');
    const r = await run('collect', '--task', 'BallCircle', '--episodes', '6', '--seed', '3', '--recipe', 'recovery', '--out', out, '--quiet');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/recipe recovery/);
    const ds = await readDsrlHdf5(out);
    expect(ds.attrs?.recipe).toBe('recovery');
    expect(Array.from(ds.actions)).toEqual(Array.from(collect('BallCircle', { episodes: 6, seed: 3, recipe: 'recovery' }).actions));
    expect(Array.from(ds.actions)).not.toEqual(Array.from(collect('BallCircle', { episodes: 6, seed: 3 }).actions));
    const bad = await run('collect', '--task', 'BallCircle', '--recipe', 'careful', '--out', join(dir, 'bad.hdf5'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--recipe must be one of fixed, recovery, evasive, observed, got 'careful'/);
    expect(existsSync(join(dir, 'bad.hdf5'))).toBe(false);
  });
  it('usage errors exit 2 with error: on stderr', async () => {
    for (const argv of [['nope'], ['collect', '--task', 'Nope', '--out', 'x.hdf5'], ['collect', '--task', 'BallRun'], ['collect', '--task', 'BallRun', '--out', 'x', '--bogus', '1'], []]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      if (argv.length) expect(r.err).toMatch(/^error: /);
    }
  });
  it('--help lists the flags that apply: a baseline\'s for train --algo NAME, each plot kind\'s --out default', async () => {
    const fisor = await run('train', '--help');
    expect(fisor.code).toBe(0);
    expect(fisor.out).toMatch(/safe10/);
    expect(fisor.out).not.toMatch(/--data-recipe/); // FISOR's recipe is its config's dataRecipe
    const bc = await run('train', '--algo', 'bc-safe', '--help');
    expect(bc.code).toBe(0);
    expect(bc.out).toMatch(/--data-recipe NAME/); // the flag README's baselines command uses
    expect(bc.out).toMatch(/--preset NAME +config preset: cpu .* or paper/);
    expect(bc.out).not.toMatch(/safe10/);
    const plot = await run('plot', '--help');
    const out = plot.out.split('\n').find((l) => l.trimStart().startsWith('--out'))!;
    expect(out).toMatch(/<run>\/feasible/);
    expect(out).toMatch(/<run>\/curves/);
    expect(out).toMatch(/<data>\.scatter/);
    const ev = await run('eval', '--help');
    expect(ev.out).toMatch(/-k<K>/); // the default name eval writes with --cost-limit
  });
  it('runtime errors exit 1', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    // Not an HDF5 file: found out only when it is read (an --out under a file is now refused up front, exit 2).
    const r = await run('plot', 'scatter', '--data', file, '--out', join(dir, 'never'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: /);
  });
  it('bin/fisor.mjs runs the CLI in a child process and passes exit codes', () => {
    const bin = fileURLToPath(new URL('../../bin/fisor.mjs', import.meta.url));
    const ok = spawnSync(process.execPath, [bin, 'tasks'], { encoding: 'utf8', cwd: tmpdir() });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('PointGoal1');
    const bad = spawnSync(process.execPath, [bin, 'collect', '--task', 'BallRun', '--out', join(dir, 'y.hdf5'), '--episodes', 'x'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/error: flag --episodes expects an integer/);
    expect(existsSync(join(dir, 'y.hdf5'))).toBe(false);
  });
});
