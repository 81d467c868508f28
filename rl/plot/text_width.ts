/**
 * Rendered text width in DejaVu Sans, the font of every figure (SVG font-family, and the TTF resvg draws the PNG
 * with), for legend boxes and label placement. The advance widths are the font's own (hmtx table of
 * dejavu-fonts-ttf's DejaVuSans.ttf, 2048 units per em), in thousandths of an em; kerning is not applied.
 */

/** Advance widths of the printable ASCII characters ' ' (32) to '~' (126), thousandths of an em. */
const ASCII = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636, 636,
  636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
  603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
  634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
];

/** The other characters our labels use (Greek letters, math signs, the tick labels' minus sign U+2212). */
const OTHER: Record<string, number> = {
  '±': 838, '·': 318, '×': 838, '≤': 838, '≥': 838, 'σ': 634, 'λ': 592, 'κ': 589, 'θ': 612, 'π': 602, 'μ': 636, 'τ': 602,
  'β': 638, 'γ': 592, 'δ': 612, 'ε': 541, 'ψ': 660, '—': 1000, '–': 500, '−': 838, '†': 500, 'ᵀ': 385, '²': 401, '√': 637,
  '∞': 833, '≈': 838, '°': 500,
};

/** A character outside both tables: an average lowercase advance. */
const UNKNOWN = 600;

/** Width of `text` in px at font size `size` px (regular weight). */
export function textWidth(text: string, size: number): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += c >= 32 && c <= 126 ? ASCII[c - 32] : (OTHER[ch] ?? UNKNOWN);
  }
  return (w / 1000) * size;
}
