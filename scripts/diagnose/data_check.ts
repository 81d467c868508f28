/** Data sanity checks per task: cost vs observation, safe-trajectory returns, masks, h alignment. */
import { collect } from '../../rl/data/collect.js';
import { splitTrajectories } from '../../rl/data/dataset.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { prepareData } from '../../rl/fisor/data.js';
import { scoreEpisode } from '../../rl/data/scoring.js';

const tasks = (process.argv[2] ?? 'BallCircle,CarCircle,BallRun,CarRun').split(',');
for (const task of tasks) {
  const ds = collect(task, { seed: 0 });
  const O = ds.observationSize;
  let mismatch = 0;
  if (task.endsWith('Circle')) {
    for (let i = 0; i < ds.size; i++) {
      const c = Math.abs(10 * ds.nextObservations[i * O]) > 6 ? 1 : 0;
      if (c !== ds.costs[i]) mismatch++;
    }
  }
  const trajs = splitTrajectories(ds);
  const safe = trajs.filter((t) => t.cost <= 10);
  const zero = trajs.filter((t) => t.cost === 0);
  const nr = (ts: typeof trajs) => ts.map((t) => scoreEpisode(task, t.ret, t.cost).normalizedReward).sort((a, b) => a - b);
  const q = (v: number[], p: number) => v.length ? v[Math.floor(p * (v.length - 1))].toFixed(3) : 'na';
  const sr = nr(safe), zr = nr(zero), ar = nr(trajs);
  const cfg = resolveConfig({ preset: 'cpu', task });
  const d = prepareData(ds, task, cfg);
  let masks0 = 0, hpos = 0; for (let i = 0; i < d.size; i++) { if (d.masks[i] === 0) masks0++; if (d.h[i] > 0) hpos++; }
  // continuity: next obs of i == obs of i+1 inside episodes
  let disc = 0;
  for (let i = 0; i + 1 < ds.size; i++) if (!ds.terminals[i] && !ds.timeouts[i]) { for (let k = 0; k < O; k++) if (ds.nextObservations[i * O + k] !== ds.observations[(i + 1) * O + k]) { disc++; break; } }
  console.log(`${task}: N=${ds.size} trajs=${trajs.length} costMismatch=${mismatch} discontinuities=${disc} masks0=${masks0} h>0 frac=${(hpos / d.size).toFixed(3)} rewardScale=${d.rewardScale.toFixed(3)}`);
  console.log(`  all normR median ${q(ar, 0.5)} p90 ${q(ar, 0.9)}; safe(c<=10) n=${safe.length} normR median ${q(sr, 0.5)} p90 ${q(sr, 0.9)} max ${q(sr, 1)}; zero-cost n=${zero.length} median ${q(zr, 0.5)} p90 ${q(zr, 0.9)}`);
}
