/**
 * Colour maps as piecewise-linear RGB stops (ColorBrewer RdBu reversed, viridis), and the two value -> [0, 1]
 * normalisations the figures use: linear, and "centred" (two slopes meeting at 0, matplotlib's
 * TwoSlopeNorm) so that the sign of V_h is always the white midpoint even when the range is lopsided.
 */
export type RGB = [number, number, number];

export interface Colormap {
  name: string;
  stops: RGB[];
}

const hex = (h: string): RGB => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

/** Blue (low) - white - red (high): feasible V_h < 0 blue, infeasible V_h > 0 red. */
export const BLUE_WHITE_RED: Colormap = {
  name: 'RdBu_r',
  stops: ['#053061', '#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7', '#fddbc7', '#f4a582', '#d6604d', '#b2182b', '#67001f'].map(hex),
};

export const VIRIDIS: Colormap = {
  name: 'viridis',
  stops: ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'].map(hex),
};

/**
 * Colour at t in [0, 1] (clamped, so a value beyond the range, +-Infinity included, takes the end colour on its side,
 * as a V_h of +Infinity is as infeasible as the largest finite one; NaN, which has no side, -> grey).
 */
export function colorAt(cm: Colormap, t: number): RGB {
  if (Number.isNaN(t)) return [128, 128, 128];
  const u = Math.max(0, Math.min(1, t)) * (cm.stops.length - 1);
  const i = Math.min(cm.stops.length - 2, Math.floor(u));
  const f = u - i;
  const a = cm.stops[i], b = cm.stops[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

export const cssColor = (c: RGB): string => `rgb(${c[0]},${c[1]},${c[2]})`;

/**
 * Value -> [0, 1]. 'linear': (v - lo) / (hi - lo). 'centered' (needs lo < 0 < hi): v < 0 maps linearly
 * [lo, 0] -> [0, 0.5] and v > 0 maps [0, hi] -> [0.5, 1].
 */
export type Norm = 'linear' | 'centered';

export function normalize(v: number, range: [number, number], norm: Norm = 'linear'): number {
  const [lo, hi] = range;
  if (norm === 'centered' && lo < 0 && hi > 0) return v < 0 ? 0.5 - 0.5 * (v / lo) : 0.5 + 0.5 * (v / hi);
  return hi > lo ? (v - lo) / (hi - lo) : 0.5;
}
