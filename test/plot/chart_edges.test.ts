/**
 * Figures at the edges of their inputs: a label at the panel's right edge, non-finite values in a contour,
 * ticks closer than the old label precision, a line of one point, scatter panels with no trajectories.
 */
import { describe, expect, it } from 'vitest';
import { formatTick, niceTicks, renderSvg, textWidth } from '../../rl/plot/chart.js';
import { chainSegments, contourSegments } from '../../rl/plot/contour.js';
import { beforeAfterScatterFigure, costReturnScatterFigure } from '../../rl/data/scatter.js';
import type { Dataset } from '../../rl/data/dataset.js';

/** A dataset of one-step episodes with the given (cost, return) each. */
function episodes(eps: [number, number][]): Dataset {
  const n = eps.length, z = () => new Float32Array(n);
  return {
    observations: z(), nextObservations: z(), actions: z(), timeouts: z(),
    rewards: Float32Array.from(eps, (e) => e[1]), costs: Float32Array.from(eps, (e) => e[0]), terminals: new Float32Array(n).fill(1),
    size: n, observationSize: 1, actionSize: 1,
  };
}

/** The panel rectangle (clip path) of a single-panel figure. */
const panelOf = (svg: string) => {
  const m = /<clipPath id="panel0"><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
  return { x0: +m[1], y0: +m[2], w: +m[3], h: +m[4] };
};

describe('vline text', () => {
  it('stays inside the panel when the line is at its right edge (it was clipped away)', () => {
    // Every cost <= kappa: kappa is the largest x, so its line sits at the right edge of the panel.
    for (const svg of [renderSvg(costReturnScatterFigure(episodes([[0, 1], [2, 3], [0, 5]]), { kappa: 10 })), renderSvg(beforeAfterScatterFigure(episodes([[0, 1], [2, 3]]), episodes([[0, 1]]), 10, 't'))]) {
      const p = panelOf(svg);
      const t = /<text x="([\d.]+)" y="[\d.]+" font-size="11"( text-anchor="end")? fill="#333">kappa = 10<\/text>/.exec(svg)!;
      expect(t).not.toBeNull();
      const w = textWidth('kappa = 10', 11);
      const [a, b] = t[2] ? [+t[1] - w, +t[1]] : [+t[1], +t[1] + w];
      expect(a).toBeGreaterThanOrEqual(p.x0);
      expect(b).toBeLessThanOrEqual(p.x0 + p.w);
    }
    // With room on the right the text stays right of the line, as before.
    const svg = renderSvg(costReturnScatterFigure(episodes([[0, 1], [30, 3]]), { kappa: 10 }));
    const line = /<line x1="([\d.]+)" y1="[\d.]+" x2="[\d.]+" y2="[\d.]+" stroke="#333" stroke-width="1.2" stroke-dasharray="5 4"\/><text x="([\d.]+)" y="[\d.]+" font-size="11" fill="#333">kappa = 10/.exec(svg)!;
    expect(+line[2]).toBeCloseTo(+line[1] + 4, 6);
  });
});

describe('contour with non-finite values', () => {
  it('leaves the cells of a NaN or infinite corner out instead of writing NaN into the path (which ended the line there)', () => {
    const n = 41, xs = Float64Array.from({ length: n }, (_, i) => -2 + (4 * i) / (n - 1));
    const disc = Float64Array.from({ length: n * n }, (_, i) => 1 - Math.hypot(xs[i % n], xs[Math.floor(i / n)]));
    const full = contourSegments((i) => disc[i], xs, xs);
    for (const bad of [Infinity, -Infinity, NaN]) {
      const v = Float64Array.from(disc);
      v[20 * n + 30] = bad; // the grid point (1, 0), on the circle
      const segs = contourSegments((i) => v[i], xs, xs);
      for (const s of segs) for (const c of s) expect(Number.isFinite(c)).toBe(true);
      // only the (up to 4) cells around that point are missing; the rest of the circle is one open line
      expect(segs.length).toBeGreaterThanOrEqual(full.length - 4);
      expect(chainSegments(segs)).toHaveLength(1);
      const svg = renderSvg({ panels: [{ xlim: [-2, 2], ylim: [-2, 2], series: [{ type: 'contour', values: v, xs, ys: xs, color: '#000' }] }] });
      expect(svg).not.toContain('NaN');
    }
  });
});

describe('tick labels', () => {
  it('neighbouring ticks get distinct labels that read back as their values', () => {
    for (const [lo, hi] of [[0.1234561, 0.1234569], [1e6, 1e6 + 500], [3.3505268, 3.3505277], [-8.91e-5, -8.84e-5], [0, 1], [-3, 3], [0, 30000]]) {
      const t = niceTicks(lo, hi, 5);
      const labels = t.map((v) => formatTick(v, t));
      expect(new Set(labels).size, labels.join(' ')).toBe(labels.length);
      labels.forEach((l, i) => {
        if (l.endsWith('k')) return;
        const step = t[1] - t[0];
        expect(Math.abs(Number(l.replace('−', '-')) - t[i]), `${l} for ${t[i]}`).toBeLessThan(step * 1e-3);
      });
    }
    const u = niceTicks(0, 1, 5);
    expect(u.map((v) => formatTick(v, u))).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    const e = niceTicks(0, 2e-4, 4);
    expect(e.map((v) => formatTick(v, e))).toEqual(['0', '5.0e-5', '0.00010', '0.00015', '0.00020']);
  });
});

describe('line of isolated points', () => {
  const dots = (svg: string) => [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="[\d.]+" fill="blue"/g)].map((m) => [+m[1], +m[2]]);
  it('a line with one point (a metric logged once) or points between NaNs shows them as dots', () => {
    const one = renderSvg({ panels: [{ xlim: [0, 10], ylim: [0, 4], series: [{ type: 'line', x: [5], y: [2], color: 'blue' }] }] });
    const p = panelOf(one);
    expect(dots(one)).toEqual([[p.x0 + p.w / 2, p.y0 + p.h / 2]]);
    const gaps = renderSvg({ panels: [{ series: [{ type: 'line', x: [0, 1, 2, 3, 4, 5, 6], y: [1, NaN, 2, NaN, 3, 4, NaN], color: 'blue' }] }] });
    expect(dots(gaps)).toHaveLength(2); // x = 0 and 2; 4-5 is a segment
    const plain = renderSvg({ panels: [{ series: [{ type: 'line', x: [0, 1, 2], y: [1, 2, 3], color: 'blue' }] }] });
    expect(dots(plain)).toHaveLength(0);
  });
});

describe('before/after scatter', () => {
  it('with no trajectories on either side has finite axes', () => {
    const svg = renderSvg(beforeAfterScatterFigure(episodes([]), episodes([]), 10, 'nothing'));
    expect(svg).not.toMatch(/Infinity|NaN/);
    const ok = renderSvg(beforeAfterScatterFigure(episodes([[0, 1], [20, 5]]), episodes([[0, 1]]), 10, 'some'));
    expect(ok).not.toMatch(/Infinity|NaN/);
  });
});

describe("'auto' legend and a reference line's text", () => {
  it('the box avoids every part of the text, not just its centre', () => {
    // Points in three corners; the top-right corner is empty but for the end of the vline's text.
    const crowd = { type: 'points' as const, x: [0.2, 0.5, 0.2, 0.5, 9.5, 9.8, 0.3, 9.6], y: [9.5, 9.5, 0.5, 0.5, 0.5, 0.3, 9.8, 0.2], color: 'red' };
    const svg = renderSvg({ panels: [{ xlim: [0, 10], ylim: [0, 10], series: [crowd, { type: 'vline', value: 1.5, color: '#333', text: 'a long label here', label: 'limit' }, { type: 'points', x: [3], y: [5], color: 'blue', label: 'series with a long name' }] }] });
    const [bx, by, bw, bh] = /<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="white"/.exec(svg)!.slice(1).map(Number);
    const [tx, ty] = /<text x="([\d.]+)" y="([\d.]+)" font-size="11" fill="#333">a long label here/.exec(svg)!.slice(1).map(Number);
    const tw = textWidth('a long label here', 11);
    const overlaps = tx < bx + bw && tx + tw > bx && ty - 9 < by + bh && ty + 3 > by;
    expect(overlaps, `box ${bx}..${bx + bw} x ${by}..${by + bh}, text ${tx}..${tx + tw} at ${ty}`).toBe(false);
  });
});
