/**
 * Reward-cost scatter of several algorithms on one task (one point per seed, mean with ±1 std bars), drawn
 * with the project's one plotting module (rl/plot/chart.ts) to SVG and PNG.
 */
import type { LegendEntry, Marker, Series } from '../rl/plot/chart.js';
import { writeFigure } from '../rl/plot/raster.js';

export interface ScatterSeries {
  name: string;
  /** Palette index (fixed per algorithm, so colours agree across figures). */
  color: number;
  /** (normalized cost, normalized reward). */
  mean: [number, number];
  std: [number, number];
  points: [number, number][];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
/**
 * A shape per algorithm as well as a colour, and the means drawn hollow: several safe algorithms often share a spot
 * (BallRun's cost-0 cluster hid BC-Safe's filled marker under three others).
 */
const MARKERS: Marker[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'star', 'plus', 'cross'];

/** One algorithm's scores on one task as the reports hold them: normalized cost and reward over seeds, and each seed. */
export interface ScatterCell {
  /** Normalized cost [mean, std] and normalized reward [mean, std] over seeds. */
  c: [number, number];
  r: [number, number];
  seeds: { normalizedCost: number; normalizedReward: number }[];
}

/** A cell as a scatter series: x = normalized cost, y = normalized reward, for the mean, the bars and each seed. */
export function scatterSeriesOf(name: string, color: number, cell: ScatterCell): ScatterSeries {
  return {
    name, color,
    mean: [cell.c[0], cell.r[0]], std: [cell.c[1], cell.r[1]],
    points: cell.seeds.map((e) => [e.normalizedCost, e.normalizedReward]),
  };
}

/** The zoom panel's right edge (normalized cost): the cost limit 1 and a margin. */
const ZOOM_COST = 1.25;

/** Two means closer than this share of each axis's span overlap in the full panel (markers ~7 px in ~440 px). */
const CROWDED = 0.03;

/**
 * A second panel on the safe region (cost <= ZOOM_COST) when two of the means in it overlap in the full panel, and
 * the region takes under a third of the full cost axis: there the safe algorithms' means sat within a few pixels of
 * each other (BallRun: four at cost 0 and reward 0.61-0.67 beside CPQ at cost 9). Its reward range covers the means,
 * bars and seeds inside the region; null when no zoom is needed.
 */
export function zoomRange(series: ScatterSeries[]): [number, number] | null {
  const span = (v: number[]) => Math.max(...v) - Math.min(...v);
  const xSpan = span(series.flatMap((s) => [s.mean[0] - s.std[0], s.mean[0] + s.std[0], ...s.points.map((p) => p[0])]));
  const ySpan = span(series.flatMap((s) => [s.mean[1] - s.std[1], s.mean[1] + s.std[1], ...s.points.map((p) => p[1])]));
  const inside = series.filter((s) => s.mean[0] <= ZOOM_COST);
  const crowded = inside.some((a, i) => inside.some((b, j) => j > i
    && Math.abs(a.mean[0] - b.mean[0]) < CROWDED * xSpan && Math.abs(a.mean[1] - b.mean[1]) < CROWDED * ySpan));
  if (!crowded || !(xSpan > 3 * ZOOM_COST)) return null;
  const ys = [
    ...inside.flatMap((s) => [s.mean[1] - s.std[1], s.mean[1] + s.std[1]]),
    ...series.flatMap((s) => s.points.filter((p) => p[0] <= ZOOM_COST).map((p) => p[1])),
  ].filter(Number.isFinite);
  const lo = Math.min(...ys), hi = Math.max(...ys), pad = (hi - lo) * 0.08 || 0.05;
  return [lo - pad, hi + pad];
}

/** Writes `<base>.svg` and `<base>.png`. */
export async function writeScatter(base: string, title: string, series: ScatterSeries[]): Promise<void> {
  const out: Series[] = [{ type: 'vline', value: 1, color: '#888', dash: '5,4' }];
  // The legend goes under the title, outside the panel: with seven algorithms a legend inside the panel hid
  // data wherever it went (a CPQ seed marker in Table 1's BallRun figure; BCQ-Lag and COptiDICE seed markers
  // and the end of BC-All's error bar in the baselines' PointRobot figure).
  const legend: LegendEntry[] = [{ label: 'cost limit (normalized cost 1)', color: '#888', kind: 'line', dash: '5,4' }];
  // The zoom panel leaves out the bars of a mean it does not show: BEAR-Lag's cost bar (mean 1.4, std 2) crossed
  // BallRun's whole zoom as a line with no marker on it.
  const zoomed: Series[] = [...out];
  series.forEach((s) => {
    const color = COLORS[s.color % COLORS.length], marker = MARKERS[s.color % MARKERS.length];
    const [cx, cy] = s.mean;
    const bars: Series[] = [
      { type: 'line', x: [cx - s.std[0], cx + s.std[0]], y: [cy, cy], color },
      { type: 'line', x: [cx, cx], y: [cy - s.std[1], cy + s.std[1]], color },
    ];
    const marks: Series[] = [
      { type: 'points', x: s.points.map((p) => p[0]), y: s.points.map((p) => p[1]), color, size: 2.5, marker, opacity: 0.5 },
      { type: 'points', x: [cx], y: [cy], color, size: 7, marker, hollow: true },
    ];
    out.push(...bars, ...marks);
    zoomed.push(...(cx <= ZOOM_COST ? bars : []), ...marks);
    legend.push({ label: s.name, color, kind: 'point', marker, hollow: true });
  });
  const full = { xlabel: 'normalized cost', ylabel: 'normalized reward', legend: 'none' as const, series: out };
  const zoom = zoomRange(series);
  await writeFigure(base, {
    title,
    legend,
    panels: zoom
      ? [{ ...full, title: 'all' }, { ...full, series: zoomed, title: `zoom: normalized cost <= ${ZOOM_COST}`, xlim: [-0.05 * ZOOM_COST, ZOOM_COST], ylim: zoom }]
      : [full],
    columns: zoom ? 2 : 1,
    panelWidth: zoom ? 440 : 560,
    panelHeight: 400,
    caption: [`large hollow marker: mean over seeds (bars: ±1 std); small markers: one seed each${zoom ? '; the zoom draws bars only for the means inside it' : ''}`],
  });
}
