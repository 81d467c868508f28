/**
 * SVG -> PNG with resvg (Rust SVG renderer compiled to WebAssembly, `@resvg/resvg-wasm`) and the DejaVu Sans
 * TTF shipped by the `dejavu-fonts-ttf` npm package: no native build, no system fonts, works offline, and
 * the PNG is the same picture as the SVG. Node only (reads the wasm and the font from node_modules).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { writeFileAtomic } from '../io/atomic.js';
import { renderSvg, type FigureSpec } from './chart.js';

const require = createRequire(import.meta.url);

let ready: Promise<Uint8Array[]> | null = null;

/** Loads the wasm module and the fonts once per process. */
function init(): Promise<Uint8Array[]> {
  ready ??= (async () => {
    const wasmPath = require.resolve('@resvg/resvg-wasm/index_bg.wasm');
    const fontDir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    await initWasm(readFileSync(wasmPath));
    return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => new Uint8Array(readFileSync(join(fontDir, f))));
  })();
  return ready;
}

async function render<T>(svg: string, scale: number, take: (img: ReturnType<InstanceType<typeof Resvg>['render']>) => T): Promise<T> {
  const fonts = await init();
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { fontBuffers: fonts, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  } as ConstructorParameters<typeof Resvg>[1]);
  try {
    const img = r.render();
    try {
      return take(img);
    } finally {
      img.free();
    }
  } finally {
    r.free();
  }
}

/** Renders an SVG document to PNG bytes at `scale` x its nominal size (2 = crisp on high-DPI screens). */
export function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  return render(svg, scale, (img) => img.asPng());
}

/** The same rendering as raw RGBA pixels (for tests and image checks). */
export function svgToPixels(svg: string, scale = 1): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  return render(svg, scale, (img) => ({ width: img.width, height: img.height, rgba: new Uint8Array(img.pixels) }));
}

/** Writes `<base>.svg` and `<base>.png` (atomically, creating the directory). Returns both paths. */
export async function writeFigure(base: string, fig: FigureSpec | string, scale = 2): Promise<{ svg: string; png: string }> {
  const svgText = typeof fig === 'string' ? fig : renderSvg(fig);
  const png = await svgToPng(svgText, scale);
  mkdirSync(dirname(base) || '.', { recursive: true });
  writeFileAtomic(`${base}.svg`, svgText);
  writeFileAtomic(`${base}.png`, png);
  return { svg: `${base}.svg`, png: `${base}.png` };
}
