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
  const s = bench.stats.sample;
  return { mean: bench.stats.mean, median: s.length ? median(s) : bench.stats.mean, min: s.length ? Math.min(...s) : bench.stats.mean, rme: bench.stats.rme, samples: s.length };
}

/**
 * The median of `xs`: for an even count the mean of the two middle values. Taking the upper one instead
 * (as every bench script did) read 1.6-3.2 % high at the cpu preset's 10 / 20 updates on a busy machine, against
 * PyTorch peers whose `statistics.median` averages the two.
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median: no samples (0 repetitions timed)');
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * A repetition count from the command line (`what` names it in the error): a whole number >= 1, else
 * `fallback` when absent. A count of 0 or a non-number timed nothing and printed no median.
 */
export function countArg(what: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1) throw new Error(`${what} must be a whole number >= 1, got '${raw}'`);
  return n;
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
