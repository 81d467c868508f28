// FISOR tensor kernels in AssemblyScript, compiled to WebAssembly SIMD128 (see docs/WASM_DESIGN.md).
//
// Every pointer is a byte offset into the one exported memory; every length / stride / offset
// is in float32 elements. The JS side (core/backends/wasm.ts) owns allocation: nothing here
// allocates. Small fixed scratch areas live in static data (memory.data).
//
// Op codes must match core/backends/wasm.ts.

// ---------------------------------------------------------------------------------------------
// Static scratch
// ---------------------------------------------------------------------------------------------

/** i32 metadata for strided kernels: [0,8) shape, [8,16) / [16,24) / [24,32) strides, [32,40) counters. */
const META: usize = memory.data(256, 16);
/** Temporaries for vector tails and GEMM edge tiles. */
const TMP: usize = memory.data(256, 16);

const MAXD: i32 = 8;

/**
 * This instance's temporary area (TMP by default). Each thread sharing the memory runs its own
 * instance (globals are per instance) and points this at its own 64-byte block (setTmp), so that
 * kernels run on the worker never write the main thread's temporaries. META stays main-thread only.
 */
let tmpp: usize = TMP;

export function setTmp(p: usize): void {
  tmpp = p;
}

export function metaPtr(): usize {
  return META;
}

export function heapBase(): usize {
  return __heap_base;
}

/**
 * Loop constants, pre-splatted, read with plain vector loads (kf / ki). V8 neither hoists
 * v128.const out of loops nor keeps it in a register: it rebuilds each one per iteration with
 * two shuffle-port instructions, which made exp 5x slower than with these loads.
 */
const KF: usize = memory.data<f32>([
  -104.0, -104.0, -104.0, -104.0,
  89.0, 89.0, 89.0, 89.0,
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341,
  0.693359375, 0.693359375, 0.693359375, 0.693359375,
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4,
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4,
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3,
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3,
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2,
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1,
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1,
  1.0, 1.0, 1.0, 1.0,
  1.17549435e-38, 1.17549435e-38, 1.17549435e-38, 1.17549435e-38,
  8388608.0, 8388608.0, 8388608.0, 8388608.0,
  0.707106781186547524, 0.707106781186547524, 0.707106781186547524, 0.707106781186547524,
  7.0376836292e-2, 7.0376836292e-2, 7.0376836292e-2, 7.0376836292e-2,
  -1.1514610310e-1, -1.1514610310e-1, -1.1514610310e-1, -1.1514610310e-1,
  1.1676998740e-1, 1.1676998740e-1, 1.1676998740e-1, 1.1676998740e-1,
  -1.2420140846e-1, -1.2420140846e-1, -1.2420140846e-1, -1.2420140846e-1,
  1.4249322787e-1, 1.4249322787e-1, 1.4249322787e-1, 1.4249322787e-1,
  -1.6668057665e-1, -1.6668057665e-1, -1.6668057665e-1, -1.6668057665e-1,
  2.0000714765e-1, 2.0000714765e-1, 2.0000714765e-1, 2.0000714765e-1,
  -2.4999993993e-1, -2.4999993993e-1, -2.4999993993e-1, -2.4999993993e-1,
  3.3333331174e-1, 3.3333331174e-1, 3.3333331174e-1, 3.3333331174e-1,
  0.5, 0.5, 0.5, 0.5,
  -Infinity, -Infinity, -Infinity, -Infinity,
  Infinity, Infinity, Infinity, Infinity,
  NaN, NaN, NaN, NaN,
  -5.70498872745e-3, -5.70498872745e-3, -5.70498872745e-3, -5.70498872745e-3,
  2.06390887954e-2, 2.06390887954e-2, 2.06390887954e-2, 2.06390887954e-2,
  -5.37397155531e-2, -5.37397155531e-2, -5.37397155531e-2, -5.37397155531e-2,
  1.33314422036e-1, 1.33314422036e-1, 1.33314422036e-1, 1.33314422036e-1,
  -3.33332819422e-1, -3.33332819422e-1, -3.33332819422e-1, -3.33332819422e-1,
  2.0, 2.0, 2.0, 2.0,
  0.625, 0.625, 0.625, 0.625,
  20.0, 20.0, 20.0, 20.0,
  -1.0, -1.0, -1.0, -1.0,
  12582912.0, 12582912.0, 12582912.0, 12582912.0,
], 16);
const KI: usize = memory.data<i32>([
  127, 127, 127, 127,
  126, 126, 126, 126,
  23, 23, 23, 23,
  0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff,
  0x3f000000, 0x3f000000, 0x3f000000, 0x3f000000,
  <i32>0x80000000, <i32>0x80000000, <i32>0x80000000, <i32>0x80000000,
  0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000,
], 16);
@inline function kf(i: i32): v128 {
  return v128.load(KF + (<usize>i << 4));
}
@inline function ki(i: i32): v128 {
  return v128.load(KI + (<usize>i << 4));
}

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Vector math (float32x4): exp, log, log1p, tanh, sigmoid, softplus, mish
// ---------------------------------------------------------------------------------------------

@inline function vsplat(x: f32): v128 {
  return f32x4.splat(x);
}

/** exp(x), Cephes-style: 2^n e^r with |r| <= ln2/2, degree-6 polynomial; ~1 ulp. */
@inline function vexp(x0: v128): v128 {
  // pmin / pmax are single instructions (min / max are NaN-exact sequences in V8); NaN still
  // propagates through them (a NaN first operand is returned).
  const x = f32x4.pmin(f32x4.pmax(x0, kf(0 /* -104.0 */)), kf(1 /* 89.0 */));
  // n = round(x log2 e) by the 1.5 * 2^23 trick: the integer lands in the low mantissa bits.
  const t = f32x4.add(f32x4.mul(x, kf(2 /* 1.44269504088896341 */)), kf(37 /* 12582912.0 */));
  const fx = f32x4.sub(t, kf(37 /* 12582912.0 */));
  let r = f32x4.sub(x, f32x4.mul(fx, kf(3 /* 0.693359375 */)));
  r = f32x4.sub(r, f32x4.mul(fx, kf(4 /* -2.12194440e-4 */)));
  let y = kf(5 /* 1.9875691500e-4 */);
  y = f32x4.add(f32x4.mul(y, r), kf(6 /* 1.3981999507e-3 */));
  y = f32x4.add(f32x4.mul(y, r), kf(7 /* 8.3334519073e-3 */));
  y = f32x4.add(f32x4.mul(y, r), kf(8 /* 4.1665795894e-2 */));
  y = f32x4.add(f32x4.mul(y, r), kf(9 /* 1.6666665459e-1 */));
  y = f32x4.add(f32x4.mul(y, r), kf(10 /* 5.0000001201e-1 */));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, r), r), r), kf(11 /* 1.0 */));
  // 2^n as two factors so that n in [-150, 128] neither under- nor overflows the exponent field.
  const n = i32x4.sub(t, ki(6 /* 0x4b400000 */));
  const h = i32x4.shr_s(n, 1);
  const p1 = i32x4.shl(i32x4.add(h, ki(0 /* 127 */)), 23);
  const p2 = i32x4.shl(i32x4.add(i32x4.sub(n, h), ki(0 /* 127 */)), 23);
  return f32x4.mul(f32x4.mul(y, p1), p2);
}

/** log(x), Cephes-style: x = m 2^e with m in [sqrt(1/2), sqrt(2)), degree-9 polynomial. */
@inline function vlog(x0: v128): v128 {
  // Denormals: scale up by 2^23 first.
  const den = f32x4.lt(x0, kf(12 /* 1.17549435e-38 */));
  const x = v128.bitselect(f32x4.mul(x0, kf(13 /* 8388608.0 */)), x0, den);
  let e = i32x4.sub(i32x4.shr_u(x, 23), ki(1 /* 126 */));
  e = i32x4.sub(e, v128.and(den, ki(2 /* 23 */)));
  let m = v128.or(v128.and(x, ki(3 /* 0x007fffff */)), ki(4 /* 0x3f000000 */)); // [0.5, 1)
  const small = f32x4.lt(m, kf(14 /* 0.707106781186547524 */));
  e = i32x4.add(e, small); // small lanes are -1
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), kf(11 /* 1.0 */));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = kf(15 /* 7.0376836292e-2 */);
  y = f32x4.add(f32x4.mul(y, m), kf(16 /* -1.1514610310e-1 */));
  y = f32x4.add(f32x4.mul(y, m), kf(17 /* 1.1676998740e-1 */));
  y = f32x4.add(f32x4.mul(y, m), kf(18 /* -1.2420140846e-1 */));
  y = f32x4.add(f32x4.mul(y, m), kf(19 /* 1.4249322787e-1 */));
  y = f32x4.add(f32x4.mul(y, m), kf(20 /* -1.6668057665e-1 */));
  y = f32x4.add(f32x4.mul(y, m), kf(21 /* 2.0000714765e-1 */));
  y = f32x4.add(f32x4.mul(y, m), kf(22 /* -2.4999993993e-1 */));
  y = f32x4.add(f32x4.mul(y, m), kf(23 /* 3.3333331174e-1 */));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(fe, kf(4 /* -2.12194440e-4 */)));
  y = f32x4.sub(y, f32x4.mul(z, kf(24 /* 0.5 */)));
  let r = f32x4.add(f32x4.add(m, y), f32x4.mul(fe, kf(3 /* 0.693359375 */)));
  // Specials: 0 -> -inf, negative or NaN -> NaN, +inf -> +inf.
  r = v128.bitselect(kf(25 /* -Infinity */), r, f32x4.eq(x0, vsplat(0.0)));
  r = v128.bitselect(kf(26 /* Infinity */), r, f32x4.eq(x0, kf(26 /* Infinity */)));
  const bad = v128.or(f32x4.lt(x0, vsplat(0.0)), f32x4.ne(x0, x0));
  return v128.bitselect(kf(27 /* NaN */), r, bad);
}

/** log(1 + u) for u >= 0 (Goldberg: log(w) * u / (w - 1), w = 1 + u). */
@inline function vlog1p(u: v128): v128 {
  const w = f32x4.add(u, kf(11 /* 1.0 */));
  const d = f32x4.sub(w, kf(11 /* 1.0 */));
  const r = f32x4.mul(vlog(w), f32x4.div(u, d));
  return v128.bitselect(u, r, f32x4.eq(d, vsplat(0.0)));
}

/** tanh: odd polynomial for |x| < 0.625, else sign(x) (1 - 2 / (e^{2|x|} + 1)). */
@inline function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = kf(28 /* -5.70498872745e-3 */);
  p = f32x4.add(f32x4.mul(p, z), kf(29 /* 2.06390887954e-2 */));
  p = f32x4.add(f32x4.mul(p, z), kf(30 /* -5.37397155531e-2 */));
  p = f32x4.add(f32x4.mul(p, z), kf(31 /* 1.33314422036e-1 */));
  p = f32x4.add(f32x4.mul(p, z), kf(32 /* -3.33332819422e-1 */));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = vexp(f32x4.add(ax, ax));
  const big = f32x4.sub(kf(11 /* 1.0 */), f32x4.div(kf(33 /* 2.0 */), f32x4.add(e, kf(11 /* 1.0 */))));
  const signed = v128.or(big, v128.and(x, ki(5 /* 0x80000000 */)));
  return v128.bitselect(small, signed, f32x4.lt(ax, kf(34 /* 0.625 */)));
}

@inline function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(kf(11 /* 1.0 */), f32x4.add(kf(11 /* 1.0 */), e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, vsplat(0.0)));
}

@inline function vsoftplus(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  // x > 0 ? x + log1p(e^-x) : log1p(e^x); NaN -> NaN via the add.
  return f32x4.add(v128.and(x, f32x4.gt(x, vsplat(0.0))), vlog1p(e));
}

/** tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2). */
@inline function vtsp(x: v128): v128 {
  const e = vexp(f32x4.min(x, kf(35 /* 20.0 */)));
  const n = f32x4.mul(e, f32x4.add(e, kf(33 /* 2.0 */)));
  return f32x4.div(n, f32x4.add(n, kf(33 /* 2.0 */)));
}

@inline function vsign(x: v128): v128 {
  return v128.or(
    v128.and(f32x4.gt(x, vsplat(0.0)), kf(11 /* 1.0 */)),
    v128.and(f32x4.lt(x, vsplat(0.0)), kf(36 /* -1.0 */)),
  );
}

// ---------------------------------------------------------------------------------------------
// Unary ops. Codes: 0 copy, 1 neg, 2 exp, 3 log, 4 sqrt, 5 square, 6 abs, 7 sign, 8 tanh,
// 9 sigmoid, 10 softplus, 11 relu, 12 mish, 13 sin, 14 cos, 15 pow, 16 clamp, 17 scale,
// 18 addScalar, 19 reciprocal, 20 step.
// ---------------------------------------------------------------------------------------------

@inline function uv(op: i32, x: v128, p0: v128, p1: v128): v128 {
  switch (op) {
    case 1: return f32x4.neg(x);
    case 2: return vexp(x);
    case 3: return vlog(x);
    case 4: return f32x4.sqrt(x);
    case 5: return f32x4.mul(x, x);
    case 6: return f32x4.abs(x);
    case 7: return vsign(x);
    case 8: return vtanh(x);
    case 9: return vsigmoid(x);
    case 10: return vsoftplus(x);
    case 11: return v128.and(x, f32x4.gt(x, vsplat(0.0)));
    case 12: return f32x4.mul(x, vtsp(x));
    case 15: return f32x4.mul(x, x); // pow with p0 == 2 only
    case 16: return v128.bitselect(p0, v128.bitselect(p1, x, f32x4.gt(x, p1)), f32x4.lt(x, p0));
    case 17: return f32x4.mul(x, p0);
    case 18: return f32x4.add(x, p0);
    case 19: return f32x4.div(kf(11 /* 1.0 */), x);
    case 20: return v128.and(f32x4.gt(x, vsplat(0.0)), kf(11 /* 1.0 */));
    default: return x;
  }
}

@inline function unaryLoop(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
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

function unaryScalar(op: i32, x: usize, out: usize, n: i32, p0: f32): void {
  const end = x + (<usize>n << 2);
  let o = out;
  for (let p = x; p < end; p += 4, o += 4) {
    const v = load<f32>(p);
    let r: f32;
    if (op == 13) r = Mathf.sin(v);
    else if (op == 14) r = Mathf.cos(v);
    else r = <f32>Math.pow(<f64>v, <f64>p0);
    store<f32>(o, r);
  }
}

export function unary(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  switch (op) {
    case 0: if (x != out) memory.copy(out, x, <usize>n << 2); break;
    case 1: unaryLoop(1, x, out, n, p0, p1); break;
    case 2: unaryLoop(2, x, out, n, p0, p1); break;
    case 3: unaryLoop(3, x, out, n, p0, p1); break;
    case 4: unaryLoop(4, x, out, n, p0, p1); break;
    case 5: unaryLoop(5, x, out, n, p0, p1); break;
    case 6: unaryLoop(6, x, out, n, p0, p1); break;
    case 7: unaryLoop(7, x, out, n, p0, p1); break;
    case 8: unaryLoop(8, x, out, n, p0, p1); break;
    case 9: unaryLoop(9, x, out, n, p0, p1); break;
    case 10: unaryLoop(10, x, out, n, p0, p1); break;
    case 11: unaryLoop(11, x, out, n, p0, p1); break;
    case 12: unaryLoop(12, x, out, n, p0, p1); break;
    case 15:
      if (p0 == 2.0) unaryLoop(15, x, out, n, p0, p1);
      else if (p0 == 1.0) { if (x != out) memory.copy(out, x, <usize>n << 2); }
      else unaryScalar(15, x, out, n, p0);
      break;
    case 16: unaryLoop(16, x, out, n, p0, p1); break;
    case 17: unaryLoop(17, x, out, n, p0, p1); break;
    case 18: unaryLoop(18, x, out, n, p0, p1); break;
    case 19: unaryLoop(19, x, out, n, p0, p1); break;
    case 20: unaryLoop(20, x, out, n, p0, p1); break;
    default: unaryScalar(op, x, out, n, p0); break;
  }
}

/** g * f'(x) with y = f(x). */
@inline function ugv(op: i32, x: v128, y: v128, g: v128, p0: v128, p1: v128): v128 {
  switch (op) {
    case 0: return g;
    case 1: return f32x4.neg(g);
    case 2: return f32x4.mul(g, y);
    case 3: return f32x4.mul(g, f32x4.div(kf(11 /* 1.0 */), x));
    case 4: return f32x4.mul(g, f32x4.div(kf(24 /* 0.5 */), y));
    case 5: return f32x4.mul(g, f32x4.add(x, x));
    case 6: return f32x4.mul(g, vsign(x));
    case 7: return f32x4.mul(g, vsplat(0.0));
    case 8: return f32x4.mul(g, f32x4.sub(kf(11 /* 1.0 */), f32x4.mul(y, y)));
    case 9: return f32x4.mul(g, f32x4.mul(y, f32x4.sub(kf(11 /* 1.0 */), y)));
    case 10: return f32x4.mul(g, vsigmoid(x));
    case 11: return f32x4.mul(g, v128.and(f32x4.gt(x, vsplat(0.0)), kf(11 /* 1.0 */)));
    case 12: {
      const t = vtsp(x);
      const s = vsigmoid(x);
      const d = f32x4.add(t, f32x4.mul(f32x4.mul(x, s), f32x4.sub(kf(11 /* 1.0 */), f32x4.mul(t, t))));
      return f32x4.mul(g, d);
    }
    case 15: return f32x4.mul(g, f32x4.add(x, x)); // p0 == 2 only
    case 16: return f32x4.mul(g, v128.and(v128.and(f32x4.ge(x, p0), f32x4.le(x, p1)), kf(11 /* 1.0 */)));
    case 17: return f32x4.mul(g, p0);
    case 18: return g;
    case 19: return f32x4.mul(g, f32x4.neg(f32x4.mul(y, y)));
    case 20: return f32x4.mul(g, vsplat(0.0));
    default: return g;
  }
}

@inline function unaryGradLoop(op: i32, x: usize, y: usize, g: usize, out: usize, n: i32, p0: f32, p1: f32): void {
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

function unaryGradScalar(op: i32, x: usize, g: usize, out: usize, n: i32, p0: f32): void {
  for (let i: usize = 0, e = <usize>n << 2; i < e; i += 4) {
    const v = load<f32>(x + i);
    let d: f32;
    if (op == 13) d = Mathf.cos(v);
    else if (op == 14) d = -Mathf.sin(v);
    else d = <f32>(<f64>p0 * Math.pow(<f64>v, <f64>p0 - 1.0));
    store<f32>(out + i, load<f32>(g + i) * d);
  }
}

export function unaryGrad(op: i32, x: usize, y: usize, g: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  switch (op) {
    case 0: unaryGradLoop(0, x, y, g, out, n, p0, p1); break;
    case 1: unaryGradLoop(1, x, y, g, out, n, p0, p1); break;
    case 2: unaryGradLoop(2, x, y, g, out, n, p0, p1); break;
    case 3: unaryGradLoop(3, x, y, g, out, n, p0, p1); break;
    case 4: unaryGradLoop(4, x, y, g, out, n, p0, p1); break;
    case 5: unaryGradLoop(5, x, y, g, out, n, p0, p1); break;
    case 6: unaryGradLoop(6, x, y, g, out, n, p0, p1); break;
    case 7: unaryGradLoop(7, x, y, g, out, n, p0, p1); break;
    case 8: unaryGradLoop(8, x, y, g, out, n, p0, p1); break;
    case 9: unaryGradLoop(9, x, y, g, out, n, p0, p1); break;
    case 10: unaryGradLoop(10, x, y, g, out, n, p0, p1); break;
    case 11: unaryGradLoop(11, x, y, g, out, n, p0, p1); break;
    case 12: unaryGradLoop(12, x, y, g, out, n, p0, p1); break;
    case 15:
      if (p0 == 2.0) unaryGradLoop(15, x, y, g, out, n, p0, p1);
      else unaryGradScalar(15, x, g, out, n, p0);
      break;
    case 16: unaryGradLoop(16, x, y, g, out, n, p0, p1); break;
    case 17: unaryGradLoop(17, x, y, g, out, n, p0, p1); break;
    case 18: unaryGradLoop(18, x, y, g, out, n, p0, p1); break;
    case 19: unaryGradLoop(19, x, y, g, out, n, p0, p1); break;
    case 20: unaryGradLoop(20, x, y, g, out, n, p0, p1); break;
    default: unaryGradScalar(op, x, g, out, n, p0); break;
  }
}

// ---------------------------------------------------------------------------------------------
// Binary ops. Codes: 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 minimum, 6 gt, 7 ge, 8 lt, 9 le, 10 eq.
// ---------------------------------------------------------------------------------------------

@inline function bv(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.sub(a, b);
    case 2: return f32x4.mul(a, b);
    case 3: return f32x4.div(a, b);
    case 4: return v128.bitselect(a, b, f32x4.ge(a, b));
    case 5: return v128.bitselect(a, b, f32x4.le(a, b));
    case 6: return v128.and(f32x4.gt(a, b), kf(11 /* 1.0 */));
    case 7: return v128.and(f32x4.ge(a, b), kf(11 /* 1.0 */));
    case 8: return v128.and(f32x4.lt(a, b), kf(11 /* 1.0 */));
    case 9: return v128.and(f32x4.le(a, b), kf(11 /* 1.0 */));
    default: return v128.and(f32x4.eq(a, b), kf(11 /* 1.0 */));
  }
}

@inline function bs(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return a >= b ? a : b;
    case 5: return a <= b ? a : b;
    case 6: return a > b ? 1 : 0;
    case 7: return a >= b ? 1 : 0;
    case 8: return a < b ? 1 : 0;
    case 9: return a <= b ? 1 : 0;
    default: return a == b ? 1 : 0;
  }
}

/** One row of `len` outputs; sa / sb are element strides (0 broadcasts). */
@inline function binRowT(op: i32, a: usize, b: usize, o: usize, len: i32, sa: i32, sb: i32): void {
  const nv = <usize>(len >> 2) << 4;
  const end = <usize>len << 2;
  if (sa == 1 && sb == 1) {
    let i: usize = 0;
    for (; i < nv; i += 16) v128.store(o + i, bv(op, v128.load(a + i), v128.load(b + i)));
    for (; i < end; i += 4) store<f32>(o + i, bs(op, load<f32>(a + i), load<f32>(b + i)));
  } else if (sa == 1 && sb == 0) {
    const s = load<f32>(b);
    const vs = vsplat(s);
    let i: usize = 0;
    for (; i < nv; i += 16) v128.store(o + i, bv(op, v128.load(a + i), vs));
    for (; i < end; i += 4) store<f32>(o + i, bs(op, load<f32>(a + i), s));
  } else if (sa == 0 && sb == 1) {
    const s = load<f32>(a);
    const vs = vsplat(s);
    let i: usize = 0;
    for (; i < nv; i += 16) v128.store(o + i, bv(op, vs, v128.load(b + i)));
    for (; i < end; i += 4) store<f32>(o + i, bs(op, s, load<f32>(b + i)));
  } else {
    const da = <usize>sa << 2;
    const db = <usize>sb << 2;
    let pa = a;
    let pb = b;
    for (let i: usize = 0; i < end; i += 4) {
      store<f32>(o + i, bs(op, load<f32>(pa), load<f32>(pb)));
      pa += da;
      pb += db;
    }
  }
}

function binRow(op: i32, a: usize, b: usize, o: usize, len: i32, sa: i32, sb: i32): void {
  switch (op) {
    case 0: binRowT(0, a, b, o, len, sa, sb); break;
    case 1: binRowT(1, a, b, o, len, sa, sb); break;
    case 2: binRowT(2, a, b, o, len, sa, sb); break;
    case 3: binRowT(3, a, b, o, len, sa, sb); break;
    case 4: binRowT(4, a, b, o, len, sa, sb); break;
    case 5: binRowT(5, a, b, o, len, sa, sb); break;
    case 6: binRowT(6, a, b, o, len, sa, sb); break;
    case 7: binRowT(7, a, b, o, len, sa, sb); break;
    case 8: binRowT(8, a, b, o, len, sa, sb); break;
    case 9: binRowT(9, a, b, o, len, sa, sb); break;
    default: binRowT(10, a, b, o, len, sa, sb); break;
  }
}

/** Contiguous a, b, out of n elements (sb = 0: b is one scalar; sa = 0: a is). */
export function binaryFlat(op: i32, a: usize, b: usize, out: usize, n: i32, sa: i32, sb: i32): void {
  binRow(op, a, b, out, n, sa, sb);
}

@inline function metaI(slot: i32, d: i32): i32 {
  return load<i32>(META + (<usize>(slot * MAXD + d) << 2));
}
@inline function metaSet(slot: i32, d: i32, v: i32): void {
  store<i32>(META + (<usize>(slot * MAXD + d) << 2), v);
}

/**
 * General strided binary op over META's shape (slot 0) with a strides (slot 1), b strides
 * (slot 2); nd >= 1 dims, out contiguous. The innermost dim runs through binRow.
 */
export function binaryStrided(op: i32, a: usize, b: usize, out: usize, nd: i32): void {
  const last = nd - 1;
  const len = metaI(0, last);
  const sa = metaI(1, last);
  const sb = metaI(2, last);
  let outer = 1;
  for (let d = 0; d < last; d++) { outer *= metaI(0, d); metaSet(4, d, 0); }
  let oa = 0;
  let ob = 0;
  let o = out;
  const rowBytes = <usize>len << 2;
  for (let r = 0; r < outer; r++) {
    binRow(op, a + (<usize>oa << 2), b + (<usize>ob << 2), o, len, sa, sb);
    o += rowBytes;
    let ax = last - 1;
    while (ax >= 0) {
      const c = metaI(4, ax) + 1;
      oa += metaI(1, ax);
      ob += metaI(2, ax);
      if (c < metaI(0, ax)) { metaSet(4, ax, c); break; }
      metaSet(4, ax, 0);
      oa -= metaI(1, ax) * metaI(0, ax);
      ob -= metaI(2, ax) * metaI(0, ax);
      ax--;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// where: out = cond != 0 ? a : b. Strides in slots 1 (cond), 2 (a), 3 (b).
// ---------------------------------------------------------------------------------------------

function whereRow(c: usize, a: usize, b: usize, o: usize, len: i32, sc: i32, sa: i32, sb: i32): void {
  const end = <usize>len << 2;
  if (sc == 1 && sa == 1 && sb == 1) {
    const nv = <usize>(len >> 2) << 4;
    const zero = vsplat(0.0);
    let i: usize = 0;
    for (; i < nv; i += 16) {
      v128.store(o + i, v128.bitselect(v128.load(a + i), v128.load(b + i), f32x4.ne(v128.load(c + i), zero)));
    }
    for (; i < end; i += 4) store<f32>(o + i, load<f32>(c + i) != 0 ? load<f32>(a + i) : load<f32>(b + i));
  } else {
    const dc = <usize>sc << 2;
    const da = <usize>sa << 2;
    const db = <usize>sb << 2;
    let pc = c;
    let pa = a;
    let pb = b;
    for (let i: usize = 0; i < end; i += 4) {
      store<f32>(o + i, load<f32>(pc) != 0 ? load<f32>(pa) : load<f32>(pb));
      pc += dc; pa += da; pb += db;
    }
  }
}

export function whereStrided(c: usize, a: usize, b: usize, out: usize, nd: i32): void {
  const last = nd - 1;
  const len = metaI(0, last);
  const sc = metaI(1, last);
  const sa = metaI(2, last);
  const sb = metaI(3, last);
  let outer = 1;
  for (let d = 0; d < last; d++) { outer *= metaI(0, d); metaSet(4, d, 0); }
  let oc = 0;
  let oa = 0;
  let ob = 0;
  let o = out;
  const rowBytes = <usize>len << 2;
  for (let r = 0; r < outer; r++) {
    whereRow(c + (<usize>oc << 2), a + (<usize>oa << 2), b + (<usize>ob << 2), o, len, sc, sa, sb);
    o += rowBytes;
    let ax = last - 1;
    while (ax >= 0) {
      const k = metaI(4, ax) + 1;
      oc += metaI(1, ax);
      oa += metaI(2, ax);
      ob += metaI(3, ax);
      if (k < metaI(0, ax)) { metaSet(4, ax, k); break; }
      metaSet(4, ax, 0);
      const n = metaI(0, ax);
      oc -= metaI(1, ax) * n;
      oa -= metaI(2, ax) * n;
      ob -= metaI(3, ax) * n;
      ax--;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// copyStrided / addStrided. Slot 1: the strided side's strides.
// ---------------------------------------------------------------------------------------------

/** dst (rows x cols, row-major, contiguous) = src with src(r, c) at r * 1 + c * sC: a transpose. */
function transpose2d(src: usize, dst: usize, rows: i32, cols: i32, sC: i32): void {
  const ldS = <usize>sC << 2;
  const ldD = <usize>cols << 2;
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  for (let r = 0; r < r4; r += 4) {
    let c = 0;
    for (; c < c4; c += 4) {
      const s = src + (<usize>r << 2) + <usize>c * ldS;
      const v0 = v128.load(s);
      const v1 = v128.load(s + ldS);
      const v2 = v128.load(s + 2 * ldS);
      const v3 = v128.load(s + 3 * ldS);
      const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
      const t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
      const d = dst + <usize>r * ldD + (<usize>c << 2);
      v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
      v128.store(d + ldD, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
      v128.store(d + 2 * ldD, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
      v128.store(d + 3 * ldD, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (; c < cols; c++) {
      for (let i = 0; i < 4; i++) {
        store<f32>(dst + <usize>(r + i) * ldD + (<usize>c << 2), load<f32>(src + (<usize>(r + i) << 2) + <usize>c * ldS));
      }
    }
  }
  for (let r = r4; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      store<f32>(dst + <usize>r * ldD + (<usize>c << 2), load<f32>(src + (<usize>r << 2) + <usize>c * ldS));
    }
  }
}

/** dst[dstOff + flat(idx)] = src[srcOff + idx . strides]; shape slot 0, strides slot 1. */
export function copyStrided(src: usize, dst: usize, nd: i32): void {
  const last = nd - 1;
  const len = metaI(0, last);
  const ss = metaI(1, last);
  // Fast transpose: the last two dims are (stride 1, stride != 1).
  const tr = nd >= 2 && ss != 1 && metaI(1, last - 1) == 1 && metaI(0, last - 1) >= 4 && len >= 4;
  const innerDims = tr ? 2 : 1;
  const rows = tr ? metaI(0, last - 1) : 1;
  const blockBytes = <usize>(len * rows) << 2;
  let outer = 1;
  for (let d = 0; d < nd - innerDims; d++) { outer *= metaI(0, d); metaSet(4, d, 0); }
  let os = 0;
  let o = dst;
  const ds = <usize>ss << 2;
  for (let r = 0; r < outer; r++) {
    const s = src + (<usize>os << 2);
    if (tr) transpose2d(s, o, rows, len, ss);
    else if (ss == 1) memory.copy(o, s, blockBytes);
    else if (ss == 0) {
      const v = load<f32>(s);
      const vs = vsplat(v);
      const nv = <usize>(len >> 2) << 4;
      let i: usize = 0;
      for (; i < nv; i += 16) v128.store(o + i, vs);
      for (; i < blockBytes; i += 4) store<f32>(o + i, v);
    } else {
      let p = s;
      for (let i: usize = 0; i < blockBytes; i += 4) { store<f32>(o + i, load<f32>(p)); p += ds; }
    }
    o += blockBytes;
    let ax = nd - innerDims - 1;
    while (ax >= 0) {
      const k = metaI(4, ax) + 1;
      os += metaI(1, ax);
      if (k < metaI(0, ax)) { metaSet(4, ax, k); break; }
      metaSet(4, ax, 0);
      os -= metaI(1, ax) * metaI(0, ax);
      ax--;
    }
  }
}

/** dst[dstOff + flat(idx) . strides] += src[flat(idx)]; shape slot 0, strides slot 1. */
export function addStrided(src: usize, dst: usize, nd: i32): void {
  const last = nd - 1;
  const len = metaI(0, last);
  const sd = metaI(1, last);
  let outer = 1;
  for (let d = 0; d < last; d++) { outer *= metaI(0, d); metaSet(4, d, 0); }
  let od = 0;
  let s = src;
  const rowBytes = <usize>len << 2;
  const dd = <usize>sd << 2;
  const nv = <usize>(len >> 2) << 4;
  for (let r = 0; r < outer; r++) {
    const d = dst + (<usize>od << 2);
    if (sd == 1) {
      let i: usize = 0;
      for (; i < nv; i += 16) v128.store(d + i, f32x4.add(v128.load(d + i), v128.load(s + i)));
      for (; i < rowBytes; i += 4) store<f32>(d + i, load<f32>(d + i) + load<f32>(s + i));
    } else {
      let p = d;
      for (let i: usize = 0; i < rowBytes; i += 4) { store<f32>(p, load<f32>(p) + load<f32>(s + i)); p += dd; }
    }
    s += rowBytes;
    let ax = last - 1;
    while (ax >= 0) {
      const k = metaI(4, ax) + 1;
      od += metaI(1, ax);
      if (k < metaI(0, ax)) { metaSet(4, ax, k); break; }
      metaSet(4, ax, 0);
      od -= metaI(1, ax) * metaI(0, ax);
      ax--;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions: x viewed as [outer, mid, inner] -> out [outer, inner]. op 0 sum, 1 max, 2 min.
// ---------------------------------------------------------------------------------------------

@inline function redV(op: i32, acc: v128, x: v128): v128 {
  if (op == 0) return f32x4.add(acc, x);
  // Reference: take x if x beats acc or x is NaN (NaN then sticks).
  const take = op == 1 ? f32x4.gt(x, acc) : f32x4.lt(x, acc);
  return v128.bitselect(x, acc, v128.or(take, f32x4.ne(x, x)));
}
@inline function redS(op: i32, acc: f32, x: f32): f32 {
  if (op == 0) return acc + x;
  const take = op == 1 ? x > acc : x < acc;
  return take || x != x ? x : acc;
}

@inline function reduceT(op: i32, x: usize, out: usize, outer: i32, mid: i32, inner: i32): void {
  const ld = <usize>inner << 2;
  const first = op == 0 ? 0 : 1;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>mid * ld;
    const ob = out + <usize>o * ld;
    if (inner == 1) {
      // Contiguous run of mid values.
      let acc: f32 = op == 0 ? 0 : load<f32>(base);
      let i = first;
      if (op == 0 && mid >= 8) {
        let v0 = vsplat(0.0);
        let v1 = vsplat(0.0);
        for (; i + 8 <= mid; i += 8) {
          v0 = f32x4.add(v0, v128.load(base + (<usize>i << 2)));
          v1 = f32x4.add(v1, v128.load(base + (<usize>i << 2), 16));
        }
        v0 = f32x4.add(v0, v1);
        acc = f32x4.extract_lane(v0, 0) + f32x4.extract_lane(v0, 1) + (f32x4.extract_lane(v0, 2) + f32x4.extract_lane(v0, 3));
      }
      for (; i < mid; i++) acc = redS(op, acc, load<f32>(base + (<usize>i << 2)));
      store<f32>(ob, acc);
      continue;
    }
    // Column reduction: 16 columns at a time in registers, rows innermost.
    let c = 0;
    for (; c + 16 <= inner; c += 16) {
      let p = base + (<usize>c << 2);
      let a0 = op == 0 ? vsplat(0.0) : v128.load(p);
      let a1 = op == 0 ? vsplat(0.0) : v128.load(p, 16);
      let a2 = op == 0 ? vsplat(0.0) : v128.load(p, 32);
      let a3 = op == 0 ? vsplat(0.0) : v128.load(p, 48);
      p += <usize>first * ld;
      for (let r = first; r < mid; r++) {
        a0 = redV(op, a0, v128.load(p));
        a1 = redV(op, a1, v128.load(p, 16));
        a2 = redV(op, a2, v128.load(p, 32));
        a3 = redV(op, a3, v128.load(p, 48));
        p += ld;
      }
      const q = ob + (<usize>c << 2);
      v128.store(q, a0); v128.store(q, a1, 16); v128.store(q, a2, 32); v128.store(q, a3, 48);
    }
    for (; c + 4 <= inner; c += 4) {
      let p = base + (<usize>c << 2);
      let a0 = op == 0 ? vsplat(0.0) : v128.load(p);
      p += <usize>first * ld;
      for (let r = first; r < mid; r++) { a0 = redV(op, a0, v128.load(p)); p += ld; }
      v128.store(ob + (<usize>c << 2), a0);
    }
    for (; c < inner; c++) {
      let p = base + (<usize>c << 2);
      let a: f32 = op == 0 ? 0 : load<f32>(p);
      p += <usize>first * ld;
      for (let r = first; r < mid; r++) { a = redS(op, a, load<f32>(p)); p += ld; }
      store<f32>(ob + (<usize>c << 2), a);
    }
  }
}

export function reduce(op: i32, x: usize, out: usize, outer: i32, mid: i32, inner: i32): void {
  if (mid == 0) {
    // Reference: sum of nothing is 0; max/min of nothing leave garbage -> define as 0 / NaN.
    memory.fill(out, 0, <usize>(outer * inner) << 2);
    return;
  }
  if (op == 0) reduceT(0, x, out, outer, mid, inner);
  else if (op == 1) reduceT(1, x, out, outer, mid, inner);
  else reduceT(2, x, out, outer, mid, inner);
}

// ---------------------------------------------------------------------------------------------
// Rows, Adam, lerp, fill
// ---------------------------------------------------------------------------------------------

/** Returns the first bad row index position + 1, or 0 when all indices are in [0, nRows). */
export function gatherRows(x: usize, idx: usize, nIdx: i32, out: usize, rowSize: i32, nRows: i32): i32 {
  const rb = <usize>rowSize << 2;
  for (let r = 0; r < nIdx; r++) {
    const s = load<i32>(idx + (<usize>r << 2));
    if (<u32>s >= <u32>nRows) return r + 1;
    memory.copy(out + <usize>r * rb, x + <usize>s * rb, rb);
  }
  return 0;
}

export function scatterAddRows(g: usize, idx: usize, nIdx: i32, out: usize, rowSize: i32, nRows: i32): i32 {
  const rb = <usize>rowSize << 2;
  const nv = <usize>(rowSize >> 2) << 4;
  for (let r = 0; r < nIdx; r++) {
    const d0 = load<i32>(idx + (<usize>r << 2));
    if (<u32>d0 >= <u32>nRows) return r + 1;
    const d = out + <usize>d0 * rb;
    const s = g + <usize>r * rb;
    let i: usize = 0;
    for (; i < nv; i += 16) v128.store(d + i, f32x4.add(v128.load(d + i), v128.load(s + i)));
    for (; i < rb; i += 4) store<f32>(d + i, load<f32>(d + i) + load<f32>(s + i));
  }
  return 0;
}

/**
 * One fused pass of Adam / AdamW. c1 = 1 - beta1, c2 = 1 - beta2 (rounded from float64: 1 - 0.999f
 * in float32 is off by 1e-5 relative), lr1 = lr / bc1, ibc2 = 1 / bc2, decay = 1 - lr wd (AdamW) or 1,
 * l2 = wd (Adam) or 0.
 */
export function adam(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  beta1: f32, beta2: f32, c1: f32, c2: f32, lr1: f32, ibc2: f32, eps: f32, decay: f32, l2: f32,
): void {
  const vb1 = vsplat(beta1);
  const vb2 = vsplat(beta2);
  const vc1 = vsplat(c1);
  const vc2 = vsplat(c2);
  const vlr = vsplat(lr1);
  const vib = vsplat(ibc2);
  const veps = vsplat(eps);
  const vdec = vsplat(decay);
  const vl2 = vsplat(l2);
  const nv = <usize>(n >> 2) << 4;
  let i: usize = 0;
  for (; i < nv; i += 16) {
    const pi = v128.load(p + i);
    const gi = f32x4.add(v128.load(g + i), f32x4.mul(vl2, pi));
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + i)), f32x4.mul(vc1, gi));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + i)), f32x4.mul(f32x4.mul(vc2, gi), gi));
    v128.store(m + i, mi);
    v128.store(v + i, vi);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vi, vib)), veps);
    v128.store(p + i, f32x4.sub(f32x4.mul(pi, vdec), f32x4.div(f32x4.mul(vlr, mi), den)));
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) {
    const pi = load<f32>(p + i);
    const gi = load<f32>(g + i) + l2 * pi;
    const mi = beta1 * load<f32>(m + i) + c1 * gi;
    const vi = beta2 * load<f32>(v + i) + c2 * gi * gi;
    store<f32>(m + i, mi);
    store<f32>(v + i, vi);
    store<f32>(p + i, pi * decay - (lr1 * mi) / (Mathf.sqrt(vi * ibc2) + eps));
  }
}

export function lerp(dst: usize, src: usize, n: i32, t: f32): void {
  const vt = vsplat(t);
  const nv = <usize>(n >> 2) << 4;
  let i: usize = 0;
  for (; i < nv; i += 16) {
    const d = v128.load(dst + i);
    v128.store(dst + i, f32x4.add(d, f32x4.mul(vt, f32x4.sub(v128.load(src + i), d))));
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) {
    const d = load<f32>(dst + i);
    store<f32>(dst + i, d + t * (load<f32>(src + i) - d));
  }
}

export function fill(out: usize, n: i32, value: f32): void {
  const vs = vsplat(value);
  const nv = <usize>(n >> 2) << 4;
  let i: usize = 0;
  for (; i < nv; i += 16) v128.store(out + i, vs);
  const end = <usize>n << 2;
  for (; i < end; i += 4) store<f32>(out + i, value);
}

// ---------------------------------------------------------------------------------------------
// GEMM: C (m x n) [+]= op(A) op(B), batched. B is packed into 8-column panels (zero padded),
// K blocked by KC; the micro-kernel keeps a 4 x 8 tile of C in 8 registers, K innermost,
// broadcasting one A value per row and step. A is read in place through (row, col) strides,
// which serves A and Aᵀ alike; packing serves B and Bᵀ alike.
// ---------------------------------------------------------------------------------------------

const KC: i32 = 256;

/** Pack kc rows (p) x n columns (j) of B, B(p, j) at p * bRow + j * bCol, into 8-wide panels. */
function packB(B: usize, kc: i32, n: i32, bRow: i32, bCol: i32, pack: usize): void {
  const full = n >> 3;
  const panelBytes = <usize>kc << 5;
  const ldR = <usize>bRow << 2;
  const ldC = <usize>bCol << 2;
  if (bCol == 1) {
    for (let jb = 0; jb < full; jb++) {
      let s = B + (<usize>jb << 5);
      let d = pack + <usize>jb * panelBytes;
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += ldR;
        d += 32;
      }
    }
  } else if (bRow == 1) {
    // B stored transposed: column j is contiguous in p. 4x4 SIMD transposes.
    const k4 = kc & ~3;
    for (let jb = 0; jb < full; jb++) {
      const s0 = B + <usize>(jb << 3) * ldC;
      const d0 = pack + <usize>jb * panelBytes;
      for (let h = 0; h < 2; h++) {
        const sh = s0 + <usize>(h << 2) * ldC;
        const dh = d0 + (<usize>h << 4);
        let p = 0;
        for (; p < k4; p += 4) {
          const s = sh + (<usize>p << 2);
          const v0 = v128.load(s);
          const v1 = v128.load(s + ldC);
          const v2 = v128.load(s + 2 * ldC);
          const v3 = v128.load(s + 3 * ldC);
          const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          const t2 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          const t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          const d = dh + (<usize>p << 5);
          v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
          v128.store(d, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
          v128.store(d, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
          v128.store(d, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
        }
        for (; p < kc; p++) {
          const s = sh + (<usize>p << 2);
          const d = dh + (<usize>p << 5);
          for (let j = 0; j < 4; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + <usize>j * ldC));
        }
      }
    }
  } else {
    for (let jb = 0; jb < full; jb++) {
      const d0 = pack + <usize>jb * panelBytes;
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < 8; j++) {
          store<f32>(d0 + (<usize>p << 5) + (<usize>j << 2), load<f32>(B + <usize>p * ldR + <usize>((jb << 3) + j) * ldC));
        }
      }
    }
  }
  const rem = n & 7;
  if (rem) {
    const d0 = pack + <usize>full * panelBytes;
    for (let p = 0; p < kc; p++) {
      const d = d0 + (<usize>p << 5);
      v128.store(d, v128.splat<i32>(0));
      v128.store(d, v128.splat<i32>(0), 16);
      for (let j = 0; j < rem; j++) {
        store<f32>(d + (<usize>j << 2), load<f32>(B + <usize>p * ldR + <usize>((full << 3) + j) * ldC));
      }
    }
  }
}

@inline function storeRow(cp: usize, v0: v128, v1: v128, nc: i32, first: bool): void {
  if (nc == 8) {
    if (first) {
      v128.store(cp, v0);
      v128.store(cp, v1, 16);
    } else {
      v128.store(cp, f32x4.add(v128.load(cp), v0));
      v128.store(cp, f32x4.add(v128.load(cp, 16), v1), 16);
    }
  } else {
    v128.store(tmpp, v0);
    v128.store(tmpp, v1, 16);
    for (let j = 0; j < nc; j++) {
      const q = cp + (<usize>j << 2);
      const x = load<f32>(tmpp + (<usize>j << 2));
      store<f32>(q, first ? x : load<f32>(q) + x);
    }
  }
}

/** 4 x 8 tile: A rows at ap + r * ars, advancing acs bytes per k step; packed B panel at bp. */
function kern4x8(ap: usize, ars: usize, acs: usize, bp: usize, kc: i32, cp: usize, ldc: usize, nc: i32, first: bool): void {
  let c00 = v128.splat<i32>(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let a0 = ap;
  let a1 = ap + ars;
  let a2 = a1 + ars;
  let a3 = a2 + ars;
  const bEnd = bp + (<usize>kc << 5);
  for (let b = bp; b < bEnd; b += 32) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a1);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a2);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a3);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    a0 += acs; a1 += acs; a2 += acs; a3 += acs;
  }
  storeRow(cp, c00, c01, nc, first);
  storeRow(cp + ldc, c10, c11, nc, first);
  storeRow(cp + 2 * ldc, c20, c21, nc, first);
  storeRow(cp + 3 * ldc, c30, c31, nc, first);
}

/** Transposed-A variant: the 4 rows are adjacent (ars = 4 bytes), read with one vector load. */
function kern4x8T(ap: usize, acs: usize, bp: usize, kc: i32, cp: usize, ldc: usize, nc: i32, first: bool): void {
  let c00 = v128.splat<i32>(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let a = ap;
  const bEnd = bp + (<usize>kc << 5);
  for (let b = bp; b < bEnd; b += 32) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    a += acs;
  }
  storeRow(cp, c00, c01, nc, first);
  storeRow(cp + ldc, c10, c11, nc, first);
  storeRow(cp + 2 * ldc, c20, c21, nc, first);
  storeRow(cp + 3 * ldc, c30, c31, nc, first);
}

function kern1x8(ap: usize, acs: usize, bp: usize, kc: i32, cp: usize, nc: i32, first: bool): void {
  let c0 = v128.splat<i32>(0), c1 = c0;
  let a = ap;
  const bEnd = bp + (<usize>kc << 5);
  for (let b = bp; b < bEnd; b += 32) {
    const x = v128.load32_splat(a);
    c0 = f32x4.add(c0, f32x4.mul(x, v128.load(b)));
    c1 = f32x4.add(c1, f32x4.mul(x, v128.load(b, 16)));
    a += acs;
  }
  storeRow(cp, c0, c1, nc, first);
}

/** Bytes of B-panel scratch matmul needs for this n and k (plus 16 KC bytes for an A slab). */
export function packBytes(n: i32, k: i32): i32 {
  return (((n + 7) >> 3) << 5) * max(1, min(k, KC));
}

export function matmul(
  a: usize, b: usize, c: usize, batch: i32, m: i32, n: i32, k: i32,
  transA: i32, transB: i32, aBS: i32, bBS: i32, acc: i32, pack: usize,
): void {
  matmulPart(a, b, c, 0, batch, m, n, k, 0, m, 0, n, transA, transB, aBS, bBS, acc, pack, 0, 0, -1);
}

// Fused epilogue: C = act(C + bias) over rows x nj columns (row stride ldc bytes), applied to a
// stripe of rows as soon as its last K block is stored (it is still in L1). bias is a row of nj
// floats (0 = none); act is a unary op code (8 tanh, 11 relu, 12 mish) or -1 for none. The same
// vector code as the separate add and unary kernels, so the result is bit-identical to them.
@inline function epiRows(act: i32, cp: usize, rows: i32, ldc: usize, bias: usize, nj: i32): void {
  const z = vsplat(0.0);
  const nv = <usize>(nj >> 2) << 4;
  const rem = <usize>(nj & 3) << 2;
  for (let r = 0; r < rows; r++) {
    const row = cp + <usize>r * ldc;
    for (let q: usize = 0; q < nv; q += 16) {
      let v = v128.load(row + q);
      if (bias) v = f32x4.add(v, v128.load(bias + q));
      v128.store(row + q, act < 0 ? v : uv(act, v, z, z));
    }
    if (rem) {
      v128.store(tmpp, z);
      v128.store(tmpp + 16, z);
      memory.copy(tmpp, row + nv, rem);
      if (bias) memory.copy(tmpp + 16, bias + nv, rem);
      let v = v128.load(tmpp);
      if (bias) v = f32x4.add(v, v128.load(tmpp + 16));
      v128.store(tmpp + 32, act < 0 ? v : uv(act, v, z, z));
      memory.copy(row + nv, tmpp + 32, rem);
    }
  }
}

function epilogue(act: i32, cp: usize, rows: i32, ldc: usize, bias: usize, nj: i32): void {
  switch (act) {
    case 8: epiRows(8, cp, rows, ldc, bias, nj); break;
    case 11: epiRows(11, cp, rows, ldc, bias, nj); break;
    case 12: epiRows(12, cp, rows, ldc, bias, nj); break;
    default: epiRows(-1, cp, rows, ldc, bias, nj); break;
  }
}

/**
 * The part of matmul over batch items [t0, t1), rows [i0, i1) and columns [j0, j1) of C, with
 * i0 a multiple of 4 and j0 a multiple of 8 (and i1 / j1 likewise unless equal to m / n): the
 * tiles and each element's summation order are then those of the whole product, so threads
 * that split one product between them give the single-threaded result bit for bit.
 * `pack` is this caller's own scratch (packBytes(n, k) + 16 KC bytes). With `bias` (a pointer,
 * or 0) or `act` (a unary op code, or -1) the fused epilogue C = act(C + bias) runs on each row
 * stripe after its last K block; batch item t's bias row starts biasBS floats after item t-1's.
 */
export function matmulPart(
  a: usize, b: usize, c: usize, t0: i32, t1: i32, m: i32, n: i32, k: i32,
  i0: i32, i1: i32, j0: i32, j1: i32,
  transA: i32, transB: i32, aBS: i32, bBS: i32, acc: i32, pack: usize,
  bias: usize, biasBS: i32, act: i32,
): void {
  const epi = bias != 0 || act >= 0;
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  const nj = j1 - j0;
  if (nj <= 0 || i1 <= i0) return;
  const np = (nj + 7) >> 3;
  const ars = <usize>aRow << 2;
  const acs = <usize>aCol << 2;
  const ldc = <usize>n << 2;
  const apack = pack + <usize>packBytes(n, k);
  for (let t = t0; t < t1; t++) {
    const A = a + (<usize>(t * aBS) << 2);
    const B = b + (<usize>(t * bBS + j0 * bCol) << 2);
    const C = c + <usize>t * <usize>m * ldc + (<usize>j0 << 2);
    const bt: usize = bias ? bias + (<usize>(t * biasBS + j0) << 2) : 0;
    if (k == 0) {
      if (!acc) {
        for (let i = i0; i < i1; i++) memory.fill(C + <usize>i * ldc, 0, <usize>nj << 2);
      }
      if (epi) epilogue(act, C + <usize>i0 * ldc, i1 - i0, ldc, bt, nj);
      continue;
    }
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      if (t == t0 || bBS != 0 || k > KC) packB(B + (<usize>(pc * bRow) << 2), kc, nj, bRow, bCol, pack);
      const first = pc == 0 && !acc;
      const last = epi && pc + KC >= k;
      const panelBytes = <usize>kc << 5;
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        const Ai = A + (<usize>(i * aRow + pc * aCol) << 2);
        const Ci = C + <usize>i * ldc;
        let bp = pack;
        if (transA) {
          // Pack the 4 x kc slab of A (4 adjacent floats per k step, acs apart) contiguously:
          // reading it in place strides by m floats per step (4 KiB aliasing in L1 for m = 1024).
          let s = Ai;
          for (let q: usize = 0, e = <usize>kc << 4; q < e; q += 16) { v128.store(apack + q, v128.load(s)); s += acs; }
          for (let jb = 0; jb < np; jb++) {
            kern4x8T(apack, 16, bp, kc, Ci + (<usize>jb << 5), ldc, min(8, nj - (jb << 3)), first);
            bp += panelBytes;
          }
        } else {
          for (let jb = 0; jb < np; jb++) {
            kern4x8(Ai, ars, acs, bp, kc, Ci + (<usize>jb << 5), ldc, min(8, nj - (jb << 3)), first);
            bp += panelBytes;
          }
        }
        if (last) epilogue(act, Ci, 4, ldc, bt, nj);
      }
      for (; i < i1; i++) {
        const Ai = A + (<usize>(i * aRow + pc * aCol) << 2);
        const Ci = C + <usize>i * ldc;
        let bp = pack;
        for (let jb = 0; jb < np; jb++) {
          kern1x8(Ai, acs, bp, kc, Ci + (<usize>jb << 5), min(8, nj - (jb << 3)), first);
          bp += panelBytes;
        }
        if (last) epilogue(act, Ci, 1, ldc, bt, nj);
      }
    }
  }
}

/** matmul with the fused epilogue C = act(op(A) op(B) [+ C] + bias) (see matmulPart). */
export function matmulBiasAct(
  a: usize, b: usize, c: usize, batch: i32, m: i32, n: i32, k: i32,
  transA: i32, transB: i32, aBS: i32, bBS: i32, acc: i32, pack: usize, bias: usize, biasBS: i32, act: i32,
): void {
  matmulPart(a, b, c, 0, batch, m, n, k, 0, m, 0, n, transA, transB, aBS, bBS, acc, pack, bias, biasBS, act);
}
