/**
 * Matrix product, 2-D and batched over leading axes (numpy-style broadcasting of the batch axes).
 *
 * C = op(A) op(B) with op = identity or transpose. The VJPs are products of the same kind, emitted
 * with transpose flags instead of materialised transposes, so the backend's fast kernel serves
 * the backward pass too:
 *   dA = g · op(B)ᵀ   (if transA: dA = op(B) · gᵀ)
 *   dB = op(A)ᵀ · g   (if transB: dB = gᵀ · op(A))
 */
import { apply, type OpDef } from '../autograd.js';
import { broadcastShapes, fmtShape, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { on, placement, unbroadcast } from './util.js';

interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
}

function dims(t: Tensor, trans: boolean): { rows: number; cols: number } {
  const r = t.shape[t.ndim - 2];
  const c = t.shape[t.ndim - 1];
  return trans ? { rows: c, cols: r } : { rows: r, cols: c };
}

export const MatMul: OpDef<MatmulAttrs> = {
  name: 'matmul',
  forward: (inputs, { transA, transB }) => {
    const { dtype, backend } = placement('matmul', inputs);
    const a0 = on(inputs[0], backend);
    const b0 = on(inputs[1], backend);
    let a = a0;
    let b = b0;
    const { rows: m, cols: k } = dims(a, transA);
    const { rows: kb, cols: n } = dims(b, transB);
    if (k !== kb) {
      throw new Error(`matmul: inner sizes differ: ${fmtShape(inputs[0].shape)}${transA ? 'ᵀ' : ''} · ${fmtShape(inputs[1].shape)}${transB ? 'ᵀ' : ''} (${k} vs ${kb})`);
    }
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const batch = broadcastShapes('matmul', batchA, batchB);
    const nb = sizeOf(batch);
    // A matrix shared by the whole batch has stride 0; other batch broadcasts are materialised.
    const aFull = sizeOf(batchA) === nb;
    const bFull = sizeOf(batchB) === nb;
    if (!aFull && batchA.length > 0 && sizeOf(batchA) !== 1) a = a.expand([...batch, ...a.shape.slice(-2)]);
    if (!bFull && batchB.length > 0 && sizeOf(batchB) !== 1) b = b.expand([...batch, ...b.shape.slice(-2)]);
    const aStride = sizeOf(a.shape.slice(0, -2)) === nb && nb > 1 ? m * k : 0;
    const bStride = sizeOf(b.shape.slice(0, -2)) === nb && nb > 1 ? k * n : 0;
    const out = Tensor.empty([...batch, m, n], dtype, backend);
    backend.matmul(a.buffer, b.buffer, out.buffer, nb, m, n, k, transA, transB, aStride, bStride);
    for (const [t, orig] of [[a, inputs[0]], [b, inputs[1]], [a0, inputs[0]], [b0, inputs[1]]] as const) {
      if (t !== orig && !t.isDisposed) t.dispose(); // temporaries: moved or materialised copies
    }
    return out;
  },
  backward: (g, [a, b], _o, { transA, transB }, needs) => [
    needs[0] ? unbroadcast(transA ? matmulT(b, g, transB, true) : matmulT(g, b, false, !transB), a.shape) : null,
    needs[1] ? unbroadcast(transB ? matmulT(g, a, true, transA) : matmulT(a, g, !transA, false), b.shape) : null,
  ],
};

/** op(a) · op(b), where op transposes the last two axes when its flag is set. */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new Error('matmul: both operands must be Tensors');
  if (a.ndim < 2 || b.ndim < 2) {
    throw new Error(`matmul: operands must have rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return apply(MatMul, [a, b], { transA, transB });
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  return matmulT(a, b, false, false);
}
