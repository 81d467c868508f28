/**
 * Reductions over any set of axes, with `keepdim`. The backend kernel reduces the middle axis of
 * an [outer, mid, inner] view; runs of adjacent reduced axes merge into one pass.
 */
import type { ReduceOp } from '../backend.js';
import { apply, type OpDef } from '../autograd.js';
import { normAxes, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';

interface ReduceAttrs {
  axes: number[];
  keepdim: boolean;
}

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function outShape(shape: readonly number[], { axes, keepdim }: ReduceAttrs): number[] {
  return keepdim ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

function reduceForward(kernel: ReduceOp) {
  return ([x]: readonly Tensor[], attrs: ReduceAttrs): Tensor => {
    const { axes } = attrs;
    let cur = x;
    let shape = [...x.shape];
    // Reduce the last run of adjacent axes first so earlier axis indices stay valid.
    let i = axes.length - 1;
    while (i >= 0) {
      let j = i;
      while (j > 0 && axes[j - 1] === axes[j] - 1) j--;
      const lo = axes[j];
      const hi = axes[i];
      const outer = sizeOf(shape.slice(0, lo));
      const mid = sizeOf(shape.slice(lo, hi + 1));
      const inner = sizeOf(shape.slice(hi + 1));
      const nextShape = [...shape.slice(0, lo), ...new Array(hi - lo + 1).fill(1), ...shape.slice(hi + 1)];
      const next = Tensor.empty(nextShape, x.dtype, x.backend);
      if (mid === 0) x.backend.fill(next.buffer, kernel === 'sum' ? 0 : NaN);
      else x.backend.reduce(kernel, cur.buffer, next.buffer, outer, mid, inner);
      if (cur !== x) cur.dispose();
      cur = next;
      shape = nextShape;
      i = j - 1;
    }
    const final = outShape(x.shape, attrs);
    if (cur === x) {
      // No axes: a copy (through the kernel, so nothing is recorded here).
      const copy = Tensor.empty(x.shape, x.dtype, x.backend);
      x.backend.unary('copy', x.buffer, copy.buffer);
      return copy;
    }
    const out = cur.shareAs(final);
    cur.dispose();
    return out;
  };
}

/** d sum = g broadcast back over the reduced axes. */
export const Sum: OpDef<ReduceAttrs> = {
  name: 'sum',
  forward: reduceForward('sum'),
  backward: (g, [x], _o, { axes }) => {
    // The reshaped view is an intermediate: dispose it (outside tidy nothing else would), keeping what
    // expand returns (a view of the same storage holds its own reference).
    const v = g.reshape(keptShape(x.shape, axes));
    const out = v.expand(x.shape);
    if (out !== v) v.dispose();
    return [out];
  },
};

/** d max = g where x equals the max, split evenly among ties. Same for min. */
function extremumBackward(g: Tensor, [x]: readonly Tensor[], out: Tensor, { axes }: ReduceAttrs): Tensor[] {
  const ks = keptShape(x.shape, axes);
  const o = out.reshape(ks);
  const mask = x.eq(o);
  const count = mask.sum(axes, true);
  const gk = g.reshape(ks);
  const share = gk.div(count);
  const dx = share.mul(mask);
  for (const t of [o, mask, count, gk, share]) t.dispose(); // intermediates (outside tidy nothing else frees them)
  return [dx];
}

export const Max: OpDef<ReduceAttrs> = { name: 'max', forward: reduceForward('max'), backward: extremumBackward };
export const Min: OpDef<ReduceAttrs> = { name: 'min', forward: reduceForward('min'), backward: extremumBackward };

const DEFS = { sum: Sum, max: Max, min: Min };

export function reduceOp(kernel: ReduceOp, x: Tensor, axes: number | number[] | undefined, keepdim: boolean): Tensor {
  const norm = normAxes(kernel, axes, x.ndim);
  if (kernel !== 'sum') {
    for (const a of norm) {
      if (x.shape[a] === 0) throw new Error(`${kernel}: cannot reduce over axis ${a} of size 0`);
    }
  }
  return apply(DEFS[kernel], [x], { axes: norm, keepdim });
}

/** mean = sum / (number of reduced elements). */
export function mean(x: Tensor, axes: number | number[] | undefined, keepdim: boolean): Tensor {
  const norm = normAxes('mean', axes, x.ndim);
  const count = norm.reduce((n, a) => n * x.shape[a], 1);
  const sum = reduceOp('sum', x, norm, keepdim);
  const out = sum.mul(1 / count);
  if (!sum.requiresGrad) sum.dispose(); // no graph holds it: free now rather than at the end of tidy
  return out;
}
