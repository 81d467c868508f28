/**
 * scripts/results.ts bookkeeping on a tiny FISOR (4-8 steps, 1 episode): --fresh really retrains, a leftover
 * checkpoint of another config is refused instead of being resumed under its own config and saved under this
 * one, a resumed run reports the whole run's training time, and --merge refuses shards that ran a task under
 * different configs or hold the same (task, seed) twice; a report remade from its results.json alone keeps the
 * PointRobot figure the first report copied, and says so.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from '../helpers/run_script.js';
import { trainingSecondsFromMetrics } from '../../scripts/run_checks.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = fileURLToPath(new URL('../../scripts/results.ts', import.meta.url));
const inCheckout = existsSync(fileURLToPath(new URL('../../.git', import.meta.url)));
const tiny = ['criticSteps=2', 'batchSize=16', 'criticBatchSize=16', 'criticHidden=[8]', 'actor.hidden=8', 'actor.blocks=1', 'logEvery=2', 'convergenceEvery=0', 'checkpointEvery=0'];
const out = join(dir, 'runs');
const results = (steps: number, ...extra: string[]) => runScript(script, [
  '--tasks', 'BallCircle', '--seeds', '1', '--episodes', '1', '--quiet', '--out', out, '--report', join(dir, 'report', 'RESULTS.md'),
  ...[...tiny, `steps=${steps}`].flatMap((s) => ['--set', s]), ...extra,
]);
const runDir = join(out, 'BallCircle-s0');
const saved = () => JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { config: { steps: number }; run: { steps: number; trainSeconds: number; resumedAtStep?: number; normalizedReward: number; commit?: string } };
const checkpointStep = () => (JSON.parse(readFileSync(join(runDir, 'checkpoint', 'manifest.json'), 'utf8')) as { step: number }).step;

describe('scripts/results.ts runs', () => {
  it('--fresh retrains, another config\'s checkpoint is refused, a resumed run reports the whole run\'s training time', async () => {
    let r = await results(4);
    expect(r.status, r.stderr).toBe(0);
    expect(saved().run.steps).toBe(4);
    // The code that made it: this checkout's commit (none in a source tree without .git, e.g. a git archive).
    if (inCheckout) expect(saved().run.commit).toMatch(/^[0-9a-f]{40}(\+dirty)?$/);
    else expect(saved().run.commit).toBeUndefined();
    // --fresh with more steps: the run is trained again to 6 steps (it used to resume the finished 4-step checkpoint
    // and save it as a 6-step run).
    r = await results(6, '--fresh');
    expect(r.status, r.stderr).toBe(0);
    expect(saved().run.steps).toBe(6);
    expect(checkpointStep()).toBe(6);
    expect(saved().run.resumedAtStep).toBeUndefined();
    // A checkpoint without its run.json (training finished, the evaluation did not) of another config: refused by name.
    rmSync(join(runDir, 'run.json'));
    r = await results(8);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/checkpoint[/\\]manifest\.json was trained with another config \(differs in steps\); use another --out, or --fresh to retrain/);
    expect(checkpointStep()).toBe(6);
    // The same config resumes it; its training time is the run's (from its metrics), not the 0 s this process trained.
    r = await results(6);
    expect(r.status, r.stderr).toBe(0);
    expect(saved().run.resumedAtStep).toBe(6);
    const fromMetrics = trainingSecondsFromMetrics(join(runDir, 'metrics.jsonl'));
    expect(fromMetrics).not.toBe(0);
    expect(saved().run.trainSeconds).toBe(fromMetrics);
    expect(readFileSync(join(dir, 'report', 'RESULTS.md'), 'utf8')).toContain('resumed at step 6');
  }, 120_000);

  it('refuses a task listed twice', async () => {
    const r = await runScript(script, ['--tasks', 'BallCircle,BallCircle', '--report-only', '--out', join(dir, 'none')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--tasks: 'BallCircle' is listed twice/);
  }, 60_000);
});

describe('scripts/results.ts --merge', () => {
  const merge = (files: string[]) => runScript(script, ['--merge', files.join(','), '--report', join(dir, 'merged', 'RESULTS.md')]);
  // Two shards of a 2-seed sweep, made from the real results.json of the test above.
  const shards = (stepsOfB: number, commitOfB?: string): [string, string] => {
    const real = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const a = { ...real, seeds: 2 };
    const b = JSON.parse(JSON.stringify(a));
    b.runs = b.runs.map((x: { seed: number; steps: number; commit?: string }) => ({ ...x, seed: 1, steps: stepsOfB, commit: commitOfB ?? x.commit }));
    b.configs.BallCircle.steps = stepsOfB;
    const files: [string, string] = [join(dir, `a.json`), join(dir, `b-${stepsOfB}${commitOfB ? '-other-code' : ''}.json`)];
    writeFileSync(files[0], JSON.stringify(a));
    writeFileSync(files[1], JSON.stringify(b));
    return files;
  };

  it('joins shards of one config, and refuses another config or a (task, seed) twice', async () => {
    const same = shards(6);
    let r = await merge(same);
    expect(r.status, r.stderr).toBe(0);
    const merged = JSON.parse(readFileSync(join(dir, 'merged', 'results.json'), 'utf8')) as { runs: { seed: number }[] };
    expect(merged.runs.map((x) => x.seed)).toEqual([0, 1]);
    expect(r.stdout).not.toMatch(/code versions/);
    // Runs of other code merge (an unchanged run is reused across commits), and the merge says so.
    r = await merge(shards(6, 'f'.repeat(40)));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/note: the merged runs come from 2 code versions: ([0-9a-f]{40}(\+dirty)?|not recorded), f{40}/);
    // A shard run with --steps 9: its runs would be averaged with the 6-step ones under one config.
    r = await merge(shards(9));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/b-9\.json ran BallCircle with another config than .*a\.json \(differs in steps\)/);
    r = await merge([same[0], same[0]]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/BallCircle seed 0 is in both .*a\.json and .*a\.json/);
  }, 60_000);

  it('a report remade from its results.json alone (the run directories gone) keeps the PointRobot figure, and says so', async () => {
    const prOut = join(dir, 'pr-runs'), report = join(dir, 'pr-report', 'RESULTS.md');
    const fig = join(dir, 'pr-report', 'figures', 'pointrobot-feasible-seed0.png');
    let r = await runScript(script, ['--tasks', 'PointRobot', '--seeds', '1', '--episodes', '1', '--quiet', '--out', prOut, '--report', report,
      ...[...tiny, 'steps=4'].flatMap((x) => ['--set', x])]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(report, 'utf8')).toMatch(/!\[feasible region, seed 0\]\(figures\/pointrobot-feasible-seed0\.png\)\n\n\(SVG: [^)]*rollout from the fixed start with its violating steps marked\)/);
    const figure = readFileSync(fig);
    rmSync(prOut, { recursive: true });
    r = await runScript(script, ['--merge', join(dir, 'pr-report', 'results.json'), '--report', report]);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(report, 'utf8');
    expect(text).toContain('![feasible region, seed 0](figures/pointrobot-feasible-seed0.png)');
    expect(text).toMatch(/kept from an earlier report: the run directory is not here to remake it\)/);
    expect(readFileSync(fig).equals(figure)).toBe(true);
    // The command it records is the merge just run: running it again gives the same report and results.json.
    const json = join(dir, 'pr-report', 'results.json');
    const once = [readFileSync(report, 'utf8'), readFileSync(json, 'utf8')];
    expect(once[0]).toMatch(/then `npx tsx scripts\/results\.ts --merge [^`]*results\.json`/);
    r = await runScript(script, ['--merge', json, '--report', report]);
    expect(r.status, r.stderr).toBe(0);
    expect([readFileSync(report, 'utf8'), readFileSync(json, 'utf8')]).toEqual(once);
    // Elsewhere, with no earlier figure, no figure is claimed.
    const other = join(dir, 'pr-other', 'RESULTS.md');
    r = await runScript(script, ['--merge', join(dir, 'pr-report', 'results.json'), '--report', other]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(other, 'utf8')).not.toContain('feasible region, seed 0');
    expect(existsSync(join(dir, 'pr-other', 'figures', 'pointrobot-feasible-seed0.png'))).toBe(false);
  }, 180_000);
});
