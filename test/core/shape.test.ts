/**
 * Shape arithmetic (core/shape.ts) by hand-worked examples: sizes, row-major strides, numpy broadcasting
 * and the strides that read an operand as if expanded, axis normalisation. The ops' tests use these only
 * through the ops, where several wrong rules (a size-0 axis against a size-1 one, unsorted reduction axes,
 * a mismatch the check let through) still gave the expected numbers; a mutation audit found them unpinned.
 */
import { describe, expect, it } from 'vitest';
import {
  broadcastShapes, broadcastStrides, checkShape, normAxes, normAxis, sameShape, sizeOf, stridesOf,
} from '../../core/index.js';

describe('sizes and strides', () => {
  it('sizeOf is the product of the sizes (1 for a scalar, 0 with an empty axis)', () => {
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([7])).toBe(7);
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([3, 0, 2])).toBe(0);
  });

  it('stridesOf is row-major: the last axis has stride 1, each earlier one the product of the later sizes', () => {
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([5])).toEqual([1]);
    expect(stridesOf([3, 1, 2])).toEqual([2, 2, 1]);
    expect(stridesOf([])).toEqual([]);
  });

  it('sameShape needs the same rank and the same size on every axis', () => {
    expect(sameShape([2, 3], [2, 3])).toBe(true);
    expect(sameShape([], [])).toBe(true);
    expect(sameShape([2, 3], [2, 4])).toBe(false);
    expect(sameShape([2, 4], [2, 3])).toBe(false);
    expect(sameShape([2, 3], [2, 3, 1])).toBe(false);
    expect(sameShape([2], [2, 5])).toBe(false);
  });
});

describe('broadcasting', () => {
  it('broadcastShapes aligns right; size 1 stretches, any other size must match', () => {
    expect(broadcastShapes('op', [3, 1, 5], [4, 1])).toEqual([3, 4, 5]);
    expect(broadcastShapes('op', [2, 1], [1, 3], [3])).toEqual([2, 3]);
    expect(broadcastShapes('op', [], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes('op', [2, 3], [])).toEqual([2, 3]);
    expect(broadcastShapes('op', [1, 1], [1])).toEqual([1, 1]);
    // a size-0 axis broadcasts against size 1 (to 0), like numpy
    expect(broadcastShapes('op', [1], [0])).toEqual([0]);
    expect(broadcastShapes('op', [0, 3], [1, 3])).toEqual([0, 3]);
    expect(() => broadcastShapes('add', [3], [2])).toThrow(/add: shapes \[3\] and \[2\] cannot be broadcast together/);
    expect(() => broadcastShapes('add', [2], [3])).toThrow(/cannot be broadcast/);
    expect(() => broadcastShapes('add', [2, 3], [3, 2])).toThrow(/cannot be broadcast/);
    expect(() => broadcastShapes('add', [0], [2])).toThrow(/cannot be broadcast/);
  });

  it('broadcastStrides: 0 on new leading axes and on stretched size-1 axes, the own stride elsewhere', () => {
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(broadcastStrides([4], [2, 3, 4])).toEqual([0, 0, 1]);
    expect(broadcastStrides([2, 1, 4], [2, 3, 4])).toEqual([4, 0, 1]);
    expect(broadcastStrides([2, 3, 4], [2, 3, 4])).toEqual([12, 4, 1]);
    expect(broadcastStrides([], [2, 2])).toEqual([0, 0]);
  });

  it('reading through the strides gives the numpy-expanded array', () => {
    // x of shape [3, 1] (values 10, 20, 30) expanded to [2, 3, 4]: out[a][b][c] = x[b][0]
    const x = [10, 20, 30];
    const st = broadcastStrides([3, 1], [2, 3, 4]);
    const got: number[] = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) got.push(x[a * st[0] + b * st[1] + c * st[2]]);
    const want = [0, 1].flatMap(() => x.flatMap((v) => [v, v, v, v]));
    expect(got).toEqual(want);
  });
});

describe('axes', () => {
  it('normAxis counts negative axes from the end and range-checks', () => {
    expect(normAxis('op', -1, 3)).toBe(2);
    expect(normAxis('op', -3, 3)).toBe(0);
    expect(normAxis('op', 0, 3)).toBe(0);
    expect(normAxis('op', 2, 3)).toBe(2);
    expect(() => normAxis('sum', 3, 3)).toThrow(/sum: axis 3 is out of range for a tensor of rank 3/);
    expect(() => normAxis('sum', -4, 3)).toThrow(/axis -4 is out of range/);
  });

  it('normAxes: sorted, unique, all axes in order for undefined; a repeat (also as a negative alias) throws', () => {
    expect(normAxes('op', undefined, 3)).toEqual([0, 1, 2]);
    expect(normAxes('op', [2, 0], 3)).toEqual([0, 2]);
    expect(normAxes('op', [-1, 0, 1], 3)).toEqual([0, 1, 2]);
    expect(normAxes('op', [10, 2], 11)).toEqual([2, 10]); // numeric, not string, order
    expect(normAxes('op', -2, 4)).toEqual([2]);
    expect(() => normAxes('op', [1, -2], 3)).toThrow(/op: repeated axis in \[1, -2\]/);
  });

  it('checkShape copies a valid shape (size 0 allowed) and refuses negative or fractional sizes', () => {
    const s = [2, 0, 3];
    const c = checkShape('op', s);
    expect(c).toEqual([2, 0, 3]);
    expect(c).not.toBe(s);
    expect(() => checkShape('op', [2, -1])).toThrow(/op: invalid shape \[2, -1\]/);
    expect(() => checkShape('op', [1.5])).toThrow(/invalid shape/);
  });
});
