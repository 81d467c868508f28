/**
 * The behaviour data itself (rl/data/collect.ts, rl/data/policies.ts, docs/DATASETS.md): row semantics at episode
 * boundaries, determinism and the recipes' shared draws, the options' checks, the policies' action box, and the
 * doc's tables and counts regenerated from the code.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { collect, COLLECT_RECIPES, RECOVERY_FRACTION, type CollectRecipe } from '../../rl/data/collect.js';
import { datasetHash, splitTrajectories, summarizeDataset, type Dataset } from '../../rl/data/dataset.js';
import { drawBehaviour, makeBehaviourPolicy } from '../../rl/data/policies.js';
import { PointRobot, POINT_ROBOT } from '../../rl/envs/point_robot.js';
import { TASK_NAMES, taskReference } from '../../rl/envs/reference.js';
import { makeEnv } from '../../rl/envs/registry.js';

const row = (a: Float32Array, i: number, w: number): number[] => Array.from(a.subarray(i * w, (i + 1) * w));

describe('collect: option checks', () => {
  it('refuses a missing or non-integer seed, naming collect (a missing one collected seed 0 silently)', () => {
    expect(() => collect('BallRun', { seed: undefined as unknown as number, transitions: 5 })).toThrow(/^collect: seed must be an integer, got undefined$/);
    expect(() => collect('BallRun', { seed: 1.5, transitions: 5 })).toThrow(/^collect: seed must be an integer, got 1\.5$/);
    expect(() => collect('BallRun', { seed: '3' as unknown as number, transitions: 5 })).toThrow(/^collect: seed must be an integer, got "3"$/);
    expect(() => collect('BallRun', { seed: Number.NaN, transitions: 5 })).toThrow(/collect: seed must be an integer, got NaN/);
  });

  it('refuses 0, negative or fractional transitions and episodes, also episodes given beside transitions', () => {
    for (const bad of [0, -5, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => collect('BallRun', { seed: 0, transitions: bad })).toThrow(`collect: transitions must be a positive integer, got ${bad}`);
      expect(() => collect('BallRun', { seed: 0, episodes: bad })).toThrow(`collect: episodes must be a positive integer, got ${bad}`);
      // `transitions` overrides a valid `episodes`, but a bad one was accepted silently.
      expect(() => collect('BallRun', { seed: 0, transitions: 5, episodes: bad })).toThrow(`collect: episodes must be a positive integer, got ${bad}`);
    }
    // A valid `episodes` beside `transitions` is still ignored, as documented.
    expect(datasetHash(collect('BallRun', { seed: 0, transitions: 150, episodes: 7 }))).toBe(datasetHash(collect('BallRun', { seed: 0, transitions: 150 })));
  });

  it('a size beyond memory is refused naming the option and the task, not with the typed array RangeError', () => {
    expect(() => collect('BallRun', { seed: 0, transitions: 1e12 })).toThrow(/^collect: transitions 1000000000000 for BallRun: cannot allocate 1000000000000 rows/);
    expect(() => collect('CarRun', { seed: 0, episodes: 1e13 })).toThrow(/^collect: episodes 10000000000000 \(x 200 steps\) for CarRun: cannot allocate/);
  });

  it('exact counts: episodes gives that many whole episodes, transitions that many rows with the cut episode a timeout', () => {
    for (const task of TASK_NAMES) {
      const ds = collect(task, { seed: 2, episodes: 3 });
      expect(splitTrajectories(ds)).toHaveLength(3);
      const T = taskReference(task).maxEpisodeSteps;
      const cut = collect(task, { seed: 2, transitions: T + 7 });
      expect(cut.size).toBe(T + 7);
      const last = cut.size - 1;
      expect(cut.terminals[last] + cut.timeouts[last]).toBe(1);
      // The rows before the cut are the same as an uncut collection's.
      const whole = collect(task, { seed: 2, episodes: 3 });
      const n = Math.min(cut.size, whole.size);
      expect(cut.observations.subarray(0, n * cut.observationSize)).toEqual(whole.observations.subarray(0, n * whole.observationSize));
    }
    const one = collect('CarCircle', { seed: 0, transitions: 1 });
    expect([one.size, one.timeouts[0], one.terminals[0]]).toEqual([1, 1, 0]);
  });
});

/** Every row: flags exclusive and in {0, 1}; the last row flagged; inside an episode next_observations[i] = observations[i + 1]. */
function checkRows(ds: Dataset): void {
  const O = ds.observationSize;
  for (let i = 0; i < ds.size; i++) {
    expect(ds.terminals[i] * ds.timeouts[i]).toBe(0);
    const ends = ds.terminals[i] + ds.timeouts[i] > 0;
    if (i === ds.size - 1) expect(ends).toBe(true);
    else if (!ends) expect(row(ds.nextObservations, i, O)).toEqual(row(ds.observations, i + 1, O));
    // At a boundary the next row is the next episode's reset observation, never this step's.
    else expect(row(ds.nextObservations, i, O)).not.toEqual(row(ds.observations, i + 1, O));
  }
}

describe('collect: transition semantics', () => {
  it.each(TASK_NAMES)('%s: flags, continuity and boundaries on every recipe', (task) => {
    const T = taskReference(task).maxEpisodeSteps;
    for (const recipe of COLLECT_RECIPES) {
      const ds = collect(task, { seed: 11, transitions: 2 * T + 31, recipe });
      checkRows(ds);
      for (const t of splitTrajectories(ds)) {
        expect(t.length).toBeLessThanOrEqual(T);
        // A timeout ends an episode at the time limit or at the end of collection only.
        if (!t.terminated) expect(t.length === T || t.end === ds.size).toBe(true);
      }
    }
  });

  it('PointRobot: each row replays from its observation with its action to its next observation, reward, cost, h and flags', () => {
    const env = new PointRobot();
    for (const recipe of ['fixed', 'evasive'] as CollectRecipe[]) {
      const ds = collect('PointRobot', { seed: 5, transitions: 3000, recipe });
      const tr = splitTrajectories(ds);
      let stepInEpisode = 0, ti = 0;
      for (let i = 0; i < ds.size; i++) {
        const o = row(ds.observations, i, 11);
        env.setState(o[0], o[1], o[2], Math.atan2(o[4], o[3]));
        const r = env.step(row(ds.actions, i, 2));
        stepInEpisode++;
        const next = row(ds.nextObservations, i, 11);
        for (let k = 0; k < 11; k++) expect(Math.abs(r.observation[k] - next[k])).toBeLessThan(1e-4);
        expect(Math.abs(r.reward - ds.rewards[i])).toBeLessThan(1e-4);
        expect(Math.abs(r.info.h! - ds.h![i])).toBeLessThan(1e-4);
        if (Math.abs(r.info.h!) > 1e-4) expect(ds.costs[i]).toBe(r.cost);
        expect(ds.costs[i]).toBe(ds.h![i] > 0 ? 1 : 0);
        // terminals: the goal or the box edge (far from float32 rounding); timeouts: the 300th step or the cut.
        const [x, y] = [next[0], next[1]];
        const goal = Math.hypot(x - POINT_ROBOT.goal[0], y - POINT_ROBOT.goal[1]) <= POINT_ROBOT.goalRadius;
        const out = Math.abs(x) > POINT_ROBOT.bound || Math.abs(y) > POINT_ROBOT.bound;
        if (ds.terminals[i]) expect(goal || out || r.terminated).toBe(true);
        if (r.terminated) expect(ds.terminals[i]).toBe(1);
        if (ds.timeouts[i]) expect(stepInEpisode === POINT_ROBOT.maxEpisodeSteps || i === ds.size - 1).toBe(true);
        if (i + 1 === tr[ti].end) { ti++; stepInEpisode = 0; }
      }
    }
  });

  it('PointGoal1: cost is 1 exactly where h = 0.2 - min hazard distance >= 0', () => {
    const ds = collect('PointGoal1', { seed: 3, episodes: 2, recipe: 'observed' });
    let costly = 0;
    for (let i = 0; i < ds.size; i++) {
      expect(ds.costs[i]).toBe(ds.h![i] >= 0 ? 1 : 0);
      costly += ds.costs[i];
    }
    expect(costly).toBeGreaterThan(0);
  });
});

describe('collect: determinism and the recipes\' draws', () => {
  it('the same seed and recipe give the same bytes; another seed or recipe other bytes', () => {
    for (const task of ['PointRobot', 'CarCircle'] as const) {
      const size = task === 'PointRobot' ? { transitions: 1500 } : { episodes: 4 };
      const hashes = new Set<string>();
      for (const recipe of ['fixed', 'recovery'] as CollectRecipe[]) {
        for (const seed of [0, 1, 12345]) {
          const h = datasetHash(collect(task, { ...size, seed, recipe }));
          expect(datasetHash(collect(task, { ...size, seed, recipe }))).toBe(h);
          hashes.add(h);
        }
      }
      expect(hashes.size).toBe(6);
    }
  });

  it("'evasive' and 'observed' draw every episode's behaviour and start as 'recovery' does; 'recovery' only the first as 'fixed'", () => {
    const firstObs = (ds: Dataset): number[][] => splitTrajectories(ds).map((t) => row(ds.observations, t.start, ds.observationSize));
    const rec = firstObs(collect('PointRobot', { seed: 4, episodes: 40, recipe: 'recovery' }));
    expect(firstObs(collect('PointRobot', { seed: 4, episodes: 40, recipe: 'evasive' }))).toEqual(rec);
    expect(firstObs(collect('PointRobot', { seed: 4, episodes: 40, recipe: 'observed' }))).toEqual(rec);
    const fixed = firstObs(collect('PointRobot', { seed: 4, episodes: 40, recipe: 'fixed' }));
    expect(fixed[0]).toEqual(rec[0]);
    // The per-episode switch draws shift the stream (docs/DATASETS.md, 'recovery').
    expect(fixed.slice(1).filter((o, k) => o.every((v, j) => v === rec[k + 1][j])).length).toBe(0);
  });

  it("docs/DATASETS.md's counts of PointRobot's episodes that switch (seed 0) are the data's: not half of them", () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/DATASETS.md', import.meta.url)), 'utf8').replace(/\s+/g, ' ');
    const rec = /so only (\d+) of its (\d+) episodes \(seed 0\) switch/.exec(doc);
    const eva = /the episodes whose switch step comes: (\d+) of (\d+) at seed 0/.exec(doc);
    expect(rec).not.toBeNull();
    expect(eva).not.toBeNull();
    for (const [recipe, m] of [['recovery', rec!], ['evasive', eva!]] as const) {
      const [switched, episodes] = [Number(m[1]), Number(m[2])];
      const ds = collect('PointRobot', { seed: 0, recipe });
      const tr = splitTrajectories(ds);
      expect(tr).toHaveLength(episodes);
      // Replay collect's draws from its generator: the behaviour, its policy's seed, the reset seed, the switch coin.
      const rng = new Rng(0);
      const env = makeEnv('PointRobot', { seed: 0 });
      let drawn = 0, came = 0;
      for (const t of tr) {
        const spec = drawBehaviour('PointRobot', rng);
        makeBehaviourPolicy('PointRobot', spec, new Rng(rng.nextU32()));
        expect(Array.from(env.reset({ seed: rng.nextU32() }))).toEqual(row(ds.observations, t.start, 11));
        if (rng.uniform53() < RECOVERY_FRACTION) {
          drawn++;
          const at = rng.int(POINT_ROBOT.maxEpisodeSteps);
          makeBehaviourPolicy('PointRobot', { kind: 'scripted', risk: 0.3 * rng.uniform53(), noise: 0.1 * rng.uniform53() }, new Rng(rng.nextU32()));
          if (at < t.length) came++;
        }
      }
      expect(came).toBe(switched);
      expect(Math.abs(drawn / episodes - RECOVERY_FRACTION)).toBeLessThan(0.05);
    }
  });
});

describe('behaviour policies', () => {
  it.each(TASK_NAMES)('%s: actions inside [-1, 1] and finite for risk and noise over their ranges', (task) => {
    const env = makeEnv(task, { seed: 1 });
    const out = new Float64Array(env.actionSize);
    for (const kind of ['scripted', 'random'] as const) {
      for (const risk of [0, 0.5, 1]) {
        for (const noise of [0, 0.4]) {
          for (const observed of [false, true]) {
            const pol = makeBehaviourPolicy(task, { kind, risk, noise }, new Rng(7), observed);
            env.reset({ seed: 3 });
            for (let t = 0; t < 60; t++) {
              pol.act(env, out);
              for (const a of out) expect(Number.isFinite(a) && a >= -1 && a <= 1).toBe(true);
              const r = env.step(out);
              if (r.terminated || r.truncated) env.reset();
            }
          }
        }
      }
    }
  });

  it.each(TASK_NAMES)('%s: the risk knob works as its comment says: risk 1 costs more than risk 0 (noise-free)', (task) => {
    const meanCost = (risk: number): number => {
      const env = makeEnv(task, { seed: 0 });
      const out = new Float64Array(env.actionSize);
      let cost = 0;
      for (let ep = 0; ep < 8; ep++) {
        const pol = makeBehaviourPolicy(task, { kind: 'scripted', risk, noise: 0 }, new Rng(ep));
        env.reset({ seed: 100 + ep });
        for (;;) {
          pol.act(env, out);
          const r = env.step(out);
          cost += r.cost;
          if (r.terminated || r.truncated) break;
        }
      }
      return cost / 8;
    };
    expect(meanCost(1)).toBeGreaterThan(meanCost(0));
  });
});

describe('docs/DATASETS.md tables', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/DATASETS.md', import.meta.url)), 'utf8');
  /** The rows of the markdown table that follows `marker` in the doc, as cells. */
  const table = (marker: string): string[][] => {
    const at = doc.indexOf(marker);
    expect(at).toBeGreaterThanOrEqual(0);
    const lines = doc.slice(at).split('\n');
    const first = lines.findIndex((l) => l.startsWith('| task'));
    const rows: string[][] = [];
    for (let i = first + 2; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i].split('|').slice(1, -1).map((c) => c.trim()));
    return rows;
  };
  const f2 = (v: number): string => v.toFixed(2);

  it("the 'fixed' table (summarize.ts) is what collect gives, but for the timing column", () => {
    const rows = table('Generated by `npx tsx rl/data/summarize.ts`');
    expect(rows.map((r) => r[0])).toEqual(TASK_NAMES);
    for (const r of rows) {
      const s = summarizeDataset(collect(r[0], { seed: 0 }), taskReference(r[0]).kappa);
      const ours = [r[0], `${s.transitions}`, `${s.trajectories}`, f2(s.returns.min), f2(s.returns.median), f2(s.returns.max), `${s.costs.min}`, `${s.costs.median}`, `${s.costs.max}`, `${(100 * s.fractionSafe).toFixed(1)}%`];
      expect(r.slice(0, 10)).toEqual(ours);
    }
  });

  it("the 'recovery' and 'evasive' tables (recipe_table.ts) are what collect gives", () => {
    for (const [recipe, marker] of [['recovery', "The recovery recipe's datasets"], ['evasive', 'The evasive recipe differs']] as const) {
      for (const r of table(marker)) {
        const s = summarizeDataset(collect(r[0], { seed: 0, recipe }), taskReference(r[0]).kappa);
        const ours = [r[0], `${s.transitions}`, `${s.trajectories}`, f2(s.returns.min), f2(s.returns.median), f2(s.returns.max), `${s.costs.median}`, `${s.costs.max}`, `${(100 * s.fractionSafe).toFixed(1)}%`];
        expect(r).toEqual(ours);
      }
    }
  });
});
