/**
 * Shared pieces of the benchmark sections: Benchmark.js timing, result tables, targets.
 * A section is a function returning a SectionResult; bench/run.ts lists them and writes
 * BENCHMARKS.md.
 */
import Benchmark from 'benchmark';
import type { Backend, DataBuffer } from '../core/backend.js';

export interface Table {
  title: string;
  note?: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface Target {
  what: string;
  met: boolean;
  detail: string;
}

export interface SectionResult {
  name: string;
  tables: Table[];
  targets?: Target[];
}

export type Section = () => Promise<SectionResult> | SectionResult;

/** Seconds Benchmark.js spends per case ($BENCH_MAX_TIME, default 1). */
export const MAX_TIME = Number(process.env.BENCH_MAX_TIME ?? 1);

export interface Timing {
  /** Mean seconds per call. */
  mean: number;
  /**
   * Median over Benchmark.js's samples (each the mean of many calls) of seconds per call: less
   * sensitive than `mean` to other processes on a busy machine.
   */
  median: number;
  /** Fastest sample, seconds per call. */
  min: number;
  /** Relative margin of error, percent. */
  rme: number;
  samples: number;
}

/** Times `fn` with Benchmark.js (synchronously). */
export function measure(name: string, fn: () => void, maxTime = MAX_TIME): Timing {
  fn(); // warm up (JIT, wasm tier-up, lazily compiled kernels)
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 5, initCount: 1 });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  const sorted = [...bench.stats.sample].sort((a, b) => a - b);
  const median = sorted.length ? sorted[sorted.length >> 1] : bench.stats.mean;
  return { mean: bench.stats.mean, median, min: sorted.length ? sorted[0] : bench.stats.mean, rme: bench.stats.rme, samples: bench.stats.sample.length };
}

/** A buffer of `n` pseudo-random floats in [-1, 1). */
export function filled(b: Backend, n: number, seed: number): DataBuffer {
  const buf = b.alloc(n, 'float32');
  const v = buf.view();
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    v[i] = (s / 2 ** 32) * 2 - 1;
  }
  return buf;
}

export function fmt(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '-';
  return x.toFixed(digits);
}

export function markdownTable(t: Table): string {
  const lines = [`### ${t.title}`, ''];
  if (t.note) lines.push(t.note, '');
  lines.push(`| ${t.columns.join(' | ')} |`);
  lines.push(`|${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}
