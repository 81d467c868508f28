/** Tensor factories: constants, ranges and seeded random draws. */
import type { DType } from './backend.js';
import { backendByName } from './backend.js';
import { Rng } from './rng.js';
import { checkShape } from './shape.js';
import { Tensor } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** Backend name; default: the current backend. */
  backend?: string;
}

export interface RandomOptions extends CreateOptions {
  /** Generator to draw from; default: the module-level generator (see `manualSeed`). */
  rng?: Rng;
}

let defaultRng = new Rng(0);

/** Re-seeds the module-level generator used when no `rng` is given. */
export function manualSeed(seed: number): void {
  defaultRng = new Rng(seed);
}

function make(op: string, shape: readonly number[], opts: CreateOptions, fillWith: (n: number) => ArrayLike<number> | number): Tensor {
  const s = checkShape(op, shape);
  const t = Tensor.empty(s, opts.dtype ?? 'float32', opts.backend ? backendByName(opts.backend) : undefined);
  const v = fillWith(t.size);
  if (typeof v === 'number') t.backend.fill(t.buffer, v);
  else t.backend.write(t.buffer, v);
  t.requiresGrad = opts.requiresGrad ?? false;
  return t;
}

export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return make('zeros', shape, opts, () => 0);
}

export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return make('ones', shape, opts, () => 1);
}

export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  if (typeof value !== 'number') throw new Error(`full: value must be a number, got ${typeof value}`);
  return make('full', shape, opts, () => value);
}

/** [start, start+step, ...) up to `stop` (exclusive); `arange(n)` is 0..n-1. */
export function arange(start: number, stop?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a finite non-zero number, got ${step}`);
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  return make('arange', [n], opts, () => Float64Array.from({ length: n }, (_, i) => lo + i * step));
}

function draws(n: number, f: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f();
  return out;
}

/** Throws unless `v` is a finite number (a NaN bound or mean fills the tensor with NaN, silently). */
function finiteOpt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

/** Uniform in [low, high); low < high (with low > high the draws would silently fall in (high, low]). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const rng = opts.rng ?? defaultRng;
  const lo = finiteOpt('rand', 'low', opts.low ?? 0);
  const hi = finiteOpt('rand', 'high', opts.high ?? 1);
  if (!(lo < hi)) throw new Error(`rand: need low < high, got low=${lo}, high=${hi}`);
  return make('rand', shape, opts, (n) => draws(n, () => lo + (hi - lo) * rng.uniform53()));
}

/** Normal with mean `mean` and standard deviation `std`. */
export function randn(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const rng = opts.rng ?? defaultRng;
  const mu = finiteOpt('randn', 'mean', opts.mean ?? 0);
  const sd = finiteOpt('randn', 'std', opts.std ?? 1);
  if (sd < 0) throw new Error(`randn: std must be >= 0, got ${sd}`);
  return make('randn', shape, opts, (n) => draws(n, () => mu + sd * rng.normal()));
}

/** Integers uniform in [low, high), stored as floats (tensors are float32 or float64). */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new Error(`randint: need integers low < high, got low=${low}, high=${high}`);
  }
  const rng = opts.rng ?? defaultRng;
  return make('randint', shape, opts, (n) => draws(n, () => low + rng.int(high - low)));
}
