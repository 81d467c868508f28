/**
 * The reward-cost scatters of the baselines and Table 1: a shape per algorithm, hollow means, and a zoom panel on the
 * safe region only where means there overlap in the full panel.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSvg } from '../../rl/plot/chart.js';
import { scatterSeriesOf, writeScatter, zoomRange, type ScatterSeries } from '../../scripts/baselines_plot.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-scatter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const algo = (name: string, color: number, mean: [number, number], std: [number, number] = [0.05, 0.02]): ScatterSeries => ({
  name, color, mean, std, points: [[mean[0], mean[1] - std[1]], [mean[0], mean[1] + std[1]]],
});

describe('scatterSeriesOf', () => {
  it('puts normalized cost on x and normalized reward on y, for the mean, the bars and every seed', () => {
    const cell = { c: [0.4, 0.1] as [number, number], r: [0.7, 0.05] as [number, number], seeds: [{ normalizedCost: 0.3, normalizedReward: 0.65 }, { normalizedCost: 0.5, normalizedReward: 0.75 }] };
    expect(scatterSeriesOf('bc-safe', 2, cell)).toEqual({ name: 'bc-safe', color: 2, mean: [0.4, 0.7], std: [0.1, 0.05], points: [[0.3, 0.65], [0.5, 0.75]] });
  });
});

describe('zoomRange', () => {
  it('zooms when two safe means overlap beside a far unsafe one, over the rewards inside the region', () => {
    // BallRun's shape: three means at cost 0 within 0.05 of reward, CPQ at cost 9 with a reward bar of +-0.6 (so the
    // full panel spans ~1.2 in reward, and 0.03 of it is 0.036: a and b, b and c overlap).
    const s = [algo('a', 1, [0, 0.61]), algo('b', 2, [0, 0.64]), algo('c', 3, [0.01, 0.66]), algo('d', 5, [9, 0.72], [0.2, 0.6])];
    const r = zoomRange(s)!;
    expect(r).not.toBeNull();
    // Inside: means +- std span 0.59..0.68 (seeds the same); padded by 8 % of 0.09 each side.
    expect(r[0]).toBeCloseTo(0.59 - 0.0072, 6);
    expect(r[1]).toBeCloseTo(0.68 + 0.0072, 6);
  });

  it('no zoom when the safe means are apart, when one mean alone is safe, or when the axis is short', () => {
    // The same safe means, and a far mean with a short bar: the panel spans 0.59..0.74, so the safe means are apart.
    expect(zoomRange([algo('a', 1, [0, 0.61]), algo('b', 2, [0, 0.64]), algo('c', 3, [0.01, 0.66]), algo('d', 5, [9, 0.72])])).toBeNull();
    // PointGoal1's shape: two safe means far apart in reward.
    expect(zoomRange([algo('a', 0, [0.6, 0]), algo('b', 5, [0.7, -0.6]), algo('c', 2, [3, 0.5])])).toBeNull();
    expect(zoomRange([algo('a', 0, [0, 0.6]), algo('b', 5, [9, 0.6])])).toBeNull();
    // PointRobot's shape: everything within cost 3.2, so the region is over a third of the axis.
    expect(zoomRange([algo('a', 0, [0.5, 0.5]), algo('b', 1, [0.51, 0.5]), algo('c', 2, [1.5, 0.4], [1.4, 0.05])])).toBeNull();
  });
});

describe('writeScatter', () => {
  it('draws each algorithm in its own shape, the means hollow, and a second panel titled as the zoom when it zooms', async () => {
    const base = join(dir, 'crowded');
    await writeScatter(base, 'T', [algo('a', 1, [0, 0.61]), algo('b', 2, [0, 0.63]), algo('c', 5, [9, 0.72], [0.2, 0.6])]);
    const svg = readFileSync(`${base}.svg`, 'utf8');
    expect(svg).toContain('zoom: normalized cost &lt;= 1.25');
    expect(svg.match(/<clipPath id=/g)).toHaveLength(2);
    // The means, in each of the two panels: a hollow square (index 1, 14 px), a hollow triangle (index 2) and a hollow
    // star (index 5, ten corners); the legend's swatches are hollow too (a square 8 px wide, one triangle, one star).
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="14" height="14" fill="none" stroke="#ff7f0e"/g)).toHaveLength(2);
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="8" height="8" fill="none" stroke="#ff7f0e"/g)).toHaveLength(1);
    expect(svg.match(/<path d="M[\d. ]+L[\d. ]+L[\d. ]+Z" fill="none" stroke="#2ca02c"/g)).toHaveLength(3);
    expect(svg.match(/<path d="M[-\d. ]+(?:L[-\d. ]+){9}Z" fill="none" stroke="#8c564b"/g)).toHaveLength(3); // the zoom's is far outside its clip

    const apart = join(dir, 'apart');
    await writeScatter(apart, 'T', [algo('a', 1, [0.5, 0.5]), algo('b', 2, [0.9, 0.4])]);
    const one = readFileSync(`${apart}.svg`, 'utf8');
    expect(one).not.toContain('zoom:');
    expect(one.match(/<clipPath id=/g)).toHaveLength(1);
  });

  it("the zoom leaves out the bars of a mean outside it (a bar with no marker crossed BallRun's zoom) and keeps its seeds", async () => {
    const base = join(dir, 'outside');
    // c's mean (cost 1.4) is outside the zoom, its cost bar (1.4 +- 2) and one seed (cost 0.5) reach inside.
    const c = { ...algo('c', 4, [1.4, 0.7], [2, 0.01]), points: [[0.5, 0.69], [2.3, 0.71]] as [number, number][] };
    await writeScatter(base, 'T', [algo('a', 1, [0, 0.61]), algo('b', 2, [0, 0.63]), c, algo('d', 5, [9, 0.72], [0.2, 0.6])]);
    const svg = readFileSync(`${base}.svg`, 'utf8');
    expect(svg).toContain('the zoom draws bars only for the means inside it');
    const [full, zoom] = svg.split('<clipPath id="panel1"');
    const bars = (part: string, color: string) => (part.match(new RegExp(`<path d="M[-\\d. ]+L[-\\d. ]+" stroke="${color}"`, 'g')) ?? []).length;
    // c (purple) and d (brown): two bars each in the full panel, none in the zoom; a and b keep theirs in both.
    expect([bars(full, '#9467bd'), bars(zoom, '#9467bd')]).toEqual([2, 0]);
    expect([bars(full, '#8c564b'), bars(zoom, '#8c564b')]).toEqual([2, 0]);
    expect([bars(full, '#ff7f0e'), bars(zoom, '#ff7f0e')]).toEqual([2, 2]);
    // c's seeds and hollow mean are still drawn in the zoom (the clip hides what is outside): 2 seeds + 1 mean.
    expect(zoom.match(/<path d="M[-\d. ]+(?:L[-\d. ]+){2}Z" fill[^>]*#9467bd/g)).toHaveLength(3);
  });

  it('hollow markers and swatches keep the colour on the outline and no fill', () => {
    for (const marker of ['circle', 'square', 'triangle', 'triangle-down', 'diamond', 'star'] as const) {
      const svg = renderSvg({ panels: [{ xlim: [0, 1], ylim: [0, 1], series: [{ type: 'points', x: [0.5], y: [0.5], color: '#123456', marker, hollow: true, size: 6, label: 'm' }] }] });
      const marks = svg.match(/<(?:circle|rect|path)[^>]*#123456[^>]*>/g)!;
      expect(marks.length, marker).toBe(2); // the marker and its legend swatch
      for (const m of marks) {
        expect(m, marker).toContain('fill="none"');
        expect(m, marker).toContain('stroke="#123456"');
      }
      const filled = renderSvg({ panels: [{ xlim: [0, 1], ylim: [0, 1], series: [{ type: 'points', x: [0.5], y: [0.5], color: '#123456', marker, size: 6 }] }] });
      expect(filled, marker).toMatch(/fill="#123456"/);
    }
  });
});
