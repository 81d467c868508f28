/**
 * PointRobot feasible-region figure (FISOR paper, Fig. 3 style): the learned V_h on (x, y) slices at fixed
 * (v, theta) as a heat map, its zero contour (learned boundary) against the ground-truth boundary from the
 * env's `feasibilityGrid`, and the IoU of the learned vs true infeasible sets per slice.
 */
import { feasibilityGrid, pointRobotObservation, type FeasibilityGrid } from '../envs/point_robot.js';
import { Canvas, encodePng } from './png.js';
import { axesSvg, esc, svgDocument, sx, sy, type Axes } from './svg.js';

/** The paper's slices: (v, theta) = (0.5, pi/4), (1, pi/2), (1.5, pi/4). */
export const PAPER_SLICES: { v: number; theta: number; label: string }[] = [
  { v: 0.5, theta: Math.PI / 4, label: 'v = 0.5, θ = π/4' },
  { v: 1, theta: Math.PI / 2, label: 'v = 1, θ = π/2' },
  { v: 1.5, theta: Math.PI / 4, label: 'v = 1.5, θ = π/4' },
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

export function iouInfeasible(values: ArrayLike<number>, feasible: Uint8Array): { iou: number; learned: number; truth: number } {
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
    values.set(valueFn(obs.subarray(i * 11, (i + m) * 11)), i);
  }
  const { iou, learned, truth: t } = iouInfeasible(values, truth.grid);
  return { ...slice, n, extent, values, truth, iou, learnedInfeasible: learned, trueInfeasible: t };
}

/** Diverging colour: blue (V_h < 0, feasible) - white - red (V_h > 0, infeasible). */
function colour(v: number, scale: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, v / scale));
  if (t < 0) return [Math.round(255 * (1 + t * 0.8)), Math.round(255 * (1 + t * 0.55)), 255];
  return [255, Math.round(255 * (1 - t * 0.75)), Math.round(255 * (1 - t * 0.8))];
}

function scaleOf(slices: SliceResult[]): number {
  let m = 0;
  for (const s of slices) for (const v of s.values) if (Math.abs(v) > m && Number.isFinite(v)) m = Math.abs(v);
  return m > 0 ? m : 1;
}

/** One heat-map raster per slice (top row = largest y), as RGB pixels. */
function heatPixels(s: SliceResult, scale: number): Uint8Array {
  const { n } = s;
  const px = new Uint8Array(n * n * 3);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) px.set(colour(s.values[r * n + c], scale), ((n - 1 - r) * n + c) * 3);
  return px;
}

/** PNG: the slices side by side; learned zero contour black, true boundary green. */
export function feasiblePng(slices: SliceResult[]): Uint8Array {
  const n = slices[0].n;
  const gap = 12;
  const cv = new Canvas(slices.length * n + (slices.length + 1) * gap, n + 2 * gap);
  const scale = scaleOf(slices);
  slices.forEach((s, k) => {
    const x0 = gap + k * (n + gap), y0 = gap;
    const px = heatPixels(s, scale);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) cv.set(x0 + x, y0 + y, px.subarray((y * n + x) * 3, (y * n + x) * 3 + 3));
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const i = r * n + c;
        const edge = (f: (j: number) => boolean) => (c + 1 < n && f(i) !== f(i + 1)) || (r + 1 < n && f(i) !== f(i + n));
        if (edge((j) => s.truth.grid[j] === 0)) cv.set(x0 + c, y0 + n - 1 - r, [0, 150, 0]);
        if (edge((j) => s.values[j] > 0)) cv.set(x0 + c, y0 + n - 1 - r, [0, 0, 0]);
      }
    }
  });
  return cv.png();
}

/** Marching squares: segments of the level set {f = 0} of a grid (row = y, col = x) in data coordinates. */
export function zeroContour(f: (i: number) => number, xs: ArrayLike<number>, ys: ArrayLike<number>): [number, number, number, number][] {
  const n = xs.length, m = ys.length;
  const segs: [number, number, number, number][] = [];
  const lerp = (a: number, b: number, fa: number, fb: number) => a + (b - a) * (fa / (fa - fb));
  for (let r = 0; r + 1 < m; r++) {
    for (let c = 0; c + 1 < n; c++) {
      const v = [f(r * n + c), f(r * n + c + 1), f((r + 1) * n + c + 1), f((r + 1) * n + c)]; // bl, br, tr, tl
      const p: [number, number][] = [];
      const corners: [number, number][] = [[xs[c], ys[r]], [xs[c + 1], ys[r]], [xs[c + 1], ys[r + 1]], [xs[c], ys[r + 1]]];
      for (let e = 0; e < 4; e++) {
        const a = v[e], b = v[(e + 1) % 4];
        if ((a > 0) !== (b > 0)) {
          const [xa, ya] = corners[e], [xb, yb] = corners[(e + 1) % 4];
          p.push([lerp(xa, xb, a, b), lerp(ya, yb, a, b)]);
        }
      }
      if (p.length === 2) segs.push([p[0][0], p[0][1], p[1][0], p[1][1]]);
      else if (p.length === 4) segs.push([p[0][0], p[0][1], p[1][0], p[1][1]], [p[2][0], p[2][1], p[3][0], p[3][1]]);
    }
  }
  return segs;
}

/** SVG: per slice a heat map (embedded PNG), the learned V_h = 0 contour (black) and the true boundary (green, dashed). */
export function feasibleSvg(slices: SliceResult[], title = 'PointRobot: learned V_h (heat map, zero contour black) vs true feasible boundary (green)'): string {
  const panel = 300, margin = { left: 50, right: 10, top: 40, bottom: 45 };
  const width = slices.length * (panel + margin.left + margin.right);
  const height = panel + margin.top + margin.bottom + 20;
  const scale = scaleOf(slices);
  const parts: string[] = [`<text x="${width / 2}" y="16" font-size="14" text-anchor="middle">${esc(title)}</text>`];
  slices.forEach((s, k) => {
    const ox = k * (panel + margin.left + margin.right);
    const a: Axes = { width: panel + margin.left + margin.right, height: panel + margin.top + margin.bottom, margin, x: [-s.extent, s.extent], y: [-s.extent, s.extent] };
    const png = Buffer.from(encodePng(s.n, s.n, heatPixels(s, scale), 3)).toString('base64');
    const body: string[] = [];
    body.push(`<image x="${margin.left}" y="${margin.top}" width="${panel}" height="${panel}" preserveAspectRatio="none" image-rendering="pixelated" href="data:image/png;base64,${png}"/>`);
    const path = (segs: [number, number, number, number][]) =>
      segs.map(([x1, y1, x2, y2]) => `M${sx(a, x1).toFixed(1)} ${sy(a, y1).toFixed(1)}L${sx(a, x2).toFixed(1)} ${sy(a, y2).toFixed(1)}`).join('');
    body.push(`<path d="${path(zeroContour((i) => (s.truth.grid[i] === 0 ? 1 : -1), s.truth.xs, s.truth.ys))}" stroke="#009600" stroke-width="2" stroke-dasharray="5 3" fill="none"/>`);
    body.push(`<path d="${path(zeroContour((i) => s.values[i], s.truth.xs, s.truth.ys))}" stroke="black" stroke-width="1.5" fill="none"/>`);
    body.push(axesSvg(a, { x: 'x', y: 'y', title: `${s.label}   IoU ${s.iou.toFixed(3)}` }));
    parts.push(`<g transform="translate(${ox} 20)">${body.join('\n')}</g>`);
  });
  parts.push(`<text x="${width / 2}" y="${height - 4}" font-size="11" text-anchor="middle">colour: V_h / ${scale.toFixed(2)} (blue &lt; 0 feasible, red &gt; 0 infeasible); IoU of the infeasible sets (learned V_h &gt; 0 vs ground truth)</text>`);
  return svgDocument(width, height, parts.join('\n'));
}

export interface FeasibleFigureSummary {
  svg: string;
  png: string;
  json: string;
  slices: { v: number; theta: number; label: string; iou: number; learnedInfeasible: number; trueInfeasible: number }[];
  meanIou: number;
}

/** Evaluates the paper's three slices and writes `<base>.svg`, `<base>.png` and `<base>.json` (IoU per slice). */
export async function writeFeasibleFigure(valueFn: ValueFn, base: string, opts: { n?: number; extent?: number; meta?: Record<string, unknown> } = {}): Promise<FeasibleFigureSummary> {
  const { mkdirSync } = await import('node:fs');
  const { writeFileAtomic } = await import('../io/atomic.js');
  const { dirname } = await import('node:path');
  const slices = PAPER_SLICES.map((s) => evaluateSlice(valueFn, s, opts.n ?? 200, opts.extent ?? 3));
  mkdirSync(dirname(base) || '.', { recursive: true });
  const svg = `${base}.svg`, png = `${base}.png`, json = `${base}.json`;
  writeFileAtomic(svg, feasibleSvg(slices));
  writeFileAtomic(png, feasiblePng(slices));
  const summary = slices.map(({ v, theta, label, iou, learnedInfeasible, trueInfeasible }) => ({ v, theta, label, iou, learnedInfeasible, trueInfeasible }));
  const meanIou = summary.reduce((a, s) => a + s.iou, 0) / summary.length;
  writeFileAtomic(json, JSON.stringify({ ...opts.meta, grid: opts.n ?? 200, extent: opts.extent ?? 3, slices: summary, meanIou }, null, 2) + '\n');
  return { svg, png, json, slices: summary, meanIou };
}
