/** Helpers shared by the op files: dtype/backend agreement, scalars, un-broadcasting. */
import { backendFor, getBackend, type Backend, type DType } from '../backend.js';
import { Tensor } from '../tensor.js';
import { fmtShape, sameShape, type Shape } from '../shape.js';

/** All inputs must share a dtype; they run on their common backend (else the current one). */
export function placement(op: string, inputs: readonly Tensor[]): { dtype: DType; backend: Backend } {
  const dtype = inputs[0].dtype;
  for (const t of inputs) {
    if (t.dtype !== dtype) {
      throw new Error(`${op}: dtype mismatch (${inputs.map((x) => x.dtype).join(' vs ')}); convert with .cast()`);
    }
  }
  const first = inputs[0].backend;
  const same = inputs.every((t) => t.backend === first);
  return { dtype, backend: same ? first : backendFor(dtype, getBackend()) };
}

/** The input on `backend`, copied there if it lives elsewhere. */
export function on(t: Tensor, backend: Backend): Tensor {
  return t.backend === backend ? t : t.toBackend(backend.name);
}

/** A rank-0 tensor holding `value`, on the same backend and dtype as `like`. */
export function scalarLike(value: number, like: Tensor): Tensor {
  const t = Tensor.empty([], like.dtype, like.backend);
  t.backend.fill(t.buffer, value);
  return t;
}

export function emptyLike(like: Tensor, shape: Shape = like.shape): Tensor {
  return Tensor.empty(shape, like.dtype, like.backend);
}

export function zerosLike(like: Tensor, shape: Shape = like.shape): Tensor {
  const t = emptyLike(like, shape);
  t.backend.fill(t.buffer, 0);
  return t;
}

/** Sums a broadcast gradient back down to `shape` (the VJP of broadcasting). */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`unbroadcast: gradient ${fmtShape(g.shape)} has lower rank than ${fmtShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = g.sum(axes);
  const out = summed.reshape(shape);
  summed.dispose(); // `out` now solely owns the storage
  return out;
}
