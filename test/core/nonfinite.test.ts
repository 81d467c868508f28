/**
 * NaN at the tensor level: ops propagate it (IEEE, as PyTorch), and the debug mode stops at the
 * first op producing a non-finite value, naming it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setDebugNonFinite, tensor } from '../../core/index.js';

afterEach(() => setDebugNonFinite(false));

describe('NaN through tensor ops', () => {
  it('relu, maximum, minimum, clamp and max keep NaN; comparisons are false', () => {
    const x = tensor([NaN, -1, 2]);
    expect(x.relu().toFlatArray()[0]).toBeNaN();
    expect(x.maximum(0).toFlatArray()[0]).toBeNaN();
    expect(tensor([0, 0, 0]).maximum(x).toFlatArray()[0]).toBeNaN();
    expect(x.minimum(5).toFlatArray()[0]).toBeNaN();
    expect(x.clamp(-1, 1).toFlatArray()[0]).toBeNaN();
    expect(x.max().item()).toBeNaN();
    expect(x.min().item()).toBeNaN();
    expect(x.gt(0).toFlatArray()).toEqual([0, 0, 1]);
    expect(x.eq(x).toFlatArray()).toEqual([0, 1, 1]);
  });
});

describe('debug mode: setDebugNonFinite(true)', () => {
  it('throws at the first op producing a non-finite value, naming the op and shapes', () => {
    const x = tensor([[1, -1], [2, 3]]);
    setDebugNonFinite(true);
    expect(() => x.log()).toThrow(/op 'log' produced NaN at element 1 of its output \[2, 2\] from inputs \[2, 2\] \(all inputs finite\)/);
    expect(() => x.div(tensor([0]))).toThrow(/op 'div' produced Infinity/);
    // Finite work runs as usual.
    expect(x.abs().log().toFlatArray()[0]).toBe(0);
  });

  it('names an input that already held a non-finite value', () => {
    const x = tensor([NaN, 1]);
    setDebugNonFinite(true);
    expect(() => x.exp()).toThrow(/op 'exp'.*input 0 already held non-finite values/);
  });

  it('checks the backward pass too', () => {
    const x = tensor([0, 1], { requiresGrad: true });
    const y = x.sqrt().sum(); // sqrt'(0) = Infinity
    setDebugNonFinite(true);
    expect(() => y.backward()).toThrow(/the backward of op 'sqrt' produced Infinity at element 0 of the gradient \[2\] of input 0/);
  });

  it('is off by default: NaN flows silently', () => {
    expect(tensor([-1]).log().toFlatArray()[0]).toBeNaN();
  });
});
