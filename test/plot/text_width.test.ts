/**
 * textWidth (rl/plot/text_width.ts) against the font the figures are drawn with: each character's advance is read
 * here from DejaVuSans.ttf itself (cmap format 4 -> glyph -> hmtx), not from the table the module holds.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { textWidth } from '../../rl/plot/text_width.js';

/** Advance width in em of each character of the TrueType font at `path` (Windows Unicode BMP cmap). */
function fontAdvances(path: string): (ch: string) => number {
  const b = readFileSync(path);
  const tables = new Map<string, number>();
  for (let i = 0; i < b.readUInt16BE(4); i++) tables.set(b.toString('latin1', 12 + 16 * i, 16 + 16 * i), b.readUInt32BE(20 + 16 * i));
  const head = tables.get('head')!, hhea = tables.get('hhea')!, hmtx = tables.get('hmtx')!, cmap = tables.get('cmap')!;
  const unitsPerEm = b.readUInt16BE(head + 18), metrics = b.readUInt16BE(hhea + 34);
  let sub = -1;
  for (let i = 0; i < b.readUInt16BE(cmap + 2); i++) {
    if (b.readUInt16BE(cmap + 4 + 8 * i) === 3 && b.readUInt16BE(cmap + 6 + 8 * i) === 1) sub = cmap + b.readUInt32BE(cmap + 8 + 8 * i);
  }
  expect(b.readUInt16BE(sub)).toBe(4);
  const segs = b.readUInt16BE(sub + 6) / 2;
  const ends = sub + 14, starts = ends + 2 * segs + 2, deltas = starts + 2 * segs, offsets = deltas + 2 * segs;
  const glyph = (c: number): number => {
    for (let k = 0; k < segs; k++) {
      if (c > b.readUInt16BE(ends + 2 * k) || c < b.readUInt16BE(starts + 2 * k)) continue;
      const delta = b.readInt16BE(deltas + 2 * k), ro = b.readUInt16BE(offsets + 2 * k);
      if (ro === 0) return (c + delta) & 0xffff;
      const g = b.readUInt16BE(offsets + 2 * k + ro + 2 * (c - b.readUInt16BE(starts + 2 * k)));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  return (ch) => b.readUInt16BE(hmtx + 4 * Math.min(glyph(ch.codePointAt(0)!), metrics - 1)) / unitsPerEm;
}

const require = createRequire(import.meta.url);
const advance = fontAdvances(join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf', 'DejaVuSans.ttf'));

describe('textWidth', () => {
  it("is DejaVu Sans's advance width of every printable ASCII character and of the labels' other signs", () => {
    const chars = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), ...'±·×≤≥σλκθπμτβγδεψ—–−†ᵀ²√∞≈°'];
    for (const ch of chars) expect(textWidth(ch, 1000), JSON.stringify(ch)).toBeCloseTo(advance(ch) * 1000, -0.1);
    // digits are tabular (0.636 em, '1' included) and wider than the 0.6 the old estimate used
    expect(textWidth('1', 100)).toBeCloseTo(63.6, 1);
  });

  it('adds up the characters of a string and scales with the font size', () => {
    const label = 'normalized cost ≤ 1 (κ = 10)';
    const want = [...label].reduce((w, ch) => w + advance(ch), 0) * 11;
    expect(textWidth(label, 11)).toBeCloseTo(want, 1);
    expect(textWidth(label, 22)).toBeCloseTo(2 * textWidth(label, 11), 9);
    expect(textWidth('', 11)).toBe(0);
    expect(textWidth('€', 10)).toBe(6); // outside the tables: an average advance
  });
});
