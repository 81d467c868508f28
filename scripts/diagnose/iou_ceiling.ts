/**
 * Is the PointRobot IoU target sound? The paper's ground truth ("brake + turn away") against the set of states
 * from which SOME constant action of a 9 x 9 grid keeps the robot out of every hazard for 6 s (or until it leaves
 * the box): IoU of the infeasible sets per slice, 200 x 200 grid. npx tsx scripts/diagnose/iou_ceiling.ts
 */
import { PAPER_SLICES, iouInfeasible } from '../../rl/plot/feasible.js';
import { feasibilityGrid, pointRobotH } from '../../rl/envs/point_robot.js';
const K = 9;
const acts: [number, number][] = [];
for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) acts.push([-1 + (2 * i) / (K - 1), -1 + (2 * j) / (K - 1)]);
function someActionSafe(x0: number, y0: number, v0: number, th0: number): boolean {
  if (pointRobotH(x0, y0) > 0) return false;
  for (const [a0, a1] of acts) {
    let x = x0, y = y0, v = v0, th = th0, ok = true;
    for (let t = 0; t < 120; t++) {
      const nx = x + 0.05 * v * Math.cos(th), ny = y + 0.05 * v * Math.sin(th);
      v += 0.05 * a0; th += 0.05 * a1; x = nx; y = ny;
      if (Math.abs(x) > 3 || Math.abs(y) > 3) break;
      if (pointRobotH(x, y) > 0) { ok = false; break; }
    }
    if (ok) return true;
  }
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
