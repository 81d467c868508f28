/**
 * The numbers RESULTS.md publishes, from a results.json with hand-chosen values (scripts/results.ts --merge of two
 * shards, --compare with an earlier sweep): per task the mean ± sample std over seeds, the safe column (mean cost
 * <= 1), the safe-episode fraction, BC-Safe and the reward / BC-Safe ratio; issue 9's checks (runs with cost <= 1,
 * the PointRobot fixed start, feasible starts, IoU >= 0.90, reward >= 0.8x BC-Safe), the monitor's sums, the
 * convergence means, the PointRobot table and the comparison with the earlier sweep.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../rl/fisor/config.js';
import { runScript } from '../helpers/run_script.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-results-numbers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const script = (name: string) => fileURLToPath(new URL(`../../scripts/${name}`, import.meta.url));

const monitor = (violations: number, violatingEpisodes: number, judged: number, noCandidate: number, extra: object = {}) => ({
  steps: 400, violations, violatingEpisodes, byCause: { critic: violations, actor: 0, selection: 0, recovery: 0 }, rootCause: { critic: violations, actor: 0, selection: 0, start: 0 },
  judgedInfeasibleFraction: judged, noFeasibleCandidateFraction: noCandidate, ...extra,
});
const conv = (step: number, qhResidual: number, qrResidual: number, vhSignAgreement: number | null, qhInRange: number, vhAuc: number | null, feasibleFraction: number) => ({ step, qhResidual, qrResidual, vhSignAgreement, qhInRange, vhAuc, feasibleFraction });
const run = (task: string, seed: number, schedule: string, steps: number, nr: number, nc: number, safeFraction: number, bc: [number, number], trainSeconds: number, extra: object = {}) => ({
  task, seed, backend: 'wasm', ok: true, preset: 'safe10', schedule, steps, criticSteps: schedule === 'critics-first' ? 1000 : 0,
  normalizedReward: nr, normalizedCost: nc, safeFraction, trainSeconds, wallSeconds: 1, bcSafe: { normalizedReward: bc[0], normalizedCost: bc[1], safeFraction: 0.25 }, ...extra,
});
const start = (normalizedCost: number, safeFraction: number, episodes: number, violationFree: number) => ({ normalizedReward: 0.5, normalizedCost, safeFraction, episodes, violationFree });
const feasible = (ious: number[]) => ({ svg: '/nonexistent/f.svg', png: '/nonexistent/f.png', json: '/nonexistent/f.json', meanIou: 0, slices: ious.map((iou, i) => ({ v: i, theta: 0, label: `slice${i}`, iou, learnedInfeasible: 0, trueInfeasible: 0 })) });

function sweep() {
  const tasks = ['BallCircle', 'CarCircle', 'PointRobot', 'CarRun'];
  const configs = Object.fromEntries(tasks.map((t) => [t, { ...resolveConfig({ preset: 'safe10', task: t }), dataRecipe: 'none-here', schedule: 'joint', steps: 2000, violatingChoice: 'safest', modeCandidate: false }]));
  Object.assign(configs.BallCircle, { schedule: 'critics-first', steps: 3000, criticSteps: 1000, violatingChoice: 'reward', modeCandidate: true });
  Object.assign(configs.PointRobot, { steps: 4000, violatingChoice: 'reward' });
  const bcConv = [conv(1000, 0.1, 1, null, 0.9, 0.6, 0.5), conv(1000, 0.2, 2, 0.5, 0.8, 0.7, 0.6), conv(1000, 0.3, 3, 1, 1, 0.8, 0.7)];
  const prConv = [conv(4000, 1, 0.5, 0.5, 1, 0.5, 0.2), conv(4000, 1, 0.5, 0.5, 1, null, 0.2), conv(4000, 1, 0.5, 0.5, 1, 0.7, 0.2)];
  const runs = [
    // Reward 0.25/0.5/0.75, cost 0.5/1.5/1.0 (mean exactly 1: safe; seed 1 over 1); BC-Safe 0.5/0.625/0.75: ratio exactly 0.8.
    run('BallCircle', 0, 'critics-first', 3000, 0.25, 0.5, 1, [0.5, 2], 10, { backend: 'wasm-fma', monitor: monitor(3, 1, 0.1, 0.05, { rewardChoiceFraction: 0.1, modeFraction: 0.01 }), convergence: { afterCritics: bcConv[0], final: conv(3000, 9, 9, 0, 0, 0.1, 0) } }),
    run('BallCircle', 1, 'critics-first', 3000, 0.5, 1.5, 0.5, [0.625, 3], 20, { monitor: monitor(5, 2, 0.2, 0.05, { rewardChoiceFraction: 0.2, modeFraction: 0.02 }), convergence: { afterCritics: bcConv[1], final: conv(3000, 9, 9, 0, 0, 0.1, 0) } }),
    run('BallCircle', 2, 'critics-first', 3000, 0.75, 1.0, 0.75, [0.75, 4], 30, { monitor: monitor(7, 3, 0.3, 0.05, { rewardChoiceFraction: 0.3, modeFraction: 0.03 }), convergence: { afterCritics: bcConv[2], final: conv(3000, 9, 9, 0, 0, 0.1, 0) } }),
    // Reward 0.25 against BC-Safe's 0.5 (< 0.8x); one run failed.
    run('CarCircle', 0, 'joint', 2000, 0.2, 0.9, 0.5, [0.5, 1], 100, { monitor: monitor(2, 1, 0.5, 0.25) }),
    run('CarCircle', 1, 'joint', 2000, 0.3, 0.7, 1, [0.5, 1], 200),
    { task: 'CarCircle', seed: 2, backend: 'wasm', ok: false, error: 'boom', preset: 'safe10', schedule: 'joint', steps: 2000, criticSteps: 0, wallSeconds: 1 },
    // Mean cost 0.8 with a spread over 1: safe. Fixed start cost 0 / 1.0 / 1.2.
    ...[0, 1, 2].map((seed) => run('PointRobot', seed, 'joint', 4000, 0.5, [0, 0, 2.4][seed], [1, 1, 0.5][seed], [0.25, 0], 5, {
      monitor: monitor([0, 0, 10][seed], [0, 0, 4][seed], [0, 0, 0.3][seed], [0, 0, 0.15][seed], seed < 2 ? { rewardChoiceFraction: 0 } : {}),
      convergence: { final: prConv[seed] },
      fixedStart: start([0, 1.0, 1.2][seed], [1, 0.5, 0.25][seed], 20, [20, 15, 10][seed]),
      feasibleStarts: start(0, [1, 57 / 60, 0.9][seed], 60, [60, 57, 56][seed]),
      ...(seed === 0 ? { nearBoundaryStarts: start(0, 0.5, 60, 30) } : {}),
      feasible: feasible([[0.95, 0.92, 0.9], [0.95, 0.85, 0.99], [0.8, 0.7, 0.6]][seed]),
    })),
    // Seeds 1 and 2 never ran.
    run('CarRun', 0, 'joint', 2000, 0.5, 0.5, 1, [0.5, 0.5], 1),
  ];
  const base = { preset: 'safe10', sets: [], tasks, configs, datasets: Object.fromEntries(tasks.map((t) => [t, `${t} test data`])), episodes: 20, seeds: 3 };
  return { base, runs };
}

describe('RESULTS.md numbers (scripts/results.ts --merge)', () => {
  it('means, sample stds, issue 9\'s checks, monitor sums, convergence means, PointRobot table, comparison', async () => {
    const { base, runs } = sweep();
    const a = join(dir, 'a.json'), b = join(dir, 'b.json'), earlier = join(dir, 'earlier.json');
    writeFileSync(a, JSON.stringify({ ...base, command: 'shard-a', backend: 'wasm', totalSeconds: 100, runs: runs.filter((x) => x.seed !== 1) }));
    writeFileSync(b, JSON.stringify({ ...base, command: 'shard-b', backend: 'wasm', totalSeconds: 250, runs: runs.filter((x) => x.seed === 1) }));
    // The earlier sweep: BallCircle seeds 0 and 1 only, seed 1 over 1.
    const old = runs.filter((x) => x.task === 'BallCircle' && x.seed < 2).map((x) => ({ ...x, normalizedReward: 0.125, normalizedCost: x.seed ? 1.25 : 0.25 }));
    writeFileSync(earlier, JSON.stringify({ ...base, preset: 'older', command: 'old', backend: 'wasm', totalSeconds: 1, runs: old }));
    const report = join(dir, 'report', 'RESULTS.md');
    const r = await runScript(script('results.ts'), ['--merge', `${a},${b}`, '--report', report, '--compare', earlier]);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(report, 'utf8');
    const lines = text.split('\n');
    const has = (line: string) => expect(lines).toContain(line);

    // Backends sorted; wall time summed over the 10 runs (1 s each).
    expect(text).toMatch(/backend `wasm, wasm-fma`, 3 seed\(s\) x 20 evaluation episodes per task; wall time of the runs 10s in all/);
    const merged = JSON.parse(readFileSync(join(dir, 'report', 'results.json'), 'utf8')) as { totalSeconds: number; runs: { task: string; seed: number }[] };
    expect(merged.totalSeconds).toBe(250);
    expect(merged.runs.map((x) => `${x.task}${x.seed}`)).toEqual(['BallCircle0', 'BallCircle1', 'BallCircle2', 'CarCircle0', 'CarCircle1', 'CarCircle2', 'PointRobot0', 'PointRobot1', 'PointRobot2', 'CarRun0']);

    // Per task: reward and cost mean ± sample std (n - 1), safe iff mean cost <= 1, episodes safe, BC-Safe reward / cost, ratio, train time.
    has('| BallCircle | critics-first | 3000 (1000) | 0.500 ± 0.250 | 1.000 ± 0.500 | yes | 75% | 0.625 / 3.000 | 0.80 | 20s |');
    has('| CarCircle | joint | 2000 | 0.250 ± 0.071 | 0.800 ± 0.141 | yes (1 run(s) failed) | 75% | 0.500 / 1.000 | 0.50 | 2m30s |');
    has('| PointRobot | joint | 4000 | 0.500 ± 0.000 | 0.800 ± 1.386 | yes | 83% | 0.250 / 0.000 | 2.00 | 5.0s |');
    // Per seed, in seed order.
    has('| BallCircle | 1 | 0.500 | 1.500 | 50% | 0.625 | safe10 | critics-first | 3000 | 1.0s |  |');
    has('| CarCircle | 2 | - | - | - | - | safe10 | joint | 2000 | 1.0s | FAILED: boom |');
    const at = (s: string) => lines.findIndex((l) => l.startsWith(s));
    expect(at('| BallCircle | 0 |')).toBeLessThan(at('| BallCircle | 1 |'));
    expect(at('| BallCircle | 1 |')).toBeLessThan(at('| BallCircle | 2 |'));

    // Issue 9's checks.
    has('- **Not run** (the sweep did not reach them in the time available): CarRun seed 1, CarRun seed 2. Every statement below is about the 10 run(s) that exist.');
    has('- Normalized cost <= 1 on every task\'s mean: **no** (not every task was run).');
    has('- (task, seed) runs with normalized cost <= 1: **7 of 10** run (target: >= 17 of 18) (over 1: BallCircle seed 1 1.500, PointRobot seed 2 2.400).');
    has('- PointRobot fixed start safe (normalized cost <= 1): **2 of 3** seed(s) (target: all 3; episodes without a single violation: 20 of 20, 15 of 20, 10 of 20).');
    has('- PointRobot ground-truth-feasible random starts without a violation: seed 0 **60 of 60 (100%)**, seed 1 **57 of 60 (95%)**, seed 2 **56 of 60 (93%)** (target: >= 95 % each; with cost <= kappa instead: 100%, 95%, 90%).');
    expect(text).toContain('without a violation: seed 0 **30 of 60 (50%)**.');
    has('- PointRobot IoU >= 0.90 on all three slices: seed 0 **yes** (min 0.900), seed 1 **no** (min 0.850), seed 2 **no** (min 0.600).');
    has('- CarCircle: normalized reward 0.250 is 0.50x BC-Safe\'s 0.500 (< 0.8x)');
    // Exactly 0.8x BC-Safe meets "at least 0.8x"; a mean cost of exactly 1 is safe.
    expect(text).not.toMatch(/^- BallCircle: /m);
    expect(text).not.toMatch(/^- \w+: mean normalized cost/m);

    // Table 1 (FISOR only: no baselines on this recipe) reads FISOR's own numbers.
    has('| BallCircle | **0.50 ± 0.25** / 1.00 ± 0.50 |');

    // Monitor: sums over seeds, episodes = seeds x episodes, mean fractions, mean shares ('-' when a run lacks one).
    has('| BallCircle | 15 | 6 of 60 | 15 | 0 | 0 | 0 | 15 | 0 | 0 | 0 | 20% | 5% | 20.0% | 2.0% |');
    has('| CarCircle | 2 | 1 of 20 | 2 | 0 | 0 | 0 | 2 | 0 | 0 | 0 | 50% | 25% | - | - |');
    has('| PointRobot | 10 | 4 of 60 | 10 | 0 | 0 | 0 | 10 | 0 | 0 | 0 | 10% | 5% | - | - |');

    // Convergence: critics-first shows the end of the critic phase, joint the end of the run; means over seeds,
    // the sign agreement over the seeds that have one, the AUC over the seeds that have one.
    has('| BallCircle | end of critic phase | 1000 | 0.200 | 2.000 | 0.750 | 0.900 | 0.700 | 60% |');
    has('| PointRobot | end of run | 4000 | 1.000 | 0.500 | 0.500 | 1.000 | 0.600 (2 of 3 seeds; the others\' held-out data held one class) | 20% |');

    // PointRobot: fixed start cost, episodes safe, violation-free, feasible starts, count with cost <= kappa, near-boundary, IoU.
    has('| 0 | 0.000 | 100% | 20 of 20 | 60 of 60 (100%) | 60 (100%) | 30 of 60 (50%) | 0.950 | 0.920 | 0.900 |');
    has('| 1 | 1.000 | 50% | 15 of 20 | 57 of 60 (95%) | 57 (95%) | - | 0.950 | 0.850 | 0.990 |');
    has('| 2 | 1.200 | 25% | 10 of 20 | 56 of 60 (93%) | 54 (90%) | - | 0.800 | 0.700 | 0.600 |');

    // Against the earlier sweep: reward / cost per seed, † over 1 (not at exactly 1), means over the seeds each has.
    has('| BallCircle | 1 | 0.125 / 1.250 † | 0.500 / 1.500 † |');
    has('| BallCircle | 2 | not run | 0.750 / 1.000 |');
    has('| BallCircle | mean | 0.125 / 0.750 (2 seed(s)) | 0.500 / 1.000 (3 seed(s)) |');
  }, 60_000);
});
