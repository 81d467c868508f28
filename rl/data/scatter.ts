/** Scatter plot of (episode cost, episode return) per trajectory, with the cost threshold kappa marked. */
import { axesSvg, extent, svgDocument, sx, sy, type Axes } from '../plot/svg.js';
import { splitTrajectories, type Dataset } from './dataset.js';

export interface ScatterOptions {
  title?: string;
  kappa?: number;
  width?: number;
  height?: number;
}

/** SVG text: one dot per trajectory (blue if cost <= kappa, red otherwise), dashed vertical line at kappa. */
export function costReturnScatterSvg(ds: Dataset, opts: ScatterOptions = {}): string {
  const kappa = opts.kappa ?? 10;
  const width = opts.width ?? 640, height = opts.height ?? 440;
  const trajs = splitTrajectories(ds);
  const costs = trajs.map((t) => t.cost);
  const rets = trajs.map((t) => t.ret);
  const [c0, c1] = extent([...costs, 0, kappa]);
  const a: Axes = { width, height, margin: { left: 64, right: 20, top: 30, bottom: 44 }, x: [Math.min(0, c0), c1], y: extent(rets) };
  const dots = trajs
    .map((t) => `<circle cx="${sx(a, t.cost).toFixed(1)}" cy="${sy(a, t.ret).toFixed(1)}" r="2.5" fill="${t.cost <= kappa ? '#1f77b4' : '#d62728'}" fill-opacity="0.55"/>`)
    .join('\n');
  const kx = sx(a, kappa).toFixed(1);
  const kline = `<line x1="${kx}" y1="${a.margin.top}" x2="${kx}" y2="${height - a.margin.bottom}" stroke="#444" stroke-dasharray="5,4"/><text x="${+kx + 4}" y="${a.margin.top + 14}" font-size="12">kappa = ${kappa}</text>`;
  const safe = trajs.filter((t) => t.cost <= kappa).length;
  const note = `<text x="${width - 24}" y="${a.margin.top + 14}" font-size="11" text-anchor="end">${trajs.length} trajectories, ${safe} with cost &lt;= kappa</text>`;
  const title = opts.title ?? 'Episode return vs episode cost';
  return svgDocument(width, height, [axesSvg(a, { x: 'episode cost', y: 'episode return', title }), dots, kline, note].join('\n'));
}
