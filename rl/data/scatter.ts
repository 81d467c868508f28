/**
 * Scatter of (episode cost, episode return) per trajectory with the cost limit kappa marked (DSRL's dataset
 * figure), and the before/after pair that `fisor filter` writes. Drawn with rl/plot/chart.ts.
 */
import { renderSvg, type FigureSpec, type PanelSpec } from '../plot/chart.js';
import { splitTrajectories, type Dataset } from './dataset.js';

export interface ScatterOptions {
  title?: string;
  /** Cost limit kappa (default 10). */
  kappa?: number;
  width?: number;
  height?: number;
}

const SAFE = '#1f77b4', UNSAFE = '#d62728';

/** One panel: dots blue if cost <= kappa, red otherwise, dashed vertical line at kappa. */
export function costReturnPanel(ds: Dataset, kappa: number, title?: string, xlim?: [number, number], ylim?: [number, number]): PanelSpec {
  const trajs = splitTrajectories(ds);
  const safe = trajs.filter((t) => t.cost <= kappa), unsafe = trajs.filter((t) => t.cost > kappa);
  return {
    title: title ?? `${trajs.length} trajectories, ${safe.length} with cost ≤ ${kappa}`,
    xlabel: 'episode cost',
    ylabel: 'episode return',
    xlim,
    ylim,
    series: [
      { type: 'points', x: safe.map((t) => t.cost), y: safe.map((t) => t.ret), color: SAFE, size: 2.5, opacity: 0.6, label: `cost ≤ kappa (${safe.length})` },
      { type: 'points', x: unsafe.map((t) => t.cost), y: unsafe.map((t) => t.ret), color: UNSAFE, size: 2.5, opacity: 0.6, label: `cost > kappa (${unsafe.length})` },
      { type: 'vline', value: kappa, color: '#333', dash: '5 4', text: `kappa = ${kappa}`, label: 'cost limit' },
    ],
  };
}

/** SVG text of the single-panel scatter. */
export function costReturnScatterSvg(ds: Dataset, opts: ScatterOptions = {}): string {
  return renderSvg(costReturnScatterFigure(ds, opts));
}

export function costReturnScatterFigure(ds: Dataset, opts: ScatterOptions = {}): FigureSpec {
  const kappa = opts.kappa ?? 10;
  return {
    title: opts.title ?? 'Episode return vs episode cost',
    panels: [costReturnPanel(ds, kappa)],
    panelWidth: (opts.width ?? 640) - 90,
    panelHeight: (opts.height ?? 440) - 110,
  };
}

/** Two panels on the same axes: the dataset before and after filtering. */
export function beforeAfterScatterFigure(before: Dataset, after: Dataset, kappa: number, title: string): FigureSpec {
  const all = [...splitTrajectories(before), ...splitTrajectories(after)];
  // Over finite values only, and none: the panel's own default (an infinite or NaN limit drew nothing readable).
  const span = (v: number[]): [number, number] | undefined => {
    let lo = Infinity, hi = -Infinity;
    for (const x of v) if (Number.isFinite(x)) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    if (!(hi >= lo)) return undefined;
    const p = (hi - lo || 1) * 0.05;
    return [lo - p, hi + p];
  };
  const xlim = span([...all.map((t) => t.cost), 0, kappa]);
  const ylim = span(all.map((t) => t.ret));
  const nb = splitTrajectories(before).length, na = splitTrajectories(after).length;
  return {
    title,
    columns: 2,
    panelWidth: 380,
    panelHeight: 280,
    panels: [costReturnPanel(before, kappa, `before: ${nb} trajectories`, xlim, ylim), costReturnPanel(after, kappa, `after: ${na} trajectories`, xlim, ylim)],
  };
}
