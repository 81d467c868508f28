/** Canvas drawing for the page: value heat maps with their zero contour, the ground truth, trajectories, loss curves. */
import { POINT_ROBOT } from '../../rl/envs/point_robot.js';
import type { Rollout } from './session.js';

const EXTENT = POINT_ROBOT.bound;

/** World (x, y) in [-3, 3]^2 -> canvas pixels (y up). */
export function toPixel(c: HTMLCanvasElement, x: number, y: number): [number, number] {
  return [((x + EXTENT) / (2 * EXTENT)) * c.width, (1 - (y + EXTENT) / (2 * EXTENT)) * c.height];
}
/** Canvas pixels (CSS pixels of a click) -> world (x, y). */
export function toWorld(c: HTMLCanvasElement, px: number, py: number): [number, number] {
  const r = c.getBoundingClientRect();
  return [(px / r.width) * 2 * EXTENT - EXTENT, (1 - py / r.height) * 2 * EXTENT - EXTENT];
}

/** Diverging colours: V_h <= 0 (judged feasible) blue, > 0 red, saturating at |v| = scale. */
function valueColour(v: number, scale: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, v / scale));
  return t <= 0 ? [Math.round(255 * (1 + t)), Math.round(255 * (1 + 0.55 * t)), 255] : [255, Math.round(255 * (1 - 0.75 * t)), Math.round(255 * (1 - t))];
}

/** Paints an n x n grid (row 0 = bottom) with one colour per cell. */
function paintGrid(c: HTMLCanvasElement, n: number, colour: (i: number) => [number, number, number]): void {
  const off = document.createElement('canvas');
  off.width = n;
  off.height = n;
  const octx = off.getContext('2d')!;
  const img = octx.createImageData(n, n);
  for (let r = 0; r < n; r++) {
    for (let col = 0; col < n; col++) {
      const [R, G, B] = colour(r * n + col);
      const p = ((n - 1 - r) * n + col) * 4;
      img.data[p] = R;
      img.data[p + 1] = G;
      img.data[p + 2] = B;
      img.data[p + 3] = 255;
    }
  }
  octx.putImageData(img, 0, 0);
  const ctx = c.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, c.width, c.height);
}

/** Marching squares: the segments where the grid values cross zero (cell-centre coordinates in [-3, 3]). */
export function zeroSegments(values: ArrayLike<number>, n: number): [number, number, number, number][] {
  const at = (i: number) => -EXTENT + (2 * EXTENT * i) / (n - 1);
  const segs: [number, number, number, number][] = [];
  const cross = (a: number, b: number) => a / (a - b);
  for (let r = 0; r + 1 < n; r++) {
    for (let c = 0; c + 1 < n; c++) {
      const v = [values[r * n + c], values[r * n + c + 1], values[(r + 1) * n + c + 1], values[(r + 1) * n + c]];
      const pts: [number, number][] = [];
      const corners: [number, number][] = [[c, r], [c + 1, r], [c + 1, r + 1], [c, r + 1]];
      for (let e = 0; e < 4; e++) {
        const a = v[e], b = v[(e + 1) % 4];
        if ((a > 0) !== (b > 0)) {
          const t = cross(a, b);
          const [x0, y0] = corners[e], [x1, y1] = corners[(e + 1) % 4];
          pts.push([at(x0 + t * (x1 - x0)), at(y0 + t * (y1 - y0))]);
        }
      }
      if (pts.length >= 2) segs.push([pts[0][0], pts[0][1], pts[1][0], pts[1][1]]);
      if (pts.length === 4) segs.push([pts[2][0], pts[2][1], pts[3][0], pts[3][1]]);
    }
  }
  return segs;
}

function strokeSegments(c: HTMLCanvasElement, segs: [number, number, number, number][], colour: string, width: number): void {
  const ctx = c.getContext('2d')!;
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.beginPath();
  for (const [x0, y0, x1, y1] of segs) {
    const [a, b] = toPixel(c, x0, y0);
    const [d, e] = toPixel(c, x1, y1);
    ctx.moveTo(a, b);
    ctx.lineTo(d, e);
  }
  ctx.stroke();
}

/** Hazard discs (dashed) and the goal, on either map. */
function drawScene(c: HTMLCanvasElement): void {
  const ctx = c.getContext('2d')!;
  const s = c.width / (2 * EXTENT);
  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = '#333';
  ctx.lineWidth = 1;
  for (const [hx, hy] of POINT_ROBOT.hazards) {
    const [px, py] = toPixel(c, hx, hy);
    ctx.beginPath();
    ctx.arc(px, py, POINT_ROBOT.hazardRadius * s, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  const [gx, gy] = toPixel(c, POINT_ROBOT.goal[0], POINT_ROBOT.goal[1]);
  ctx.fillStyle = '#f5c400';
  ctx.strokeStyle = '#333';
  ctx.beginPath();
  ctx.arc(gx, gy, POINT_ROBOT.goalRadius * s, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
}

/** Blanks a map, so no agent's map is shown under another agent's name. */
export function clearMap(c: HTMLCanvasElement): void {
  c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
}

/** Learned V_h heat map, its zero contour (black) and the true boundary (green). */
export function drawValueMap(c: HTMLCanvasElement, values: Float32Array, truth: Uint8Array, n: number): void {
  let scale = 0;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  paintGrid(c, n, (i) => valueColour(values[i], scale || 1));
  const t = Float32Array.from(truth, (f) => (f ? -1 : 1));
  strokeSegments(c, zeroSegments(t, n), '#0a8f3c', 2);
  strokeSegments(c, zeroSegments(values, n), '#000', 2);
  drawScene(c);
}

/** Ground truth: feasible cells light, infeasible grey, boundary green. */
export function drawTruthMap(c: HTMLCanvasElement, truth: Uint8Array, n: number): void {
  paintGrid(c, n, (i) => (truth[i] ? [235, 245, 235] : [150, 150, 150]));
  strokeSegments(c, zeroSegments(Float32Array.from(truth, (f) => (f ? -1 : 1)), n), '#0a8f3c', 2);
  drawScene(c);
}

/** A rollout over a map: path in dark purple, states that violate the constraint as red crosses. */
export function drawRollout(c: HTMLCanvasElement, r: Rollout): void {
  const ctx = c.getContext('2d')!;
  ctx.strokeStyle = '#5b1a8b';
  ctx.lineWidth = 2;
  ctx.beginPath();
  r.xs.forEach((x, i) => {
    const [px, py] = toPixel(c, x, r.ys[i]);
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.stroke();
  const [sx, sy] = toPixel(c, r.xs[0], r.ys[0]);
  ctx.fillStyle = '#5b1a8b';
  ctx.beginPath();
  ctx.arc(sx, sy, 4, 0, 2 * Math.PI);
  ctx.fill();
  ctx.strokeStyle = '#e00';
  ctx.lineWidth = 1.5;
  r.violations.forEach((bad, i) => {
    if (!bad) return;
    const [px, py] = toPixel(c, r.xs[i + 1], r.ys[i + 1]);
    ctx.beginPath();
    ctx.moveTo(px - 3, py - 3);
    ctx.lineTo(px + 3, py + 3);
    ctx.moveTo(px + 3, py - 3);
    ctx.lineTo(px - 3, py + 3);
    ctx.stroke();
  });
}

export const CURVE_COLOURS: Record<string, string> = { qhLoss: '#d62728', vhLoss: '#ff7f0e', qrLoss: '#1f77b4', vrLoss: '#17becf', actorLoss: '#2ca02c' };

/** Loss curves on a log scale (each series smoothed over a window of 10 steps). */
export function drawCurves(c: HTMLCanvasElement, series: Record<string, number[]>, total: number): void {
  const ctx = c.getContext('2d')!;
  const W = c.width, H = c.height, L = 40, B = 18;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const smooth = (a: number[]) => a.map((_, i) => {
    const lo = Math.max(0, i - 9);
    let s = 0;
    for (let j = lo; j <= i; j++) s += a[j];
    return s / (i - lo + 1);
  });
  const sm = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, smooth(v)]));
  let lo = Infinity, hi = -Infinity;
  for (const v of Object.values(sm)) for (const x of v) if (x > 0) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  if (!(hi > lo)) return;
  const l0 = Math.floor(Math.log10(lo)), l1 = Math.ceil(Math.log10(hi));
  const ypx = (x: number) => H - B - ((Math.log10(Math.max(x, lo)) - l0) / (l1 - l0 || 1)) * (H - B - 6);
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#555';
  ctx.font = '10px sans-serif';
  for (let e = l0; e <= l1; e++) {
    const y = ypx(10 ** e);
    ctx.beginPath();
    ctx.moveTo(L, y);
    ctx.lineTo(W, y);
    ctx.stroke();
    ctx.fillText(`1e${e}`, 4, y + 3);
  }
  ctx.fillText('step', W - 28, H - 4);
  ctx.fillText(String(total), W - 60, H - 4);
  ctx.fillText('0', L, H - 4);
  for (const [k, v] of Object.entries(sm)) {
    ctx.strokeStyle = CURVE_COLOURS[k] ?? '#000';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    v.forEach((x, i) => {
      const px = L + (i / Math.max(1, total - 1)) * (W - L - 4);
      if (i === 0) ctx.moveTo(px, ypx(x));
      else ctx.lineTo(px, ypx(x));
    });
    ctx.stroke();
  }
}
