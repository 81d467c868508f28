/**
 * Ops that move numbers without arithmetic: reshape, transpose, expand, slice, concat, stack,
 * indexSelect, and where. All but reshape copy through the backend's strided-copy kernels.
 */
import { apply, type OpDef } from '../autograd.js';
import {
  broadcastShapes, broadcastStrides, checkShape, fmtShape, normAxis, sizeOf, stridesOf,
} from '../shape.js';
import { kindOf } from '../describe.js';
import { Tensor } from '../tensor.js';
import { on, placement, unbroadcast, zerosLike } from './util.js';

/** Same storage, new shape; d reshape = g reshaped back. */
export const Reshape: OpDef<number[]> = {
  name: 'reshape',
  forward: ([x], shape) => x.shareAs(shape),
  backward: (g, [x]) => [g.reshape(x.shape)],
};

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  // A number or undefined would fail inside the spread with "shape is not iterable".
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) throw new Error(`reshape: shape must be an array of sizes, got ${String(shape)}`);
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free !== -1) {
    if (s.indexOf(-1, free + 1) !== -1) throw new Error(`reshape: only one size may be -1 in ${fmtShape(shape)}`);
    const rest = sizeOf(s.filter((_, i) => i !== free));
    s[free] = rest === 0 ? 0 : x.size / rest;
  }
  checkShape('reshape', s);
  if (sizeOf(s) !== x.size) {
    throw new Error(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}`);
  }
  return apply(Reshape, [x], s);
}

/** out[idx] = x[idx permuted]; d transpose = g transposed by the inverse permutation. */
export const Transpose: OpDef<number[]> = {
  name: 'transpose',
  forward: ([x], perm) => {
    const shape = perm.map((p) => x.shape[p]);
    const xs = stridesOf(x.shape);
    const out = Tensor.empty(shape, x.dtype, x.backend);
    x.backend.copyStrided(x.buffer, 0, perm.map((p) => xs[p]), out.buffer, 0, shape);
    return out;
  },
  backward: (g, _x, _o, perm) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [g.transpose(inv)];
  },
};

export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? [...perm] : [...Array(x.ndim).keys()].reverse();
  const ok = p.length === x.ndim && [...p].sort((a, b) => a - b).every((v, i) => v === i);
  if (!ok) throw new Error(`transpose: [${p.join(', ')}] is not a permutation of the axes of a rank-${x.ndim} tensor`);
  return apply(Transpose, [x], p);
}

/** Broadcast copy; d expand = g summed over the broadcast axes. */
export const Expand: OpDef<number[]> = {
  name: 'expand',
  forward: ([x], shape) => {
    const out = Tensor.empty(shape, x.dtype, x.backend);
    x.backend.copyStrided(x.buffer, 0, broadcastStrides(x.shape, shape), out.buffer, 0, shape);
    return out;
  },
  backward: (g, [x]) => [unbroadcast(g, x.shape)],
};

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkShape('expand', shape);
  const b = broadcastShapes('expand', x.shape, shape);
  if (b.length !== shape.length || b.some((d, i) => d !== shape[i])) {
    throw new Error(`expand: cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  }
  return apply(Expand, [x], [...shape]);
}

interface SliceAttrs {
  begin: number[];
  size: number[];
}

/** out = x[begin : begin+size]; d slice = g added into zeros at that window. */
export const Slice: OpDef<SliceAttrs> = {
  name: 'slice',
  forward: ([x], { begin, size }) => {
    const xs = stridesOf(x.shape);
    const offset = begin.reduce((o, b, i) => o + b * xs[i], 0);
    const out = Tensor.empty(size, x.dtype, x.backend);
    x.backend.copyStrided(x.buffer, offset, xs, out.buffer, 0, size);
    return out;
  },
  backward: (g, [x], _o, { begin, size }) => {
    const gx = zerosLike(x);
    const xs = stridesOf(x.shape);
    const offset = begin.reduce((o, b, i) => o + b * xs[i], 0);
    x.backend.addStrided(g.buffer, gx.buffer, offset, xs, size);
    return [gx];
  },
};

export function slice(x: Tensor, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const b = typeof begin === 'number' ? [begin] : [...begin];
  const s = size === undefined ? [] : typeof size === 'number' ? [size] : [...size];
  if (b.length > x.ndim) throw new Error(`slice: begin has ${b.length} entries for a rank-${x.ndim} tensor`);
  if (s.length > x.ndim) throw new Error(`slice: size has ${s.length} entries for a rank-${x.ndim} tensor`);
  const fullBegin = x.shape.map((_, i) => b[i] ?? 0);
  const fullSize = x.shape.map((d, i) => {
    const v = s[i] ?? -1;
    return v === -1 ? d - fullBegin[i] : v;
  });
  fullBegin.forEach((bi, i) => {
    if (!Number.isInteger(bi) || !Number.isInteger(fullSize[i]) || bi < 0 || fullSize[i] < 0 || bi + fullSize[i] > x.shape[i]) {
      throw new Error(`slice: window begin ${fmtShape(fullBegin)} size ${fmtShape(fullSize)} does not fit shape ${fmtShape(x.shape)} (axis ${i})`);
    }
  });
  return apply(Slice, [x], { begin: fullBegin, size: fullSize });
}

/** Joins along `axis`; d concat = the matching slices of g. */
export const Concat: OpDef<number> = {
  name: 'concat',
  forward: (inputs, axis) => {
    const { dtype, backend } = placement('concat', inputs);
    const shape = [...inputs[0].shape];
    shape[axis] = inputs.reduce((n, t) => n + t.shape[axis], 0);
    const out = Tensor.empty(shape, dtype, backend);
    backend.fill(out.buffer, 0);
    const os = stridesOf(shape);
    let at = 0;
    for (const t of inputs) {
      const src = on(t, backend);
      backend.addStrided(src.buffer, out.buffer, at * os[axis], os, src.shape);
      if (src !== t) src.dispose(); // a copy from another backend
      at += t.shape[axis];
    }
    return out;
  },
  backward: (g, inputs, _o, axis, needs) => {
    let at = 0;
    return inputs.map((t, i) => {
      const begin = t.shape.map((_, k) => (k === axis ? at : 0));
      at += t.shape[axis];
      return needs[i] ? g.slice(begin, t.shape) : null;
    });
  },
};

/** Names the first entry that is not a Tensor (it would fail later as "cannot read properties of null"). */
function checkTensors(op: string, tensors: readonly unknown[]): void {
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`${op}: entry ${i} is not a Tensor (got ${kindOf(t)})`);
  });
}

export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('concat: needs a non-empty array of tensors');
  checkTensors('concat', tensors);
  const first = tensors[0];
  const ax = normAxis('concat', axis, first.ndim);
  tensors.forEach((t, i) => {
    const ok = t.ndim === first.ndim && t.shape.every((d: number, k: number) => k === ax || d === first.shape[k]);
    if (!ok) {
      throw new Error(`concat: tensor ${i} has shape ${fmtShape(t.shape)}, incompatible with ${fmtShape(first.shape)} along axis ${ax}`);
    }
  });
  return apply(Concat, tensors, ax);
}

/** Stacks equal-shaped tensors along a new axis (reshape + concat). */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('stack: needs a non-empty array of tensors');
  checkTensors('stack', tensors);
  const shape = tensors[0].shape;
  const ax = normAxis('stack', axis, shape.length + 1);
  tensors.forEach((t, i) => {
    if (t.ndim !== shape.length || t.shape.some((d: number, k: number) => d !== shape[k])) {
      throw new Error(`stack: tensor ${i} has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`);
    }
  });
  const expanded = [...shape.slice(0, ax), 1, ...shape.slice(ax)];
  return concat(tensors.map((t) => t.reshape(expanded)), ax);
}

/** out[r] = x[index[r]] along axis 0; d indexSelect = g scattered (added) back to the rows. */
export const IndexSelect: OpDef<Int32Array> = {
  name: 'indexSelect',
  forward: ([x], index) => {
    const rowSize = sizeOf(x.shape.slice(1));
    const out = Tensor.empty([index.length, ...x.shape.slice(1)], x.dtype, x.backend);
    x.backend.gatherRows(x.buffer, index, out.buffer, rowSize);
    return out;
  },
  backward: (g, [x], _o, index) => {
    const gx = zerosLike(x);
    x.backend.scatterAddRows(g.buffer, index, gx.buffer, sizeOf(x.shape.slice(1)));
    return [gx];
  },
};

export function indexSelect(x: Tensor, index: Tensor | Int32Array | readonly number[]): Tensor {
  if (x.ndim === 0) throw new Error('indexSelect: cannot select rows of a rank-0 tensor');
  // Anything else (a number, say) has no length and would select nothing, silently.
  if (!(index instanceof Tensor) && !Array.isArray(index) && !(ArrayBuffer.isView(index) && !(index instanceof DataView))) {
    throw new Error(`indexSelect: index must be a 1-D Tensor, an Int32Array or an array of integers, got ${kindOf(index)}`);
  }
  const raw = index instanceof Tensor ? index.buffer.view() : index;
  if (index instanceof Tensor && index.ndim !== 1) {
    throw new Error(`indexSelect: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  }
  const rows = x.shape[0];
  const outOfRange = (i: number, v: number): Error =>
    new Error(`indexSelect: index ${i} is ${v}, out of range for axis 0 of size ${rows}`);
  if (raw instanceof Int32Array) {
    for (let i = 0; i < raw.length; i++) if (raw[i] < 0 || raw[i] >= rows) throw outOfRange(i, raw[i]);
    return apply(IndexSelect, [x], Int32Array.from(raw));
  }
  // Checked before the Int32Array store, which would wrap 2^32 to 0 (a valid row) and 2^31 to -2^31.
  const idx = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!Number.isInteger(v)) throw new Error(`indexSelect: index ${i} is ${v}, not an integer`);
    if (v < 0 || v >= rows) throw outOfRange(i, v);
    idx[i] = v;
  }
  return apply(IndexSelect, [x], idx);
}

/** out = cond ? a : b (broadcast); d where = (g where cond, g where not cond). */
export const Where: OpDef = {
  name: 'where',
  nondiff: [0],
  forward: (inputs) => {
    const { dtype, backend } = placement('where', inputs);
    const [c, a, b] = inputs.map((t) => on(t, backend));
    const shape = broadcastShapes('where', c.shape, a.shape, b.shape);
    const out = Tensor.empty(shape, dtype, backend);
    backend.where(c.buffer, a.buffer, b.buffer, out.buffer, shape,
      broadcastStrides(c.shape, shape), broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
    return out;
  },
  backward: (g, [c, a, b], _o, _at, needs) => {
    const zero = zerosLike(g, []);
    return [
      null,
      needs[1] ? unbroadcast(where(c, g, zero), a.shape) : null,
      needs[2] ? unbroadcast(where(c, zero, g), b.shape) : null,
    ];
  },
};

export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  // Anything else would be written into a scalar as NaN ('x', undefined) or 0 (null).
  if (!(cond instanceof Tensor)) throw new Error(`where: cond must be a Tensor, got ${kindOf(cond)}`);
  if (!(a instanceof Tensor) && typeof a !== 'number') throw new Error(`where: a must be a Tensor or a number, got ${kindOf(a)}`);
  if (!(b instanceof Tensor) && typeof b !== 'number') throw new Error(`where: b must be a Tensor or a number, got ${kindOf(b)}`);
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : cond;
  const lift = (v: Tensor | number): Tensor => {
    if (v instanceof Tensor) return v;
    const t = Tensor.empty([], like.dtype, like.backend);
    t.backend.fill(t.buffer, v);
    return t;
  };
  const c = cond.dtype === like.dtype ? cond : cond.cast(like.dtype);
  return apply(Where, [c, lift(a), lift(b)], undefined);
}
