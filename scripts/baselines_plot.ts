/**
 * Reward-cost scatter of several algorithms on one task, as SVG (rl/plot/svg.ts) and PNG (rl/plot/png.ts, with
 * a 3x5 pixel font for ticks and the legend, drawn at 2x).
 */
import { writeFileSync } from 'node:fs';
import { Canvas } from '../rl/plot/png.js';
import { axesSvg, esc, niceTicks, svgDocument, sx, sy, type Axes } from '../rl/plot/svg.js';

export interface ScatterSeries {
  name: string;
  /** Palette index (fixed per algorithm, so colours agree across figures). */
  color: number;
  /** (normalized cost, normalized reward). */
  mean: [number, number];
  std: [number, number];
  points: [number, number][];
}

const COLORS: [number, number, number][] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [23, 190, 207],
];
const hex = (c: [number, number, number]) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

function axesFor(series: ScatterSeries[], width: number, height: number): Axes {
  let x1 = 1.5, y0 = 0, y1 = 0.5;
  for (const s of series) {
    x1 = Math.max(x1, s.mean[0] + s.std[0], ...s.points.map((p) => p[0]));
    y0 = Math.min(y0, s.mean[1] - s.std[1], ...s.points.map((p) => p[1]));
    y1 = Math.max(y1, s.mean[1] + s.std[1], ...s.points.map((p) => p[1]));
  }
  return { width, height, margin: { left: 60, right: 150, top: 30, bottom: 45 }, x: [0, x1 * 1.05], y: [y0 - 0.05, y1 + 0.05] };
}

function svg(title: string, series: ScatterSeries[]): string {
  const a = axesFor(series, 640, 420);
  const parts = [axesSvg(a, { x: 'normalized cost', y: 'normalized reward', title })];
  const X1 = sx(a, 1).toFixed(1);
  parts.push(`<line x1="${X1}" y1="${a.margin.top}" x2="${X1}" y2="${a.height - a.margin.bottom}" stroke="#888" stroke-dasharray="5,4"/>`);
  series.forEach((s, i) => {
    const col = hex(COLORS[s.color % COLORS.length]);
    const [cx, cy] = [sx(a, s.mean[0]), sy(a, s.mean[1])];
    parts.push(`<line x1="${sx(a, s.mean[0] - s.std[0])}" y1="${cy}" x2="${sx(a, s.mean[0] + s.std[0])}" y2="${cy}" stroke="${col}"/>`);
    parts.push(`<line x1="${cx}" y1="${sy(a, s.mean[1] - s.std[1])}" x2="${cx}" y2="${sy(a, s.mean[1] + s.std[1])}" stroke="${col}"/>`);
    for (const p of s.points) parts.push(`<circle cx="${sx(a, p[0]).toFixed(1)}" cy="${sy(a, p[1]).toFixed(1)}" r="2.5" fill="${col}" fill-opacity="0.5"/>`);
    parts.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="6" fill="${col}" stroke="black"/>`);
    const ly = a.margin.top + 10 + i * 20;
    parts.push(`<circle cx="${a.width - a.margin.right + 20}" cy="${ly}" r="6" fill="${col}" stroke="black"/><text x="${a.width - a.margin.right + 32}" y="${ly}" font-size="12" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  return svgDocument(a.width, a.height, parts.join('\n'));
}

// 3x5 glyphs, rows top to bottom, '#' = on.
const FONT: Record<string, string> = {
  '0': '### #.# #.# #.# ###', '1': '.#. ##. .#. .#. ###', '2': '### ..# ### #.. ###', '3': '### ..# .## ..# ###', '4': '#.# #.# ### ..# ..#',
  '5': '### #.. ### ..# ###', '6': '### #.. ### #.# ###', '7': '### ..# .#. .#. .#.', '8': '### #.# ### #.# ###', '9': '### #.# ### ..# ###',
  '.': '... ... ... ... .#.', '-': '... ... ### ... ...', ':': '... .#. ... .#. ...', ' ': '... ... ... ... ...',
  A: '.#. #.# ### #.# #.#', B: '##. #.# ##. #.# ##.', C: '.## #.. #.. #.. .##', D: '##. #.# #.# #.# ##.', E: '### #.. ##. #.. ###',
  F: '### #.. ##. #.. #..', G: '.## #.. #.# #.# .##', H: '#.# #.# ### #.# #.#', I: '### .#. .#. .#. ###', J: '..# ..# ..# #.# .#.',
  K: '#.# #.# ##. #.# #.#', L: '#.. #.. #.. #.. ###', M: '#.# ### ### #.# #.#', N: '##. #.# #.# #.# #.#', O: '.#. #.# #.# #.# .#.',
  P: '##. #.# ##. #.. #..', Q: '.#. #.# #.# ##. .##', R: '##. #.# ##. #.# #.#', S: '.## #.. .#. ..# ##.', T: '### .#. .#. .#. .#.',
  U: '#.# #.# #.# #.# ###', V: '#.# #.# #.# #.# .#.', W: '#.# #.# ### ### #.#', X: '#.# #.# .#. #.# #.#', Y: '#.# #.# .#. .#. .#.', Z: '### ..# .#. #.. ###',
};

function text(cv: Canvas, x: number, y: number, s: string, rgb: [number, number, number] = [0, 0, 0], scale = 2): void {
  let cx = x;
  for (const ch of s.toUpperCase()) {
    const g = FONT[ch] ?? FONT[' '];
    g.split(' ').forEach((row, r) => {
      for (let c = 0; c < 3; c++) if (row[c] === '#') cv.rect(cx + c * scale, y + r * scale, scale, scale, rgb);
    });
    cx += 4 * scale;
  }
}

function line(cv: Canvas, x0: number, y0: number, x1: number, y1: number, rgb: [number, number, number], dash = 0): void {
  const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let i = 0; i <= n; i++) {
    if (dash && Math.floor(i / dash) % 2 === 1) continue;
    cv.set(x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n, rgb);
  }
}

function disc(cv: Canvas, x: number, y: number, r: number, rgb: [number, number, number], outline = false): void {
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
    const d = dx * dx + dy * dy;
    if (d <= r * r) cv.set(x + dx, y + dy, outline && d > (r - 1.2) * (r - 1.2) ? [0, 0, 0] : rgb);
  }
}

function png(title: string, series: ScatterSeries[]): Uint8Array {
  const a = axesFor(series, 640, 420);
  const cv = new Canvas(a.width, a.height);
  const x0 = a.margin.left, x1 = a.width - a.margin.right, yb = a.height - a.margin.bottom, yt = a.margin.top;
  const grey: [number, number, number] = [60, 60, 60];
  line(cv, x0, yb, x1, yb, grey); line(cv, x0, yt, x1, yt, grey); line(cv, x0, yt, x0, yb, grey); line(cv, x1, yt, x1, yb, grey);
  for (const t of niceTicks(a.x[0], a.x[1])) {
    const X = Math.round(sx(a, t));
    line(cv, X, yb, X, yb + 4, grey);
    const s = String(t);
    text(cv, X - s.length * 4, yb + 8, s);
  }
  for (const t of niceTicks(a.y[0], a.y[1])) {
    const Y = Math.round(sy(a, t));
    line(cv, x0 - 4, Y, x0, Y, grey);
    const s = String(t);
    text(cv, x0 - 8 - s.length * 8, Y - 5, s);
  }
  text(cv, (x0 + x1) / 2 - 60, a.height - 16, 'normalized cost');
  text(cv, 4, yt - 22, 'normalized reward');
  text(cv, x0 + 140, 6, title.split(':')[0]);
  const X1 = Math.round(sx(a, 1));
  line(cv, X1, yt, X1, yb, [130, 130, 130], 5);
  series.forEach((s, i) => {
    const col = COLORS[s.color % COLORS.length];
    const cx = Math.round(sx(a, s.mean[0])), cy = Math.round(sy(a, s.mean[1]));
    line(cv, Math.round(sx(a, s.mean[0] - s.std[0])), cy, Math.round(sx(a, s.mean[0] + s.std[0])), cy, col);
    line(cv, cx, Math.round(sy(a, s.mean[1] - s.std[1])), cx, Math.round(sy(a, s.mean[1] + s.std[1])), col);
    for (const p of s.points) disc(cv, Math.round(sx(a, p[0])), Math.round(sy(a, p[1])), 2, col);
    disc(cv, cx, cy, 6, col, true);
    const ly = yt + 10 + i * 20;
    disc(cv, x1 + 20, ly, 6, col, true);
    text(cv, x1 + 32, ly - 5, s.name);
  });
  return cv.png();
}

/** Writes `<base>.svg` and `<base>.png`. */
export function writeScatter(base: string, title: string, series: ScatterSeries[]): void {
  writeFileSync(`${base}.svg`, svg(title, series));
  writeFileSync(`${base}.png`, png(title, series));
}
