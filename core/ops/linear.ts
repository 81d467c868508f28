/**
 * Fused linear layer: y = act(x · W + b), one graph op whose forward is one kernel
 * (`Backend.matmulBiasAct`: bias and activation in the GEMM epilogue; composed of matmul, add
 * and unary on backends without it) and whose VJP is
 *   g_pre = g ⊙ act'(pre)      (unaryGrad; relu and tanh read it off the output y:
 *                               relu' = [y > 0], tanh' = 1 - y²)
 *   dx = g_pre · Wᵀ,  dW = xᵀ · g_pre,  db = Σ_rows g_pre
 * with the transposes as flags of the backward products (core/ops/matmul.ts).
 *
 * Mish needs the pre-activation in its VJP, which one op cannot keep besides its output, so
 * `linear(x, w, b, 'mish')` is the fused x · W + b followed by the mish op.
 *
 * Shapes: x [B, in] with W [in, out] and b [out]; or an ensemble, W [n, in, out] with
 * x [B, in] (shared) or [n, B, in] and b [n, 1, out] or [out]. Other shapes compose the ops.
 */
import { matmulBiasActOn } from '../backend.js';
import { apply, type OpDef } from '../autograd.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { matmulT } from './matmul.js';
import { unaryOp } from './unary.js';
import { on, placement, unbroadcast } from './util.js';

export type LinearActivation = 'none' | 'relu' | 'tanh' | 'mish';

interface LinearAttrs {
  act: 'none' | 'relu' | 'tanh';
}

/** Batch layout for the kernel, or null when the shapes are not the fused kernel's. */
function layout(x: Tensor, w: Tensor, b: Tensor | null): { batch: number; m: number; k: number; n: number; aBS: number; bBS: number; biasBS: number } | null {
  const k = w.shape[w.ndim - 2];
  const n = w.shape[w.ndim - 1];
  if (x.shape[x.ndim - 1] !== k) return null;
  if (w.ndim === 2) {
    if (x.ndim !== 2) return null;
    if (b && !(b.ndim === 1 && b.shape[0] === n)) return null;
    return { batch: 1, m: x.shape[0], k, n, aBS: 0, bBS: 0, biasBS: 0 };
  }
  if (w.ndim !== 3) return null;
  const nb = w.shape[0];
  let aBS: number;
  if (x.ndim === 2) aBS = 0;
  else if (x.ndim === 3 && x.shape[0] === nb) aBS = x.shape[1] * k;
  else return null;
  let biasBS = 0;
  if (b) {
    if (b.ndim === 3 && b.shape[0] === nb && b.shape[1] === 1 && b.shape[2] === n) biasBS = nb > 1 ? n : 0;
    else if (!(b.ndim === 1 && b.shape[0] === n)) return null;
  }
  return { batch: nb, m: x.shape[x.ndim - 2], k, n, aBS, bBS: nb > 1 ? k * n : 0, biasBS };
}

export const Linear: OpDef<LinearAttrs> = {
  name: 'linear',
  forward: (inputs, { act }) => {
    const { dtype, backend } = placement('linear', inputs);
    const x = on(inputs[0], backend);
    const w = on(inputs[1], backend);
    const b = inputs.length > 2 ? on(inputs[2], backend) : null;
    const L = layout(x, w, b)!;
    const shape = L.batch > 1 || w.ndim === 3 ? [L.batch, L.m, L.n] : [L.m, L.n];
    const out = Tensor.empty(shape, dtype, backend);
    matmulBiasActOn(
      backend, x.buffer, w.buffer, b ? b.buffer : null, out.buffer,
      L.batch, L.m, L.n, L.k, false, false, L.aBS, L.bBS, L.biasBS, act,
    );
    for (const [t, orig] of [[x, inputs[0]], [w, inputs[1]], [b, inputs[2]]] as const) {
      if (t && t !== orig && !t.isDisposed) t.dispose();
    }
    return out;
  },
  backward: (g, inputs, y, { act }, needs) => {
    const [x, w, b] = inputs;
    let gp = g;
    if (act !== 'none') {
      gp = Tensor.empty(g.shape, g.dtype, g.backend);
      g.backend.unaryGrad(act, y.buffer, y.buffer, g.buffer, gp.buffer);
    }
    // An input disposed since the forward (an intermediate freed by `tidy`, whose graph the walk
    // treats as ended there) gets no gradient through the products that would read it, as with
    // the composed matmul + add, whose walk stops at the disposed product.
    const dx = needs[0] && !w.isDisposed ? unbroadcast(matmulT(gp, w, false, true), x.shape) : null;
    const dw = needs[1] && !x.isDisposed ? unbroadcast(matmulT(x, gp, true, false), w.shape) : null;
    const db = b && needs[2] ? unbroadcast(gp, b.shape) : null;
    if (gp !== g && db !== gp) gp.dispose();
    const out = [dx, dw];
    if (b) out.push(db);
    return out;
  },
};

/**
 * act(x · W + b) as one op (see the file comment); `b` may be null. Gradients equal those of
 * x.matmul(w).add(b) followed by the activation.
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null = null, activation: LinearActivation = 'none'): Tensor {
  if (!(x instanceof Tensor) || !(w instanceof Tensor) || (b !== null && !(b instanceof Tensor))) {
    throw new Error('linear: x, w (and b, if given) must be Tensors');
  }
  if (!['none', 'relu', 'tanh', 'mish'].includes(activation)) {
    throw new Error(`linear: unknown activation '${String(activation)}' (none, relu, tanh, mish)`);
  }
  if (x.ndim < 2 || w.ndim < 2) {
    throw new Error(`linear: x and w must have rank >= 2, got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`);
  }
  const act: LinearAttrs['act'] = activation === 'mish' ? 'none' : activation;
  let y: Tensor;
  if (layout(x, w, b) === null) {
    // Shapes outside the kernel's: compose the ops (same values and gradients).
    const xw = x.matmul(w);
    y = b ? xw.add(b) : xw;
    if (act !== 'none') y = unaryOp(act, y);
  } else {
    y = apply(Linear, b ? [x, w, b] : [x, w], { act });
  }
  return activation === 'mish' ? unaryOp('mish', y) : y;
}
