import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../core/index.js';
import { collect } from '../../rl/data/collect.js';
import type { Dataset } from '../../rl/data/dataset.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { loadAgent, train } from '../../rl/fisor/train.js';
import {
  armConfig, armKind, baseArm, forkCritics, optionsFromArgs, parseArm, parseArms, runAblations, summarize, taskTable, verifyReuse,
  type AblationCell, type AblationOptions,
} from '../../scripts/ablations.js';
import { configDiff, trainingSecondsFromMetrics } from '../../scripts/run_checks.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-abl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('arms', () => {
  it('each name maps to its one config change', () => {
    expect(parseArm('default').overrides).toEqual({});
    expect(parseArm('vh-plain').overrides).toEqual({ vhExpectile: 'plain' });
    expect(parseArm('weights-reward').overrides).toEqual({ actorWeights: 'reward' });
    expect(parseArm('samples-1').overrides).toEqual({ numSamples: 1 });
    expect(parseArm('cost-temp-0.5').overrides).toEqual({ 'weights.costTemperature': 0.5 });
    // The arm's change wins over the task's own override (PointRobot: costTemperature 2, numSamples 8).
    expect(armConfig(parseArm('default'), 'safe', 'PointRobot').weights.costTemperature).toBe(2);
    expect(armConfig(parseArm('cost-temp-10'), 'safe', 'PointRobot').weights.costTemperature).toBe(10);
    expect(armConfig(parseArm('samples-1'), 'safe', 'PointRobot').numSamples).toBe(1);
    expect(armConfig(parseArm('vh-plain'), 'safe', 'BallCircle').vhExpectile).toBe('plain');
    expect(configDiff(armConfig(parseArm('weights-reward'), 'safe', 'BallCircle'), armConfig(parseArm('default'), 'safe', 'BallCircle'))).toEqual(['actorWeights']);
    // Combined arms carry both changes.
    const both = parseArm('weights-reward+samples-1');
    expect(both.overrides).toEqual({ actorWeights: 'reward', numSamples: 1 });
    expect(both.parts).toEqual(['weights-reward', 'samples-1']);
    expect(configDiff(armConfig(both, 'safe', 'PointRobot'), armConfig(parseArm('default'), 'safe', 'PointRobot'))).toEqual(['actorWeights', 'numSamples']);
  });

  it('bad arm names get errors naming the arm and the forms', () => {
    expect(() => parseArm('samples-0')).toThrow(/arm 'samples-0': samples-N needs a positive integer N, got '0'/);
    expect(() => parseArm('samples-2.5')).toThrow(/needs a positive integer N, got '2.5'/);
    expect(() => parseArm('cost-temp--1')).toThrow(/cost-temp-X needs a number X >= 0, got '-1'/);
    expect(() => parseArm('cost-temp-')).toThrow(/unknown arm 'cost-temp-'|needs a number/);
    expect(() => parseArm('no-feasibility')).toThrow(/unknown arm 'no-feasibility'; the forms are: default, vh-plain/);
    expect(() => parseArms('default,vh-plain,default')).toThrow(/arm 'default' is listed twice/);
    expect(() => parseArms(' , ')).toThrow(/give at least one arm/);
    expect(() => parseArm('samples-1+samples-4')).toThrow(/arm 'samples-1\+samples-4': two parts change numSamples/);
    expect(() => parseArm('default+vh-plain')).toThrow(/'default' cannot be combined/);
    expect(() => parseArm('vh-plain+bogus')).toThrow(/unknown arm 'bogus'/);
  });

  it('how each arm is obtained follows what its change reaches', () => {
    const kind = (n: string, s: 'critics-first' | 'joint') => armKind(parseArm(n), s);
    expect(['default', 'vh-plain', 'weights-reward', 'samples-1', 'cost-temp-1'].map((n) => kind(n, 'critics-first'))).toEqual(['actor', 'full', 'actor', 'eval', 'actor']);
    // With the joint schedule the critics train alongside the actor: nothing can be shared but acting.
    expect(['default', 'vh-plain', 'weights-reward', 'samples-1', 'cost-temp-1'].map((n) => kind(n, 'joint'))).toEqual(['full', 'full', 'full', 'eval', 'full']);
    // An arm that changes acting is evaluated on the agents of the arm without that change.
    expect(kind('weights-reward+samples-1', 'critics-first')).toBe('eval');
    expect(baseArm(parseArm('weights-reward+samples-1')).name).toBe('weights-reward');
    expect(baseArm(parseArm('samples-4')).name).toBe('default');
    expect(baseArm(parseArm('vh-plain+cost-temp-3+samples-1')).name).toBe('vh-plain+cost-temp-3');
  });

  it('command-line errors name the flag', () => {
    expect(() => optionsFromArgs(['--seeds', '0,x'])).toThrow(/--seeds: 'x' is not a non-negative integer/);
    expect(() => optionsFromArgs(['--arms', 'default,bogus'])).toThrow(/unknown arm 'bogus'/);
    expect(() => optionsFromArgs(['--episodes', 'many'])).toThrow(/--episodes expects an integer, got 'many'/);
    expect(() => optionsFromArgs(['--speed', '2'])).toThrow(/unknown flag --speed/);
    const o = optionsFromArgs(['--tasks', 'CarRun', '--arms', 'default,samples-4', '--steps', '9']);
    expect(o.tasks).toEqual(['CarRun']);
    expect(o.arms.map((a) => a.name)).toEqual(['default', 'samples-4']);
    expect(o.baseOverrides).toEqual({ steps: 9 });
    expect(o.command).toBe('npx tsx scripts/ablations.ts --tasks CarRun --arms default,samples-4 --steps 9');
  });
});

describe('tables', () => {
  it('training time comes from the metrics: each window of steps over its rate, eval lines skipped', () => {
    const f = join(dir, 'metrics.jsonl');
    writeFileSync(f, ['{"type":"train","step":200,"stepsPerSec":100}', '{"type":"eval","step":200,"seconds":9}', '{"type":"train","step":400,"stepsPerSec":50}', ''].join('\n'));
    expect(trainingSecondsFromMetrics(f)).toBe(6);
    expect(trainingSecondsFromMetrics(f, 200)).toBe(2);
    expect(trainingSecondsFromMetrics(join(dir, 'none.jsonl'))).toBe(0);
  });

  const cell = (arm: string, seed: number, r: number, c: number, safe: number): AblationCell =>
    ({ arm, task: 'T', seed, normalizedReward: r, normalizedCost: c, safeFraction: safe } as AblationCell);
  const cells = [cell('default', 0, 0.5, 0.2, 1), cell('default', 1, 0.7, 0.4, 0.9), cell('weights-reward', 0, 0.6, 2.2, 0.5), cell('weights-reward', 1, 0.9, 1.4, 0.6)];

  it('summaries hold each seed and the paired differences to the default arm', () => {
    const [d, w] = summarize(cells, ['T'], ['default', 'weights-reward']);
    expect(d.reward).toEqual([0.5, 0.7]);
    expect(w.dReward.map((x) => +x.toFixed(6))).toEqual([0.1, 0.2]);
    expect(w.dCost.map((x) => +x.toFixed(6))).toEqual([2, 1]);
  });

  it('one row per arm: mean ± sample std, safe runs, deltas, and the seeds not run', () => {
    const rows = taskTable(summarize(cells, ['T'], ['default', 'weights-reward']), 'T', [0, 1, 2], cells);
    expect(rows[2]).toBe('| default | 2/3 | 0.600 ± 0.141 | 0.300 ± 0.141 | 95% ± 7% | 2/2 | — | — | s0: 0.500 / 0.200 / 100%; s1: 0.700 / 0.400 / 90%; s2: not run |');
    expect(rows[3]).toContain('| weights-reward | 2/3 | 0.750 ± 0.212 | 1.800 ± 0.566 | 55% ± 7% | 0/2 | +0.100, +0.200 (mean +0.150) | +2.000, +1.000 (mean +1.500) |');
  });
});

// A tiny FISOR (critics-first, 2 critic-only + 2 actor-only iterations) on 6 episodes of data.
const tinyOverrides = {
  steps: 4, criticSteps: 2, batchSize: 16, criticBatchSize: 16, criticHidden: [8], 'actor.hidden': 8, 'actor.blocks': 1,
  'actor.timeFeatures': 4, 'actor.timeHidden': 8, logEvery: 2, convergenceEvery: 0, checkpointEvery: 0, evalEvery: 0,
};
const cache: Record<string, Dataset> = {};
const tiny = (task: string) => (cache[task] ??= collect(task, { seed: 0, episodes: 6 }));
const bits = async (runDir: string) => Object.fromEntries(Object.entries((await loadAgent(runDir)).agent.stateTensors()).map(([k, t]) => [k, Array.from(t.dataSync())]));

describe('sharing the critic phase', () => {
  it('an actor-only arm forked from the shared critic phase equals its from-scratch run bit for bit', async () => {
    const task = 'BallCircle';
    const base = resolveConfig({ preset: 'safe', task, overrides: tinyOverrides });
    const variant = resolveConfig({ preset: 'safe', task, overrides: { ...tinyOverrides, actorWeights: 'reward', 'weights.costTemperature': 9 } });
    await train({ task, config: base, seed: 3, outDir: join(dir, 'critics'), dataset: tiny(task), stopAt: 2, skipFinalEval: true });
    await forkCritics(join(dir, 'critics'), join(dir, 'forked'), variant);
    await train({ task, config: variant, seed: 3, outDir: join(dir, 'forked'), dataset: tiny(task), resume: true, skipFinalEval: true });
    await train({ task, config: variant, seed: 3, outDir: join(dir, 'scratch'), dataset: tiny(task), skipFinalEval: true });
    const [a, b] = [await bits(join(dir, 'forked')), await bits(join(dir, 'scratch'))];
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(a)) expect(a[k], k).toEqual(b[k]);
    expect(JSON.parse(readFileSync(join(dir, 'forked', 'fork.json'), 'utf8')).changed).toEqual(['actorWeights', 'weights.costTemperature']);
    // The default config's full run has the same critics: accepted as the default arm; another seed's is not.
    await train({ task, config: base, seed: 3, outDir: join(dir, 'default-full'), dataset: tiny(task), skipFinalEval: true });
    await expect(verifyReuse(join(dir, 'default-full'), join(dir, 'critics'), task, 3, base)).resolves.toBeUndefined();
    await expect(verifyReuse(join(dir, 'scratch'), join(dir, 'critics'), task, 3, base)).rejects.toThrow(/trained with another config \(differs in actorWeights, weights.costTemperature\)/);
    await train({ task, config: base, seed: 4, outDir: join(dir, 'other-seed'), dataset: tiny(task), skipFinalEval: true });
    await expect(verifyReuse(join(dir, 'other-seed'), join(dir, 'critics'), task, 3, base)).rejects.toThrow(/is BallCircle seed 4, not BallCircle seed 3/);
  }, 120_000);

  it('refuses to share the critic phase with an arm that changes the critics', async () => {
    const task = 'BallCircle';
    const plain = resolveConfig({ preset: 'safe', task, overrides: { ...tinyOverrides, vhExpectile: 'plain' } });
    await expect(forkCritics(join(dir, 'critics'), join(dir, 'bad'), plain)).rejects.toThrow(/differ in vhExpectile, which the critic phase reads/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  }, 60_000);
});

describe('the study', () => {
  const options = (): AblationOptions => ({
    tasks: ['BallCircle'], seeds: [0], arms: parseArms('default,vh-plain,weights-reward,samples-1,weights-reward+samples-1'), preset: 'safe', baseOverrides: tinyOverrides,
    episodes: 1, evalSeedBase: 2000, work: join(dir, 'study'), report: join(dir, 'docs', 'STUDIES.md'), json: join(dir, 'studies.json'),
    figures: join(dir, 'figures'), command: 'test', datasetFor: tiny, log: () => {},
  });

  it('runs every arm, keeps the hand-written page around its section, and resumes from result.json', async () => {
    const o = options();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'docs'), { recursive: true });
    writeFileSync(o.report, '# Studies\n\nHand-written reading.\n');
    writeFileSync(o.json, JSON.stringify({ dataQuantity: { kept: true } }));
    const r = await runAblations(o);
    expect(r.failures).toEqual([]);
    expect(r.cells.map((c) => [c.arm, c.kind])).toEqual([['default', 'actor'], ['vh-plain', 'full'], ['weights-reward', 'actor'], ['samples-1', 'eval'], ['weights-reward+samples-1', 'eval']]);
    // samples-1 evaluates the default arm's agent, weights-reward+samples-1 the weights-reward one.
    expect(r.cells[3].runDir).toBe(r.cells[0].runDir);
    expect(r.cells[4].runDir).toBe(r.cells[2].runDir);
    const md = readFileSync(o.report, 'utf8');
    expect(md).toContain('Hand-written reading.');
    expect(md).toMatch(/<!-- begin generated: ablations[^]*\| weights-reward \| 1\/1 \|[^]*<!-- end generated: ablations -->/);
    expect(existsSync(join(dir, 'figures', 'ablations.png'))).toBe(true);
    const json = JSON.parse(readFileSync(o.json, 'utf8'));
    expect(json.dataQuantity).toEqual({ kept: true });
    expect(json.ablations.cells).toHaveLength(5);
    // Resume: nothing is retrained; other settings are refused.
    const lines: string[] = [];
    await runAblations({ ...o, log: (l) => lines.push(l) });
    expect(lines.every((l) => l.includes('reused'))).toBe(true);
    await expect(runAblations({ ...o, episodes: 2 })).rejects.toThrow(/was made with other settings; use another --work directory/);
    // A cell made on one backend is never mixed with cells of another: the error names both and the fix.
    expect(json.ablations.cells[0].backend).toBe(getBackend().name);
    const other = getBackend().name === 'js' ? 'wasm' : 'js';
    const was = getBackend().name;
    setBackend(other);
    try {
      await expect(runAblations(o)).rejects.toThrow(new RegExp(`was made on backend ${was}, this process runs ${other}: set FISOR_BACKEND=${was}`));
    } finally {
      setBackend(was);
    }
  }, 120_000);

  it('checks its options before running anything', async () => {
    await expect(runAblations({ ...options(), arms: parseArms('samples-1') })).rejects.toThrow(/arm 'samples-1' evaluates the agents of arm 'default': add 'default'/);
    await expect(runAblations({ ...options(), arms: parseArms('default,weights-reward+samples-1') })).rejects.toThrow(/evaluates the agents of arm 'weights-reward': add 'weights-reward'/);
    await expect(runAblations({ ...options(), tasks: ['Nope'] })).rejects.toThrow(/Nope/);
    await expect(runAblations({ ...options(), seeds: [0, 0] })).rejects.toThrow(/--seeds: a seed is listed twice/);
    await expect(runAblations({ ...options(), reuse: join(dir, 'missing') })).rejects.toThrow(/--reuse: no directory/);
  });
});
