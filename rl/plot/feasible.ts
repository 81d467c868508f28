/**
 * PointRobot feasible-region figure (FISOR paper, Fig. 3 style): the learned V_h on (x, y) slices at fixed
 * (v, theta) as a heat map with a colour bar, its zero contour (learned boundary) against the ground-truth
 * boundary from the env's `feasibilityGrid`, the IoU of the learned vs true infeasible sets per slice, and
 * optionally the rollout from the fixed start drawn on every slice with its violations marked.
 */
import { feasibilityGrid, pointRobotObservation, POINT_ROBOT, type FeasibilityGrid } from '../envs/point_robot.js';
import { renderSvg, type FigureSpec, type LegendEntry, type PanelSpec, type Series } from './chart.js';
import { contourSegments, type Segment } from './contour.js';
import type { Rollout } from './rollout.js';

/** The paper's slices: (v, theta) = (0.5, pi/4), (1, pi/2), (1.5, pi/4). */
export const PAPER_SLICES: { v: number; theta: number; label: string }[] = [
  { v: 0.5, theta: Math.PI / 4, label: 'v = 0.5 m/s, θ = π/4' },
  { v: 1, theta: Math.PI / 2, label: 'v = 1 m/s, θ = π/2' },
  { v: 1.5, theta: Math.PI / 4, label: 'v = 1.5 m/s, θ = π/4' },
];

export interface SliceResult {
  v: number;
  theta: number;
  label: string;
  n: number;
  extent: number;
  /** Learned V_h per cell, layout of FeasibilityGrid (row = y index from the bottom, col = x index). */
  values: Float32Array;
  truth: FeasibilityGrid;
  /** |learned infeasible ∩ true infeasible| / |union|; learned infeasible = V_h > 0. */
  iou: number;
  /** Fractions of cells judged infeasible. */
  learnedInfeasible: number;
  trueInfeasible: number;
}

/** Anything that maps a batch of observations to V_h values. */
export type ValueFn = (observations: Float32Array) => Float32Array;

/**
 * IoU of the learned infeasible set (V_h > 0) with the true one (`feasible` 0); 1 when both are empty (they agree).
 * One value per cell, none NaN: a NaN V_h is not > 0, so it used to count as judged feasible and give a plausible IoU.
 */
export function iouInfeasible(values: ArrayLike<number>, feasible: Uint8Array): { iou: number; learned: number; truth: number } {
  if (feasible.length === 0) throw new Error('iouInfeasible: the grid has no cells');
  if (values.length !== feasible.length) throw new Error(`iouInfeasible: ${values.length} V_h values for a grid of ${feasible.length} cells`);
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new Error(`iouInfeasible: V_h of cell ${i} is NaN (a diverged critic?); the IoU is undefined`);
  }
  let inter = 0, union = 0, learned = 0, truth = 0;
  for (let i = 0; i < feasible.length; i++) {
    const a = values[i] > 0;
    const b = feasible[i] === 0;
    if (a) learned++;
    if (b) truth++;
    if (a && b) inter++;
    if (a || b) union++;
  }
  return { iou: union === 0 ? 1 : inter / union, learned: learned / feasible.length, truth: truth / feasible.length };
}

export function evaluateSlice(valueFn: ValueFn, slice: { v: number; theta: number; label: string }, n = 200, extent = 3): SliceResult {
  const truth = feasibilityGrid({ v: slice.v, theta: slice.theta, n, extent });
  const obs = new Float32Array(n * n * 11);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) pointRobotObservation(truth.xs[c], truth.ys[r], slice.v, slice.theta, obs, (r * n + c) * 11);
  const values = new Float32Array(n * n);
  const chunkRows = 8192;
  for (let i = 0; i < n * n; i += chunkRows) {
    const m = Math.min(chunkRows, n * n - i);
    const v = valueFn(obs.subarray(i * 11, (i + m) * 11));
    // A short answer left the rest of the chunk at 0 (judged feasible) without a word.
    if (v.length !== m) throw new Error(`evaluateSlice: the value function returned ${v.length} values for ${m} observations`);
    values.set(v, i);
  }
  const { iou, learned, truth: t } = iouInfeasible(values, truth.grid);
  return { ...slice, n, extent, values, truth, iou, learnedInfeasible: learned, trueInfeasible: t };
}

/** Marching squares zero level set (kept for callers of the old API; see contour.ts). */
export function zeroContour(f: (i: number) => number, xs: ArrayLike<number>, ys: ArrayLike<number>): Segment[] {
  return contourSegments(f, xs, ys, 0);
}

/** Symmetric-free colour range over all slices: [min, max] of the finite V_h values, always containing 0. */
function valueRange(slices: SliceResult[]): [number, number] {
  let lo = 0, hi = 0;
  for (const s of slices) {
    for (const v of s.values) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo === 0) lo = -1e-3;
  if (hi === 0) hi = 1e-3;
  return [lo, hi];
}

/** The goal's fill (its outline is COLORS.goal); the legend's swatch has both, as the mark. */
const GOAL_FILL = '#a5d6a7';
const COLORS = { learned: '#000000', truth: '#00a651', hazard: '#555555', rollout: '#7b1fa2', violation: '#ffd400', start: '#000000', goal: '#2e7d32' };

/** The figure spec: one square panel per slice, shared colour bar (two-slope, white at V_h = 0), legend on top. */
export function feasibleFigure(slices: SliceResult[], opts: { rollout?: Rollout; title?: string } = {}): FigureSpec {
  const range = valueRange(slices);
  const r = opts.rollout;
  const panels: PanelSpec[] = slices.map((s) => {
    const half = s.extent / (s.n - 1);
    const series: Series[] = [
      { type: 'heatmap', values: s.values, nx: s.n, ny: s.n, x: [-s.extent - half, s.extent + half], y: [-s.extent - half, s.extent + half], range, norm: 'centered' },
      ...POINT_ROBOT.hazards.map(([cx, cy]): Series => ({ type: 'circle', cx, cy, r: POINT_ROBOT.hazardRadius, stroke: COLORS.hazard, width: 1, dash: '2 3' })),
      { type: 'circle', cx: POINT_ROBOT.goal[0], cy: POINT_ROBOT.goal[1], r: POINT_ROBOT.goalRadius, stroke: COLORS.goal, fill: GOAL_FILL, width: 1.2 },
      { type: 'contour', values: Float32Array.from(s.truth.grid, (g) => (g === 0 ? 1 : -1)), xs: s.truth.xs, ys: s.truth.ys, color: COLORS.truth, width: 2.2, dash: '7 4' },
      { type: 'contour', values: s.values, xs: s.truth.xs, ys: s.truth.ys, color: COLORS.learned, width: 1.8 },
    ];
    if (r) {
      series.push({ type: 'line', x: r.x, y: r.y, color: '#ffffff', width: 4.5, opacity: 0.8 });
      series.push({ type: 'line', x: r.x, y: r.y, color: COLORS.rollout, width: 2.2 });
      const vx: number[] = [], vy: number[] = [];
      r.cost.forEach((c, t) => {
        if (c > 0) {
          vx.push(r.x[t + 1]);
          vy.push(r.y[t + 1]);
        }
      });
      series.push({ type: 'points', x: vx, y: vy, color: '#000000', size: 4.5, marker: 'circle' });
      series.push({ type: 'points', x: vx, y: vy, color: COLORS.violation, size: 3, marker: 'circle' });
      series.push({ type: 'points', x: [r.x[0]], y: [r.y[0]], color: COLORS.start, size: 5, marker: 'square' });
    }
    return { title: `${s.label}  ·  IoU ${s.iou.toFixed(2)}`, xlabel: 'x (m)', ylabel: 'y (m)', xlim: [-s.extent, s.extent], ylim: [-s.extent, s.extent], legend: 'none', series };
  });
  const legend: LegendEntry[] = [
    { label: 'learned boundary (V_h = 0)', color: COLORS.learned, kind: 'line', width: 1.8 },
    { label: 'ground-truth boundary', color: COLORS.truth, kind: 'line', dash: '7 4', width: 2.2 },
    { label: 'hazard', color: COLORS.hazard, kind: 'line', dash: '2 3', width: 1 },
    { label: 'goal', color: GOAL_FILL, stroke: COLORS.goal, kind: 'patch' },
  ];
  if (r) {
    legend.push({ label: 'rollout from fixed start', color: COLORS.rollout, kind: 'line', width: 2.2 });
    legend.push({ label: 'start', color: COLORS.start, kind: 'point', marker: 'square' });
    legend.push({ label: 'violation (cost 1)', color: COLORS.violation, stroke: '#000000', kind: 'point', marker: 'circle' });
  }
  const caption = ['Heat map: learned V_h (blue < 0 feasible, red > 0 infeasible; white at 0). IoU: infeasible sets, learned (V_h > 0) vs ground truth.'];
  if (r) caption.push(`Rollout (x, y) path from [-1.8, 0, 2, π/4], the same on every slice (its v and θ change along the way): ${r.steps} steps, cost ${r.totalCost}, goal ${r.goalReached ? 'reached' : 'not reached'}.`);
  return {
    title: opts.title ?? 'PointRobot feasible region: learned V_h vs ground truth',
    panels, columns: slices.length, panelWidth: 280, panelHeight: 280, legend,
    colorbar: { range, norm: 'centered', label: 'V_h (learned feasibility value)' },
    caption,
  };
}

/** SVG of the figure (see `feasibleFigure`). */
export function feasibleSvg(slices: SliceResult[], opts: { rollout?: Rollout; title?: string } = {}): string {
  return renderSvg(feasibleFigure(slices, opts));
}

export interface FeasibleFigureSummary {
  svg: string;
  png: string;
  json: string;
  slices: { v: number; theta: number; label: string; iou: number; learnedInfeasible: number; trueInfeasible: number }[];
  meanIou: number;
  rollout?: { steps: number; ret: number; totalCost: number; goalReached: boolean };
}

export interface FeasibleFigureOptions {
  n?: number;
  extent?: number;
  meta?: Record<string, unknown>;
  /** Drawn on every slice (e.g. `pointRobotRollout(agent)`). */
  rollout?: Rollout;
  title?: string;
}

/** Evaluates the paper's three slices and writes `<base>.svg`, `<base>.png` and `<base>.json` (IoU per slice). */
export async function writeFeasibleFigure(valueFn: ValueFn, base: string, opts: FeasibleFigureOptions = {}): Promise<FeasibleFigureSummary> {
  const { writeFileAtomic } = await import('../io/atomic.js');
  const { writeFigure } = await import('./raster.js');
  const slices = PAPER_SLICES.map((s) => evaluateSlice(valueFn, s, opts.n ?? 200, opts.extent ?? 3));
  // The run's seed and step (when given) go into the title, so that a figure says which checkpoint it shows.
  const m = opts.meta ?? {};
  const which = [m.seed !== undefined ? `seed ${m.seed}` : '', m.step !== undefined ? `step ${m.step}` : ''].filter(Boolean).join(', ');
  const title = opts.title ?? (which ? `PointRobot feasible region (${which}): learned V_h vs ground truth` : undefined);
  const { svg, png } = await writeFigure(base, feasibleFigure(slices, { ...opts, title }));
  const json = `${base}.json`;
  const summary = slices.map(({ v, theta, label, iou, learnedInfeasible, trueInfeasible }) => ({ v, theta, label, iou, learnedInfeasible, trueInfeasible }));
  const meanIou = summary.reduce((a, s) => a + s.iou, 0) / summary.length;
  const r = opts.rollout;
  const rollout = r ? { steps: r.steps, ret: r.ret, totalCost: r.totalCost, goalReached: r.goalReached } : undefined;
  writeFileAtomic(json, JSON.stringify({ ...opts.meta, grid: opts.n ?? 200, extent: opts.extent ?? 3, slices: summary, meanIou, ...(rollout ? { rollout } : {}) }, null, 2) + '\n');
  return { svg, png, json, slices: summary, meanIou, ...(rollout ? { rollout } : {}) };
}
