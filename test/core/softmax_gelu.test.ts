/**
 * The ops CDT added to core: softmax, log-softmax, exact GELU and the causal mask. Each VJP passes
 * gradcheck (float64, relative error <= 1e-6) over random shapes and values; the forwards match
 * hand-computed values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { causalMask, erf, gelu, gradcheck, keyPaddingMask, logSoftmax, softmax, tensor, type Tensor } from '../../core/index.js';
import { propOpts, seedArb, valuesTensor } from './helpers.js';

/** Rank 1-3 shapes whose last axis is not empty. */
const rowsArb = fc.oneof(
  fc.array(fc.constantFrom(1, 2, 3, 5), { minLength: 1, maxLength: 3 }),
  fc.constantFrom<number[]>([17], [3, 17], [2, 2, 7]),
);

function expectGrad(fn: (x: Tensor) => Tensor, x: Tensor): void {
  const r = gradcheck(fn, [x]);
  expect(r.maxRelErr, JSON.stringify(r.perInput)).toBeLessThanOrEqual(1e-6);
}

describe('softmax / logSoftmax', () => {
  it('softmax gradcheck', () => {
    fc.assert(fc.property(rowsArb, seedArb, (shape, seed) => expectGrad((x) => softmax(x), valuesTensor(shape, seed, { lo: -4, hi: 4 }))), propOpts);
  });
  it('logSoftmax gradcheck', () => {
    fc.assert(fc.property(rowsArb, seedArb, (shape, seed) => expectGrad((x) => logSoftmax(x), valuesTensor(shape, seed, { lo: -4, hi: 4 }))), propOpts);
  });
  it('values by hand, and stable for large logits', () => {
    const y = softmax(tensor([[0, Math.log(3)], [1000, 1000]], { dtype: 'float64' })).toFlatArray();
    expect(y[0]).toBeCloseTo(0.25, 12);
    expect(y[1]).toBeCloseTo(0.75, 12);
    expect(y[2]).toBeCloseTo(0.5, 12);
    const l = logSoftmax(tensor([1, 2, 3], { dtype: 'float64' })).toFlatArray();
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    l.forEach((v, i) => expect(v).toBeCloseTo(i + 1 - lse, 12));
  });
  it('a scalar is rejected with a clear error', () => {
    expect(() => softmax(tensor(1))).toThrow(/rank >= 1/);
  });
});

describe('gelu', () => {
  it('gradcheck', () => {
    fc.assert(fc.property(rowsArb, seedArb, (shape, seed) => expectGrad((x) => gelu(x), valuesTensor(shape, seed, { lo: -5, hi: 5 }))), propOpts);
  });
  it('erf against tabulated values (Abramowitz & Stegun table 7.1)', () => {
    const table: [number, number][] = [[0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3, 0.9999779095030014], [4, 0.9999999845827421]];
    for (const [x, v] of table) {
      expect(erf(x)).toBeCloseTo(v, 14);
      expect(erf(-x)).toBeCloseTo(-v, 14);
    }
  });
  it('gelu(1) = Φ(1) = 0.8413447460685429', () => {
    expect(gelu(tensor([1, 0, -1], { dtype: 'float64' })).toFlatArray()).toEqual([
      expect.closeTo(0.8413447460685429, 12), 0, expect.closeTo(-0.15865525393145707, 12),
    ]);
  });
});

describe('attention masks', () => {
  it('causalMask opens j <= i only', () => {
    const m = causalMask(3).toArray() as number[][];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(m[i][j] === 0).toBe(j <= i);
  });
  it('softmax of masked logits puts exactly zero weight on the future', () => {
    const T = 4;
    const logits = valuesTensor([T, T], 7, { lo: -3, hi: 3 }).add(causalMask(T, { dtype: 'float64', backend: 'js' }));
    const w = softmax(logits).toArray() as number[][];
    for (let i = 0; i < T; i++) {
      for (let j = i + 1; j < T; j++) expect(w[i][j]).toBe(0);
      expect(w[i].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });
  it('keyPaddingMask shape and values', () => {
    const m = keyPaddingMask([1, 0, 1, 1], 2, 2);
    expect(m.shape).toEqual([2, 1, 1, 2]);
    expect(m.toFlatArray().map((v) => v === 0)).toEqual([true, false, true, true]);
    expect(() => keyPaddingMask([1], 2, 2)).toThrow(/flags/);
  });
  it('keyPaddingMask refuses B and T that are not positive integers (B=-1, T=-2 made a [-1, 1, 1, -2] mask)', () => {
    expect(() => keyPaddingMask([1, 1], -1, -2)).toThrow(/keyPaddingMask: B \(the batch size\) must be a positive integer, got -1/);
    expect(() => keyPaddingMask([1, 1], 0.5, 4)).toThrow(/B .* got 0.5/);
    expect(() => keyPaddingMask([1, 1], 2, 1.0000001)).toThrow(/T \(the number of keys\) must be a positive integer/);
    expect(() => keyPaddingMask([], 0, 3)).toThrow(/B .* got 0/);
    expect(() => keyPaddingMask(null as never, 1, 1)).toThrow(/valid must be an array of B x T flags, got null/);
  });
});
