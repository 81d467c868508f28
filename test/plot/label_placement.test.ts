/**
 * Where a panel's legend box and a reference line's text go when the data runs everywhere: segments crossing a box
 * count (not only their vertices), an hline's text moves off the curves, a legend that would cover data in every
 * corner gets room above the data, and an axis keeps at least two ticks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { niceTicks, renderSvg, textWidth, type FigureSpec } from '../../rl/plot/chart.js';

interface Box { x: number; y: number; w: number; h: number }

/** The in-panel legend box of a rendered single-panel figure. */
const legendBoxOf = (svg: string): Box => {
  const r = /<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="white" fill-opacity="0.85"/.exec(svg)!;
  return { x: +r[1], y: +r[2], w: +r[3], h: +r[4] };
};

/** Every stroked polyline of the given colour, as screen points every 0.5 px along its segments. */
const strokePoints = (svg: string, color: string): [number, number][] => {
  const out: [number, number][] = [];
  for (const m of svg.matchAll(new RegExp(`<path d="([^"]+)" stroke="${color}"`, 'g'))) {
    const pts = [...m[1].matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((p) => [+p[1], +p[2]] as [number, number]);
    for (let i = 0; i + 1 < pts.length; i++) {
      const [a, b] = [pts[i], pts[i + 1]];
      const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) * 2));
      for (let k = 0; k <= n; k++) out.push([a[0] + ((b[0] - a[0]) * k) / n, a[1] + ((b[1] - a[1]) * k) / n]);
    }
  }
  return out;
};

const inside = (b: Box, [x, y]: [number, number]) => x > b.x && x < b.x + b.w && y > b.y && y < b.y + b.h;

/** The y tick labels of a single-panel figure, top to bottom as numbers. */
const yTicks = (svg: string): number[] =>
  [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" font-size="11" text-anchor="end">([^<]+)<\/text>/g)].map((m) => Number(m[1].replace('−', '-')));

describe('legend box', () => {
  it('a steep segment through a corner counts: the box goes to the corner that no line crosses', () => {
    // Two-point lines whose vertices sit outside the top-right box but whose segment crosses it; the bottom-left is
    // the one empty corner. Counting vertices and midpoints only, the top-right (first in order) looked empty.
    const fig: FigureSpec = {
      panels: [{
        xlim: [0, 10], ylim: [0, 10], series: [
          { type: 'line', x: [6, 10], y: [0, 12], color: 'red', label: 'a steep line' },
          { type: 'line', x: [0, 4], y: [8, 12], color: 'green' },
          { type: 'line', x: [7, 10], y: [1, 3], color: 'green' },
        ],
      }],
    };
    const svg = renderSvg(fig);
    const box = legendBoxOf(svg);
    for (const c of ['red', 'green']) expect(strokePoints(svg, c).filter((p) => inside(box, p)), c).toEqual([]);
  });

  it('covering data in every corner, it raises the top of an automatic y range and sits above the data', () => {
    // An X across the whole panel: every corner holds a line end.
    const x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const series = [
      { type: 'line' as const, x, y: x.map((v) => v), color: 'red', label: 'rising' },
      { type: 'line' as const, x, y: x.map((v) => 10 - v), color: 'blue', label: 'falling' },
    ];
    const svg = renderSvg({ panels: [{ series }] });
    const box = legendBoxOf(svg);
    for (const c of ['red', 'blue']) expect(strokePoints(svg, c).filter((p) => inside(box, p)), c).toEqual([]);
    // The data's top now sits lower in the panel than with no legend.
    const top = (s: string) => Math.min(...strokePoints(s, 'red').map((p) => p[1]));
    expect(top(svg)).toBeGreaterThan(top(renderSvg({ panels: [{ legend: 'none', series }] })) + box.h);

    // A given range stays as given (it may be shared with a neighbour): the box then covers some data.
    const fixed = renderSvg({ panels: [{ ylim: [0, 10], series }] });
    expect(yTicks(fixed)).toEqual(yTicks(renderSvg({ panels: [{ ylim: [0, 10], legend: 'none', series }] })));
    expect(Math.max(...yTicks(fixed))).toBe(10);
    const b2 = legendBoxOf(fixed);
    expect(['red', 'blue'].some((c) => strokePoints(fixed, c).some((p) => inside(b2, p)))).toBe(true);

    // ...unless the panel asks for room.
    const room = renderSvg({ panels: [{ ylim: [0, 10], legendRoom: true, series }] });
    const b3 = legendBoxOf(room);
    for (const c of ['red', 'blue']) expect(strokePoints(room, c).filter((p) => inside(b3, p)), c).toEqual([]);
    expect(Math.min(...yTicks(room))).toBe(0);
    expect(top(room)).toBeGreaterThan(top(fixed) + b3.h);
  });

  it('a given corner or no legend never moves the axis', () => {
    const x = [0, 10];
    const series = [
      { type: 'line' as const, x, y: [0, 10], color: 'red', label: 'rising' },
      { type: 'line' as const, x, y: [10, 0], color: 'blue', label: 'falling' },
    ];
    const red = (legend: 'auto' | 'top-left' | 'none') => strokePoints(renderSvg({ panels: [{ legend, series }] }), 'red');
    expect(red('top-left')).toEqual(red('none'));
    expect(red('auto')).not.toEqual(red('none'));
  });
});

describe("an hline's text", () => {
  /** The text's box (x from its anchor and alignment, baseline y) in a rendered single-panel figure. */
  const textBox = (svg: string, text: string): Box => {
    const m = new RegExp(`<text x="([\\d.]+)" y="([\\d.]+)" font-size="11"( text-anchor="end")? fill="#d62728">${text}<`).exec(svg)!;
    const w = textWidth(text, 11);
    const x = m[3] ? +m[1] - w : +m[1];
    return { x, y: +m[2] - 9, w, h: 12 };
  };
  const panel = (y: number[]) => ({
    panels: [{
      xlim: [0, 10] as [number, number], ylim: [0, 4] as [number, number], legend: 'none' as const, series: [
        { type: 'line' as const, x: [0, 2, 4, 6, 8, 10], y, color: 'blue' },
        { type: 'hline' as const, value: 1, color: '#d62728', text: 'cost limit' },
      ],
    }],
  });

  it('stays at the right above the line where no data runs (the old place)', () => {
    const svg = renderSvg(panel([3, 3, 3, 3, 3, 3]));
    const t = textBox(svg, 'cost limit');
    const right = /<clipPath id="panel0"><rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(svg)!;
    expect(t.x + t.w).toBeCloseTo(+right[1] + +right[2] - 4, 0);
    expect(strokePoints(svg, 'blue').filter((p) => inside(t, p))).toEqual([]);
  });

  it('moves off a curve that runs just above or across the line at the right, or at both ends', () => {
    for (const y of [[3, 3, 3, 3, 1.2, 1.2], [1.2, 1.2, 3, 3, 1.2, 1.2], [1.2, 1.2, 3, 3, 0.8, 0.8], [3, 3, 3, 3, 1.2, 0.8]]) {
      const svg = renderSvg(panel(y));
      const t = textBox(svg, 'cost limit');
      expect(strokePoints(svg, 'blue').filter((p) => inside(t, p)), y.join(',')).toEqual([]);
    }
  });
});

describe('niceTicks', () => {
  it('keeps at least two ticks: 0.07..0.93 in four is 0.2, 0.4, 0.6, 0.8 (it was 0.5 alone)', () => {
    expect(niceTicks(0.07, 0.93, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.5, 1]); // ranges that already had two keep their step
  });

  it('any finite range gives at least two equally spaced ticks inside it, on a 1-2-5 step', () => {
    fc.assert(fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-6, max: 1e6, noNaN: true }), fc.integer({ min: 2, max: 12 }),
      (lo, span, count) => {
        const hi = lo + span;
        // Ticks carry 12 significant digits: a span below a millionth of the values is out of scope.
        fc.pre(hi > lo && span > Math.abs(lo) * 1e-6);
        const t = niceTicks(lo, hi, count);
        expect(t.length).toBeGreaterThanOrEqual(2);
        const step = t[1] - t[0];
        for (const v of t) {
          expect(v).toBeGreaterThanOrEqual(lo - span * 1e-9);
          expect(v).toBeLessThanOrEqual(hi + span * 1e-9);
        }
        // Ticks are rounded to 12 significant digits, so a step far below the ticks' size is exact only to ~1e-3.
        for (let i = 2; i < t.length; i++) expect(Math.abs(t[i] - t[i - 1] - step)).toBeLessThan(step * 1e-3);
        const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
        expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-3 * m)).toBe(true);
      },
    ), { seed: 7, numRuns: 300 });
  });
});
