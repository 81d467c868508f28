/**
 * Is the PointRobot IoU target sound? The paper's ground truth ("brake + turn away") against the set of states
 * from which SOME constant action of a 9 x 9 grid keeps the robot out of every hazard for 6 s (or until it leaves
 * the box): IoU of the infeasible sets per slice, 200 x 200 grid. Then the other direction on a 100 x 100 grid:
 * how many states the truth calls infeasible (outside the hazards) a two-segment action sequence still saves
 * (9 x 9 actions for the first 3, 6, 10, 16 or 24 steps, then 9 x 9 for the rest of the 6 s).
 *   npx tsx scripts/diagnose/iou_ceiling.ts
 */
import { PAPER_SLICES, iouInfeasible } from '../../rl/plot/feasible.js';
import { feasibilityGrid, pointRobotH } from '../../rl/envs/point_robot.js';
const K = 9;
const acts: [number, number][] = [];
for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) acts.push([-1 + (2 * i) / (K - 1), -1 + (2 * j) / (K - 1)]);
/** Whether u0 = a for the first `t1` steps, then b, keeps the robot out of every hazard for 6 s (or until it leaves the box). */
function sequenceSafe(x0: number, y0: number, v0: number, th0: number, a: [number, number], b: [number, number], t1: number): boolean {
  let x = x0, y = y0, v = v0, th = th0;
  for (let t = 0; t < 120; t++) {
    const [u0, u1] = t < t1 ? a : b;
    const nx = x + 0.05 * v * Math.cos(th), ny = y + 0.05 * v * Math.sin(th);
    v += 0.05 * u0; th += 0.05 * u1; x = nx; y = ny;
    if (Math.abs(x) > 3 || Math.abs(y) > 3) return true;
    if (pointRobotH(x, y) > 0) return false;
  }
  return true;
}
function someActionSafe(x0: number, y0: number, v0: number, th0: number): boolean {
  if (pointRobotH(x0, y0) > 0) return false;
  return acts.some((a) => sequenceSafe(x0, y0, v0, th0, a, a, 120));
}
function someTwoSegmentSafe(x0: number, y0: number, v0: number, th0: number): boolean {
  for (const t1 of [3, 6, 10, 16, 24]) for (const a of acts) for (const b of acts) if (sequenceSafe(x0, y0, v0, th0, a, b, t1)) return true;
  return false;
}
for (const s of PAPER_SLICES) {
  const g = feasibilityGrid({ v: s.v, theta: s.theta });
  const values = new Float32Array(g.n * g.n); // > 0 = infeasible, as V_h
  let differ = 0;
  for (let r = 0; r < g.n; r++) for (let c = 0; c < g.n; c++) {
    const feas = someActionSafe(g.xs[c], g.ys[r], s.v, s.theta);
    values[r * g.n + c] = feas ? -1 : 1;
    if (feas !== (g.grid[r * g.n + c] === 1)) differ++;
  }
  const res = iouInfeasible(values, g.grid);
  console.log(`${s.label}: IoU(constant-action feasible set, paper ground truth) ${res.iou.toFixed(3)}; cells that differ ${differ}; infeasible fraction: constant-action ${res.learned.toFixed(4)}, ground truth ${res.truth.toFixed(4)}`);
}
for (const s of PAPER_SLICES) {
  const g = feasibilityGrid({ v: s.v, theta: s.theta, n: 100 });
  let outside = 0, saved = 0;
  for (let r = 0; r < g.n; r++) for (let c = 0; c < g.n; c++) {
    if (g.grid[r * g.n + c] === 1 || pointRobotH(g.xs[c], g.ys[r]) > 0) continue;
    outside++;
    if (someTwoSegmentSafe(g.xs[c], g.ys[r], s.v, s.theta)) saved++;
  }
  console.log(`${s.label}: of the ${outside} states outside the hazards the truth calls infeasible (100 x 100 grid), a two-segment action sequence saves ${saved}`);
}
