import { describe, expect, it } from 'vitest';
import { concat, ones, setBackend, getBackend, tensor, zeros } from '../../core/index.js';

describe('bad input gets an error naming the op and shapes', () => {
  it('shape mismatches', () => {
    expect(() => ones([2, 3]).add(ones([4]))).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
    expect(() => ones([2, 3]).matmul(ones([4, 5]))).toThrow(/matmul: inner sizes differ.*\[2, 3\].*\[4, 5\]/);
    expect(() => ones([3]).matmul(ones([3, 1]))).toThrow(/matmul: operands must have rank >= 2/);
    expect(() => ones([2, 3]).reshape([4, 2])).toThrow(/reshape: cannot reshape \[2, 3\]/);
    expect(() => concat([ones([2, 3]), ones([2, 4])], 0)).toThrow(/concat: tensor 1 has shape \[2, 4\]/);
    expect(() => ones([2, 3]).slice([1, 0], [2, 3])).toThrow(/slice/);
    expect(() => ones([2, 3]).slice([0, 0], [1, 1, 1])).toThrow(/slice: size has 3 entries for a rank-2 tensor/);
    expect(() => ones([2, 3]).sum(2)).toThrow(/sum: axis 2 is out of range/);
    expect(() => ones([2]).expand([3])).toThrow(/expand/);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/3 values do not fill shape \[2, 2\]/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
  });

  it('backward on a non-scalar without a seed', () => {
    const x = ones([2, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(/shape \[2, 2\] is not a scalar; pass a seed/);
  });

  it('a second backward through a released graph', () => {
    const x = ones([3], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(/already released.*retainGraph/);
    const z = x.exp().sum();
    z.backward(undefined, { retainGraph: true });
    z.backward();
    // One gradient from y, two from z: 3e per element.
    for (const v of x.grad!.dataSync()) expect(v).toBeCloseTo(3 * Math.E, 5);
  });

  it('an unknown backend name', () => {
    expect(() => setBackend('cuda')).toThrow(/unknown backend 'cuda'.*'js'/);
    expect(getBackend().name).toBeTruthy();
  });

  it('a non-integer or out-of-range index', () => {
    const x = zeros([4, 2]);
    expect(() => x.indexSelect([0, 1.5])).toThrow(/indexSelect: index 1 is 1.5, not an integer/);
    expect(() => x.indexSelect([4])).toThrow(/out of range for axis 0 of size 4/);
    expect(() => tensor([1, 2]).item()).toThrow(/item\(\).*2 elements/);
  });

  it('dtype mismatch and use after dispose', () => {
    expect(() => ones([2]).add(ones([2], { dtype: 'float64' }))).toThrow(/add: dtype mismatch/);
    const t = ones([2]);
    t.dispose();
    expect(() => t.add(1)).toThrow(/disposed/);
  });
});
