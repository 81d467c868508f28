import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pointRobotH } from '../../rl/envs/point_robot.js';
import { renderSvg } from '../../rl/plot/chart.js';
import { curvesFigure, meanCurve, readMetrics } from '../../rl/plot/curves.js';
import { evaluateSlice, feasibleFigure, PAPER_SLICES } from '../../rl/plot/feasible.js';
import { pointRobotRollout } from '../../rl/plot/rollout.js';
import { runCli as run } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-curves-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run directory with a metrics.jsonl in train.ts's format (and an extra metric train.ts does not log). */
function fakeRun(name: string, seed: number, opts: { torn?: boolean; steps?: number[] } = {}): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const lines: string[] = [];
  for (const step of opts.steps ?? [0, 100, 200, 300]) {
    if (step % 200 === 0) lines.push(JSON.stringify({ type: 'eval', step, normalizedReward: 0.1 * seed + step / 1000, normalizedCost: 0.5 + seed, normalizedRewardStd: 0.05, normalizedCostStd: 0.2, meanReturn: 1, meanCost: 5, safeFraction: 0.5, costLimit: 10, seconds: 1 }));
    if (step > 0) lines.push(JSON.stringify({ type: 'train', step, actorLoss: 1 / step + seed, qrLoss: 0.1, vrLoss: 0.05, qhLoss: 0.2, vhLoss: 0.1, meanQr: 1, meanVr: 1, meanQh: -0.5, meanVh: -0.4, feasibleFraction: 0.8, unsafeFraction: 0.1, zeroWeightFraction: 0.05, weightMean: 1, weightMax: 3, actorLr: 1e-4, stepsPerSec: 50, myNewMetric: step * seed }));
  }
  writeFileSync(join(d, 'metrics.jsonl'), lines.join('\n') + '\n' + (opts.torn ? '{"type":"train","st' : ''));
  writeFileSync(join(d, 'config.json'), JSON.stringify({ task: 'PointRobot', seed }));
  return d;
}

describe('learning curves', () => {
  it('reads metrics.jsonl: train and eval lines, a torn last line skipped, a bad middle line named', () => {
    const log = readMetrics(fakeRun('a', 0, { torn: true }));
    expect(log.train.map((r) => r.step)).toEqual([100, 200, 300]);
    expect(log.eval.map((r) => r.step)).toEqual([0, 200]);
    expect(log.config?.seed).toBe(0);
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'metrics.jsonl'), '{"type":"train","step":1}\nnot json\n{"type":"train","step":2}\n');
    expect(() => readMetrics(bad)).toThrow(/metrics\.jsonl: line 2 is not valid JSON/);
    writeFileSync(join(bad, 'metrics.jsonl'), '{"type":"train"}\n');
    expect(() => readMetrics(bad)).toThrow(/line 1 has no numeric 'step'/);
    writeFileSync(join(bad, 'metrics.jsonl'), '');
    expect(() => readMetrics(bad)).toThrow(/no metrics logged yet/);
    expect(() => readMetrics(join(dir, 'missing'))).toThrow(/no such file/);
  });

  it('one panel per metric group with the cost limit marked; unknown metrics get their own panel', () => {
    const fig = curvesFigure([readMetrics(fakeRun('b', 1))]);
    const titles = fig.panels.map((p) => p.title);
    for (const t of ['actor loss', 'reward critic losses', 'feasibility critic losses', 'feasibility values (batch mean)', 'batch fractions', 'actor weights', 'eval: normalized reward', 'eval: normalized cost', 'myNewMetric']) expect(titles).toContain(t);
    expect(titles).not.toContain('eval: costLimit'); // the run's kappa, a constant on every eval line, is not a curve
    const cost = fig.panels.find((p) => p.title === 'eval: normalized cost')!;
    expect(cost.series).toContainEqual(expect.objectContaining({ type: 'hline', value: 1, text: 'cost limit' }));
    expect(cost.series.some((s) => s.type === 'band')).toBe(true);
    // The fraction panels keep [0, 1] but may raise the top for their legend; the others have automatic ranges.
    for (const t of ['batch fractions', 'eval: safe episodes']) expect(fig.panels.find((p) => p.title === t)).toMatchObject({ ylim: [0, 1], legendRoom: true });
    expect(fig.panels.filter((p) => p.legendRoom).length).toBe(2);
    const svg = renderSvg(fig);
    expect(svg).toContain('PointRobot: learning curves (seed 1)');
    expect(svg).toContain('>cost limit<');
  });

  it('several runs: a thin line per run and the bold mean over the steps all runs logged', () => {
    expect(meanCurve([{ x: [1, 2, 3], y: [1, 2, 3] }, { x: [2, 3, 4], y: [4, 6, 8] }])).toEqual({ x: [2, 3], y: [3, 4.5] });
    const fig = curvesFigure([readMetrics(fakeRun('c0', 0)), readMetrics(fakeRun('c1', 1)), readMetrics(fakeRun('c2', 2, { steps: [0, 100, 200] }))]);
    const actor = fig.panels.find((p) => p.title === 'actor loss')!;
    const lines = actor.series.filter((s) => s.type === 'line');
    expect(lines).toHaveLength(4);
    const bold = lines.find((s) => s.type === 'line' && (s.width ?? 0) > 2)!;
    expect(bold.type === 'line' && Array.from(bold.x)).toEqual([100, 200]);
    expect(bold.type === 'line' && bold.y[0]).toBeCloseTo(1 / 100 + 1, 12);
    expect(fig.caption?.[0]).toContain('seed 0, seed 1, seed 2');
  });
});

describe('feasible-region figure', () => {
  it('three slices titled with v and theta, axes in metres, colour bar, legend, rollout with violations', () => {
    const vh = (obs: Float32Array) => Float32Array.from({ length: obs.length / 11 }, (_, i) => pointRobotH(obs[i * 11], obs[i * 11 + 1]));
    const slices = PAPER_SLICES.map((s) => evaluateSlice(vh, s, 30));
    // straight ahead from the fixed start runs into the upper hazard
    const rollout = pointRobotRollout({ act: () => new Float32Array([0, 0]) });
    expect(rollout.totalCost).toBeGreaterThan(0);
    const fig = feasibleFigure(slices, { rollout });
    expect(fig.panels.map((p) => p.title)).toEqual(slices.map((s) => `${s.label}  ·  IoU ${s.iou.toFixed(2)}`));
    expect(fig.panels[0].title).toMatch(/^v = 0\.5 m\/s, θ = π\/4/);
    for (const p of fig.panels) expect([p.xlabel, p.ylabel, p.xlim, p.ylim]).toEqual(['x (m)', 'y (m)', [-3, 3], [-3, 3]]);
    expect(fig.colorbar?.label).toMatch(/V_h/);
    expect(fig.legend!.map((e) => e.label)).toEqual(expect.arrayContaining(['learned boundary (V_h = 0)', 'ground-truth boundary', 'rollout from fixed start', 'violation (cost 1)']));
    const marks = fig.panels[0].series.filter((s) => s.type === 'points' && s.color === '#ffd400');
    expect(marks).toHaveLength(1);
    expect(marks[0].type === 'points' && marks[0].x.length).toBe(rollout.totalCost);
    const svg = renderSvg(fig);
    expect(svg).toContain('goal not reached');
    expect(renderSvg(feasibleFigure(slices))).not.toContain('rollout');
    // Each legend swatch looks like its mark: the goal's fill and outline at full opacity, the violation's yellow
    // inside the black ring the marks have (the swatches used to be a 35 % fill and a darker yellow without the ring).
    const goal = fig.panels[0].series.find((s) => s.type === 'circle' && s.fill !== undefined);
    const ring = fig.panels[0].series.filter((s) => s.type === 'points')[0];
    expect(goal?.type === 'circle' && [goal.fill, goal.stroke]).toEqual(['#a5d6a7', '#2e7d32']);
    expect(fig.legend!.find((e) => e.label === 'goal')).toMatchObject({ kind: 'patch', color: '#a5d6a7', stroke: '#2e7d32' });
    expect(fig.legend!.find((e) => e.label === 'violation (cost 1)')).toMatchObject({ color: '#ffd400', stroke: ring.type === 'points' ? ring.color : 'none' });
    expect(svg).toMatch(/<rect x="[\d.]+" y="[\d.]+" width="22" height="10" fill="#a5d6a7" stroke="#2e7d32"\/>/);
    expect(svg).toMatch(/<rect [^>]*rx="4" fill="#ffd400" stroke="#000000" stroke-width="1\.5"\/>/);
  });
});


describe('fisor plot CLI', () => {
  it('curves for one run (default <run>/curves); several runs need --out', async () => {
    const a = fakeRun('cli0', 0), b = fakeRun('cli1', 1);
    const r = await run('plot', 'curves', '--run', a);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(a, 'curves.svg')) && existsSync(join(a, 'curves.png'))).toBe(true);
    // A second plot without --out goes beside the first (curves-2), which stays as it was.
    const first = readFileSync(join(a, 'curves.svg'), 'utf8');
    const again = await run('plot', 'curves', '--run', a);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain(join(a, 'curves-2.svg'));
    expect(existsSync(join(a, 'curves-2.svg')) && existsSync(join(a, 'curves-2.png'))).toBe(true);
    expect(readFileSync(join(a, 'curves.svg'), 'utf8')).toBe(first);
    const many = await run('plot', 'curves', '--run', `${a},${b}`);
    expect([many.code, many.err]).toEqual([2, expect.stringMatching(/--out is required when overlaying/)]);
    expect(renderSvg(curvesFigure([readMetrics(a), readMetrics(b)]))).toContain('learning curves (2 runs)');
    const missing = await run('plot', 'curves', '--run', join(dir, 'nope'));
    expect([missing.code, missing.err]).toEqual([1, expect.stringMatching(/metrics\.jsonl: no such file/)]);
  });

  it('scatter of a dataset file with the cost limit; unknown kinds are usage errors', async () => {
    const fixture = fileURLToPath(new URL('../data/filter_fixtures/fisor-pointrobot-mini.hdf5', import.meta.url));
    const out = join(dir, 'sc');
    const r = await run('plot', 'scatter', '--data', fixture, '--cost-limit', '2', '--out', out);
    expect(r.code, r.err).toBe(0);
    const svg = readFileSync(`${out}.svg`, 'utf8');
    expect(svg).toContain('kappa = 2');
    expect(svg.match(/<circle /g)).toHaveLength(3);
    // The summary line counts the three trajectories drawn, and the rows they hold.
    const line = /scatter of (\d+) trajectories \((\d+) transitions\), cost limit 2:/.exec(r.out);
    expect(line?.[1]).toBe('3');
    expect(Number(line?.[2])).toBeGreaterThan(3);
    const bad = await run('plot', 'histogram');
    expect([bad.code, bad.err]).toEqual([2, expect.stringMatching(/unknown plot kind 'histogram'; known: feasible, curves, scatter/)]);
    const help = await run('plot', '--help');
    expect(help.out).toMatch(/--run DIR\[,DIR\.\.\.\]/);
  });
});
