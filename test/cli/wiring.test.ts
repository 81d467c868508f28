/**
 * What the commands print and which values their flags (or the flags' defaults) reach, in process: collect's summary
 * against the file it wrote, the tables of `fisor tasks` and `fisor algos` against the reference facts, the defaults a
 * run without the flag uses (shown by --help, which reads the same table the parser does), and the edges of the
 * plot and quickstart checks.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../core/index.js';
import { presetOf } from '../../rl/algos/config.js';
import { ALGORITHMS } from '../../rl/algos/registry.js';
import { collect, DEFAULT_RECIPE } from '../../rl/data/collect.js';
import { datasetHash } from '../../rl/data/dataset.js';
import { readDsrlHdf5 } from '../../rl/data/hdf5.js';
import { listTasks } from '../../rl/envs/registry.js';
import { backendLabel } from '../../rl/cli/common.js';
import { runCli as run, tinyFisorFlags, writeSmallPointRobotData } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-cli-wiring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fisor collect', () => {
  it("prints the written file's numbers (counted here from its rows); without --seed or --recipe it collects seed 0 with the default recipe and records the task", async () => {
    const out = join(dir, 'br.hdf5');
    const r = await run('collect', '--task', 'BallRun', '--episodes', '5', '--cost-limit', '1', '--out', out, '--quiet');
    expect(r.code, r.err).toBe(0);
    const ds = await readDsrlHdf5(out);
    expect(Array.from(ds.actions)).toEqual(Array.from(collect('BallRun', { episodes: 5, seed: 0, recipe: DEFAULT_RECIPE }).actions));
    expect(Array.from(ds.actions)).not.toEqual(Array.from(collect('BallRun', { episodes: 5, seed: 1 }).actions));
    expect(ds.attrs).toMatchObject({ task: 'BallRun', seed: 0, recipe: DEFAULT_RECIPE });
    // Episode returns and costs, summed row by row up to each terminal or timeout flag.
    const rets: number[] = [], costs: number[] = [];
    let r0 = 0, c0 = 0;
    for (let i = 0; i < ds.size; i++) {
      r0 += ds.rewards[i];
      c0 += ds.costs[i];
      if (ds.terminals[i] || ds.timeouts[i]) {
        rets.push(r0);
        costs.push(c0);
        r0 = c0 = 0;
      }
    }
    expect(rets).toHaveLength(5);
    const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
    const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(2));
    const three = (v: number[]) => `min ${fmt(sorted(v)[0])}  median ${fmt(sorted(v)[2])}  max ${fmt(sorted(v)[4])}`;
    expect(r.out).toMatch(/transitions +500 \(collected in/);
    expect(r.out).toMatch(/trajectories +5\n/);
    expect(r.out).toContain(`return        ${three(rets)}\n`);
    expect(r.out).toContain(`cost          ${three(costs)}\n`);
    const safe = costs.filter((c) => c <= 1).length;
    expect(safe).toBeGreaterThan(0);
    expect(safe).toBeLessThan(costs.filter((c) => c <= 10).length); // the share at 1, not at the task's 10
    expect(r.out).toMatch(new RegExp(`\\n  cost <= 1 +${(100 * safe / 5).toFixed(1)}% of trajectories\\n`));
    expect(readFileSync(join(dir, 'br.scatter.svg'), 'utf8')).toContain('kappa = 1');
  });
});

describe('fisor tasks and fisor algos', () => {
  it('tasks: each number under its header, the sizes and episode lengths those of the reference tasks (TASKS.md)', async () => {
    const r = await run('tasks');
    expect(r.code, r.err).toBe(0);
    const rows = r.out.split('\n').slice(0, 7).map((l) => l.trim().split(/ +/));
    expect(rows[0]).toEqual(['task', 'obs', 'act', 'steps', 'kappa', 'R_min', 'R_max']);
    // A table: the names left-aligned, every number right-aligned under the end of its header, so all lines are as long.
    const lines = r.out.split('\n').slice(0, listTasks().length + 1);
    for (const l of lines) expect(l.length, l).toBe(lines[0].length);
    const ends = (l: string) => [...l.matchAll(/\S+/g)].map((m) => m.index! + m[0].length).slice(1);
    for (const l of lines.slice(1)) expect(ends(l), l).toEqual(ends(lines[0]));
    const byName = new Map(rows.slice(1).map((row) => [row[0], row.slice(1).map(Number)]));
    // obs / act / episode steps (TASKS.md: dataset sizes and episode lengths)
    expect(byName.get('BallRun')!.slice(0, 3)).toEqual([7, 2, 100]);
    expect(byName.get('BallCircle')!.slice(0, 3)).toEqual([8, 2, 200]);
    expect(byName.get('CarRun')!.slice(0, 3)).toEqual([7, 2, 200]);
    expect(byName.get('CarCircle')!.slice(0, 3)).toEqual([8, 2, 300]);
    for (const t of listTasks()) {
      expect(byName.get(t.name), t.name).toEqual([t.observationSize, t.actionSize, t.maxEpisodeSteps, t.kappa, t.rMin, t.rMax]);
      expect(t.rMin, t.name).toBeLessThan(t.rMax);
    }
  });

  it("algos: paper and cpu step counts under their headers (OSRL's 100k for BC), and no arguments taken", async () => {
    const r = await run('algos');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^name +paper steps +cpu steps +summary$/);
    const rows = new Map(lines.slice(1).map((l) => {
      const [name, paper, cpu] = l.split(/ +/);
      return [name, [Number(paper), Number(cpu)]];
    }));
    expect(rows.size).toBe(Object.keys(ALGORITHMS).length);
    for (const d of Object.values(ALGORITHMS)) expect(rows.get(d.name), d.name).toEqual([presetOf(d, 'paper').steps, presetOf(d, 'cpu').steps]);
    expect(rows.get('bc-all')).toEqual([100000, 2000]);
    const bad = await run('algos', 'x');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/'fisor algos' takes no arguments, got 'x'/);
  });
});

describe('defaults a run without the flag uses', () => {
  const flagLine = async (argv: string[], flag: string) => {
    const r = await run(...argv, '--help');
    expect(r.code, r.err).toBe(0);
    return r.out.split('\n').find((l) => l.trimStart().startsWith(`${flag} `)) ?? '';
  };

  it('--help shows each default (the parser fills in the same value)', async () => {
    expect(await flagLine(['eval'], '--episodes')).toMatch(/\(default 20\)$/);
    expect(await flagLine(['eval'], '--seed')).toMatch(/\(default 12345\)$/);
    expect(await flagLine(['quickstart'], '--episodes')).toMatch(/\(default 20\)$/);
    expect(await flagLine(['quickstart'], '--feasible-starts')).toMatch(/\(default 60\)$/);
    expect(await flagLine(['quickstart'], '--preset')).toMatch(/\(default safe10\)$/);
    expect(await flagLine(['quickstart'], '--seed')).toMatch(/\(default 0\)$/);
    expect(await flagLine(['train'], '--preset')).toMatch(/\(default cpu\)$/);
    expect(await flagLine(['train'], '--seed')).toMatch(/\(default 0\)$/);
    expect(await flagLine(['train', '--algo', 'bc-all'], '--seed')).toMatch(/\(default 0\)$/);
    expect(await flagLine(['train', '--algo', 'bc-all'], '--preset')).toMatch(/\(default cpu\)$/);
    expect(await flagLine(['collect'], '--seed')).toMatch(/\(default 0\)$/);
    expect(await flagLine(['collect'], '--recipe')).toMatch(new RegExp(`\\(default ${DEFAULT_RECIPE}\\)$`));
    expect(await flagLine(['plot'], '--grid')).toMatch(/\(default 200\)$/);
    expect(await flagLine(['plot'], '--cost-limit')).toMatch(/\(default 10\)$/);
    expect(await flagLine(['filter'], '--cost-limit')).toMatch(/\(default 10\)$/);
  });

  it("the speed line's backend label: a backend without worker threads runs on 1", () => {
    setBackend('js');
    expect(backendLabel()).toBe('js, 1 thread');
  });

  it("--algo=fisor (either form) is FISOR's own command, with FISOR's flags", async () => {
    for (const argv of [['train', '--algo=fisor'], ['train', '--algo', 'fisor']]) {
      const r = await run(...argv, '--help');
      expect(r.out, argv.join(' ')).toMatch(/safe10/);
      expect(r.out, argv.join(' ')).not.toMatch(/--data-recipe/);
    }
    expect((await run('train', '--algo=bc-all', '--help')).out).toMatch(/--data-recipe NAME/);
  });
});

describe('fisor train --algo --data-recipe', () => {
  it('the default dataset is collected with that recipe (seed 0), and config.json says so', async () => {
    const out = join(dir, 'bc-recovery');
    const r = await run('train', '--algo', 'bc-all', '--task', 'CarRun', '--data-recipe', 'recovery', '--steps', '1', '--set', 'evalEpisodes=1', '--set', 'batchSize=16', '--set', 'hidden=8', '--backend', 'js', '--quiet', '--out', out);
    expect(r.code, r.err).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.dataset.source).toBe('collect(CarRun, seed 0, recipe recovery)');
    expect(config.dataset.hash).toBe(datasetHash(collect('CarRun', { seed: 0, recipe: 'recovery' })));
  });
});

describe('the edges of the plot and quickstart checks', () => {
  const missing = join(dir, 'no-such-run');

  it('plot feasible takes --grid 2 and 4000 (then stops on the missing checkpoint, exit 1); plot scatter takes --cost-limit 0', async () => {
    for (const g of ['2', '4000']) {
      const r = await run('plot', 'feasible', '--checkpoint', missing, '--grid', g);
      expect(r.code, `--grid ${g}: ${r.err}`).toBe(1);
      expect(r.err).not.toMatch(/--grid/);
    }
    const data = join(dir, 'pr.hdf5');
    expect((await run('collect', '--task', 'PointRobot', '--transitions', '300', '--out', data, '--quiet')).code).toBe(0);
    const k0 = await run('plot', 'scatter', '--data', data, '--cost-limit', '0', '--out', join(dir, 'k0'));
    expect(k0.code, k0.err).toBe(0);
    expect(readFileSync(join(dir, 'k0.svg'), 'utf8')).toContain('kappa = 0');
    const dflt = await run('plot', 'scatter', '--data', data);
    expect(dflt.code, dflt.err).toBe(0);
    expect(readFileSync(join(dir, 'pr.scatter-2.svg'), 'utf8')).toContain('kappa = 10'); // collect wrote pr.scatter.svg
  });

  it('quickstart takes an empty --out directory (only a non-empty one is refused)', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    // An unknown preset stops it right after the directory check, before any data is collected.
    const r = await run('quickstart', '--out', empty, '--preset', 'nope', '--quiet');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/preset/);
    expect(r.err).not.toMatch(/already holds files/);
    writeFileSync(join(empty, 'x'), '');
    expect((await run('quickstart', '--out', empty, '--preset', 'nope', '--quiet')).err).toMatch(/already holds files/);
  });
});

describe('fisor train --algo fisor', () => {
  it("is FISOR's own training: the same run, config and checkpoint bytes as without --algo", async () => {
    const data = join(dir, 'pr-small.hdf5');
    await writeSmallPointRobotData(data);
    const outs = [join(dir, 'fisor-plain'), join(dir, 'fisor-algo')];
    expect((await run('train', '--task', 'PointRobot', '--dataset', data, '--steps', '2', '--out', outs[0], ...tinyFisorFlags())).code).toBe(0);
    const r = await run('train', '--algo', 'fisor', '--task', 'PointRobot', '--dataset', data, '--steps', '2', '--out', outs[1], ...tinyFisorFlags());
    expect(r.code, r.err).toBe(0);
    const [a, b] = outs.map((o) => JSON.parse(readFileSync(join(o, 'config.json'), 'utf8')) as { config: unknown });
    expect(b.config).toEqual(a.config);
    expect(readFileSync(join(outs[1], 'checkpoint', 'tensors.bin')).equals(readFileSync(join(outs[0], 'checkpoint', 'tensors.bin')))).toBe(true);
  });
});

/**
 * Runs `body` with a fresh temporary directory as the working directory (the default run directories are relative
 * to it; the vitest pool is 'forks', so chdir is allowed), then restores the working directory and removes it.
 */
async function inTempCwd(body: (home: string) => Promise<void>): Promise<void> {
  const cwd = process.cwd();
  const home = mkdtempSync(join(tmpdir(), 'fisor-cli-rundir-'));
  try {
    process.chdir(home);
    await body(home);
  } finally {
    process.chdir(cwd);
    rmSync(home, { recursive: true, force: true });
  }
}

/** The run directory a `fisor train` printed ("..., out runs/..."). */
const printedOut = (stdout: string): string => /, out (runs\/\S+)\n/.exec(stdout)![1];

describe('fisor train --algo: the default run directory', () => {
  it('--cost-limit reaches the resolved config and --data-recipe the directory name, so runs that differ only in one of them never share runs/<algo>-<task>-...', async () => {
    await inTempCwd(async (home) => {
      const outs: string[] = [];
      for (const k of [[], ['--cost-limit', '5'], ['--data-recipe', 'recovery']]) {
        const r = await run('train', '--algo', 'bc-all', '--task', 'CarRun', ...k, '--steps', '1', '--set', 'evalEpisodes=1', '--set', 'batchSize=16', '--set', 'hidden=8', '--backend', 'js', '--quiet');
        expect(r.code, r.err).toBe(0);
        outs.push(printedOut(r.out));
      }
      expect(outs[0]).toMatch(/^runs\/bc-all-CarRun-/);
      expect(new Set(outs).size).toBe(3);
      const costLimits = outs.map((o) => (JSON.parse(readFileSync(join(home, o, 'config.json'), 'utf8')) as { config: { costLimit: number } }).config.costLimit);
      expect(costLimits).toEqual([10, 5, 10]);
    });
  });
});

describe('fisor train: the default run directory', () => {
  it('--dataset reaches the directory name, so runs that differ only in their data file never share runs/<task>-...', async () => {
    await inTempCwd(async (home) => {
      const files = [join(home, 'a.hdf5'), join(home, 'b.hdf5')];
      await writeSmallPointRobotData(files[0]);
      writeFileSync(files[1], readFileSync(files[0])); // the same bytes under another name
      const outs: string[] = [];
      for (const file of files) {
        const r = await run('train', '--task', 'PointRobot', '--dataset', file, '--steps', '2', ...tinyFisorFlags());
        expect(r.code, r.err).toBe(0);
        outs.push(printedOut(r.out));
      }
      expect(outs[0]).toMatch(/^runs\/PointRobot-cpu-s0-/);
      expect(outs[1]).not.toBe(outs[0]);
      const datasets = outs.map((o) => (JSON.parse(readFileSync(join(home, o, 'config.json'), 'utf8')) as { dataset: { path: string } }).dataset);
      expect(JSON.stringify(datasets[0])).toContain('a.hdf5');
      expect(JSON.stringify(datasets[1])).toContain('b.hdf5');
    });
  });
});
