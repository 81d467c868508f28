/**
 * Helpers shared by the backend suites (test/backends/*.test.ts): deterministic data, buffers on
 * a backend, the float32 comparison, broadcast operands.
 */
import { expect } from 'vitest';
import type { Backend, DataBuffer } from '../../core/backend.js';
import { JsBackend } from '../../core/backends/js.js';
import { WasmBackend } from '../../core/backends/wasm/index.js';
import { GpujsBackend } from '../../core/backends/gpujs/index.js';

/** Deterministic pseudo-random float32 data in [lo, hi). */
export function data(n: number, lo = -1, hi = 1, seed = n * 7919 + 17): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

/** A buffer of `b` holding `xs`. */
export function put(b: Backend, xs: ArrayLike<number>): DataBuffer {
  const buf = b.alloc(xs.length, 'float32');
  b.write(buf, xs);
  return buf;
}

/** Index of the first element where |a - b| > rtol |b| + atol (NaN must match NaN), or -1. */
export function mismatch(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number, scale?: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(y)) {
      if (!Number.isNaN(x)) return i;
      continue;
    }
    if (x === y) continue;
    const s = scale ? scale[i] : Math.abs(y);
    if (!(Math.abs(x - y) <= rtol * s + atol)) return i;
  }
  return -1;
}

/** Fails naming the first element of `got` not within rtol |want| + atol (or scale) of `want`. */
export function expectClose(
  got: DataBuffer | ArrayLike<number>, want: DataBuffer | ArrayLike<number>, rtol = 1e-5, atol = 1e-6, what = '',
  scale?: ArrayLike<number>, names: [string, string] = ['got', 'want'],
): void {
  const av = 'view' in got ? got.view() : got;
  const bv = 'view' in want ? want.view() : want;
  const i = mismatch(av, bv, rtol, atol, scale);
  if (i >= 0) expect.fail(`${what}: element ${i} of ${bv.length}: ${names[0]} ${av[i]} vs ${names[1]} ${bv[i]}`);
}

/** Frees buffers of any backend. */
export function release(...bufs: DataBuffer[]): void {
  for (const b of bufs) b.backend.free(b);
}

export function rowMajor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** An operand broadcast to `shape`: keeps the axes in `keep`, size 1 elsewhere. */
export function operand(shape: readonly number[], keep: boolean[]): { len: number; strides: number[] } {
  const own = shape.map((s, d) => (keep[d] ? s : 1));
  const rm = rowMajor(own);
  return { len: own.reduce((a: number, b: number) => a * b, 1), strides: own.map((s, d) => (s === 1 ? 0 : rm[d])) };
}

export interface BackendCase {
  name: string;
  make(): Backend;
  /** Share of the property-test runs this backend does (gpu.js compiles a kernel per shape). */
  share: number;
}

/** Every backend (and mode) the cross-backend suites run over, like TF.js's ALL_ENVS. */
export const ALL_BACKENDS: BackendCase[] = [
  { name: 'js', make: () => new JsBackend(), share: 1 },
  { name: 'wasm', make: () => new WasmBackend({ threads: 1 }), share: 1 },
  // Splits every product it can between the two threads.
  { name: 'wasm, 2 threads', make: () => new WasmBackend({ threads: 2, threadMinMacs: 1 }), share: 0.5 },
  // Relaxed-SIMD FMA in the GEMM (Node 20 gets it from the in-process flag).
  { name: 'wasm-fma', make: () => new WasmBackend({ threads: 1, fma: true }), share: 0.5 },
  { name: 'wasm-fma, 2 threads', make: () => new WasmBackend({ threads: 2, threadMinMacs: 1, fma: true }), share: 0.25 },
  { name: 'gpujs', make: () => new GpujsBackend(), share: 0.1 },
  { name: 'gpujs cpu mode', make: () => new GpujsBackend({ mode: 'cpu' }), share: 0.1 },
];

/** Values with -0 spelled out as '-0', so that toEqual tells the two zeros apart. */
export const spelledZeros = (xs: ArrayLike<number>): (number | string)[] => Array.from(xs, (v) => (Object.is(v, -0) ? '-0' : v));

/** One ulp of float32 at |v|: the spacing above fround(|v|). */
export function ulpF32(v: number): number {
  const f = new Float32Array([Math.abs(v)]);
  const u = new Uint32Array(f.buffer);
  const lo = f[0];
  u[0] += 1;
  return f[0] - lo;
}

/** The largest error of `got[i]` against the float64 reference `ref(xs[i])`, in float32 ulps of the reference, and where. */
export function worstUlp(got: ArrayLike<number>, xs: ArrayLike<number>, ref: (x: number) => number): { worst: number; at: number } {
  let worst = 0;
  let at = 0;
  for (let i = 0; i < xs.length; i++) {
    const r = ref(xs[i]);
    const e = Math.abs(got[i] - r) / ulpF32(r);
    if (!(e <= worst)) { worst = e; at = xs[i]; }
  }
  return { worst, at };
}
