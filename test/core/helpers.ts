/** Shared generators for the core property tests. */
import fc from 'fast-check';
import { Rng, tensor, type Tensor } from '../../core/index.js';

/** Shapes of rank 0-3 with awkward sizes (1, 2, 3, 5, 17 along one axis). */
export const shapeArb = fc.oneof(
  fc.constant<number[]>([]),
  fc.array(fc.constantFrom(1, 2, 3, 5), { minLength: 1, maxLength: 3 }),
  fc.constantFrom<number[]>([17], [1, 17], [17, 1], [3, 17]),
);

/** A shape that broadcasts against `shape`: drops leading axes and sets some sizes to 1. */
export function broadcastPartner(shape: readonly number[], mask: number, drop: number): number[] {
  const kept = shape.slice(Math.min(drop, shape.length));
  return kept.map((d, i) => ((mask >> i) & 1 ? 1 : d));
}

export interface ValueSpec {
  lo: number;
  hi: number;
  /** Keep |x - k| >= gap from these kinks. */
  avoid?: number[];
  gap?: number;
}

/** A float64 tensor of `shape` with values drawn from `spec` by a seeded Rng. */
export function valuesTensor(shape: readonly number[], seed: number, spec: ValueSpec = { lo: -2, hi: 2 }): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = rng.uniformRange(spec.lo, spec.hi);
    while (spec.avoid?.some((k) => Math.abs(v - k) < (spec.gap ?? 0.05)));
    data[i] = v;
  }
  return tensor(data, { shape, dtype: 'float64', backend: 'js' });
}

/** Distinct, well-separated values in random order (for max/min, whose gradient needs no ties). */
export function distinctTensor(shape: readonly number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const data = Float64Array.from(order, (k) => (k - n / 2) * 0.1 + 0.01 * rng.uniform());
  return tensor(data, { shape, dtype: 'float64', backend: 'js' });
}

export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** fast-check settings shared by the gradient properties. */
export const propOpts = { numRuns: 25 };
