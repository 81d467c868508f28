/**
 * Gradient checks against finite differences, in float64 on the js reference backend.
 *
 * The output is reduced to a scalar by a fixed random projection, L = Σ out ⊙ r (r ~ N(0,1),
 * seeded), so one backward pass checks the whole vector-Jacobian product. Each checked coordinate
 * x_j is compared with the five-point central difference
 *   dL/dx_j ≈ [L(x-2h) - 8 L(x-h) + 8 L(x+h) - L(x+2h)] / 12h     (error O(h⁴)).
 * Errors: abs = |analytic - numeric|; rel = abs / max(|analytic|, |numeric|, floor), so it is a
 * relative error for gradients above `floor` (default 1) and an absolute one below it, where
 * finite differences carry rounding noise of order eps·|L|/h.
 */
import { apply, noGrad, type OpDef } from './autograd.js';
import { Rng } from './rng.js';
import { fmtShape } from './shape.js';
import { Tensor, tensor } from './tensor.js';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-4). */
  h?: number;
  /** Tolerance on the relative error for `ok` (default 1e-6). */
  rtol?: number;
  /** Denominator floor of the relative error (default 1). */
  floor?: number;
  /** Check at most this many coordinates per input, drawn at random (a whole number >= 1, or Infinity; default: all). */
  maxPoints?: number;
  /** Indices of the inputs to check (default: all). */
  wrt?: readonly number[];
  seed?: number;
}

export interface InputReport {
  index: number;
  shape: number[];
  checked: number;
  maxAbsErr: number;
  maxRelErr: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsErr: number;
  maxRelErr: number;
  perInput: InputReport[];
}

/** Compares autodiff with finite differences for `fn` at `inputs` (copied to float64). */
export function gradcheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  if (typeof fn !== 'function') throw new Error('gradcheck: fn must be a function');
  if (!Array.isArray(inputs)) throw new Error('gradcheck: inputs must be an array of tensors');
  const h = opts.h ?? 1e-4;
  const rtol = opts.rtol ?? 1e-6;
  const floor = opts.floor ?? 1;
  // A check that checks nothing must not pass: maxPoints NaN or 0 picked no coordinate and gave ok: true;
  // h 0 divided by 0; a floor of 0 divides 0 by 0 where both gradients are 0.
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!num(h) || h <= 0) throw new Error(`gradcheck: h (the finite-difference step) must be a finite number > 0, got ${h}`);
  if (!num(rtol) || rtol < 0) throw new Error(`gradcheck: rtol must be a finite number >= 0, got ${rtol}`);
  if (!num(floor) || floor <= 0) throw new Error(`gradcheck: floor must be a finite number > 0, got ${floor}`);
  const mp = opts.maxPoints;
  if (mp !== undefined && !(mp === Infinity || (Number.isInteger(mp) && mp >= 1))) {
    throw new Error(`gradcheck: maxPoints must be a whole number >= 1 (or Infinity / undefined for all), got ${mp}`);
  }
  const rng = new Rng(opts.seed ?? 1234);
  const wrt = opts.wrt ?? inputs.map((_, i) => i);
  for (const i of wrt) {
    if (!(inputs[i] instanceof Tensor)) throw new Error(`gradcheck: input ${i} is not a Tensor`);
  }

  const xs = inputs.map((t, i) =>
    tensor(t.toFlatArray(), { shape: t.shape, dtype: 'float64', backend: 'js', requiresGrad: wrt.includes(i) }));
  const out0 = fn(...xs);
  if (!(out0 instanceof Tensor)) throw new Error('gradcheck: fn must return a Tensor');
  if (!out0.requiresGrad) throw new Error('gradcheck: the output does not depend on any checked input');
  const r = tensor(Float64Array.from({ length: out0.size }, () => rng.normal()), {
    shape: out0.shape, dtype: 'float64', backend: 'js',
  });
  const loss = (o: Tensor): number => {
    if (o.size !== r.size) throw new Error(`gradcheck: output shape changed to ${fmtShape(o.shape)} under perturbation`);
    const ov = o.buffer.view();
    const rv = r.buffer.view();
    let s = 0;
    for (let i = 0; i < ov.length; i++) s += ov[i] * rv[i];
    return s;
  };
  out0.cast('float64').mul(r).sum().backward();

  const perInput: InputReport[] = [];
  for (const i of wrt) {
    const x = xs[i];
    const analytic = x.grad ? x.grad.buffer.view() : new Float64Array(x.size);
    const data = x.buffer.view();
    const coords = pickCoords(x.size, opts.maxPoints, rng);
    let maxAbs = 0;
    let maxRel = 0;
    for (const j of coords) {
      const orig = data[j];
      const at = (d: number): number => {
        data[j] = orig + d;
        const v = noGrad(() => loss(fn(...xs)));
        data[j] = orig;
        return v;
      };
      const numeric = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h);
      const abs = Math.abs(analytic[j] - numeric);
      const rel = abs / Math.max(Math.abs(analytic[j]), Math.abs(numeric), floor);
      // NaN propagates: once a coordinate gives NaN the maximum stays NaN (`!(x <= max)` replaced a NaN max
      // by the next finite error, so a VJP with a NaN at any coordinate but the last passed).
      if (abs > maxAbs || Number.isNaN(abs)) maxAbs = abs;
      if (rel > maxRel || Number.isNaN(rel)) maxRel = rel;
    }
    perInput.push({ index: i, shape: [...x.shape], checked: coords.length, maxAbsErr: maxAbs, maxRelErr: maxRel });
  }
  const maxAbsErr = perInput.reduce((m, p) => (p.maxAbsErr > m || Number.isNaN(p.maxAbsErr) ? p.maxAbsErr : m), 0);
  const maxRelErr = perInput.reduce((m, p) => (p.maxRelErr > m || Number.isNaN(p.maxRelErr) ? p.maxRelErr : m), 0);
  return { ok: maxRelErr <= rtol, maxAbsErr, maxRelErr, perInput };
}

function pickCoords(size: number, max: number | undefined, rng: Rng): number[] {
  if (max === undefined || size <= max) return [...Array(size).keys()];
  const picked = new Set<number>();
  while (picked.size < max) picked.add(rng.int(size));
  return [...picked].sort((a, b) => a - b);
}

/** Runs gradcheck on one op with given attributes (used by `audit`). */
export function gradcheckOp(op: OpDef<any>, attrs: unknown, inputs: readonly Tensor[], opts: GradcheckOptions): GradcheckResult {
  // Inputs the op owns (OpDef.owns: a buffer its forward fills for its backward, freed with the output)
  // get a fresh copy per call, as the op's own wrapper would make them.
  const own = op.owns ?? [];
  return gradcheck((...xs) => apply(op, own.length ? xs.map((x, i) => (own.includes(i) ? x.clone() : x)) : xs, attrs), inputs, opts);
}
