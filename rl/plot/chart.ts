/**
 * The project's one plotting module: a figure is a grid of panels (axes with ticks, tick labels, axis
 * labels, a title and a legend) holding series in data coordinates (lines, points, heat maps, contours,
 * reference lines, circles, bands, text), plus an optional figure title, figure-wide legend, colour bar and
 * caption. `renderSvg` turns a spec into one self-contained SVG string; `raster.ts` renders that same SVG to
 * PNG (resvg + DejaVu Sans), so both formats always show the same picture.
 *
 * Heat maps are embedded as small PNG images (nearest-neighbour scaling), everything else is vector.
 */
import { BLUE_WHITE_RED, colorAt, normalize, type Colormap, type Norm } from './colormap.js';
import { chainSegments, contourSegments } from './contour.js';
import { encodePng } from './png.js';
import { textWidth } from './text_width.js';

export { textWidth };

export const FONT_FAMILY = 'DejaVu Sans, sans-serif';

export interface LineSeries {
  type: 'line';
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color: string;
  width?: number;
  dash?: string;
  opacity?: number;
  label?: string;
}

export type Marker = 'circle' | 'cross' | 'square' | 'triangle' | 'diamond' | 'triangle-down' | 'plus' | 'star';

export interface PointSeries {
  type: 'points';
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color: string;
  /** Marker radius in pixels. */
  size?: number;
  marker?: Marker;
  /** Outline only (cross and plus are lines anyway): markers drawn on the same spot stay visible through each other. */
  hollow?: boolean;
  opacity?: number;
  label?: string;
}

export interface HeatmapSeries {
  type: 'heatmap';
  /** ny rows of nx values; row 0 is the BOTTOM row (smallest y). */
  values: ArrayLike<number>;
  nx: number;
  ny: number;
  /** Data extent of the image edges. */
  x: [number, number];
  y: [number, number];
  colormap?: Colormap;
  range: [number, number];
  norm?: Norm;
}

export interface ContourSeries {
  type: 'contour';
  /** ys.length rows of xs.length values (row = y index, ascending). */
  values: ArrayLike<number>;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  level?: number;
  color: string;
  width?: number;
  dash?: string;
  label?: string;
}

/** Horizontal (`hline`) or vertical (`vline`) reference line across the panel, with optional text at its end. */
export interface RefLineSeries {
  type: 'hline' | 'vline';
  value: number;
  color: string;
  width?: number;
  dash?: string;
  label?: string;
  text?: string;
}

export interface CircleSeries {
  type: 'circle';
  cx: number;
  cy: number;
  r: number;
  stroke?: string;
  fill?: string;
  width?: number;
  dash?: string;
  label?: string;
}

/** Filled band between lo and hi (e.g. mean +- std). */
export interface BandSeries {
  type: 'band';
  x: ArrayLike<number>;
  lo: ArrayLike<number>;
  hi: ArrayLike<number>;
  color: string;
  opacity?: number;
  label?: string;
}

export interface TextSeries {
  type: 'text';
  x: number;
  y: number;
  text: string;
  color?: string;
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
}

export type Series = LineSeries | PointSeries | HeatmapSeries | ContourSeries | RefLineSeries | CircleSeries | BandSeries | TextSeries;

export type LegendPlace = 'auto' | 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left' | 'none';

export interface PanelSpec {
  title?: string;
  xlabel?: string;
  ylabel?: string;
  /** Axis limits; default: the data's extent padded by 5 %. */
  xlim?: [number, number];
  ylim?: [number, number];
  /** Legend of the labelled series inside the panel (default 'auto': the corner covering the fewest data points). */
  legend?: LegendPlace;
  /**
   * Whether an 'auto' legend that would cover data in every corner may raise the y axis's top to sit above the data.
   * Default: only when `ylim` is not given (a given range is usually shared with another panel, or bounded).
   */
  legendRoom?: boolean;
  series: Series[];
}

export interface LegendEntry {
  label: string;
  color: string;
  kind: 'line' | 'point' | 'patch';
  dash?: string;
  width?: number;
  marker?: Marker;
  hollow?: boolean;
  /**
   * The outline of a patch or circle swatch, for marks drawn with one (a filled circle with a border, a point with a
   * dark ring): such a patch is filled at full opacity, as the mark is; without it a patch is a band's pale fill.
   */
  stroke?: string;
}

export interface ColorbarSpec {
  colormap?: Colormap;
  range: [number, number];
  norm?: Norm;
  label: string;
}

export interface FigureSpec {
  title?: string;
  panels: PanelSpec[];
  /** Panels per row (default: all in one row up to 3, then 3). */
  columns?: number;
  panelWidth?: number;
  panelHeight?: number;
  /** One legend for the whole figure, drawn under the title. */
  legend?: LegendEntry[];
  colorbar?: ColorbarSpec;
  /** Lines of small text under the panels. */
  caption?: string[];
}

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * "Nice" tick values (steps of 1, 2 or 5 x 10^k) covering [lo, hi], about `count` of them, and at least two: a step
 * that leaves one tick inside the range (0.5 alone on [0.07, 0.93]) gives way to the next smaller nice step.
 */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return Number.isFinite(lo) ? [lo] : [];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const steps = [mag / 2, mag, 2 * mag, 5 * mag, 10 * mag];
  let i = steps.findIndex((s) => s >= raw * (1 - 1e-9));
  if (i < 0) i = steps.length - 1;
  let out = ticksAt(lo, hi, steps[i]);
  while (out.length < 2 && i > 0) out = ticksAt(lo, hi, steps[--i]);
  return out;
}

/** The multiples of `step` in [lo, hi]. */
function ticksAt(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  // Each tick is k * step (no accumulated sum), and one within rounding of 0 is 0, so no '-5.6e-17' label.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    const v = k * step;
    out.push(Math.abs(v) < step * 1e-9 ? 0 : +v.toPrecision(12));
  }
  return out;
}

/**
 * Tick label: thousands as "20k" when the step is a multiple of 1000, else just enough digits for the step
 * (with at most 1 mantissa decimal and 6 decimals, neighbouring ticks such as 1000100 and 1000200, or
 * 0.1234562 and 0.1234564, got the same label).
 */
export function formatTick(v: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(v) || 1;
  if (v === 0) return '0';
  if (step >= 1000 && Math.abs(v) >= 1000 && v % 1000 === 0) return `${v / 1000}k`;
  const stepExp = Math.floor(Math.log10(step) + 1e-9);
  if (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-4) return v.toExponential(Math.max(1, Math.min(20, Math.floor(Math.log10(Math.abs(v))) - stepExp))).replace('e+', 'e');
  const decimals = Math.max(0, Math.min(20, -stepExp));
  return v.toFixed(decimals).replace('-', '−');
}

/** Padded [min, max] over finite values (falls back to [0, 1]). */
export function dataExtent(values: Iterable<number>, pad = 0.05): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi >= lo)) return [0, 1];
  if (hi === lo) return [lo - (Math.abs(lo) * 0.1 || 1), hi + (Math.abs(hi) * 0.1 || 1)];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

function* xValues(s: Series): Iterable<number> {
  switch (s.type) {
    case 'line': case 'points': case 'band': yield* Array.from(s.x); break;
    case 'heatmap': yield* s.x; break;
    case 'contour': yield* Array.from(s.xs); break;
    case 'vline': yield s.value; break;
    case 'circle': yield s.cx - s.r; yield s.cx + s.r; break;
    case 'text': case 'hline': break;
  }
}

function* yValues(s: Series): Iterable<number> {
  switch (s.type) {
    case 'line': case 'points': yield* Array.from(s.y); break;
    case 'band': yield* Array.from(s.lo); yield* Array.from(s.hi); break;
    case 'heatmap': yield* s.y; break;
    case 'contour': yield* Array.from(s.ys); break;
    case 'hline': yield s.value; break;
    case 'circle': yield s.cy - s.r; yield s.cy + s.r; break;
    case 'text': case 'vline': break;
  }
}

interface Frame {
  x0: number;
  y0: number;
  w: number;
  h: number;
  xlim: [number, number];
  ylim: [number, number];
}

const px = (f: Frame, v: number): number => f.x0 + ((v - f.xlim[0]) / (f.xlim[1] - f.xlim[0] || 1)) * f.w;
const py = (f: Frame, v: number): number => f.y0 + f.h - ((v - f.ylim[0]) / (f.ylim[1] - f.ylim[0] || 1)) * f.h;
const n1 = (v: number): string => v.toFixed(1);

/**
 * A vline's text goes right of the line, or left of it (right-aligned) where it would run past the panel's
 * right edge: there the clip path cut it off (a scatter's "kappa = 10" vanished when every cost was <= kappa).
 * The 15 % margin keeps the text clear of the frame (textWidth leaves out kerning).
 */
const vlineTextLeft = (f: Frame, X: number, text: string): boolean => X + 4 + 1.15 * textWidth(text, 11) > f.x0 + f.w && X - 4 - textWidth(text, 11) >= f.x0;

/** A marker's outline through these points (radius r around (x, y)), closed. */
const polygon = (pts: [number, number][]): string => `M${pts.map(([a, b]) => `${n1(a)} ${n1(b)}`).join('L')}Z`;

function markerSvg(m: Marker, x: number, y: number, r: number, color: string, opacity: number, hollow = false): string {
  const op = opacity < 1 ? ` fill-opacity="${opacity}" stroke-opacity="${opacity}"` : '';
  const paint = hollow ? `fill="none" stroke="${color}" stroke-width="${n1(Math.max(1.5, r / 3))}"` : `fill="${color}"`;
  const lines = `stroke="${color}" stroke-width="${Math.max(1.5, r / 2)}" fill="none"`;
  switch (m) {
    case 'circle':
      return `<circle cx="${n1(x)}" cy="${n1(y)}" r="${r}" ${paint}${op}/>`;
    case 'square':
      return `<rect x="${n1(x - r)}" y="${n1(y - r)}" width="${2 * r}" height="${2 * r}" ${paint}${op}/>`;
    case 'triangle':
      return `<path d="${polygon([[x, y - r * 1.2], [x + r, y + r * 0.8], [x - r, y + r * 0.8]])}" ${paint}${op}/>`;
    case 'triangle-down':
      return `<path d="${polygon([[x, y + r * 1.2], [x + r, y - r * 0.8], [x - r, y - r * 0.8]])}" ${paint}${op}/>`;
    case 'diamond':
      return `<path d="${polygon([[x, y - r * 1.3], [x + r, y], [x, y + r * 1.3], [x - r, y]])}" ${paint}${op}/>`;
    case 'star': {
      const pts: [number, number][] = [];
      for (let k = 0; k < 10; k++) {
        const rad = (k % 2 ? 0.45 : 1.3) * r, ang = -Math.PI / 2 + (k * Math.PI) / 5;
        pts.push([x + rad * Math.cos(ang), y + rad * Math.sin(ang)]);
      }
      return `<path d="${polygon(pts)}" ${paint}${op}/>`;
    }
    case 'cross':
      return `<path d="M${n1(x - r)} ${n1(y - r)}L${n1(x + r)} ${n1(y + r)}M${n1(x - r)} ${n1(y + r)}L${n1(x + r)} ${n1(y - r)}" ${lines}${op}/>`;
    case 'plus':
      return `<path d="M${n1(x - r * 1.2)} ${n1(y)}L${n1(x + r * 1.2)} ${n1(y)}M${n1(x)} ${n1(y - r * 1.2)}L${n1(x)} ${n1(y + r * 1.2)}" ${lines}${op}/>`;
  }
}

const dashAttr = (d?: string): string => (d ? ` stroke-dasharray="${d}"` : '');

/** A polyline path; NaN / non-finite points break the line. */
function pathOf(f: Frame, x: ArrayLike<number>, y: ArrayLike<number>): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${n1(px(f, x[i]))} ${n1(py(f, y[i]))}`;
    pen = true;
  }
  return d;
}

/**
 * A dot at each finite vertex of a line with no finite neighbour: a lone "M" is not stroked, so a metric
 * logged once (or a point between NaNs) left its panel empty while its legend named it.
 */
function isolatedDots(f: Frame, s: LineSeries): string {
  const ok = (i: number) => i >= 0 && i < s.x.length && Number.isFinite(s.x[i]) && Number.isFinite(s.y[i]);
  const out: string[] = [];
  for (let i = 0; i < s.x.length; i++) {
    if (ok(i) && !ok(i - 1) && !ok(i + 1)) out.push(`<circle cx="${n1(px(f, s.x[i]))}" cy="${n1(py(f, s.y[i]))}" r="${Math.max(1.5, s.width ?? 1.5)}" fill="${s.color}"${s.opacity !== undefined ? ` fill-opacity="${s.opacity}"` : ''}/>`);
  }
  return out.join('');
}

/** RGB pixels of a heat map, top row first (PNG order). */
export function heatmapPixels(s: HeatmapSeries): Uint8Array {
  const cm = s.colormap ?? BLUE_WHITE_RED;
  const out = new Uint8Array(s.nx * s.ny * 3);
  for (let r = 0; r < s.ny; r++) {
    for (let c = 0; c < s.nx; c++) out.set(colorAt(cm, normalize(s.values[r * s.nx + c], s.range, s.norm)), ((s.ny - 1 - r) * s.nx + c) * 3);
  }
  return out;
}

const pngDataUri = (w: number, h: number, rgb: Uint8Array): string => `data:image/png;base64,${Buffer.from(encodePng(w, h, rgb, 3)).toString('base64')}`;

function seriesSvg(f: Frame, s: Series, marks: Mark[]): string {
  switch (s.type) {
    case 'line':
      return `<path d="${pathOf(f, s.x, s.y)}" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${dashAttr(s.dash)} fill="none" stroke-linejoin="round"${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''}/>${isolatedDots(f, s)}`;
    case 'points': {
      const out: string[] = [];
      for (let i = 0; i < s.x.length; i++) {
        if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) out.push(markerSvg(s.marker ?? 'circle', px(f, s.x[i]), py(f, s.y[i]), s.size ?? 3, s.color, s.opacity ?? 1, s.hollow));
      }
      return out.join('');
    }
    case 'heatmap': {
      const X0 = px(f, s.x[0]), X1 = px(f, s.x[1]), Y0 = py(f, s.y[1]), Y1 = py(f, s.y[0]);
      return `<image x="${n1(X0)}" y="${n1(Y0)}" width="${n1(X1 - X0)}" height="${n1(Y1 - Y0)}" preserveAspectRatio="none" style="image-rendering:optimizeSpeed;image-rendering:pixelated" href="${pngDataUri(s.nx, s.ny, heatmapPixels(s))}"/>`;
    }
    case 'contour': {
      const lines = chainSegments(contourSegments((i) => s.values[i], s.xs, s.ys, s.level ?? 0));
      const d = lines.map((l) => l.map(([a, b], k) => `${k ? 'L' : 'M'}${n1(px(f, a))} ${n1(py(f, b))}`).join('')).join('');
      return d ? `<path d="${d}" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${dashAttr(s.dash)} fill="none" stroke-linecap="round"/>` : '';
    }
    case 'hline': case 'vline': {
      const w = s.width ?? 1.2;
      if (s.type === 'hline') {
        const Y = n1(py(f, s.value));
        let t = '';
        if (s.text) {
          const at = hlineTextAt(f, s, marks);
          t = `<text x="${n1(at.right ? at.x + at.w : at.x)}" y="${n1(at.base)}" font-size="11"${at.right ? ' text-anchor="end"' : ''} fill="${s.color}">${esc(s.text)}</text>`;
        }
        return `<line x1="${f.x0}" y1="${Y}" x2="${f.x0 + f.w}" y2="${Y}" stroke="${s.color}" stroke-width="${w}"${dashAttr(s.dash)}/>${t}`;
      }
      const X = n1(px(f, s.value));
      const left = s.text !== undefined && vlineTextLeft(f, +X, s.text);
      const t = s.text ? `<text x="${left ? n1(+X - 4) : +X + 4}" y="${f.y0 + 14}" font-size="11"${left ? ' text-anchor="end"' : ''} fill="${s.color}">${esc(s.text)}</text>` : '';
      return `<line x1="${X}" y1="${f.y0}" x2="${X}" y2="${f.y0 + f.h}" stroke="${s.color}" stroke-width="${w}"${dashAttr(s.dash)}/>${t}`;
    }
    case 'circle': {
      const rx = Math.abs(px(f, s.cx + s.r) - px(f, s.cx)), ry = Math.abs(py(f, s.cy + s.r) - py(f, s.cy));
      return `<ellipse cx="${n1(px(f, s.cx))}" cy="${n1(py(f, s.cy))}" rx="${n1(rx)}" ry="${n1(ry)}" fill="${s.fill ?? 'none'}" stroke="${s.stroke ?? 'none'}" stroke-width="${s.width ?? 1}"${dashAttr(s.dash)}/>`;
    }
    case 'band': {
      const up: string[] = [], down: string[] = [];
      for (let i = 0; i < s.x.length; i++) {
        if (Number.isFinite(s.lo[i]) && Number.isFinite(s.hi[i])) {
          up.push(`${n1(px(f, s.x[i]))} ${n1(py(f, s.hi[i]))}`);
          down.push(`${n1(px(f, s.x[i]))} ${n1(py(f, s.lo[i]))}`);
        }
      }
      return up.length ? `<path d="M${up.join('L')}L${down.reverse().join('L')}Z" fill="${s.color}" fill-opacity="${s.opacity ?? 0.2}" stroke="none"/>` : '';
    }
    case 'text':
      return `<text x="${n1(px(f, s.x))}" y="${n1(py(f, s.y))}" font-size="${s.size ?? 11}" text-anchor="${s.anchor ?? 'start'}" fill="${s.color ?? '#222'}">${esc(s.text)}</text>`;
  }
}

function legendEntryOf(s: Series): LegendEntry | null {
  if (!('label' in s) || !s.label) return null;
  switch (s.type) {
    case 'line': case 'contour': case 'hline': case 'vline':
      return { label: s.label, color: s.color, kind: 'line', dash: s.dash, width: s.width };
    case 'points':
      return { label: s.label, color: s.color, kind: 'point', marker: s.marker, hollow: s.hollow };
    case 'circle':
      return { label: s.label, color: s.stroke ?? s.fill ?? '#000', kind: 'line', dash: s.dash, width: s.width };
    case 'band':
      return { label: s.label, color: s.color, kind: 'patch' };
    default:
      return null;
  }
}

function legendSwatch(e: LegendEntry, x: number, y: number): string {
  if (e.kind === 'line') return `<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${e.color}" stroke-width="${Math.max(1.5, e.width ?? 1.5)}"${dashAttr(e.dash)}/>`;
  if (e.kind === 'patch') return `<rect x="${x}" y="${y - 5}" width="22" height="10" fill="${e.color}"${e.stroke ? '' : ' fill-opacity="0.35"'} stroke="${e.stroke ?? e.color}"/>`;
  // A circle swatch is a fully rounded square, so that <circle> counts data points only.
  if ((e.marker ?? 'circle') === 'circle') {
    const paint = e.hollow ? `fill="none" stroke="${e.color}" stroke-width="1.5"` : `fill="${e.color}"${e.stroke ? ` stroke="${e.stroke}" stroke-width="1.5"` : ''}`;
    return `<rect x="${x + 7}" y="${y - 4}" width="8" height="8" rx="4" ${paint}/>`;
  }
  return markerSvg(e.marker!, x + 11, y, 4, e.color, 1, e.hollow);
}

/** A screen point that a legend box or a line's text should not cover, with the radius that it occupies. */
type Mark = [x: number, y: number, pad: number];

/**
 * The panel's data as screen points: every point marker (with its radius), every line and band edge sampled every
 * ~3 px along each segment (so that a long segment crossing a box counts as much as it covers, where vertices and
 * midpoints alone let a box sit over the middle of a steep stretch), clipped to the frame.
 */
function dataMarks(series: Series[], f: Frame): Mark[] {
  const out: Mark[] = [];
  const inFrame = (X: number, Y: number) => X >= f.x0 - 8 && X <= f.x0 + f.w + 8 && Y >= f.y0 - 8 && Y <= f.y0 + f.h + 8;
  const polyline = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
      const X = px(f, x[i]), Y = py(f, y[i]);
      if (inFrame(X, Y)) out.push([X, Y, 0]);
      if (i + 1 >= x.length || !Number.isFinite(x[i + 1]) || !Number.isFinite(y[i + 1])) continue;
      const X1 = px(f, x[i + 1]), Y1 = py(f, y[i + 1]);
      const n = Math.min(400, Math.ceil(Math.hypot(X1 - X, Y1 - Y) / 3));
      for (let k = 1; k < n; k++) {
        const Xk = X + ((X1 - X) * k) / n, Yk = Y + ((Y1 - Y) * k) / n;
        if (inFrame(Xk, Yk)) out.push([Xk, Yk, 0]);
      }
    }
  };
  for (const s of series) {
    if (s.type === 'line') polyline(s.x, s.y);
    else if (s.type === 'band') {
      polyline(s.x, s.lo);
      polyline(s.x, s.hi);
    } else if (s.type === 'points') {
      const pad = (s.size ?? 3) + 2; // a marker of radius r is covered once a box comes within r of its centre
      for (let i = 0; i < s.x.length; i++) if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) out.push([px(f, s.x[i]), py(f, s.y[i]), pad]);
    }
  }
  return out;
}

/** How many marks fall in the box [x1, x2] x [y1, y2] (each widened by its pad). */
const marksIn = (marks: Mark[], x1: number, y1: number, x2: number, y2: number): number =>
  marks.reduce((n, [X, Y, pad]) => n + (X >= x1 - pad && X <= x2 + pad && Y >= y1 - pad && Y <= y2 + pad ? 1 : 0), 0);

/** Where an hline's text goes: its box (left edge x, width w, baseline), and whether it is right-aligned. */
interface HlineText { x: number; w: number; base: number; right: boolean }

/**
 * An hline's text sits at the panel's right end above the line, unless data runs there: then the first of right
 * below, left above, left below that covers fewer data marks (a "cost limit" label sat on the curves). Above needs
 * 16 px under the top edge and below 16 px over the bottom edge.
 */
function hlineTextAt(f: Frame, s: RefLineSeries, marks: Mark[]): HlineText {
  const w = textWidth(s.text ?? '', 11);
  const Y = +n1(py(f, s.value));
  const spots: HlineText[] = [];
  for (const right of [true, false]) {
    const x = right ? f.x0 + f.w - 4 - w : f.x0 + 4;
    if (Y - f.y0 >= 16) spots.push({ x, w, base: Y - 4, right });
    if (f.y0 + f.h - Y >= 16 || Y - f.y0 < 16) spots.push({ x, w, base: Y + 13, right });
  }
  let best = spots[0], fewest = Infinity;
  for (const t of spots) {
    const n = marksIn(marks, t.x, t.base - 9, t.x + t.w, t.base + 3);
    if (n < fewest) [best, fewest] = [t, n];
    if (n === 0) break;
  }
  return best;
}

type Corner = Exclude<LegendPlace, 'auto' | 'none'>;

/** The corner whose legend-sized box covers the fewest data marks, and how many it covers. */
function emptiestCorner(series: Series[], f: Frame, marks: Mark[], w: number, h: number): { corner: Corner; covered: number } {
  const corners: Corner[] = ['top-right', 'top-left', 'bottom-right', 'bottom-left'];
  const boxes = corners.map((c) => {
    const x = c.endsWith('right') ? f.x0 + f.w - w - 6 : f.x0 + 6;
    const y = c.startsWith('top') ? f.y0 + 6 : f.y0 + f.h - h - 6;
    return [x, y, x + w, y + h];
  });
  const counts = boxes.map(([a, b, c, d]) => marksIn(marks, a, b, c, d));
  for (const s of series) {
    if ((s.type === 'vline' || s.type === 'hline') && s.text) {
      // Keep the line's text readable: a box over any part of it (where seriesSvg draws it) weighs like many
      // points; counting only the text's centre let a box cover the text's end.
      const tw = textWidth(s.text, 11);
      let a: number, base: number;
      if (s.type === 'vline') {
        const X = +n1(px(f, s.value));
        a = vlineTextLeft(f, X, s.text) ? X - 4 - tw : X + 4;
        base = f.y0 + 14;
      } else {
        const at = hlineTextAt(f, s, marks);
        a = at.x;
        base = at.base;
      }
      boxes.forEach(([x1, y1, x2, y2], k) => {
        if (a < x2 && a + tw > x1 && base - 9 < y2 && base + 3 > y1) counts[k] += 50;
      });
    }
  }
  let best = 0;
  for (let k = 1; k < 4; k++) if (counts[k] < counts[best]) best = k;
  return { corner: corners[best], covered: counts[best] };
}

/** The in-panel legend box's size for these entries. */
function legendSize(entries: LegendEntry[]): { w: number; h: number } {
  return { w: 36 + Math.max(...entries.map((e) => textWidth(e.label, 11))), h: entries.length * 16 + 6 };
}

/** Legend box: entries stacked vertically inside a panel corner. */
function legendBox(entries: LegendEntry[], f: Frame, where: LegendPlace, series: Series[], marks: Mark[]): string {
  if (!entries.length || where === 'none') return '';
  const fs = 11, row = 16;
  const { w, h } = legendSize(entries);
  const place: Corner = where === 'auto' ? emptiestCorner(series, f, marks, w, h).corner : where;
  const x = place.endsWith('right') ? f.x0 + f.w - w - 6 : f.x0 + 6;
  const y = place.startsWith('top') ? f.y0 + 6 : f.y0 + f.h - h - 6;
  const parts = [`<rect x="${n1(x)}" y="${n1(y)}" width="${n1(w)}" height="${h}" fill="white" fill-opacity="0.85" stroke="#999" stroke-width="0.6" rx="2"/>`];
  entries.forEach((e, k) => {
    const cy = y + 3 + row * k + row / 2;
    parts.push(legendSwatch(e, x + 6, cy));
    parts.push(`<text x="${n1(x + 32)}" y="${n1(cy + 4)}" font-size="${fs}">${esc(e.label)}</text>`);
  });
  return parts.join('');
}

/** Horizontal figure legend centred at (cx, y); wraps onto more rows if wider than `maxW`. */
function figureLegend(entries: LegendEntry[], cx: number, y: number, maxW: number): { svg: string; height: number } {
  const fs = 12, gap = 18;
  const widths = entries.map((e) => 30 + textWidth(e.label, fs));
  const rows: number[][] = [[]];
  let w = 0;
  widths.forEach((ew, i) => {
    if (w + ew > maxW && rows[rows.length - 1].length) {
      rows.push([]);
      w = 0;
    }
    rows[rows.length - 1].push(i);
    w += ew + gap;
  });
  const parts: string[] = [];
  rows.forEach((r, k) => {
    const total = r.reduce((a, i) => a + widths[i], 0) + gap * (r.length - 1);
    let x = cx - total / 2;
    const cy = y + 10 + 18 * k;
    for (const i of r) {
      parts.push(legendSwatch(entries[i], x, cy));
      parts.push(`<text x="${n1(x + 28)}" y="${n1(cy + 4)}" font-size="${fs}">${esc(entries[i].label)}</text>`);
      x += widths[i] + gap;
    }
  });
  return { svg: parts.join(''), height: rows.length * 18 + 6 };
}

function panelSvg(p: PanelSpec, id: string, x0: number, y0: number, w: number, h: number): string {
  const xs = p.series.flatMap((s) => [...xValues(s)]);
  const ys = p.series.flatMap((s) => [...yValues(s)]);
  let f: Frame = { x0, y0, w, h, xlim: p.xlim ?? dataExtent(xs, 0.02), ylim: p.ylim ?? dataExtent(ys) };
  const entries = p.series.map(legendEntryOf).filter((e): e is LegendEntry => e !== null);
  // The data marks are read only to place an 'auto' legend or an hline's text; a panel with neither skips them.
  const autoLegend = entries.length > 0 && (p.legend ?? 'auto') === 'auto';
  const needMarks = autoLegend || p.series.some((s) => s.type === 'hline' && !!s.text);
  let marks = needMarks ? dataMarks(p.series, f) : [];
  if (autoLegend && (p.legendRoom ?? p.ylim === undefined)) {
    // Every corner covers data: raise the top so that the data ends 6 px under the box, which then fits above it.
    const box = legendSize(entries);
    const room = box.h + 12;
    if (emptiestCorner(p.series, f, marks, box.w, box.h).covered > 0 && room < h / 2) {
      const [lo, hi] = f.ylim;
      f = { ...f, ylim: [lo, lo + ((hi - lo) * h) / (h - room)] };
      marks = dataMarks(p.series, f);
    }
  }
  const parts: string[] = [];
  parts.push(`<clipPath id="${id}"><rect x="${x0}" y="${y0}" width="${w}" height="${h}"/></clipPath>`);
  const xt = niceTicks(f.xlim[0], f.xlim[1], Math.max(3, Math.round(w / 70)));
  const yt = niceTicks(f.ylim[0], f.ylim[1], Math.max(3, Math.round(h / 45)));
  const grid = [
    ...xt.map((t) => `<line x1="${n1(px(f, t))}" y1="${y0}" x2="${n1(px(f, t))}" y2="${y0 + h}"/>`),
    ...yt.map((t) => `<line x1="${x0}" y1="${n1(py(f, t))}" x2="${x0 + w}" y2="${n1(py(f, t))}"/>`),
  ];
  const hasImage = p.series.some((s) => s.type === 'heatmap');
  if (!hasImage) parts.push(`<g stroke="#e4e4e4" stroke-width="0.8">${grid.join('')}</g>`);
  parts.push(`<g clip-path="url(#${id})">${p.series.map((s) => seriesSvg(f, s, marks)).join('\n')}</g>`);
  parts.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#333" stroke-width="1"/>`);
  const ticks: string[] = [];
  for (const t of xt) {
    const X = n1(px(f, t));
    ticks.push(`<line x1="${X}" y1="${y0 + h}" x2="${X}" y2="${y0 + h + 4}" stroke="#333"/><text x="${X}" y="${y0 + h + 16}" font-size="11" text-anchor="middle">${formatTick(t, xt)}</text>`);
  }
  for (const t of yt) {
    const Y = n1(py(f, t));
    ticks.push(`<line x1="${x0 - 4}" y1="${Y}" x2="${x0}" y2="${Y}" stroke="#333"/><text x="${x0 - 6}" y="${+Y + 4}" font-size="11" text-anchor="end">${formatTick(t, yt)}</text>`);
  }
  parts.push(ticks.join(''));
  if (p.xlabel) parts.push(`<text x="${n1(x0 + w / 2)}" y="${y0 + h + 34}" font-size="12" text-anchor="middle">${esc(p.xlabel)}</text>`);
  if (p.ylabel) {
    const maxTick = Math.max(...yt.map((t) => textWidth(formatTick(t, yt), 11)));
    const X = n1(x0 - 14 - maxTick);
    parts.push(`<text x="${X}" y="${n1(y0 + h / 2)}" font-size="12" text-anchor="middle" transform="rotate(-90 ${X} ${n1(y0 + h / 2)})">${esc(p.ylabel)}</text>`);
  }
  if (p.title) parts.push(`<text x="${n1(x0 + w / 2)}" y="${y0 - 8}" font-size="13" font-weight="bold" text-anchor="middle">${esc(p.title)}</text>`);
  parts.push(legendBox(entries, f, p.legend ?? 'auto', p.series, marks));
  return parts.join('\n');
}

function colorbarSvg(cb: ColorbarSpec, x: number, y: number, h: number): string {
  const cm = cb.colormap ?? BLUE_WHITE_RED;
  const steps = 128;
  const rgb = new Uint8Array(steps * 3);
  for (let i = 0; i < steps; i++) rgb.set(colorAt(cm, 1 - i / (steps - 1)), i * 3);
  const barW = 16;
  const parts = [`<image x="${x}" y="${y}" width="${barW}" height="${h}" preserveAspectRatio="none" href="${pngDataUri(1, steps, rgb)}"/>`];
  parts.push(`<rect x="${x}" y="${y}" width="${barW}" height="${h}" fill="none" stroke="#333"/>`);
  const [lo, hi] = cb.range;
  const side = (a: number, b: number, k: number): [number, string][] => {
    const t = niceTicks(a, b, k);
    return t.map((v) => [v, formatTick(v, t)]);
  };
  const ticks = cb.norm === 'centered' && lo < 0 && hi > 0 ? [...side(lo, 0, 3), ...side(0, hi, 3).filter(([v]) => v !== 0)] : side(lo, hi, 6);
  const pos = (v: number) => y + h * (1 - normalize(v, cb.range, cb.norm));
  let lastY = Infinity;
  for (const [t, label] of ticks.sort((a, b) => a[0] - b[0])) {
    const Y = pos(t);
    if (Y < y - 0.5 || Y > y + h + 0.5 || Math.abs(Y - lastY) < 12) continue;
    lastY = Y;
    parts.push(`<line x1="${x + barW}" y1="${n1(Y)}" x2="${x + barW + 4}" y2="${n1(Y)}" stroke="#333"/><text x="${x + barW + 7}" y="${n1(Y + 4)}" font-size="11">${label}</text>`);
  }
  const lx = x + barW + 48, ly = y + h / 2;
  parts.push(`<text x="${lx}" y="${n1(ly)}" font-size="12" text-anchor="middle" transform="rotate(-90 ${lx} ${n1(ly)})">${esc(cb.label)}</text>`);
  return parts.join('\n');
}

/** The figure as a standalone SVG document. */
export function renderSvg(fig: FigureSpec): string {
  const n = fig.panels.length;
  if (n === 0) throw new Error('renderSvg: a figure needs at least one panel');
  const cols = Math.max(1, Math.min(n, fig.columns ?? Math.min(n, 3)));
  const rows = Math.ceil(n / cols);
  const pw = fig.panelWidth ?? 300, ph = fig.panelHeight ?? 220;
  const m = { left: 70, right: 18, top: 30, bottom: 48 };
  const cellW = pw + m.left + m.right, cellH = ph + m.top + m.bottom;
  const cbW = fig.colorbar ? 90 : 0;
  const width = cols * cellW + cbW + 10;
  const parts: string[] = [];
  let top = 8;
  if (fig.title) {
    parts.push(`<text x="${n1(width / 2)}" y="${top + 16}" font-size="15" font-weight="bold" text-anchor="middle">${esc(fig.title)}</text>`);
    top += 26;
  }
  if (fig.legend?.length) {
    const lg = figureLegend(fig.legend, width / 2, top, width - 40);
    parts.push(lg.svg);
    top += lg.height;
  }
  fig.panels.forEach((p, i) => {
    const r = Math.floor(i / cols), c = i % cols;
    parts.push(panelSvg(p, `panel${i}`, c * cellW + m.left, top + r * cellH + m.top, pw, ph));
  });
  if (fig.colorbar) parts.push(colorbarSvg(fig.colorbar, cols * cellW + 4, top + m.top, rows === 1 ? ph : rows * cellH - m.top - m.bottom));
  let bottom = top + rows * cellH;
  for (const line of fig.caption ?? []) {
    parts.push(`<text x="14" y="${bottom + 4}" font-size="11" fill="#333">${esc(line)}</text>`);
    bottom += 16;
  }
  const height = Math.ceil(bottom + 8);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

/** Distinct colours for series (matplotlib's tab10). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
