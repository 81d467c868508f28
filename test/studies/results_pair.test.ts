/**
 * scripts/results.ts writes the report and the results.json beside it as a pair: a failure writing one of them
 * used to leave a new report beside the old results.json (two files that disagree); now both stay the old ones.
 * A damaged run.json (results.ts) or results file (baselines.ts) is refused naming the file, not with a bare
 * JSON error.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { resolveConfig } from '../../rl/fisor/config.js';
import { runScript } from '../helpers/run_script.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-results-pair-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const script = fileURLToPath(new URL('../../scripts/results.ts', import.meta.url));

/** A results.json of one sweep that ran nothing yet (--merge reports it without training). */
function sweep(file: string, command: string): string {
  const configs = { BallCircle: resolveConfig({ preset: 'safe10', task: 'BallCircle' }) };
  writeFileSync(file, JSON.stringify({ command, preset: 'safe10', sets: [], backend: 'wasm', tasks: ['BallCircle'], runs: [], configs, datasets: { BallCircle: 'test data' }, totalSeconds: 0, episodes: 1, seeds: 1 }));
  return file;
}

it('a failed write of results.json leaves the report as it was', async () => {
  const report = join(dir, 'report', 'RESULTS.md');
  const json = join(dir, 'report', 'results.json');
  let r = await runScript(script, ['--merge', sweep(join(dir, 'first.json'), 'first-sweep'), '--report', report]);
  expect(r.status, r.stderr).toBe(0);
  expect(readFileSync(report, 'utf8')).toMatch(/first-sweep/);
  expect(JSON.parse(readFileSync(json, 'utf8')).command).toMatch(/first-sweep/);
  // results.json cannot be replaced (here: a directory stands in its place).
  rmSync(json);
  mkdirSync(json);
  r = await runScript(script, ['--merge', sweep(join(dir, 'second.json'), 'second-sweep'), '--report', report]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/results\.json/);
  expect(readFileSync(report, 'utf8')).toMatch(/first-sweep/);
  expect(readFileSync(report, 'utf8')).not.toMatch(/second-sweep/);
}, 60_000);

it('a damaged run.json or baselines results file is named, with what to do', async () => {
  const out = join(dir, 'runs');
  const runDir = join(out, 'BallCircle-s0');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'run.json'), ''); // cut short by a crash
  const resultsArgs = ['--tasks', 'BallCircle', '--seeds', '1', '--episodes', '1', '--quiet', '--report-only', '--out', out, '--report', join(dir, 'r2', 'RESULTS.md')];
  let r = await runScript(script, resultsArgs);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/BallCircle-s0\/run\.json: not valid JSON \(.*\); delete it to rerun this \(task, seed\), or pass --fresh/);
  writeFileSync(join(runDir, 'run.json'), '{"config": {}}');
  r = await runScript(script, resultsArgs);
  expect(r.stderr).toMatch(/run\.json: not a run\.json of this script/);
  const json = join(dir, 'baselines.json');
  writeFileSync(json, '{"entries": [');
  r = await runScript(fileURLToPath(new URL('../../scripts/baselines.ts', import.meta.url)), ['--report-only', '--json', json, '--report', join(dir, 'b.md'), '--figures', join(dir, 'fig')]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/baselines\.json: not valid JSON \(/);
}, 60_000);

it('a run directory made by the results script records the package (and commit) that trained it', async () => {
  const out = join(dir, 'prov-runs');
  const tiny = ['criticSteps=2', 'batchSize=16', 'criticBatchSize=16', 'criticHidden=[8]', 'actor.hidden=8', 'actor.blocks=1', 'logEvery=2', 'convergenceEvery=0', 'checkpointEvery=0', 'steps=4'];
  const r = await runScript(script, ['--tasks', 'BallCircle', '--seeds', '1', '--episodes', '1', '--quiet', '--out', out, '--report', join(dir, 'prov', 'RESULTS.md'), ...tiny.flatMap((s) => ['--set', s])]);
  expect(r.status, r.stderr).toBe(0);
  const config = JSON.parse(readFileSync(join(out, 'BallCircle-s0', 'config.json'), 'utf8'));
  expect(config.provenance.package).toMatch(/^fisor-ts@/);
  expect('gitCommit' in config.provenance).toBe(true);
  const run = JSON.parse(readFileSync(join(out, 'BallCircle-s0', 'run.json'), 'utf8')).run;
  expect(config.provenance.gitCommit ?? undefined).toBe(run.commit);
}, 120_000);
