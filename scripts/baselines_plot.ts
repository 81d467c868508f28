/**
 * Reward-cost scatter of several algorithms on one task (one point per seed, mean with ±1 std bars), drawn
 * with the project's one plotting module (rl/plot/chart.ts) to SVG and PNG.
 */
import type { LegendEntry, Series } from '../rl/plot/chart.js';
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

/** Writes `<base>.svg` and `<base>.png`. */
export async function writeScatter(base: string, title: string, series: ScatterSeries[]): Promise<void> {
  const out: Series[] = [{ type: 'vline', value: 1, color: '#888', dash: '5,4' }];
  // The legend goes under the title, outside the panel: with seven algorithms a legend inside the panel hid
  // data wherever it went (a CPQ seed marker in Table 1's BallRun figure; BCQ-Lag and COptiDICE seed markers
  // and the end of BC-All's error bar in the baselines' PointRobot figure).
  const legend: LegendEntry[] = [{ label: 'cost limit (normalized cost 1)', color: '#888', kind: 'line', dash: '5,4' }];
  series.forEach((s) => {
    const color = COLORS[s.color % COLORS.length];
    const [cx, cy] = s.mean;
    out.push({ type: 'line', x: [cx - s.std[0], cx + s.std[0]], y: [cy, cy], color });
    out.push({ type: 'line', x: [cx, cx], y: [cy - s.std[1], cy + s.std[1]], color });
    out.push({ type: 'points', x: s.points.map((p) => p[0]), y: s.points.map((p) => p[1]), color, size: 2.5, opacity: 0.5 });
    out.push({ type: 'points', x: [cx], y: [cy], color, size: 6 });
    legend.push({ label: s.name, color, kind: 'point' });
  });
  await writeFigure(base, {
    title,
    legend,
    panels: [{ xlabel: 'normalized cost', ylabel: 'normalized reward', legend: 'none', series: out }],
    panelWidth: 560,
    panelHeight: 400,
    caption: ['big marker: mean over seeds (bars: ±1 std); small markers: one seed each'],
  });
}
