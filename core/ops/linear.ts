/**
 * Fused linear layer: y = act(x · W + b), one graph op whose forward is one kernel
 * (`Backend.matmulBiasAct`: bias and activation in the GEMM epilogue; composed of matmul, add
 * and unary on backends without it) and whose VJP is
 *   g_pre = g ⊙ act'(pre)      (unaryGrad; relu and tanh read it off the output y:
 *                               relu' = [y > 0], tanh' = 1 - y²)
 *   dx = g_pre · Wᵀ,  dW = xᵀ · g_pre,  db = Σ_rows g_pre
 * with the transposes as flags of the backward products (core/ops/matmul.ts).
 *
 * Mish's VJP needs more than its output: g_pre = g ⊙ mish'(pre), mish'(x) = t + x σ(x) (1 - t²),
 * t = tanh(softplus(x)). On a backend with the fused kernel (wasm) `linearMish` has the epilogue store
 * mish'(pre) beside the output, in a buffer the op holds as a non-differentiated input, so the backward
 * is one multiply instead of a second pass of exp / divide over the pre-activation. The slope comes from
 * the same vector code as unaryGrad's, so values and gradients keep their bits. Without a recorded
 * graph (noGrad, or no input wants a gradient) the epilogue applies mish alone. Elsewhere (js, gpujs)
 * `linear(x, w, b, 'mish')` is the fused x · W + b followed by the mish op, as before.
 *
 * Shapes: x [B, in] with W [in, out] and b [out]; or an ensemble, W [n, in, out] with
 * x [B, in] (shared) or [n, B, in] and b [n, 1, out] or [out]. Other shapes compose the ops.
 */
import { matmulBiasActOn, type FusedActivation } from '../backend.js';
import { apply, isGradEnabled, type OpDef } from '../autograd.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { matmulT } from './matmul.js';
import { unaryOp } from './unary.js';
import { on, placement, unbroadcast } from './util.js';

export type LinearActivation = 'none' | 'relu' | 'tanh' | 'mish';

interface LinearAttrs {
  /** 'mish' only where no graph is recorded (its VJP needs the slope: `LinearMish`). */
  act: 'none' | 'relu' | 'tanh' | 'mish';
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

type Layout = NonNullable<ReturnType<typeof layout>>;

/** The output's shape: [batch, m, n] for an ensemble weight, else [m, n]. */
function outShape(L: Layout, w: Tensor): number[] {
  return L.batch > 1 || w.ndim === 3 ? [L.batch, L.m, L.n] : [L.m, L.n];
}

/**
 * The forward of both ops: act(x · W + b) by the backend's fused kernel (the slope too, for linearMish),
 * with inputs from other backends copied over for the call and freed after it (also if it throws).
 */
function fusedForward(
  op: string, x0: Tensor, w0: Tensor, b0: Tensor | null, act: FusedActivation, slope: Tensor | null, all: readonly Tensor[],
): Tensor {
  const { dtype, backend } = placement(op, all);
  const L = layout(x0, w0, b0)!;
  const shape = outShape(L, w0);
  // Checked before any input is copied to `backend`, so a refused call leaves nothing behind.
  if (slope && (slope.backend !== backend || slope.dtype !== dtype || slope.ndim !== shape.length || slope.shape.some((d, i) => d !== shape[i]))) {
    throw new Error(`${op}: the slope must be a ${dtype} tensor of shape ${fmtShape(shape)} on ${backend.name}, got ${slope.dtype} ${fmtShape(slope.shape)} on ${slope.backend.name}`);
  }
  const x = on(x0, backend);
  const w = on(w0, backend);
  const b = b0 ? on(b0, backend) : null;
  const out = Tensor.empty(shape, dtype, backend);
  try {
    matmulBiasActOn(
      backend, x.buffer, w.buffer, b ? b.buffer : null, out.buffer,
      L.batch, L.m, L.n, L.k, false, false, L.aBS, L.bBS, L.biasBS, act, slope ? slope.buffer : null,
    );
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    for (const [t, orig] of [[x, x0], [w, w0], [b, b0]] as const) {
      if (t && t !== orig && !t.isDisposed) t.dispose();
    }
  }
  return out;
}

/**
 * dx, dW, db from the gradient at the pre-activation (both ops' VJPs). An input disposed since the
 * forward (an intermediate freed by `tidy`, whose graph the walk treats as ended there) gets no
 * gradient through the products that would read it, as with the composed matmul + add, whose walk
 * stops at the disposed product.
 */
function linearGrads(gp: Tensor, x: Tensor, w: Tensor, b: Tensor | undefined, needX: boolean, needW: boolean, needB: boolean): (Tensor | null)[] {
  const dx = needX && !w.isDisposed ? unbroadcast(matmulT(gp, w, false, true), x.shape) : null;
  const dw = needW && !x.isDisposed ? unbroadcast(matmulT(x, gp, true, false), w.shape) : null;
  const db = b && needB ? unbroadcast(gp, b.shape) : null;
  return [dx, dw, db];
}

export const Linear: OpDef<LinearAttrs> = {
  name: 'linear',
  forward: (inputs, { act }) => fusedForward('linear', inputs[0], inputs[1], inputs[2] ?? null, act, null, inputs),
  backward: (g, inputs, y, { act }, needs) => {
    if (act === 'mish') throw new Error('linear: mish without its slope has no VJP here (linear() records linearMish instead)');
    const [x, w, b] = inputs;
    let gp = g;
    if (act !== 'none') {
      gp = Tensor.empty(g.shape, g.dtype, g.backend);
      g.backend.unaryGrad(act, y.buffer, y.buffer, g.buffer, gp.buffer);
    }
    const [dx, dw, db] = linearGrads(gp, x, w, b, needs[0], needs[1], needs[2] ?? false);
    if (gp !== g && db !== gp) gp.dispose();
    return b ? [dx, dw, db] : [dx, dw];
  },
};

/**
 * mish(x · W + b) with the slope mish'(x · W + b) saved by the forward's epilogue. Inputs [x, w, slope]
 * or [x, w, slope, b]; `slope` is a fresh tensor of the output's shape that the forward fills, never
 * differentiated and owned by the output (OpDef.owns): it is freed with the output, or by the backward
 * that used it, and a tidy that returns the output keeps it too (as it would a relu layer's output).
 * VJP: g_pre = g ⊙ slope, then as `linear`.
 */
export const LinearMish: OpDef<null> = {
  name: 'linearMish',
  nondiff: [2],
  owns: [2],
  forward: (inputs) => fusedForward('linearMish', inputs[0], inputs[1], inputs[3] ?? null, 'mish', inputs[2], inputs),
  backward: (g, inputs, _y, _attrs, needs) => {
    const [x, w, slope, b] = inputs;
    const gp = g.mul(slope);
    const [dx, dw, db] = linearGrads(gp, x, w, b, needs[0], needs[1], needs[3] ?? false);
    if (db !== gp) gp.dispose();
    return b ? [dx, dw, null, db] : [dx, dw, null];
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
  if (activation === 'mish' && layout(x, w, b) !== null) {
    const recorded = isGradEnabled() && (x.requiresGrad || w.requiresGrad || (b !== null && b.requiresGrad));
    if (!recorded) return apply(Linear, b ? [x, w, b] : [x, w], { act: 'mish' });
    const { dtype, backend } = placement('linear', b ? [x, w, b] : [x, w]);
    if (backend.matmulBiasAct) {
      const slope = Tensor.empty(outShape(layout(x, w, b)!, w), dtype, backend);
      try {
        return apply(LinearMish, b ? [x, w, slope, b] : [x, w, slope], null);
      } catch (e) {
        slope.dispose();
        throw e;
      }
    }
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
