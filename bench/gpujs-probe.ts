/**
 * Quick timings of the gpujs backend against the js reference, for docs/GPUJS.md.
 * Run: npx tsx bench/gpujs-probe.ts [mode ...]   (default: the mode gpu.js picks, and 'cpu')
 * Each figure is the median of several timed repetitions after a warm-up call (which compiles).
 */
import type { Backend, DataBuffer } from '../core/backend.js';
import { JsBackend } from '../core/backends/js.js';
import { GpujsBackend } from '../core/backends/gpujs/index.js';
import { median } from './harness.js';

function filled(b: Backend, n: number, seed: number): DataBuffer {
  const buf = b.alloc(n, 'float32');
  const v = buf.view();
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    v[i] = (s / 2 ** 32) * 2 - 1;
  }
  return buf;
}

/** Median ms per call of fn, timing batches long enough to be measurable. */
function time(fn: () => void, minMs = 150): number {
  fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = performance.now() - t0;
    if (dt > 20 || reps > 1e6) break;
    reps *= 4;
  }
  const samples: number[] = [];
  const end = performance.now() + minMs;
  do {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    samples.push((performance.now() - t0) / reps);
  } while (performance.now() < end || samples.length < 5);
  return median(samples);
}

interface Case {
  name: string;
  flops?: number;
  run(b: Backend): () => void;
}

function mm(m: number, n: number, k: number, transA = false, transB = false): Case {
  return {
    name: `matmul ${m}x${k} @ ${k}x${n}${transA ? ' (Aᵀ)' : ''}${transB ? ' (Bᵀ)' : ''}`,
    flops: 2 * m * n * k,
    run(b) {
      const a = filled(b, m * k, 1);
      const bb = filled(b, k * n, 2);
      const c = b.alloc(m * n, 'float32');
      return () => b.matmul(a, bb, c, 1, m, n, k, transA, transB, 0, 0);
    },
  };
}

const CASES: Case[] = [
  mm(256, 256, 256),
  mm(256, 256, 256, true, false),
  mm(256, 256, 17),
  mm(64, 64, 64),
  {
    name: 'unary relu, 65536',
    run(b) {
      const x = filled(b, 65536, 3);
      const o = b.alloc(65536, 'float32');
      return () => b.unary('relu', x, o);
    },
  },
  {
    name: 'unary tanh, 65536',
    run(b) {
      const x = filled(b, 65536, 3);
      const o = b.alloc(65536, 'float32');
      return () => b.unary('tanh', x, o);
    },
  },
  {
    name: 'binary add [256,256]+[256]',
    run(b) {
      const x = filled(b, 65536, 4);
      const y = filled(b, 256, 5);
      const o = b.alloc(65536, 'float32');
      return () => b.binary('add', x, y, o, [256, 256], [256, 1], [0, 1]);
    },
  },
  {
    name: 'unary scale, 1 element (per-call cost)',
    run(b) {
      const x = filled(b, 1, 6);
      const o = b.alloc(1, 'float32');
      return () => b.unary('scale', x, o, 2);
    },
  },
];

const modes = process.argv.slice(2);
const backends: [string, Backend][] = [['js', new JsBackend()]];
for (const m of modes.length ? modes : ['', 'cpu']) {
  const g = new GpujsBackend(m ? { mode: m } : {});
  backends.push([`gpujs ${g.mode}${m ? '' : ' (auto)'}`, g]);
}

console.log(`| case | ${backends.map(([n]) => n).join(' | ')} |`);
console.log(`|---|${backends.map(() => '---').join('|')}|`);
for (const c of CASES) {
  const cells = backends.map(([, b]) => {
    const ms = time(c.run(b));
    const t = ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} us`;
    return c.flops ? `${t} (${(c.flops / ms / 1e6).toFixed(2)} GFLOP/s)` : t;
  });
  console.log(`| ${c.name} | ${cells.join(' | ')} |`);
}
