import { describe, expect, it } from 'vitest';
import { formatTick, niceTicks, renderSvg, type FigureSpec } from '../../rl/plot/chart.js';
import { BLUE_WHITE_RED, colorAt, normalize } from '../../rl/plot/colormap.js';
import { chainSegments, contourSegments } from '../../rl/plot/contour.js';
import { svgToPixels, svgToPng } from '../../rl/plot/raster.js';

describe('ticks', () => {
  it('niceTicks steps by 1, 2 or 5 x 10^k and covers the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3, 3, 6)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(niceTicks(0, 30000, 4)).toEqual([0, 10000, 20000, 30000]);
    expect(niceTicks(2, 2)).toEqual([2]);
    // A range starting below 0 at a fractional step still puts a tick at exactly 0 (it read -5.6e-17).
    expect(niceTicks(-0.9, 0.7, 8)).toEqual([-0.8, -0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6]);
  });
  it('formatTick: thousands as k, decimals from the step, unicode minus', () => {
    const t = niceTicks(0, 30000, 4);
    expect(t.map((v) => formatTick(v, t))).toEqual(['0', '10k', '20k', '30k']);
    const u = niceTicks(-0.4, 0.4, 4);
    expect(u.map((v) => formatTick(v, u))).toEqual(['−0.4', '−0.2', '0', '0.2', '0.4']);
  });
});

describe('colour maps', () => {
  it('centred normalisation puts 0 at the white midpoint for a lopsided range', () => {
    expect(normalize(0, [-40, 2], 'centered')).toBe(0.5);
    expect(normalize(-40, [-40, 2], 'centered')).toBe(0);
    expect(normalize(2, [-40, 2], 'centered')).toBe(1);
    expect(normalize(1, [-40, 2], 'centered')).toBeCloseTo(0.75, 12);
    expect(normalize(0, [-40, 2])).toBeCloseTo(40 / 42, 12);
    const mid = colorAt(BLUE_WHITE_RED, 0.5);
    expect(Math.min(...mid)).toBeGreaterThan(240);
    const [r0, , b0] = colorAt(BLUE_WHITE_RED, 0);
    const [r1, , b1] = colorAt(BLUE_WHITE_RED, 1);
    expect(b0).toBeGreaterThan(r0);
    expect(r1).toBeGreaterThan(b1);
  });

  it('an infinite value takes the end colour on its side (a V_h of +Infinity is drawn infeasible red); only NaN is grey', () => {
    const range: [number, number] = [-40, 2];
    for (const norm of ['centered', 'linear'] as const) {
      expect(colorAt(BLUE_WHITE_RED, normalize(Infinity, range, norm))).toEqual(colorAt(BLUE_WHITE_RED, 1));
      expect(colorAt(BLUE_WHITE_RED, normalize(-Infinity, range, norm))).toEqual(colorAt(BLUE_WHITE_RED, 0));
    }
    expect(colorAt(BLUE_WHITE_RED, 7)).toEqual(colorAt(BLUE_WHITE_RED, 1));
    expect(colorAt(BLUE_WHITE_RED, NaN)).toEqual([128, 128, 128]);
    expect(colorAt(BLUE_WHITE_RED, 1)).not.toEqual([128, 128, 128]);
  });
});

describe('contours', () => {
  it('marching squares on a disc gives one closed chained polyline on the circle', () => {
    const n = 41, xs = Float64Array.from({ length: n }, (_, i) => -2 + (4 * i) / (n - 1));
    const segs = contourSegments((i) => 1 - Math.hypot(xs[i % n], xs[Math.floor(i / n)]), xs, xs);
    expect(segs.length).toBeGreaterThan(40);
    for (const [x1, y1] of segs) expect(Math.abs(Math.hypot(x1, y1) - 1)).toBeLessThan(0.02);
    const lines = chainSegments(segs);
    expect(lines).toHaveLength(1);
    const l = lines[0];
    expect(l).toHaveLength(segs.length + 1);
    expect(l[0][0]).toBeCloseTo(l[l.length - 1][0], 9);
    expect(l[0][1]).toBeCloseTo(l[l.length - 1][1], 9);
    // two discs: two polylines; level shifts the contour
    expect(chainSegments(contourSegments((i) => 1 - Math.min(Math.hypot(xs[i % n] - 1, xs[Math.floor(i / n)]), Math.hypot(xs[i % n] + 1, xs[Math.floor(i / n)])) * 2, xs, xs))).toHaveLength(2);
    for (const [x1, y1] of contourSegments((i) => 1 - Math.hypot(xs[i % n], xs[Math.floor(i / n)]), xs, xs, 0.5)) expect(Math.abs(Math.hypot(x1, y1) - 0.5)).toBeLessThan(0.02);
  });
});

const demo = (): FigureSpec => {
  const n = 20, xs = Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
  const values = new Float32Array(n * n).map((_, i) => 0.5 - Math.hypot(xs[i % n], xs[Math.floor(i / n)]));
  return {
    title: 'Demo & <test>',
    legend: [{ label: 'figure legend entry', color: '#000', kind: 'line' }],
    colorbar: { range: [-1, 0.5], norm: 'centered', label: 'value' },
    caption: ['a caption'],
    panels: [
      { title: 'map', xlabel: 'x (m)', ylabel: 'y (m)', xlim: [-1, 1], ylim: [-1, 1], series: [
        { type: 'heatmap', values, nx: n, ny: n, x: [-1, 1], y: [-1, 1], range: [-1, 0.5], norm: 'centered' },
        { type: 'contour', values, xs, ys: xs, color: '#000', dash: '4 2', label: 'zero contour' },
      ] },
      { title: 'curve', xlabel: 'step', ylabel: 'loss', series: [
        { type: 'line', x: [0, 1, 2, NaN, 4], y: [3, 2, 1, 0, 0.5], color: 'red', label: 'loss' },
        { type: 'points', x: [0, 2], y: [3, 1], color: 'blue', marker: 'cross' },
        { type: 'hline', value: 1, color: 'gray', dash: '3 3', text: 'limit' },
      ] },
    ],
  };
};

describe('renderSvg', () => {
  it('draws titles, axis labels, ticks, legends, colour bar, heat map, contour; escapes text; deterministic', () => {
    const svg = renderSvg(demo());
    expect(svg.startsWith('<svg')).toBe(true);
    for (const s of ['Demo &amp; &lt;test&gt;', '>map<', '>curve<', 'x (m)', 'y (m)', '>step<', '>loss<', 'figure legend entry', 'zero contour', '>limit<', '>value<', 'a caption']) expect(svg).toContain(s);
    expect(svg.match(/<image /g)).toHaveLength(2); // heat map + colour bar
    expect(svg).toContain('stroke-dasharray="4 2"');
    expect(svg).toMatch(/<path d="M[^"]*M[^"]*" stroke="red"/); // NaN breaks the line into two pieces
    expect(svg.match(/clip-path="url\(#panel\d\)"/g)).toHaveLength(2);
    expect(renderSvg(demo())).toBe(svg);
    expect(() => renderSvg({ panels: [] })).toThrow(/at least one panel/);
  });

  it('the PNG shows the same picture with text rendered (fonts load offline)', async () => {
    const textOnly = (t: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30" font-family="DejaVu Sans, sans-serif"><rect width="100%" height="100%" fill="white"/>${t}</svg>`;
    const dark = (px: Uint8Array) => {
      let k = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] < 128 && px[i + 1] < 128 && px[i + 2] < 128) k++;
      return k;
    };
    const blank = await svgToPixels(textOnly(''));
    expect([blank.width, blank.height]).toEqual([120, 30]);
    expect(dark(blank.rgba)).toBe(0);
    const withText = await svgToPixels(textOnly('<text x="5" y="20" font-size="16">V_h θ = π/4</text>'));
    expect(dark(withText.rgba)).toBeGreaterThan(40);
    const png = await svgToPng(renderSvg(demo()), 2);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const w = new DataView(png.buffer, png.byteOffset).getUint32(16);
    expect(w).toBe(2 * Number(/width="(\d+)"/.exec(renderSvg(demo()))![1]));
  });
});

describe('legend placement', () => {
  /** The in-panel legend box and every circle marker of a rendered single-panel figure. */
  const parse = (svg: string) => {
    const r = /<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="white" fill-opacity="0.85"/.exec(svg)!;
    const box = { x: +r[1], y: +r[2], w: +r[3], h: +r[4] };
    const circles = [...svg.matchAll(/<circle cx="([-\d.]+)" cy="([-\d.]+)" r="([\d.]+)"/g)].map((m) => ({ x: +m[1], y: +m[2], r: +m[3] }));
    return { box, circles };
  };
  const hits = (b: { x: number; y: number; w: number; h: number }, c: { x: number; y: number; r: number }) =>
    c.x + c.r > b.x && c.x - c.r < b.x + b.w && c.y + c.r > b.y && c.y - c.r < b.y + b.h;

  it("'auto' never puts the box over a marker while an empty corner exists, counting the marker's radius", () => {
    // Points crowd the right-hand corners; one big marker slides down the left edge; the bottom-left stays empty.
    const crowd = { type: 'points' as const, x: [9, 9.5, 9, 9.5, 9, 9.5, 9, 9.5], y: [9.5, 9.5, 9, 9, 0.5, 0.5, 1, 1], color: 'red', size: 2.5 };
    for (let k = 0; k <= 30; k++) {
      const y = 10 - k * 0.15;
      const svg = renderSvg({ panels: [{ xlim: [0, 10], ylim: [0, 10], legend: 'auto', series: [crowd, { type: 'points', x: [0.3], y: [y], color: 'blue', size: 6, label: 'a rather long legend label' }] }] });
      const { box, circles } = parse(svg);
      for (const c of circles) expect(hits(box, c), `marker at y = ${y.toFixed(2)}`).toBe(false);
    }
  });
});

