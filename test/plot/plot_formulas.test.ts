/**
 * The plotting numbers a mutation audit found unpinned: colours between two stops, a constant map, saddle cells and
 * chains that start mid-curve, tick labels at their thresholds, the padded data extent, where an hline's text and a
 * legend go in the cases that distinguish the rules, marker shapes, and the zoom's crowding test.
 */
import { describe, expect, it } from 'vitest';
import { dataExtent, formatTick, renderSvg, textWidth, type FigureSpec, type Series } from '../../rl/plot/chart.js';
import { colorAt, normalize, VIRIDIS, type Colormap } from '../../rl/plot/colormap.js';
import { chainSegments, contourSegments } from '../../rl/plot/contour.js';
import { zoomRange, type ScatterSeries } from '../../scripts/baselines_plot.js';

describe('colour maps', () => {
  it('a value between two stops mixes them linearly, rounded per channel', () => {
    const two: Colormap = { name: 'two', stops: [[0, 100, 200], [200, 100, 0]] };
    expect(colorAt(two, 0.25)).toEqual([50, 100, 150]);
    expect(colorAt(two, 0.75)).toEqual([150, 100, 50]);
    // viridis has 10 stops: t = 1/18 is halfway between the first two (#440154, #482878).
    expect(colorAt(VIRIDIS, 1 / 18)).toEqual([Math.round((0x44 + 0x48) / 2), Math.round((0x01 + 0x28) / 2), Math.round((0x54 + 0x78) / 2)]);
  });

  it('a constant map (no range) sits at the middle of the colour scale', () => {
    expect(normalize(3, [3, 3])).toBe(0.5);
    expect(normalize(3, [5, 1])).toBe(0.5);
  });
});

describe('contours', () => {
  it('a saddle cell gives two segments that do not cross', () => {
    // Corners bl, br, tr, tl = 1, -1, 1, -1 (level 0): crossings at the middle of every edge.
    const v = [1, -1, -1, 1]; // row 0: bl, br; row 1: tl, tr
    const segs = contourSegments((i) => v[i], [0, 1], [0, 1]);
    expect(segs).toHaveLength(2);
    const crosses = ([a, b, c, d]: number[], [e, f, g, h]: number[]) => {
      const side = (px: number, py: number, qx: number, qy: number, rx: number, ry: number) => Math.sign((qx - px) * (ry - py) - (qy - py) * (rx - px));
      return side(a, b, c, d, e, f) * side(a, b, c, d, g, h) < 0 && side(e, f, g, h, a, b) * side(e, f, g, h, c, d) < 0;
    };
    expect(crosses(segs[0], segs[1])).toBe(false);
    // Each segment joins two adjacent edges' midpoints (one x-edge, one y-edge), cutting a corner off.
    for (const [x1, y1, x2, y2] of segs) expect(Math.abs(x1 - x2)).toBeCloseTo(0.5, 12), expect(Math.abs(y1 - y2)).toBeCloseTo(0.5, 12);
  });

  it('an open curve chained from a middle segment comes out in order, every step one cell long at most', () => {
    // f = x + 0.37 y - 2.3 on a 6 x 6 grid: a straight open line crossing many cells.
    const n = 6, xs = Array.from({ length: n }, (_, i) => i), ys = xs;
    const segs = contourSegments((i) => xs[i % n] + 0.37 * ys[Math.floor(i / n)] - 2.3, xs, ys);
    // Start the chain from a middle segment, so that both directions are walked.
    const mid = Math.floor(segs.length / 2);
    const lines = chainSegments([segs[mid], ...segs.slice(0, mid), ...segs.slice(mid + 1)]);
    expect(lines).toHaveLength(1);
    const line = lines[0];
    expect(line).toHaveLength(segs.length + 1);
    for (let k = 1; k < line.length; k++) expect(Math.hypot(line[k][0] - line[k - 1][0], line[k][1] - line[k - 1][1])).toBeLessThan(Math.SQRT2 + 1e-9);
    const ysOnLine = line.map((p) => p[1]);
    const increasing = ysOnLine.every((y, k) => k === 0 || y >= ysOnLine[k - 1]);
    const decreasing = ysOnLine.every((y, k) => k === 0 || y <= ysOnLine[k - 1]);
    expect(increasing || decreasing).toBe(true);
  });
});

describe('tick labels and extents', () => {
  it("thousands become 'k' only for steps of 1000 or more; exponents from 1e6", () => {
    const t = [0, 500, 1000, 1500];
    expect(t.map((v) => formatTick(v, t))).toEqual(['0', '500', '1000', '1500']);
    const u = [0, 200000, 400000];
    expect(u.map((v) => formatTick(v, u))).toEqual(['0', '200k', '400k']);
    const w = [0, 250000, 500000].map((v) => v + 50); // not multiples of 1000: plain digits below 1e6
    expect(w.map((v) => formatTick(v, w))).toEqual(['50', '250050', '500050']);
    expect(formatTick(2e6 + 50, [2e6 + 50, 2e6 + 250050])).toBe('2.0e6');
  });

  it('dataExtent pads 5 % of the span each side, and a single value by 10 % of itself (or 1 at 0)', () => {
    expect(dataExtent([0, 10, 4])).toEqual([-0.5, 10.5]);
    expect(dataExtent([5, 5])).toEqual([4.5, 5.5]);
    expect(dataExtent([-5])).toEqual([-5.5, -4.5]);
    expect(dataExtent([0, 0])).toEqual([-1, 1]);
    expect(dataExtent([NaN, Infinity])).toEqual([0, 1]);
  });
});

/** The screen y of an hline drawn in a single-panel figure, and its text's baseline and left end. */
function hlineAndText(svg: string, text: string): { lineY: number; base: number; x: number } {
  const line = /<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="[\d.]+" stroke="#d62728"/.exec(svg)!;
  const t = new RegExp(`<text x="([\\d.]+)" y="([\\d.]+)" font-size="11"( text-anchor="end")? fill="#d62728">${text}<`).exec(svg)!;
  return { lineY: +line[1], base: +t[2], x: t[3] ? +t[1] - textWidth(text, 11) : +t[1] };
}

describe("an hline's text", () => {
  const fig = (extra: Series[]): FigureSpec => ({
    panels: [{ xlim: [0, 10], ylim: [0, 4], legend: 'none', series: [...extra, { type: 'hline', value: 1, color: '#d62728', text: 'cost limit' }] }],
  });

  it('sits 4 px above the line at the right end when the place is free', () => {
    const { lineY, base } = hlineAndText(renderSvg(fig([])), 'cost limit');
    expect(base).toBeCloseTo(lineY - 4, 1);
  });

  it('one marker in the right-above place is enough to move it (the first free place wins)', () => {
    // A marker at x = 9.5, just above the line: inside the right-above box only.
    const svg = renderSvg(fig([{ type: 'points', x: [9.5], y: [1.12], color: 'blue', size: 2 }]));
    const { lineY, base } = hlineAndText(svg, 'cost limit');
    expect(base).toBeCloseTo(lineY + 13, 1); // right-below, the next place in order
  });
});

/** The in-panel legend box of a rendered single-panel figure. */
const legendBox = (svg: string) => {
  const r = /<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="white" fill-opacity="0.85"/.exec(svg)!;
  return { x: +r[1], y: +r[2], w: +r[3], h: +r[4] };
};
const panelOf = (svg: string) => {
  const m = /<clipPath id="panel0"><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
  return { x0: +m[1], y0: +m[2], w: +m[3], h: +m[4] };
};
const circles = (svg: string, color: string) => [...svg.matchAll(new RegExp(`<circle cx="([-\\d.]+)" cy="([-\\d.]+)" r="([\\d.]+)" fill="${color}"`, 'g'))].map((m) => ({ x: +m[1], y: +m[2], r: +m[3] }));
const covers = (b: { x: number; y: number; w: number; h: number }, c: { x: number; y: number; r: number }) =>
  c.x + c.r > b.x && c.x - c.r < b.x + b.w && c.y + c.r > b.y && c.y - c.r < b.y + b.h;

describe('legend box', () => {
  const labelled: Series = { type: 'points', x: [5], y: [5], color: 'green', label: 'a series' };

  it('with no data in any corner it takes the first corner, top-right', () => {
    const svg = renderSvg({ panels: [{ xlim: [0, 10], ylim: [0, 10], series: [labelled] }] });
    const b = legendBox(svg), p = panelOf(svg);
    expect(b.x + b.w).toBeCloseTo(p.x0 + p.w - 6, 1);
    expect(b.y).toBeCloseTo(p.y0 + 6, 1);
  });

  it('one marker in each corner is enough to raise the top, and after raising it goes by the new frame', () => {
    // Five markers in each top corner, one in each bottom corner: before raising, a bottom corner covers the fewest.
    // After raising, the top corners are empty; the box must not sit on a bottom marker.
    const xs: number[] = [], ys: number[] = [];
    for (const [x, y, k] of [[0.3, 9.7, 5], [9.7, 9.7, 5], [0.3, 0.3, 1], [9.7, 0.3, 1]] as const) for (let i = 0; i < k; i++) xs.push(x + (x < 5 ? 0.15 : -0.15) * i), ys.push(y);
    const series: Series[] = [{ type: 'points', x: xs, y: ys, color: 'red', size: 3 }, labelled];
    const svg = renderSvg({ panels: [{ series }] });
    const b = legendBox(svg);
    for (const c of circles(svg, 'red')) expect(covers(b, c), `marker at ${c.x}, ${c.y}`).toBe(false);
    expect(b.y).toBeCloseTo(panelOf(svg).y0 + 6, 1); // on top, above the data
    // legendRoom: false keeps an automatic range as it is: the box then covers a marker.
    const kept = renderSvg({ panels: [{ legendRoom: false, series }] });
    expect(circles(kept, 'red').some((c) => covers(legendBox(kept), c))).toBe(true);
  });
});

describe('markers and vline text', () => {
  it("'triangle-down' points down and 'triangle' up", () => {
    const apexY = (marker: 'triangle' | 'triangle-down') => {
      const svg = renderSvg({ panels: [{ xlim: [0, 1], ylim: [0, 1], legend: 'none', series: [{ type: 'points', x: [0.5], y: [0.5], color: '#123456', marker, size: 10 }] }] });
      const pts = [.../<path d="M([\d. L]+)Z" fill="#123456"/.exec(svg)![1].matchAll(/([\d.]+) ([\d.]+)/g)].map((m) => +m[2]);
      const mid = (Math.max(...pts) + Math.min(...pts)) / 2;
      return pts.filter((y) => Math.abs(y - mid) > 1).length === 3 ? pts[0] - mid : NaN;
    };
    expect(apexY('triangle')).toBeLessThan(0); // screen y grows downwards
    expect(apexY('triangle-down')).toBeGreaterThan(0);
  });

  it("a vline's text stays right of the line when the left has no room either", () => {
    const text = 'a label much longer than the panel is wide';
    const svg = renderSvg({ panelWidth: 120, panels: [{ xlim: [0, 1], ylim: [0, 1], series: [{ type: 'vline', value: 0.2, color: '#333', text }] }] });
    const t = new RegExp(`<text x="([\\d.]+)" y="[\\d.]+" font-size="11"( text-anchor="end")? fill="#333">${text}<`).exec(svg)!;
    expect(t[2]).toBeUndefined(); // left-aligned, starting right of the line
  });
});

describe('zoomRange', () => {
  const algo = (color: number, mean: [number, number], std: [number, number] = [0.05, 0.01]): ScatterSeries => ({ name: `a${color}`, color, mean, std, points: [mean] });
  it('means close in reward but apart in cost do not crowd', () => {
    // The axis spans ~0..9.2, so cost 0 and 1.2 are 13 % apart.
    expect(zoomRange([algo(1, [0, 0.61]), algo(2, [1.2, 0.61]), algo(5, [9, 0.7], [0.2, 0.6])])).toBeNull();
    expect(zoomRange([algo(1, [0, 0.61]), algo(2, [0.1, 0.61]), algo(5, [9, 0.7], [0.2, 0.6])])).not.toBeNull();
  });
});
