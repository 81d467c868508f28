/**
 * How precise must a learned V_h be for the PointRobot IoU check (>= 0.90)? The ground truth's margin m(s) is the
 * largest h = 0.8 - hazard distance along its own manoeuvre (full braking, full turn away, until the robot stops;
 * the current h where the heading ray misses every hazard or v <= 0); the truth calls s infeasible iff m(s) > 0.
 * A critic whose zero level is off by eps everywhere calls {m > eps} (optimistic) or {m > -eps} (pessimistic)
 * infeasible; this prints the IoU of those sets against the truth per slice, 200 x 200 grid. With a run directory
 * it also prints, for that checkpoint's V_h, the truth's |margin| at the cells it gets wrong (how far from the
 * boundary its errors reach). It also measures what the paper's discount costs along that one manoeuvre: the
 * recursion V_t = (1 - g) h_t + g max(h_t, V_{t+1}) run backwards along it (V = h at rest), and the IoU of
 * {V_0 > 0} against the truth (a lower bound on the cost: a path that enters a hazard later is discounted more).
 *   npx tsx scripts/diagnose/iou_precision.ts [RUNDIR]
 */
import { join } from 'node:path';
import { loadCheckpoint } from '../../nn/checkpoint.js';
import { feasibilityGrid, groundTruthDiscounted, groundTruthMargin as truthMargin, type FeasibilityGrid } from '../../rl/envs/point_robot.js';
import { buildAgent, CHECKPOINT_DIR } from '../../rl/fisor/train.js';
import { checkpointMetadata } from '../../rl/fisor/train_meta.js';
import { evaluateSlice, iouInfeasible, PAPER_SLICES } from '../../rl/plot/feasible.js';

const n = 200;
const EPS = [0.01, 0.02, 0.03, 0.05];

/** f at every cell of a slice's truth grid (row = y index, as the grid's own layout). */
function gridValues(g: FeasibilityGrid, f: (x: number, y: number) => number): Float64Array {
  const values = new Float64Array(g.n * g.n);
  for (let r = 0; r < g.n; r++) for (let c = 0; c < g.n; c++) values[r * g.n + c] = f(g.xs[c], g.ys[r]);
  return values;
}

const grids = PAPER_SLICES.map((s) => feasibilityGrid({ v: s.v, theta: s.theta, n }));
PAPER_SLICES.forEach((s, k) => {
  const margins = gridValues(grids[k], (x, y) => truthMargin(x, y, s.v, s.theta));
  // A zero level off by eps calls {m > eps} (optimistic) or {m > -eps} (pessimistic) infeasible.
  const iou = (eps: number) => iouInfeasible(margins.map((m) => m - eps), grids[k].grid).iou;
  console.log(`${s.label}: ${EPS.map((e) => `eps ${e}: optimistic ${iou(e).toFixed(3)}, pessimistic ${iou(-e).toFixed(3)}`).join('; ')}`);
});

for (const g of [0.99, 0.999]) {
  const ious = PAPER_SLICES.map((s, k) => iouInfeasible(gridValues(grids[k], (x, y) => groundTruthDiscounted(x, y, s.v, s.theta, g)), grids[k].grid).iou.toFixed(3));
  console.log(`discount ${g}: IoU of the discounted target's zero level along the truth's manoeuvre against the truth, per slice ${ious.join(' / ')}`);
}

const dir = process.argv[2];
if (dir) {
  const ckpt = join(dir, CHECKPOINT_DIR);
  const loaded = await loadCheckpoint(ckpt);
  const meta = checkpointMetadata(loaded, ckpt);
  const { agent } = buildAgent(meta.config, meta.obsDim, meta.actDim, meta.seed);
  agent.loadState(loaded);
  const quantile = (v: number[], p: number) => (v.length ? [...v].sort((a, b) => a - b)[Math.floor(p * (v.length - 1))].toFixed(3) : '-');
  for (const s of PAPER_SLICES) {
    const r = evaluateSlice((o) => agent.feasibilityValue(o), s, n);
    const optimistic: number[] = [], pessimistic: number[] = [];
    for (let row = 0; row < n; row++) for (let c = 0; c < n; c++) {
      const learnedInfeasible = r.values[row * n + c] > 0, trulyInfeasible = r.truth.grid[row * n + c] === 0;
      if (learnedInfeasible === trulyInfeasible) continue;
      (learnedInfeasible ? pessimistic : optimistic).push(Math.abs(truthMargin(r.truth.xs[c], r.truth.ys[row], s.v, s.theta)));
    }
    console.log(`${dir} ${s.label}: IoU ${r.iou.toFixed(3)}; judged feasible, truly infeasible: ${optimistic.length} cells, |margin| median ${quantile(optimistic, 0.5)}, 90th percentile ${quantile(optimistic, 0.9)}; judged infeasible, truly feasible: ${pessimistic.length} cells, median ${quantile(pessimistic, 0.5)}, 90th percentile ${quantile(pessimistic, 0.9)}`);
  }
}
