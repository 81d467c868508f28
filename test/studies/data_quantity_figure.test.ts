/**
 * `scripts/data_quantity.ts --figure-only`: the figure redrawn from the study's JSON record alone; every algorithm
 * after the first is dashed with its own marker, so equal means (BC-Safe and FISOR at BallCircle's cost 0) both show.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redrawDataQuantityFigure } from '../../scripts/data_quantity.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-dqfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cell = (algo: string, task: string, fraction: number, seed: number, r: number, c: number) =>
  ({ algo, task, fraction, seed, normalizedReward: r, normalizedCost: c, safeFraction: 1 });

describe('redrawDataQuantityFigure', () => {
  it('draws a reward and a cost panel per task from the record; the second algorithm dashed, in diamonds', async () => {
    const json = join(dir, 'studies.json');
    writeFileSync(json, JSON.stringify({
      other: { kept: true },
      dataQuantity: { cells: [
        cell('fisor', 'BallCircle', 1, 0, 0.1, 0), cell('fisor', 'BallCircle', 0.5, 0, 0.12, 0),
        cell('bc-safe', 'BallCircle', 1, 0, 0.15, 0), cell('bc-safe', 'BallCircle', 0.5, 0, 0.14, 0),
      ] },
    }));
    const base = await redrawDataQuantityFigure(json, dir);
    expect(base).toBe(join(dir, 'data-quantity'));
    const svg = readFileSync(`${base}.svg`, 'utf8');
    expect(svg).toContain('>BallCircle: normalized reward<');
    expect(svg).toContain('>BallCircle: normalized cost<');
    // Per panel one mean line each: FISOR's (blue) solid, BC-Safe's (orange) dashed; the legend's swatches the same.
    const lines = (color: string) => svg.match(new RegExp(`<path d="M[-\\d. ]+L[-\\d. ]+" stroke="${color}" stroke-width="2.4"[^>]*>`, 'g')) ?? [];
    expect(lines('#1f77b4')).toHaveLength(2);
    expect(lines('#ff7f0e')).toHaveLength(2);
    for (const l of lines('#1f77b4')) expect(l).not.toContain('stroke-dasharray');
    for (const l of lines('#ff7f0e')) expect(l).toContain('stroke-dasharray="7 4"');
    expect(svg.match(/<line [^>]*stroke="#ff7f0e"[^>]*stroke-dasharray="7 4"/g)).toHaveLength(1);
    // Markers: FISOR's seeds and means are circles (2 + 2 per panel), BC-Safe's diamonds (4-point paths).
    expect(svg.match(/<circle [^>]*fill="#1f77b4"/g)).toHaveLength(8);
    expect(svg.match(/<path d="M[-\d. ]+(?:L[-\d. ]+){3}Z" fill="#ff7f0e"/g)).toHaveLength(8);
    expect(readFileSync(`${base}.png`).subarray(1, 4).toString()).toBe('PNG');
  });

  it('a file without a dataQuantity record, or with no cells, is an error naming it', async () => {
    const json = join(dir, 'empty.json');
    writeFileSync(json, JSON.stringify({ ablations: {} }));
    await expect(redrawDataQuantityFigure(json, dir)).rejects.toThrow(`${json} has no 'dataQuantity' record with cells to draw`);
    writeFileSync(json, JSON.stringify({ dataQuantity: { cells: [] } }));
    await expect(redrawDataQuantityFigure(json, dir)).rejects.toThrow(/has no 'dataQuantity' record/);
  });
});
