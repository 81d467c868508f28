import { describe, expect, it } from 'vitest';
import { arange, concat, layerNormalize, ones, setBackend, getBackend, stack, tensor, Tensor, where, zeros } from '../../core/index.js';

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

  it('indexSelect range-checks before storing into an Int32Array (2^32 wrapped to row 0) and refuses a non-array', () => {
    const x = arange(6).reshape([2, 3]);
    expect(() => x.indexSelect([2 ** 32])).toThrow(/indexSelect: index 0 is 4294967296, out of range for axis 0 of size 2/);
    expect(() => x.indexSelect([1, 2 ** 31])).toThrow(/index 1 is 2147483648, out of range/);
    expect(() => x.indexSelect(tensor([0, 2 ** 32], { dtype: 'float64' }))).toThrow(/index 1 is 4294967296, out of range/);
    expect(() => x.indexSelect([-1])).toThrow(/index 0 is -1, out of range/);
    expect(() => x.indexSelect(Int32Array.from([2]))).toThrow(/index 0 is 2, out of range/);
    expect(() => x.indexSelect(1 as never)).toThrow(/indexSelect: index must be a 1-D Tensor, an Int32Array or an array of integers, got number/);
    expect(() => x.indexSelect(null as never)).toThrow(/got null/);
    expect(x.indexSelect([1, 0]).toArray()).toEqual([[3, 4, 5], [0, 1, 2]]);
    expect(x.indexSelect(Int32Array.from([1])).toArray()).toEqual([[3, 4, 5]]);
    expect(x.indexSelect(tensor([1])).toArray()).toEqual([[3, 4, 5]]);
  });

  it('a leaf .grad of another shape is refused before the in-place add (it read past the buffer on wasm)', () => {
    const initial = getBackend().name;
    try {
      for (const name of ['js', 'wasm']) {
        setBackend(name);
        const x = ones([2], { requiresGrad: true });
        x.grad = zeros([6]);
        expect(() => x.mul(2).sum().backward(), name).toThrow(/backward\(\): \.grad of a leaf of shape \[2\] has shape \[6\]; the gradient to add has shape \[2\]/);
        const y = ones([2, 3], { requiresGrad: true });
        y.grad = zeros([3, 2]); // same size, another shape
        expect(() => y.mul(2).sum().backward(), name).toThrow(/shape \[2, 3\] has shape \[3, 2\]/);
        const z = ones([2], { requiresGrad: true });
        z.grad = 5 as never;
        expect(() => z.mul(2).sum().backward(), name).toThrow(/\.grad of a leaf of shape \[2\] is not a Tensor/);
        const ok = ones([2], { requiresGrad: true });
        ok.grad = tensor([1, 2]);
        ok.mul(2).sum().backward();
        expect(ok.grad!.toFlatArray(), name).toEqual([3, 4]);
      }
    } finally {
      setBackend(initial);
    }
  });

  it('where takes a Tensor cond and Tensor-or-number branches (a string was NaN, null 0)', () => {
    const c = tensor([1, 0]);
    expect(() => where(c, 'x' as never, 1)).toThrow(/where: a must be a Tensor or a number, got the string 'x'/);
    expect(() => where(c, 1, undefined as never)).toThrow(/where: b must be a Tensor or a number, got undefined/);
    expect(() => where(c, null as never, 1)).toThrow(/where: a must be a Tensor or a number, got null/);
    expect(() => where(1 as never, 1, 2)).toThrow(/where: cond must be a Tensor, got number/);
    expect(where(c, 7, NaN).toFlatArray()).toEqual([7, NaN]);
    expect(where(c, tensor([1, 2]), -1).toFlatArray()).toEqual([1, -1]);
  });

  it('Tensor.empty checks its shape; an allocation that fails names the shape and element count', () => {
    expect(() => Tensor.empty([-2, -3])).toThrow(/Tensor.empty: invalid shape \[-2, -3\]: sizes must be non-negative integers/);
    expect(() => Tensor.empty([1.5])).toThrow(/invalid shape/);
    expect(Tensor.empty([2, 0]).size).toBe(0);
    const initial = getBackend().name;
    try {
      for (const name of ['js', 'wasm']) {
        setBackend(name);
        expect(() => zeros([1e6, 1e6]), name).toThrow(/cannot allocate a tensor of shape \[1000000, 1000000\] \(1000000000000 float32 elements\)/);
        expect(() => arange(1e10), name).toThrow(/cannot allocate a tensor of shape \[10000000000\]/);
      }
      setBackend('js');
      expect(() => zeros([2 ** 33], { dtype: 'float64' })).toThrow(/cannot allocate a tensor of shape \[8589934592\] \(8589934592 float64 elements\) on backend 'js'/);
    } finally {
      setBackend(initial);
    }
  });

  it('arguments of the wrong type are named at the public entry (they failed inside with TypeErrors)', () => {
    expect(() => concat([ones([2]), null as never])).toThrow(/concat: entry 1 is not a Tensor \(got null\)/);
    expect(() => stack([3 as never, ones([2])])).toThrow(/stack: entry 0 is not a Tensor \(got number\)/);
    expect(() => ones([6]).reshape(6 as never)).toThrow(/reshape: shape must be an array of sizes, got 6/);
    expect(() => ones([6]).reshape(undefined as never)).toThrow(/reshape: shape must be an array of sizes, got undefined/);
    expect(() => ones([6]).sum('1' as never)).toThrow(/sum: axes must be a number or an array of numbers, got the string '1'/);
    expect(() => ones([2], { requiresGrad: true }).mul(2).backward([1, 1] as never)).toThrow(/backward\(\): the seed gradient must be a Tensor \(of shape \[2\]\), got an array/);
    expect(() => layerNormalize([1, 2] as never)).toThrow(/layerNormalize: x must be a Tensor, got an array/);
    expect(ones([2, 3]).reshape([3, -1]).shape).toEqual([3, 2]);
    expect(ones([2, 3]).sum([0, 1]).item()).toBe(6);
  });

  it('layerNormalize takes eps as a finite number >= 0', () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => layerNormalize(x, -1)).toThrow(/layerNormalize: eps must be a finite number >= 0, got -1/);
    expect(() => layerNormalize(x, NaN)).toThrow(/got NaN/);
    expect(() => layerNormalize(x, Infinity)).toThrow(/got Infinity/);
    expect(() => layerNormalize(x, '1e-5' as never)).toThrow(/got '1e-5'/);
    expect(layerNormalize(x, 0).shape).toEqual([1, 3]);
  });

  it('dtype mismatch and use after dispose', () => {
    expect(() => ones([2]).add(ones([2], { dtype: 'float64' }))).toThrow(/add: dtype mismatch/);
    const t = ones([2]);
    t.dispose();
    expect(() => t.add(1)).toThrow(/disposed/);
  });
});
