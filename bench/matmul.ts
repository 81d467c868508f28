/**
 * Matrix product GFLOP/s per backend and layout (A·B, Aᵀ·B, A·Bᵀ), against a plain i-k-j
 * Float32Array loop (the "ruler") timed in the same run.
 */
import type { Backend } from '../core/backend.js';
import { JsBackend } from '../core/backends/js.js';
import { WasmBackend } from '../core/backends/wasm/index.js';
import { filled, fmt, measure, type SectionResult, type Table, type Target } from './harness.js';

/** [m, k, n]: C (m x n) = A (m x k) B (k x n). */
const SIZES: [number, number, number][] = [[256, 17, 256], [256, 256, 256], [1024, 256, 256]];
const LAYOUTS: [string, boolean, boolean][] = [['A·B', false, false], ['Aᵀ·B', true, false], ['A·Bᵀ', false, true]];

/** The plain loop: C = A B, row-major, i-k-j order. */
function ikj(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, k: number): void {
  C.fill(0);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j] += a * B[bp + j];
    }
  }
}

export async function matmulSection(): Promise<SectionResult> {
  const backends: [string, Backend][] = [['js', new JsBackend()], ['wasm', new WasmBackend({ threads: 1 })]];
  let gpujsNote = '';
  try {
    const mod = (await import('../core/backends/gpujs/index.js')) as { GpujsBackend?: new () => Backend & { mode?: string } };
    if (mod.GpujsBackend) {
      const g = new mod.GpujsBackend();
      backends.push([`gpujs (${g.mode ?? '?'})`, g]);
    }
  } catch (e) {
    gpujsNote = ` gpujs skipped: ${(e as Error).message.split('\n')[0]}.`;
  }
  const cols = [
    'size (m×k · k×n)', 'layout', ...backends.map(([n]) => `${n} GFLOP/s`), 'wasm best sample GFLOP/s',
    'i-k-j loop GFLOP/s', 'wasm / loop',
  ];
  const rows: (string | number)[][] = [];
  const targets: Target[] = [];
  for (const [m, k, n] of SIZES) {
    const flops = 2 * m * n * k;
    const A = new Float32Array(m * k).map(() => Math.random() - 0.5);
    const B = new Float32Array(k * n).map(() => Math.random() - 0.5);
    const C = new Float32Array(m * n);
    const ruler = flops / measure(`ikj ${m}x${k}x${n}`, () => ikj(A, B, C, m, n, k)).median / 1e9;
    for (const [lname, tA, tB] of LAYOUTS) {
      const row: (string | number)[] = [`${m}×${k} · ${k}×${n}`, lname];
      let wasm = NaN;
      let wasmBest = NaN;
      for (const [bname, b] of backends) {
        const a = filled(b, m * k, 1);
        const bb = filled(b, k * n, 2);
        const c = b.alloc(m * n, 'float32');
        let g = NaN;
        try {
          const t = measure(`${bname} ${lname} ${m}x${k}x${n}`, () => b.matmul(a, bb, c, 1, m, n, k, tA, tB, 0, 0));
          g = flops / t.median / 1e9;
          if (bname === 'wasm') wasmBest = flops / t.min / 1e9;
        } catch (e) {
          console.warn(`${bname} ${lname}: ${(e as Error).message}`);
        }
        if (bname === 'wasm') wasm = g;
        row.push(fmt(g));
        b.free(a);
        b.free(bb);
        b.free(c);
      }
      row.push(fmt(wasmBest), fmt(ruler, 2), `${fmt(wasm / ruler)}×`);
      rows.push(row);
      console.log(row.join('  '));
      if (m === 256 && k === 256) {
        targets.push({ what: `wasm matmul 256×256·256×256 ${lname} >= 35 GFLOP/s`, met: wasm >= 35, detail: `${fmt(wasm)} GFLOP/s` });
        targets.push({ what: `wasm matmul 256×256·256×256 ${lname} >= 28× the i-k-j loop`, met: wasm / ruler >= 28, detail: `${fmt(wasm / ruler)}× (loop ${fmt(ruler, 2)} GFLOP/s)` });
      }
    }
  }
  const table: Table = {
    title: 'Matrix product, single thread',
    note: `GFLOP/s = 2·m·n·k / time per call (median of Benchmark.js samples). The i-k-j loop is a plain Float32Array A·B loop timed in the same run; "wasm / loop" is the wasm layout's speed over it (medians). "best sample" is the fastest Benchmark.js sample, closest to an unloaded machine.${gpujsNote}`,
    columns: cols,
    rows,
  };
  return { name: 'matmul', tables: [table], targets };
}
