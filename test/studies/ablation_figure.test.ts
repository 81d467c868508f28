/**
 * `scripts/ablations.ts --figure-only`: the figure redrawn from the study's JSON record alone, one shape per arm with
 * hollow means; a record without cells is an error naming the file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redrawAblationFigure } from '../../scripts/ablations.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-ablfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cell = (arm: string, seed: number, r: number, c: number) => ({ arm, task: 'PointRobot', seed, normalizedReward: r, normalizedCost: c, safeFraction: 1 });

describe('redrawAblationFigure', () => {
  it("draws every arm's seeds and hollow mean in the arm's own shape, from the JSON record", async () => {
    const json = join(dir, 'studies.json');
    writeFileSync(json, JSON.stringify({
      other: { kept: true },
      ablations: { tasks: ['PointRobot'], arms: [{ name: 'default' }, { name: 'samples-1' }], cells: [cell('default', 0, 0.4, 0.2), cell('default', 1, 0.5, 0.4), cell('samples-1', 0, 0.3, 0.9)] },
    }));
    const base = await redrawAblationFigure(json, dir);
    expect(base).toBe(join(dir, 'ablations'));
    const svg = readFileSync(`${base}.svg`, 'utf8');
    expect(svg).toContain('>PointRobot<');
    // default: two seed circles and a hollow mean circle of radius 7; samples-1: one seed square and a hollow mean square.
    expect(svg.match(/<circle [^>]*r="2.5" fill="#1f77b4"/g)).toHaveLength(2);
    expect(svg.match(/<circle [^>]*r="7" fill="none" stroke="#1f77b4"/g)).toHaveLength(1);
    expect(svg.match(/<rect [^>]*width="5" height="5" fill="#ff7f0e"/g)).toHaveLength(1);
    expect(svg.match(/<rect [^>]*width="14" height="14" fill="none" stroke="#ff7f0e"/g)).toHaveLength(1);
    expect(readFileSync(`${base}.png`).subarray(1, 4).toString()).toBe('PNG');
  });

  it('a file without an ablations record, or with no cells, is an error naming it', async () => {
    const json = join(dir, 'empty.json');
    writeFileSync(json, JSON.stringify({ dataQuantity: {} }));
    await expect(redrawAblationFigure(json, dir)).rejects.toThrow(`${json} has no 'ablations' record with cells to draw`);
    writeFileSync(json, JSON.stringify({ ablations: { tasks: [], arms: [], cells: [] } }));
    await expect(redrawAblationFigure(json, dir)).rejects.toThrow(/has no 'ablations' record/);
  });
});
