/** Minimal dependency-free SVG helpers for scatter / line plots (used by rl/data/scatter.ts and others). */

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** "Nice" tick values covering [lo, hi] (about `count` of them). */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

export interface Axes {
  width: number;
  height: number;
  margin: { left: number; right: number; top: number; bottom: number };
  x: [number, number];
  y: [number, number];
}

export const sx = (a: Axes, v: number): number =>
  a.margin.left + ((v - a.x[0]) / (a.x[1] - a.x[0] || 1)) * (a.width - a.margin.left - a.margin.right);
export const sy = (a: Axes, v: number): number =>
  a.height - a.margin.bottom - ((v - a.y[0]) / (a.y[1] - a.y[0] || 1)) * (a.height - a.margin.top - a.margin.bottom);

/** Frame, ticks, labels and title as SVG elements (no <svg> wrapper). */
export function axesSvg(a: Axes, labels: { x: string; y: string; title?: string }): string {
  const parts: string[] = [];
  const x0 = a.margin.left, x1 = a.width - a.margin.right, y0 = a.height - a.margin.bottom, y1 = a.margin.top;
  parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#333"/>`);
  for (const t of niceTicks(a.x[0], a.x[1])) {
    const X = sx(a, t).toFixed(1);
    parts.push(`<line x1="${X}" y1="${y0}" x2="${X}" y2="${y0 + 4}" stroke="#333"/><text x="${X}" y="${y0 + 16}" font-size="11" text-anchor="middle">${t}</text>`);
  }
  for (const t of niceTicks(a.y[0], a.y[1])) {
    const Y = sy(a, t).toFixed(1);
    parts.push(`<line x1="${x0 - 4}" y1="${Y}" x2="${x0}" y2="${Y}" stroke="#333"/><text x="${x0 - 6}" y="${Y}" font-size="11" text-anchor="end" dominant-baseline="middle">${t}</text>`);
  }
  parts.push(`<text x="${(x0 + x1) / 2}" y="${a.height - 6}" font-size="13" text-anchor="middle">${esc(labels.x)}</text>`);
  parts.push(`<text x="14" y="${(y0 + y1) / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 14 ${(y0 + y1) / 2})">${esc(labels.y)}</text>`);
  if (labels.title) parts.push(`<text x="${(x0 + x1) / 2}" y="18" font-size="14" text-anchor="middle">${esc(labels.title)}</text>`);
  return parts.join('\n');
}

export function svgDocument(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}

/** Padded [min, max] of values (falls back to [0, 1] when empty). */
export function extent(values: ArrayLike<number>, pad = 0.05): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  if (!(hi >= lo)) return [0, 1];
  if (hi === lo) return [lo - 1, hi + 1];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}
