import { C, Unary } from './codes';
import { tmpp, kf } from './scratch';
import { vsplat, vexp, vlog, vtanh, vsigmoid, vsoftplus, vtsp, vmishSlope, vsign } from './vmath';

// ---------------------------------------------------------------------------------------------
// Unary ops. Codes: 0 copy, 1 neg, 2 exp, 3 log, 4 sqrt, 5 square, 6 abs, 7 sign, 8 tanh,
// 9 sigmoid, 10 softplus, 11 relu, 12 mish, 13 sin, 14 cos, 15 pow, 16 clamp, 17 scale,
// 18 addScalar, 19 reciprocal, 20 step.
// ---------------------------------------------------------------------------------------------

@inline export function uv(op: i32, x: v128, p0: v128, p1: v128): v128 {
  switch (op) {
    case Unary.neg: return f32x4.neg(x);
    case Unary.exp: return vexp(x);
    case Unary.log: return vlog(x);
    case Unary.sqrt: return f32x4.sqrt(x);
    case Unary.square: return f32x4.mul(x, x);
    case Unary.abs: return f32x4.abs(x);
    case Unary.sign: return v128.bitselect(x, vsign(x), f32x4.ne(x, x)); // sign(NaN) = NaN
    case Unary.tanh: return vtanh(x);
    case Unary.sigmoid: return vsigmoid(x);
    case Unary.softplus: return vsoftplus(x);
    case Unary.relu: return v128.andnot(x, f32x4.le(x, vsplat(0.0))); // relu(NaN) = NaN
    case Unary.mish: return f32x4.mul(x, vtsp(x));
    case Unary.pow: return f32x4.mul(x, x); // pow with p0 == 2 only
    case Unary.clamp: return v128.bitselect(p0, v128.bitselect(p1, x, f32x4.gt(x, p1)), f32x4.lt(x, p0));
    case Unary.scale: return f32x4.mul(x, p0);
    case Unary.addScalar: return f32x4.add(x, p0);
    case Unary.reciprocal: return f32x4.div(kf(C.ONE), x);
    case Unary.step: return v128.bitselect(x, v128.and(f32x4.gt(x, vsplat(0.0)), kf(C.ONE)), f32x4.ne(x, x));
    default: return x;
  }
}

@inline export function unaryLoop(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  const vp0 = vsplat(p0);
  const vp1 = vsplat(p1);
  const nv = <usize>(n >> 2) << 4;
  for (let i: usize = 0; i < nv; i += 16) {
    v128.store(out + i, uv(op, v128.load(x + i), vp0, vp1));
  }
  const rem = <usize>(n & 3) << 2;
  if (rem) {
    v128.store(tmpp, v128.splat<i32>(0));
    memory.copy(tmpp, x + nv, rem);
    v128.store(tmpp + 16, uv(op, v128.load(tmpp), vp0, vp1));
    memory.copy(out + nv, tmpp + 16, rem);
  }
}

export function unaryScalar(op: i32, x: usize, out: usize, n: i32, p0: f32): void {
  const end = x + (<usize>n << 2);
  let o = out;
  for (let p = x; p < end; p += 4, o += 4) {
    const v = load<f32>(p);
    let r: f32;
    if (op == Unary.sin) r = Mathf.sin(v);
    else if (op == Unary.cos) r = Mathf.cos(v);
    else r = <f32>Math.pow(<f64>v, <f64>p0);
    store<f32>(o, r);
  }
}

export function unary(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  switch (op) {
    case Unary.copy: if (x != out) memory.copy(out, x, <usize>n << 2); break;
    case Unary.neg: unaryLoop(Unary.neg, x, out, n, p0, p1); break;
    case Unary.exp: unaryLoop(Unary.exp, x, out, n, p0, p1); break;
    case Unary.log: unaryLoop(Unary.log, x, out, n, p0, p1); break;
    case Unary.sqrt: unaryLoop(Unary.sqrt, x, out, n, p0, p1); break;
    case Unary.square: unaryLoop(Unary.square, x, out, n, p0, p1); break;
    case Unary.abs: unaryLoop(Unary.abs, x, out, n, p0, p1); break;
    case Unary.sign: unaryLoop(Unary.sign, x, out, n, p0, p1); break;
    case Unary.tanh: unaryLoop(Unary.tanh, x, out, n, p0, p1); break;
    case Unary.sigmoid: unaryLoop(Unary.sigmoid, x, out, n, p0, p1); break;
    case Unary.softplus: unaryLoop(Unary.softplus, x, out, n, p0, p1); break;
    case Unary.relu: unaryLoop(Unary.relu, x, out, n, p0, p1); break;
    case Unary.mish: unaryLoop(Unary.mish, x, out, n, p0, p1); break;
    case Unary.pow:
      if (p0 == 2.0) unaryLoop(Unary.pow, x, out, n, p0, p1);
      else if (p0 == 1.0) { if (x != out) memory.copy(out, x, <usize>n << 2); }
      else unaryScalar(Unary.pow, x, out, n, p0);
      break;
    case Unary.clamp: unaryLoop(Unary.clamp, x, out, n, p0, p1); break;
    case Unary.scale: unaryLoop(Unary.scale, x, out, n, p0, p1); break;
    case Unary.addScalar: unaryLoop(Unary.addScalar, x, out, n, p0, p1); break;
    case Unary.reciprocal: unaryLoop(Unary.reciprocal, x, out, n, p0, p1); break;
    case Unary.step: unaryLoop(Unary.step, x, out, n, p0, p1); break;
    default: unaryScalar(op, x, out, n, p0); break;
  }
}

/** g * f'(x) with y = f(x). */
@inline export function ugv(op: i32, x: v128, y: v128, g: v128, p0: v128, p1: v128): v128 {
  switch (op) {
    case Unary.copy: return g;
    case Unary.neg: return f32x4.neg(g);
    case Unary.exp: return f32x4.mul(g, y);
    case Unary.log: return f32x4.mul(g, f32x4.div(kf(C.ONE), x));
    case Unary.sqrt: return f32x4.mul(g, f32x4.div(kf(C.HALF), y));
    case Unary.square: return f32x4.mul(g, f32x4.add(x, x));
    case Unary.abs: return f32x4.mul(g, vsign(x));
    case Unary.sign: return f32x4.mul(g, vsplat(0.0));
    case Unary.tanh: return f32x4.mul(g, f32x4.sub(kf(C.ONE), f32x4.mul(y, y)));
    case Unary.sigmoid: return f32x4.mul(g, f32x4.mul(y, f32x4.sub(kf(C.ONE), y)));
    case Unary.softplus: return f32x4.mul(g, vsigmoid(x));
    case Unary.relu: return f32x4.mul(g, v128.and(f32x4.gt(x, vsplat(0.0)), kf(C.ONE)));
    case Unary.mish: return f32x4.mul(g, vmishSlope(x, vtsp(x)));
    case Unary.pow: return f32x4.mul(g, f32x4.add(x, x)); // p0 == 2 only
    case Unary.clamp: return f32x4.mul(g, v128.and(v128.and(f32x4.ge(x, p0), f32x4.le(x, p1)), kf(C.ONE)));
    case Unary.scale: return f32x4.mul(g, p0);
    case Unary.addScalar: return g;
    case Unary.reciprocal: return f32x4.mul(g, f32x4.neg(f32x4.mul(y, y)));
    case Unary.step: return f32x4.mul(g, vsplat(0.0));
    default: return g;
  }
}

@inline export function unaryGradLoop(op: i32, x: usize, y: usize, g: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  const vp0 = vsplat(p0);
  const vp1 = vsplat(p1);
  const nv = <usize>(n >> 2) << 4;
  for (let i: usize = 0; i < nv; i += 16) {
    v128.store(out + i, ugv(op, v128.load(x + i), v128.load(y + i), v128.load(g + i), vp0, vp1));
  }
  const rem = <usize>(n & 3) << 2;
  if (rem) {
    const z = v128.splat<i32>(0);
    v128.store(tmpp, z); v128.store(tmpp + 16, z); v128.store(tmpp + 32, z);
    memory.copy(tmpp, x + nv, rem);
    memory.copy(tmpp + 16, y + nv, rem);
    memory.copy(tmpp + 32, g + nv, rem);
    v128.store(tmpp + 48, ugv(op, v128.load(tmpp), v128.load(tmpp + 16), v128.load(tmpp + 32), vp0, vp1));
    memory.copy(out + nv, tmpp + 48, rem);
  }
}

export function unaryGradScalar(op: i32, x: usize, g: usize, out: usize, n: i32, p0: f32): void {
  for (let i: usize = 0, e = <usize>n << 2; i < e; i += 4) {
    const v = load<f32>(x + i);
    let d: f32;
    if (op == Unary.sin) d = Mathf.cos(v);
    else if (op == Unary.cos) d = -Mathf.sin(v);
    else d = p0 == 0 ? <f32>0 : <f32>(<f64>p0 * Math.pow(<f64>v, <f64>p0 - 1.0)); // pow; p = 0: 0, not 0 * 0^-1 = NaN
    store<f32>(out + i, load<f32>(g + i) * d);
  }
}

export function unaryGrad(op: i32, x: usize, y: usize, g: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  switch (op) {
    case Unary.copy: unaryGradLoop(Unary.copy, x, y, g, out, n, p0, p1); break;
    case Unary.neg: unaryGradLoop(Unary.neg, x, y, g, out, n, p0, p1); break;
    case Unary.exp: unaryGradLoop(Unary.exp, x, y, g, out, n, p0, p1); break;
    case Unary.log: unaryGradLoop(Unary.log, x, y, g, out, n, p0, p1); break;
    case Unary.sqrt: unaryGradLoop(Unary.sqrt, x, y, g, out, n, p0, p1); break;
    case Unary.square: unaryGradLoop(Unary.square, x, y, g, out, n, p0, p1); break;
    case Unary.abs: unaryGradLoop(Unary.abs, x, y, g, out, n, p0, p1); break;
    case Unary.sign: unaryGradLoop(Unary.sign, x, y, g, out, n, p0, p1); break;
    case Unary.tanh: unaryGradLoop(Unary.tanh, x, y, g, out, n, p0, p1); break;
    case Unary.sigmoid: unaryGradLoop(Unary.sigmoid, x, y, g, out, n, p0, p1); break;
    case Unary.softplus: unaryGradLoop(Unary.softplus, x, y, g, out, n, p0, p1); break;
    case Unary.relu: unaryGradLoop(Unary.relu, x, y, g, out, n, p0, p1); break;
    case Unary.mish: unaryGradLoop(Unary.mish, x, y, g, out, n, p0, p1); break;
    case Unary.pow:
      if (p0 == 2.0) unaryGradLoop(Unary.pow, x, y, g, out, n, p0, p1);
      else unaryGradScalar(Unary.pow, x, g, out, n, p0);
      break;
    case Unary.clamp: unaryGradLoop(Unary.clamp, x, y, g, out, n, p0, p1); break;
    case Unary.scale: unaryGradLoop(Unary.scale, x, y, g, out, n, p0, p1); break;
    case Unary.addScalar: unaryGradLoop(Unary.addScalar, x, y, g, out, n, p0, p1); break;
    case Unary.reciprocal: unaryGradLoop(Unary.reciprocal, x, y, g, out, n, p0, p1); break;
    case Unary.step: unaryGradLoop(Unary.step, x, y, g, out, n, p0, p1); break;
    default: unaryGradScalar(op, x, g, out, n, p0); break;
  }
}
