import { inflateSync } from 'node:zlib';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, encodePng } from '../../rl/plot/png.js';
import { iouInfeasible, writeFeasibleFigure, zeroContour } from '../../rl/plot/feasible.js';
import { pointRobotH } from '../../rl/envs/point_robot.js';

describe('PNG encoder', () => {
  it('CRC-32 matches known values', () => {
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('writes signature, IHDR, IDAT (inflates to filtered rows), IEND with valid CRCs', () => {
    const px = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => i * 10);
    const png = encodePng(3, 2, px, 3);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const dv = new DataView(png.buffer, png.byteOffset);
    let o = 8;
    const chunks: { type: string; data: Uint8Array }[] = [];
    while (o < png.length) {
      const len = dv.getUint32(o);
      const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
      const data = png.subarray(o + 8, o + 8 + len);
      expect(dv.getUint32(o + 8 + len)).toBe(crc32(png.subarray(o + 4, o + 8 + len)));
      chunks.push({ type, data });
      o += 12 + len;
    }
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ih = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset);
    expect([ih.getUint32(0), ih.getUint32(4), chunks[0].data[8], chunks[0].data[9]]).toEqual([3, 2, 8, 2]);
    const raw = inflateSync(chunks[1].data);
    expect(raw.length).toBe(2 * (1 + 9));
    expect(raw[0]).toBe(0);
    expect(Array.from(raw.subarray(1, 10))).toEqual(Array.from(px.subarray(0, 9)));
    expect(Array.from(raw.subarray(11, 20))).toEqual(Array.from(px.subarray(9, 18)));
    expect(() => encodePng(2, 2, new Uint8Array(5))).toThrow(/expected 12 bytes/);
  });
});

describe('feasible-region figure', () => {
  it('IoU of infeasible sets, and the marching-squares zero contour of a disc', () => {
    expect(iouInfeasible([1, 1, -1, -1], Uint8Array.from([0, 1, 0, 1])).iou).toBeCloseTo(1 / 3, 12);
    expect(iouInfeasible([-1, -1], Uint8Array.from([1, 1])).iou).toBe(1);
    const n = 41, xs = Float64Array.from({ length: n }, (_, i) => -2 + (4 * i) / (n - 1));
    const segs = zeroContour((i) => 1 - Math.hypot(xs[i % n], xs[Math.floor(i / n)]), xs, xs);
    expect(segs.length).toBeGreaterThan(20);
    for (const [x1, y1] of segs) expect(Math.abs(Math.hypot(x1, y1) - 1)).toBeLessThan(0.02);
  });

  it('a V_h that ignores braking (V_h = h) under-estimates the infeasible set but overlaps it; files are written', async () => {
    // h-only oracle: V_h = h(x, y) misses the braking-distance part, so IoU < 1 but > 0.5 for slow slices.
    const dir = mkdtempSync(join(tmpdir(), 'fisor-fig-'));
    const res = await writeFeasibleFigure((obs) => {
      const out = new Float32Array(obs.length / 11);
      for (let i = 0; i < out.length; i++) out[i] = pointRobotH(obs[i * 11], obs[i * 11 + 1]);
      return out;
    }, join(dir, 'fig'), { n: 60 });
    expect(res.slices).toHaveLength(3);
    for (const s of res.slices) {
      expect(s.iou).toBeGreaterThan(0.5);
      expect(s.iou).toBeLessThanOrEqual(1);
      expect(s.learnedInfeasible).toBeLessThanOrEqual(s.trueInfeasible + 1e-9);
    }
    expect(readFileSync(res.svg, 'utf8')).toMatch(/^<svg/);
    expect(Array.from(readFileSync(res.png).subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
    expect(JSON.parse(readFileSync(res.json, 'utf8')).slices).toHaveLength(3);
    expect(readFileSync(res.svg, 'utf8')).toContain('PointRobot feasible region: learned V_h vs ground truth');
  });

  it("names the run's seed and step in the title when the caller gives them", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fisor-fig-'));
    const res = await writeFeasibleFigure((obs) => new Float32Array(obs.length / 11).fill(-1), join(dir, 'fig'), { n: 20, meta: { seed: 2, step: 10000 } });
    expect(readFileSync(res.svg, 'utf8')).toContain('PointRobot feasible region (seed 2, step 10000): learned V_h vs ground truth');
    expect(JSON.parse(readFileSync(res.json, 'utf8'))).toMatchObject({ seed: 2, step: 10000 });
  });
});
