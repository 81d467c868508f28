import { C, CI } from './codes';
import { kf, ki } from './scratch';

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Vector math (float32x4): exp, log, log1p, tanh, sigmoid, softplus, mish and its slope
// ---------------------------------------------------------------------------------------------

@inline export function vsplat(x: f32): v128 {
  return f32x4.splat(x);
}

/** exp(x), Cephes-style: 2^n e^r with |r| <= ln2/2, degree-6 polynomial; ~1 ulp. */
@inline export function vexp(x0: v128): v128 {
  // pmin / pmax are single instructions (min / max are NaN-exact sequences in V8); NaN still
  // propagates through them (a NaN first operand is returned).
  const x = f32x4.pmin(f32x4.pmax(x0, kf(C.EXP_MIN)), kf(C.EXP_MAX));
  // n = round(x log2 e) by the 1.5 * 2^23 trick: the integer lands in the low mantissa bits.
  const t = f32x4.add(f32x4.mul(x, kf(C.LOG2E)), kf(C.ROUND_MAGIC));
  const fx = f32x4.sub(t, kf(C.ROUND_MAGIC));
  let r = f32x4.sub(x, f32x4.mul(fx, kf(C.LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, kf(C.LN2_LO)));
  let y = kf(C.EXP_P0);
  y = f32x4.add(f32x4.mul(y, r), kf(C.EXP_P1));
  y = f32x4.add(f32x4.mul(y, r), kf(C.EXP_P2));
  y = f32x4.add(f32x4.mul(y, r), kf(C.EXP_P3));
  y = f32x4.add(f32x4.mul(y, r), kf(C.EXP_P4));
  y = f32x4.add(f32x4.mul(y, r), kf(C.EXP_P5));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, r), r), r), kf(C.ONE));
  // 2^n as two factors so that n in [-150, 128] neither under- nor overflows the exponent field.
  const n = i32x4.sub(t, ki(CI.ROUND_MAGIC_BITS));
  const h = i32x4.shr_s(n, 1);
  const p1 = i32x4.shl(i32x4.add(h, ki(CI.EXP_BIAS)), 23);
  const p2 = i32x4.shl(i32x4.add(i32x4.sub(n, h), ki(CI.EXP_BIAS)), 23);
  return f32x4.mul(f32x4.mul(y, p1), p2);
}

/** log(x), Cephes-style: x = m 2^e with m in [sqrt(1/2), sqrt(2)), degree-9 polynomial. */
@inline export function vlog(x0: v128): v128 {
  // Denormals: scale up by 2^23 first.
  const den = f32x4.lt(x0, kf(C.FLT_MIN));
  const x = v128.bitselect(f32x4.mul(x0, kf(C.TWO_POW_23)), x0, den);
  let e = i32x4.sub(i32x4.shr_u(x, 23), ki(CI.EXP_BIAS_M1));
  e = i32x4.sub(e, v128.and(den, ki(CI.MANT_BITS)));
  let m = v128.or(v128.and(x, ki(CI.MANT_MASK)), ki(CI.HALF_BITS)); // [0.5, 1)
  const small = f32x4.lt(m, kf(C.SQRT_HALF));
  e = i32x4.add(e, small); // small lanes are -1
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), kf(C.ONE));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = kf(C.LOG_P0);
  y = f32x4.add(f32x4.mul(y, m), kf(C.LOG_P1));
  y = f32x4.add(f32x4.mul(y, m), kf(C.LOG_P2));
  y = f32x4.add(f32x4.mul(y, m), kf(C.LOG_P3));
  y = f32x4.add(f32x4.mul(y, m), kf(C.LOG_P4));
  y = f32x4.add(f32x4.mul(y, m), kf(C.LOG_P5));
  y = f32x4.add(f32x4.mul(y, m), kf(C.LOG_P6));
  y = f32x4.add(f32x4.mul(y, m), kf(C.LOG_P7));
  y = f32x4.add(f32x4.mul(y, m), kf(C.LOG_P8));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(fe, kf(C.LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, kf(C.HALF)));
  let r = f32x4.add(f32x4.add(m, y), f32x4.mul(fe, kf(C.LN2_HI)));
  // Specials: 0 -> -inf, negative or NaN -> NaN, +inf -> +inf.
  r = v128.bitselect(kf(C.NEG_INF), r, f32x4.eq(x0, vsplat(0.0)));
  r = v128.bitselect(kf(C.INF), r, f32x4.eq(x0, kf(C.INF)));
  const bad = v128.or(f32x4.lt(x0, vsplat(0.0)), f32x4.ne(x0, x0));
  return v128.bitselect(kf(C.NAN), r, bad);
}

/** log(1 + u) for u >= 0 (Goldberg: log(w) * u / (w - 1), w = 1 + u). */
@inline export function vlog1p(u: v128): v128 {
  const w = f32x4.add(u, kf(C.ONE));
  const d = f32x4.sub(w, kf(C.ONE));
  const r = f32x4.mul(vlog(w), f32x4.div(u, d));
  return v128.bitselect(u, r, f32x4.eq(d, vsplat(0.0)));
}

/** tanh: odd polynomial for |x| < 0.625, else sign(x) (1 - 2 / (e^{2|x|} + 1)). */
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = kf(C.TANH_P0);
  p = f32x4.add(f32x4.mul(p, z), kf(C.TANH_P1));
  p = f32x4.add(f32x4.mul(p, z), kf(C.TANH_P2));
  p = f32x4.add(f32x4.mul(p, z), kf(C.TANH_P3));
  p = f32x4.add(f32x4.mul(p, z), kf(C.TANH_P4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = vexp(f32x4.add(ax, ax));
  const big = f32x4.sub(kf(C.ONE), f32x4.div(kf(C.TWO), f32x4.add(e, kf(C.ONE))));
  const signed = v128.or(big, v128.and(x, ki(CI.SIGN_MASK)));
  return v128.bitselect(small, signed, f32x4.lt(ax, kf(C.TANH_SMALL)));
}

@inline export function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(kf(C.ONE), f32x4.add(kf(C.ONE), e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, vsplat(0.0)));
}

@inline export function vsoftplus(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  // x > 0 ? x + log1p(e^-x) : log1p(e^x); NaN -> NaN via the add.
  return f32x4.add(v128.and(x, f32x4.gt(x, vsplat(0.0))), vlog1p(e));
}

/** tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2). */
@inline export function vtsp(x: v128): v128 {
  const e = vexp(f32x4.min(x, kf(C.MISH_CLAMP)));
  const n = f32x4.mul(e, f32x4.add(e, kf(C.TWO)));
  return f32x4.div(n, f32x4.add(n, kf(C.TWO)));
}

/**
 * mish'(x) = t + x sigmoid(x) (1 - t^2) with t = tanh(softplus(x)) = vtsp(x) passed in. The one formula of
 * the slope: unaryGrad's mish and the GEMM epilogue that stores the slope beside the output share it,
 * so a product whose epilogue saved the slope gives the backward the same bits as recomputing it.
 */
@inline export function vmishSlope(x: v128, t: v128): v128 {
  const s = vsigmoid(x);
  return f32x4.add(t, f32x4.mul(f32x4.mul(x, s), f32x4.sub(kf(C.ONE), f32x4.mul(t, t))));
}

@inline export function vsign(x: v128): v128 {
  return v128.or(
    v128.and(f32x4.gt(x, vsplat(0.0)), kf(C.ONE)),
    v128.and(f32x4.lt(x, vsplat(0.0)), kf(C.NEG_ONE)),
  );
}
