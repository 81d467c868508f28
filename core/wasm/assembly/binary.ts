import { C, Binary } from './codes';
import { kf, metaI, metaSet } from './scratch';
import { vsplat } from './vmath';

// ---------------------------------------------------------------------------------------------
// Binary ops. Codes: 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 minimum, 6 gt, 7 ge, 8 lt, 9 le, 10 eq.
// ---------------------------------------------------------------------------------------------

@inline export function bv(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case Binary.add: return f32x4.add(a, b);
    case Binary.sub: return f32x4.sub(a, b);
    case Binary.mul: return f32x4.mul(a, b);
    case Binary.div: return f32x4.div(a, b);
    // NaN on either side gives NaN (a when a is NaN; else b, which then is).
    case Binary.maximum: return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a)));
    case Binary.minimum: return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a)));
    case Binary.gt: return v128.and(f32x4.gt(a, b), kf(C.ONE));
    case Binary.ge: return v128.and(f32x4.ge(a, b), kf(C.ONE));
    case Binary.lt: return v128.and(f32x4.lt(a, b), kf(C.ONE));
    case Binary.le: return v128.and(f32x4.le(a, b), kf(C.ONE));
    default: return v128.and(f32x4.eq(a, b), kf(C.ONE));
  }
}

@inline export function bs(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case Binary.add: return a + b;
    case Binary.sub: return a - b;
    case Binary.mul: return a * b;
    case Binary.div: return a / b;
    case Binary.maximum: return a >= b || a != a ? a : b;
    case Binary.minimum: return a <= b || a != a ? a : b;
    case Binary.gt: return a > b ? 1 : 0;
    case Binary.ge: return a >= b ? 1 : 0;
    case Binary.lt: return a < b ? 1 : 0;
    case Binary.le: return a <= b ? 1 : 0;
    default: return a == b ? 1 : 0;
  }
}

/** One row of `len` outputs; sa / sb are element strides (0 broadcasts). */
@inline export function binRowT(op: i32, a: usize, b: usize, o: usize, len: i32, sa: i32, sb: i32): void {
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

export function binRow(op: i32, a: usize, b: usize, o: usize, len: i32, sa: i32, sb: i32): void {
  switch (op) {
    case Binary.add: binRowT(Binary.add, a, b, o, len, sa, sb); break;
    case Binary.sub: binRowT(Binary.sub, a, b, o, len, sa, sb); break;
    case Binary.mul: binRowT(Binary.mul, a, b, o, len, sa, sb); break;
    case Binary.div: binRowT(Binary.div, a, b, o, len, sa, sb); break;
    case Binary.maximum: binRowT(Binary.maximum, a, b, o, len, sa, sb); break;
    case Binary.minimum: binRowT(Binary.minimum, a, b, o, len, sa, sb); break;
    case Binary.gt: binRowT(Binary.gt, a, b, o, len, sa, sb); break;
    case Binary.ge: binRowT(Binary.ge, a, b, o, len, sa, sb); break;
    case Binary.lt: binRowT(Binary.lt, a, b, o, len, sa, sb); break;
    case Binary.le: binRowT(Binary.le, a, b, o, len, sa, sb); break;
    default: binRowT(Binary.eq, a, b, o, len, sa, sb); break;
  }
}

/** Contiguous a, b, out of n elements (sb = 0: b is one scalar; sa = 0: a is). */
export function binaryFlat(op: i32, a: usize, b: usize, out: usize, n: i32, sa: i32, sb: i32): void {
  binRow(op, a, b, out, n, sa, sb);
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
